"""The local runner wiring: "schedule changed" events on the process's bus reach the
site_publisher function (one thread per event, as the runner delivers them), a burst coalesces
into one render, and the final state matches the database."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from fpv import runtime
from fpv.local.runner import platform
from fpv.ports.events import SCHEDULE_CHANGED, InProcessEventBus
from fpv.registrations import sign_up
from fpv.settings import get_settings
from tests.support.factories import make_pilot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def local_platform(app_env, tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "_bus", None)  # a bus of our own: no other test's subscribers
    with platform(ROOT, data_dir=tmp_path, schedules=False) as gateway:
        yield gateway


def _outcomes(caplog) -> list[str]:
    return [
        "published" if r.getMessage().startswith("site published") else "unchanged"
        for r in caplog.records
        if r.name == "fpv.site"
    ]


def test_a_burst_of_events_renders_once_and_ends_in_the_right_state(local_platform, db, caplog):
    caplog.set_level(logging.INFO, logger="fpv.site")
    site = Path(get_settings().site_dir)
    doc = json.loads((site / "schedule.json").read_text())
    target = next(t for t in doc["trainings"] if t["price_kopecks"] == 0 and not t["channels"])
    quiet = InProcessEventBus()  # the sign-ups commit first; then the burst of events
    for telegram_id in range(980_001, 980_006):
        make_pilot(db, telegram_id)
        sign_up(db, quiet, training_id=target["number"], telegram_id=telegram_id)
    caplog.clear()

    bus = runtime.event_bus()
    for _ in range(8):
        bus.publish(SCHEDULE_CHANGED, {"training_id": target["number"], "reason": "sign_up"})

    deadline = time.monotonic() + 60
    while len(_outcomes(caplog)) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(_outcomes(caplog)) == ["published"] + ["unchanged"] * 7
    final = json.loads((site / "schedule.json").read_text())
    assert next(t for t in final["trainings"] if t["id"] == target["id"])["seats_left"] == (
        target["seats_left"] - 5
    )


def test_events_after_each_change_always_leave_the_latest_state(local_platform, db, caplog):
    caplog.set_level(logging.INFO, logger="fpv.site")
    site = Path(get_settings().site_dir)
    doc = json.loads((site / "schedule.json").read_text())
    target = next(t for t in doc["trainings"] if t["price_kopecks"] == 0 and not t["channels"])
    caplog.clear()
    bus = runtime.event_bus()
    for telegram_id in range(970_001, 970_005):  # each sign-up publishes its own event
        make_pilot(db, telegram_id)
        sign_up(db, bus, training_id=target["number"], telegram_id=telegram_id)
    deadline = time.monotonic() + 60
    while len(_outcomes(caplog)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    outcomes = _outcomes(caplog)
    assert len(outcomes) == 4 and "published" in outcomes
    final = json.loads((site / "schedule.json").read_text())
    seats = next(t for t in final["trainings"] if t["id"] == target["id"])["seats_left"]
    assert seats == target["seats_left"] - 4


def test_served_site_answers_conditional_polls_and_friendly_404(local_platform):
    import httpx

    from tests.support.server import serve_in_thread

    with serve_in_thread(local_platform) as url:
        first = httpx.get(f"{url}/schedule.json")
        assert first.status_code == 200 and first.headers.get("etag")
        again = httpx.get(f"{url}/schedule.json", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert httpx.get(f"{url}/en/").status_code == 200
        missing = httpx.get(f"{url}/training/no-such-training.html")
        assert missing.status_code == 404 and "Страница не найдена" in missing.text
