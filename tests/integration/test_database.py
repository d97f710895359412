"""The database layer and the schema's invariants, on real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pg8000.exceptions import DatabaseError

from fpv.db import Database, DatabaseUnavailable, IntegrityViolation
from fpv.migrate import available_migrations, latest_version, migrate
from tests.support.factories import make_pilot, make_training
from tests.support.pg import admin_connection, with_database


def test_migrate_twice_changes_nothing(db):
    assert migrate(db) == []  # the template database was migrated already
    with db.transaction() as tx:
        assert tx.value("SELECT max(version) FROM schema_migrations") == latest_version()


def test_two_concurrent_migrators_apply_each_migration_once(pg_factory):
    name = "fpv_t_concurrent_migrate"
    admin = admin_connection(pg_factory.server)
    admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.run(f'CREATE DATABASE "{name}"')
    url = with_database(pg_factory.server, name)
    results: list[list[int]] = []
    try:
        barrier = threading.Barrier(2)

        def run() -> None:
            own = Database(url)
            barrier.wait()
            results.append(migrate(own))
            own.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        applied = sorted(v for r in results for v in r)
        # each once, in total (numbers are assigned per feature, so they may have gaps)
        assert applied == [m.version for m in available_migrations()]
    finally:
        admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_reconnects_once_after_the_connection_was_killed(db, db_url):
    with db.transaction() as tx:
        pid = tx.value("SELECT pg_backend_pid()")
    other = Database(db_url)
    with other.transaction() as tx:
        tx.value("SELECT pg_terminate_backend(:pid)", pid=pid)
    other.close()
    with db.transaction() as tx:  # the dead cached connection is replaced transparently
        assert tx.value("SELECT pg_backend_pid()") != pid


@pytest.mark.parametrize(
    "unit",
    [
        lambda db: db.autocommit(),
        lambda db: db.autocommit(durable=False),
        lambda db: db.transaction(readonly=True),  # runs without START/COMMIT of its own
    ],
    ids=["autocommit", "autocommit-not-durable", "read-only"],
)
def test_units_without_begin_also_reconnect_once(db, db_url, unit):
    with unit(db) as tx:
        pid = tx.value("SELECT pg_backend_pid()")
    other = Database(db_url)
    with other.transaction() as tx:
        tx.value("SELECT pg_terminate_backend(:pid)", pid=pid)
    other.close()
    with unit(db) as tx:
        assert tx.value("SELECT pg_backend_pid()") != pid
        assert tx.value("SELECT pg_backend_pid()") != pid  # the same new connection


def test_only_non_durable_autocommits_skip_waiting_for_the_disk(db):
    with db.autocommit(durable=False) as tx:
        assert tx.value("SHOW synchronous_commit") == "off"
    with db.transaction() as tx:  # a transaction after it commits durably
        assert tx.value("SHOW synchronous_commit") == "on"
    with db.transaction(readonly=True) as tx:  # reads do not care: nothing switched
        assert tx.value("SHOW synchronous_commit") == "off"
    with db.autocommit() as tx:
        assert tx.value("SHOW synchronous_commit") == "on"
    with db.transaction() as tx:
        assert tx.value("SHOW synchronous_commit") == "on"


def test_a_read_only_unit_sees_each_commit_as_read_committed_does(db, db_url):
    """Read-only read-committed units run as single statements: each statement sees what was
    committed before it, as in a transaction at that level (one snapshot per statement)."""
    training = make_training(db)
    other = Database(db_url)
    try:
        with db.transaction(readonly=True) as tx:
            before = tx.value("SELECT title FROM trainings WHERE id = :id", id=training)
            with other.transaction() as writer:
                writer.execute("UPDATE trainings SET title = 'moved' WHERE id = :id", id=training)
            after = tx.value("SELECT title FROM trainings WHERE id = :id", id=training)
    finally:
        other.close()
    assert before != "moved"
    assert after == "moved"


def test_unreachable_database_is_a_clear_transient_error():
    db = Database("postgresql://nobody:secret@127.0.0.1:1/nowhere", connect_timeout=2)
    with pytest.raises(DatabaseUnavailable) as info, db.transaction():
        pass
    assert "127.0.0.1:1" in str(info.value)
    assert "secret" not in str(info.value)
    assert db.ping() is False


def test_rollback_on_error_keeps_nothing(db):
    training = make_training(db)
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.execute("UPDATE trainings SET title = 'changed' WHERE id = :id", id=training)
        raise RuntimeError("boom")
    with db.transaction() as tx:
        assert tx.value("SELECT title FROM trainings WHERE id = :id", id=training) != "changed"


def _register(db, training, pilot, status="confirmed", mhz=None):
    with db.transaction() as tx:
        hold = datetime.now(UTC) + timedelta(minutes=5) if status == "pending_payment" else None
        return tx.value(
            "INSERT INTO registrations"
            " (training_id, pilot_id, status, channel_mhz, hold_expires_at)"
            " VALUES (:t, :p, :s, :m, :h) RETURNING id",
            t=training,
            p=pilot,
            s=status,
            m=mhz,
            h=hold,
        )


def test_one_active_registration_per_pilot_and_training(db):
    training = make_training(db)
    pilot = make_pilot(db, 11)
    _register(db, training, pilot, mhz=5658)
    with pytest.raises(IntegrityViolation) as info:
        _register(db, training, pilot, status="waitlisted")
    assert info.value.constraint == "registrations_one_active_per_pilot"


def test_one_pilot_per_channel_and_training(db):
    training = make_training(db)
    _register(db, training, make_pilot(db, 21), mhz=5658)
    with pytest.raises(IntegrityViolation) as info:
        _register(db, training, make_pilot(db, 22), status="pending_payment", mhz=5658)
    assert info.value.constraint == "registrations_one_pilot_per_channel"


def test_seats_never_exceed_capacity_and_follow_status_changes(db):
    training = make_training(db, capacity=1)
    first = _register(db, training, make_pilot(db, 31), mhz=5658)
    with pytest.raises(IntegrityViolation) as info:
        _register(db, training, make_pilot(db, 32), mhz=5695)
    assert info.value.constraint == "trainings_seats_within_capacity"
    with db.transaction() as tx:
        tx.execute("UPDATE registrations SET status = 'cancelled' WHERE id = :id", id=first)
        assert tx.value("SELECT seats_taken FROM trainings WHERE id = :id", id=training) == 0
    _register(db, training, make_pilot(db, 33), mhz=5695)  # the freed seat can be taken


def test_audit_log_is_append_only(db):
    with db.transaction() as tx:
        tx.execute("INSERT INTO admin_audit_log (action, target) VALUES ('test', 'x')")
    for statement in (
        "UPDATE admin_audit_log SET action = 'forged'",
        "DELETE FROM admin_audit_log",
        "TRUNCATE admin_audit_log",
    ):
        with pytest.raises(DatabaseError, match="append-only"), db.transaction() as tx:
            tx.execute(statement)
    with db.transaction() as tx:
        assert tx.value("SELECT action FROM admin_audit_log") == "test"


def test_statements_are_prepared_once_and_survive_schema_changes(db, monkeypatch):
    """A statement with parameters is prepared once per connection, then executed in one
    round trip; a table change that alters its result fails it once, then it is prepared
    again."""
    from pg8000.core import CoreConnection

    round_trips = []
    original = CoreConnection.handle_messages
    monkeypatch.setattr(
        CoreConnection,
        "handle_messages",
        lambda conn, context: round_trips.append(1) or original(conn, context),
    )
    with db.autocommit() as tx:
        tx.execute("CREATE TABLE prepared_probe (a int)")
        tx.execute("INSERT INTO prepared_probe VALUES (:a)", a=1)
        round_trips.clear()
        assert tx.all("SELECT * FROM prepared_probe WHERE a = :a", a=1) == [{"a": 1}]
        first = len(round_trips)
        round_trips.clear()
        assert tx.all("SELECT * FROM prepared_probe WHERE a = :a", a=1) == [{"a": 1}]
        assert (first, len(round_trips)) == (2, 1)  # prepare + execute, then execute only
        assert tx.execute("UPDATE prepared_probe SET a = :a WHERE a = :old", a=2, old=1) == 1
        assert tx.execute("UPDATE prepared_probe SET a = :a WHERE a = :old", a=3, old=9) == 0
        tx.execute("ALTER TABLE prepared_probe ADD COLUMN b int")
        with pytest.raises(DatabaseError):
            tx.all("SELECT * FROM prepared_probe WHERE a = :a", a=2)
        assert tx.all("SELECT * FROM prepared_probe WHERE a = :a", a=2) == [{"a": 2, "b": None}]
