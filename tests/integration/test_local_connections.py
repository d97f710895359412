"""`fpv dev` holds no database connections for threads that have ended (issue #10 item 8):
event deliveries run in a thread each, the server's thread pool retires idle workers, and each
of those threads opened its own connection (connections are per thread)."""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

import pytest

from fpv import runtime
from fpv.db import Database
from fpv.local.runner import platform
from fpv.ports.events import SCHEDULE_CHANGED

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_gc():
    """Without a garbage collection (which runs whenever it likes) nothing closes a leaked
    connection: the test sees what the code itself closes."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def _connections(monitor: Database, application: str, expect: int | None = None) -> int:
    """Server-side connections of an application; with `expect`, given a few seconds to get
    there (a closed connection's server process needs a moment to go away)."""
    deadline = time.monotonic() + 10
    while True:
        with monitor.transaction(readonly=True) as tx:
            found = int(
                tx.value(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = :a",
                    a=application,
                )
            )
        if expect is None or found == expect or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_connections_of_ended_threads_are_closed(db_url, no_gc):
    app = f"fpv-test-threads-{os.getpid()}"  # not another test run's on the same server
    db = Database(db_url, application=app)
    monitor = Database(db_url, application="fpv-test-monitor")
    try:

        def work() -> None:
            with db.transaction() as tx:
                tx.value("SELECT 1")

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _connections(monitor, app) == 3  # left open by ended threads
        assert db.close_finished_threads() == 3
        assert _connections(monitor, app, expect=0) == 0

        for thread in [threading.Thread(target=work) for _ in range(2)]:
            thread.start()
            thread.join()
        work()  # a new connection (this thread's) closes the ones ended threads left
        assert _connections(monitor, app, expect=1) == 1
    finally:
        db.close()
        monitor.close()


def test_fpv_dev_event_deliveries_leave_no_connections_behind(
    app_env, tmp_path, monkeypatch, no_gc
):
    monkeypatch.setattr(runtime, "_bus", None)  # a bus of our own: no other test's subscribers
    monitor = Database(app_env, application="fpv-test-monitor")
    try:
        with platform(ROOT, data_dir=tmp_path, schedules=False):
            bus = runtime.event_bus()
            before = _connections(monitor, "fpv")
            for n in range(4):
                bus.publish(SCHEDULE_CHANGED, {"training_id": n + 1, "reason": "sign_up"})
            deadline = time.monotonic() + 60
            for thread in threading.enumerate():
                if "(invoke_target)" in thread.name:
                    thread.join(max(0.0, deadline - time.monotonic()))
            # four threads each published the site with a connection of their own
            assert _connections(monitor, "fpv", expect=before) == before
    finally:
        monitor.close()
