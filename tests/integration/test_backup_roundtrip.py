"""Backups to moto S3 and restores into real PostgreSQL: equal table by table, the deletion
ledger re-applied, sequences right, encryption and checksums on the objects."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from fpv.dal import backup as backup_dal
from fpv.db import Database
from fpv.jobs.backup import create_backup, dependency_order, list_backups
from fpv.jobs.restore import mirror_ledger, read_ledger, read_mirrored_ledger, restore_backup
from fpv.jobs.store import S3BackupStore
from fpv.registrations import cancel, delete_person, sign_up
from tests.support.backup import BUCKET
from tests.support.factories import make_pilot, make_training


def populate(db: Database, bus) -> dict[str, int]:
    """A bit of everything: both time zones, confirmed/pending/waitlisted/cancelled seats,
    payments, admins with arrays, jsonb audit details, idempotency, reminder claims, a pilot
    who used /delete_me, API keys."""
    paid = make_training(db, capacity=2, price_kopecks=150_000, time_zone="Asia/Novosibirsk")
    free = make_training(db, capacity=8)
    for tid in (501, 502, 503, 504, 505):
        make_pilot(db, tid, language="en" if tid % 2 else "ru")
    confirmed = sign_up(db, bus, training_id=free, telegram_id=501).registration_id
    sign_up(db, bus, training_id=free, telegram_id=502)
    gone = sign_up(db, bus, training_id=free, telegram_id=503).registration_id
    cancel(db, bus, registration_id=gone, telegram_id=503)
    held = sign_up(db, bus, training_id=paid, telegram_id=504).registration_id
    sign_up(db, bus, training_id=paid, telegram_id=505)
    sign_up(db, bus, training_id=paid, telegram_id=501)  # waitlisted: only 2 seats
    make_pilot(db, 599)
    sign_up(db, bus, training_id=free, telegram_id=599)
    delete_person(db, bus, telegram_id=599)  # before the backup
    with db.transaction() as tx:
        tx.execute(
            "UPDATE venues SET latitude = 55.0415, longitude = 82.9346, address = 'ул. 1\nкорп. 2'"
        )
        tx.execute(
            "INSERT INTO payments (registration_id, training_id, pilot_id, provider,"
            " amount_kopecks, status, telegram_payment_charge_id)"
            " SELECT r.id, r.training_id, r.pilot_id, 'yookassa', 150000, 'paid', 'tg-charge-1'"
            " FROM registrations r WHERE r.id = :id",
            id=held,
        )
        admin = tx.value(
            "INSERT INTO admins (telegram_id, display_name, role, venue_ids)"
            " VALUES (42, 'Организатор \"Юг\"', 'local', '{1,2}') RETURNING id"
        )
        tx.execute(
            "INSERT INTO admin_audit_log (admin_id, action, target, details)"
            " VALUES (:a, 'training.update', 'training:1',"
            " CAST(:d AS jsonb))",
            a=admin,
            d=json.dumps({"before": {"capacity": 8}, "after": {"capacity": 10}, "note": "a\nb"}),
        )
        tx.execute(
            "INSERT INTO api_keys (name, key_hash, scopes) VALUES ('crm', 'h1', '{read,ical}')"
        )
        tx.execute(
            "INSERT INTO processed_updates (scope, key, expires_at)"
            " VALUES ('telegram', '1001', now() + interval '1 day')"
        )
        tx.execute(
            "INSERT INTO reminders_sent (registration_id, kind, claimed_at, sent_at, outcome)"
            " VALUES (:r, '24h', now(), now(), 'sent')",
            r=confirmed,
        )
    return {"paid": paid, "free": free, "held": held}


def table_contents(db: Database) -> dict[str, list[str]]:
    """Every table's rows as sorted JSON text (schema_migrations: versions only; the outbox's
    deliveries are not backed up)."""
    out: dict[str, list[str]] = {}
    with db.transaction(readonly=True) as tx:
        for table in backup_dal.tables(tx):
            if table == "outbox":
                continue
            if table == "schema_migrations":
                out[table] = [str(v) for v in backup_dal.applied_migrations(tx) or []]
            else:
                out[table] = sorted(backup_dal.rows_as_json(tx, table))
    return out


def test_backup_to_s3_then_restore_is_equal_table_by_table(db, empty_db, store, s3, bus):
    populate(db, bus)
    result = create_backup(db, store)
    assert result.tables["registrations"] == 7 and result.tables["deletion_ledger"] == 1

    # dated keys, a manifest, encryption and checksums
    stamp = re.escape(datetime.now(UTC).strftime("%Y/%m/%d"))
    assert re.fullmatch(rf"backups/{stamp}/\d{{8}}T\d{{6}}Z/manifest\.json", result.manifest_key)
    for key in (result.manifest_key, result.data_key):
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
    body = s3.get_object(Bucket=BUCKET, Key=result.data_key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == result.sha256
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=result.manifest_key)["Body"].read())
    assert manifest["data"]["sha256"] == result.sha256 and manifest["data"]["size"] == len(body)
    assert manifest["schema_version"] == max(manifest["migrations"])
    assert list_backups(store) == [result.manifest_key]

    restored = restore_backup(empty_db, store, bus)
    assert restored.tables == result.tables
    assert restored.forgotten == 0  # 599 left before the backup: nothing of them to forget
    assert table_contents(empty_db) == table_contents(db)

    # identities continue after the restored ids
    make_pilot(empty_db, 777)
    with empty_db.transaction() as tx:
        assert tx.value("SELECT max(id) FROM pilots") == tx.value(
            "SELECT id FROM pilots WHERE telegram_id = 777"
        )
    assert sign_up(empty_db, bus, training_id=make_training(empty_db), telegram_id=777)


def test_restore_into_a_migrated_empty_database(db_url, pg_factory, db, store, bus):
    populate(db, bus)
    create_backup(db, store)
    target_url = pg_factory.create()  # migrated to the same version, no rows
    target = Database(target_url)
    try:
        restore_backup(target, store, bus)
        assert table_contents(target) == table_contents(db)
        # the seat counts came back as they were (the counting trigger did not run twice)
        with target.transaction() as tx:
            seats = tx.all("SELECT id, seats_taken FROM trainings ORDER BY id")
        with db.transaction() as tx:
            assert seats == tx.all("SELECT id, seats_taken FROM trainings ORDER BY id")
    finally:
        target.close()
        pg_factory.drop(target_url)


def test_a_pilot_who_used_delete_me_after_the_backup_stays_deleted(db, empty_db, store, bus):
    ids = populate(db, bus)
    before = datetime.now(UTC)
    create_backup(db, store)
    # after the backup: 504 (holding a paid seat, with a payment) deletes themselves
    delete_person(db, bus, telegram_id=504)
    mirror_ledger(db, store)  # the every-10-minutes copy next to the backups
    [(_, deleted_at)] = [e for e in read_mirrored_ledger(store) if e[0] == 504]
    assert deleted_at > before

    result = restore_backup(empty_db, store, bus)
    assert result.forgotten == 1 and result.ledger_sources["mirror"] == 2
    with empty_db.transaction() as tx:
        assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = 504") == 0
        assert tx.value("SELECT count(*) FROM user_consent WHERE telegram_id = 504") == 0
        reg = tx.one("SELECT status, pilot_id FROM registrations WHERE id = :id", id=ids["held"])
        assert reg == {"status": "cancelled", "pilot_id": None}
        payment = tx.one("SELECT pilot_id, amount_kopecks FROM payments")
        assert payment == {"pilot_id": None, "amount_kopecks": 150000}  # kept, de-linked
        ledger_time = tx.value("SELECT deleted_at FROM deletion_ledger WHERE telegram_id = 504")
        # the waitlisted pilot moved up into the freed seat
        assert tx.value(
            "SELECT r.status FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
            " WHERE p.telegram_id = 501 AND r.training_id = :t",
            t=ids["paid"],
        ) in ("pending_payment", "confirmed")
    assert ledger_time == deleted_at  # the original time of the deletion, not the restore's
    # everyone else is as in the backup
    assert table_contents(empty_db)["cities"] == table_contents(db)["cities"]


def test_the_ledger_of_the_old_database_can_be_the_source(db, empty_db, store, bus):
    populate(db, bus)
    create_backup(db, store)
    delete_person(db, bus, telegram_id=502)  # not mirrored yet
    result = restore_backup(empty_db, store, bus, extra_ledger=read_ledger(db))
    assert result.forgotten == 1
    with empty_db.transaction() as tx:
        assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = 502") == 0


def test_someone_who_deleted_and_came_back_before_the_backup_is_kept(db, empty_db, store, bus):
    populate(db, bus)
    # 599 deleted themselves in populate(); now they give consent again and come back
    make_pilot(db, 599, nickname="back_again")
    create_backup(db, store)
    mirror_ledger(db, store)
    result = restore_backup(empty_db, store, bus)
    assert result.forgotten == 0
    with empty_db.transaction() as tx:
        assert tx.value("SELECT nickname FROM pilots WHERE telegram_id = 599") == "back_again"


def test_the_ledger_mirror_never_shrinks(db, store, bus):
    make_pilot(db, 901)
    delete_person(db, bus, telegram_id=901)
    assert mirror_ledger(db, store) == 1
    with db.transaction() as tx:  # e.g. the database was rolled back by other means
        tx.execute("DELETE FROM deletion_ledger")
    make_pilot(db, 902)
    delete_person(db, bus, telegram_id=902)
    assert mirror_ledger(db, store) == 2
    assert sorted(t for t, _ in read_mirrored_ledger(store)) == [901, 902]


def test_backup_is_one_consistent_snapshot(db_url, db, store, bus, monkeypatch):
    """A sign-up committed while the backup runs is either wholly in it or not at all: seat
    counts in the backup always match its registrations."""
    training = make_training(db, capacity=8)
    make_pilot(db, 3001)
    make_pilot(db, 3002)
    sign_up(db, bus, training_id=training, telegram_id=3001)
    original = backup_dal.rows_as_json
    db_other = Database(db_url)
    try:

        def rows_then_write(tx, table):
            rows = original(tx, table)
            if table == "cities":  # mid-backup, another connection changes seats
                sign_up(db_other, bus, training_id=training, telegram_id=3002)
            return rows

        monkeypatch.setattr(backup_dal, "rows_as_json", rows_then_write)
        result = create_backup(db, store)
    finally:
        db_other.close()
    assert result.tables["registrations"] == 1  # the later sign-up is not in this snapshot
    manifest_rows = _restored_rows(store, result.data_key)
    [trow] = [r for r in manifest_rows["trainings"] if r["id"] == training]
    assert trow["seats_taken"] == 1


def _restored_rows(store: S3BackupStore, data_key: str) -> dict[str, list[dict]]:
    import gzip

    lines = gzip.decompress(store.get(data_key)).decode().splitlines()
    out: dict[str, list[dict]] = {}
    i = 0
    while i < len(lines):
        header = json.loads(lines[i])
        out[header["table"]] = [json.loads(x) for x in lines[i + 1 : i + 1 + header["rows"]]]
        i += 1 + header["rows"]
    return out


def test_dependency_order_puts_parents_first():
    order = dependency_order(
        ["registrations", "trainings", "venues", "cities", "pilots"],
        [
            ("registrations", "trainings"),
            ("registrations", "pilots"),
            ("trainings", "venues"),
            ("venues", "cities"),
            ("pilots", "pilots"),
        ],
    )
    assert order.index("cities") < order.index("venues") < order.index("trainings")
    assert order.index("trainings") < order.index("registrations")
    assert order.index("pilots") < order.index("registrations")


def test_old_backups_are_pruned_by_date(tmp_path, db, bus):
    from fpv.jobs.backup import prune_backups
    from fpv.jobs.store import LocalDirBackupStore

    local = LocalDirBackupStore(tmp_path / "backups")
    now = datetime.now(UTC)
    old = create_backup(db, local, now=now - timedelta(days=40))
    recent = create_backup(db, local, now=now - timedelta(days=1))
    pruned = prune_backups(local, keep_days=35, now=now)
    assert pruned == [old.manifest_key.rsplit("/", 1)[0] + "/"]
    assert list_backups(local) == [recent.manifest_key]
    # the newest is kept whatever its age
    assert prune_backups(local, keep_days=1, now=now + timedelta(days=100)) == []


def test_a_rated_pilot_deleted_after_the_backup_is_on_no_board_after_a_restore(
    db, empty_db, store, bus
):
    """Ratings × /delete_me × restore: the backup holds the pilot's rating and results; they
    delete themselves afterwards; the restored database shows them on no leaderboard, keeps no
    result that names them, and recomputing the season does not bring them back."""
    from pathlib import Path

    from fpv import ratings
    from fpv.actors import SYSTEM

    data = Path(__file__).resolve().parents[1] / "data" / "rotorhazard-results.json"
    for nick, tid in (("Skywalker", 9301), ("Korvin", 9302)):
        pid = make_pilot(db, tid, nickname=nick)
        with db.transaction() as tx:
            tx.execute("UPDATE pilots SET show_on_site = true WHERE id = :id", id=pid)
    flown = make_training(db, starts_in=timedelta(days=-1))
    ratings.import_results(db, SYSTEM, flown, data.read_bytes(), "results.json")
    with db.transaction(readonly=True) as tx:
        city = tx.value(
            "SELECT v.city_id FROM trainings t JOIN venues v ON v.id = t.venue_id WHERE t.id = :t",
            t=flown,
        )
        season = tx.value(
            "SELECT extract(year FROM starts_at)::int FROM trainings WHERE id = :t", t=flown
        )
    assert {r["nickname"] for r in ratings.leaderboard(db, city, season=season)} >= {"Skywalker"}
    create_backup(db, store)
    delete_person(db, bus, telegram_id=9301)
    mirror_ledger(db, store)

    restored = restore_backup(empty_db, store, bus)
    assert restored.forgotten == 1
    board = {r["nickname"] for r in ratings.leaderboard(empty_db, city, season=season)}
    assert "Skywalker" not in board and "Korvin" in board
    with empty_db.transaction(readonly=True) as tx:
        named = tx.value(
            "SELECT count(*) FROM heat_results h JOIN pilots p ON p.id = h.pilot_id"
            " WHERE p.telegram_id = 9301"
        )
        assert named == 0
    ratings.recompute(empty_db, season)
    assert "Skywalker" not in {
        r["nickname"] for r in ratings.leaderboard(empty_db, city, season=season)
    }
