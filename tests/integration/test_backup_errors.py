"""Backups that cannot be restored say so clearly and change nothing; the CLI and the Lambda
handler around backup and restore (moto S3, real PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpv.db import Database
from fpv.jobs.backup import BackupCorrupted, create_backup
from fpv.jobs.restore import RestoreRefused, read_backup, restore_backup
from fpv.jobs.store import BackupNotFound, LocalDirBackupStore, S3BackupStore, store_from_url
from fpv.ports.events import InProcessEventBus
from tests.support.backup import BUCKET
from tests.support.factories import make_pilot, make_training

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def backed_up(db: Database, store: S3BackupStore):
    make_pilot(db, 11)
    make_training(db)
    return create_backup(db, store)


def _no_tables(db: Database) -> bool:
    with db.transaction() as tx:
        return (
            tx.value(
                "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
                " AND relkind = 'r'"
            )
            == 0
        )


def test_corrupted_data_is_detected_before_anything_is_written(backed_up, store, s3, empty_db):
    body = bytearray(s3.get_object(Bucket=BUCKET, Key=backed_up.data_key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    s3.put_object(Bucket=BUCKET, Key=backed_up.data_key, Body=bytes(body))
    with pytest.raises(BackupCorrupted, match=r"is corrupted: expected .* SHA-256"):
        restore_backup(empty_db, store, InProcessEventBus())
    assert _no_tables(empty_db)


def test_truncated_data_is_detected(backed_up, store, s3):
    body = s3.get_object(Bucket=BUCKET, Key=backed_up.data_key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=backed_up.data_key, Body=body[:-20])
    with pytest.raises(BackupCorrupted, match="corrupted"):
        read_backup(store)


def test_a_manifest_that_is_not_json_is_reported(backed_up, store, s3):
    s3.put_object(Bucket=BUCKET, Key=backed_up.manifest_key, Body=b'{"format": "fpv-ba')
    with pytest.raises(BackupCorrupted, match="not a readable manifest"):
        read_backup(store)


def test_a_manifest_of_something_else_is_reported(backed_up, store, s3):
    s3.put_object(Bucket=BUCKET, Key=backed_up.manifest_key, Body=b'{"hello": 1}')
    with pytest.raises(BackupCorrupted, match="not an fpv backup manifest"):
        read_backup(store)


def test_missing_data_object_says_the_backup_is_incomplete(backed_up, store, s3):
    s3.delete_object(Bucket=BUCKET, Key=backed_up.data_key)
    with pytest.raises(BackupNotFound, match=r"incomplete: its data .* is missing"):
        read_backup(store)


def test_no_backup_at_all(store, empty_db):
    with pytest.raises(BackupNotFound, match=f"no backup found in s3://{BUCKET}/backups/"):
        restore_backup(empty_db, store, InProcessEventBus())
    with pytest.raises(BackupNotFound, match="no backup from 2001-01-01"):
        read_backup(store, "2001-01-01")
    with pytest.raises(BackupNotFound, match=r"manifest .* does not exist"):
        read_backup(store, "backups/2001/01/01/20010101T000000Z")


def test_a_bucket_that_does_not_exist(s3):
    with pytest.raises(BackupNotFound, match="bucket no-such-bucket does not exist"):
        read_backup(S3BackupStore("no-such-bucket", client=s3))


def test_a_database_with_data_is_refused_and_left_alone(backed_up, store, db):
    with pytest.raises(RestoreRefused, match=r"not empty .*pilots"):
        restore_backup(db, store, InProcessEventBus())
    with db.transaction() as tx:
        assert tx.value("SELECT count(*) FROM pilots") == 1


def test_a_database_with_foreign_tables_is_refused(backed_up, store, empty_db):
    with empty_db.transaction() as tx:
        tx.execute("CREATE TABLE something_else (id int)")
    with pytest.raises(RestoreRefused, match="not an fpv database"):
        restore_backup(empty_db, store, InProcessEventBus())


def _rewrite_manifest(s3, key: str, **changes) -> None:
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    manifest.update(changes)
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest).encode())


def test_a_schema_newer_than_the_backup_is_refused(backed_up, store, s3, pg_factory):
    _rewrite_manifest(s3, backed_up.manifest_key, schema_version=1, migrations=[1])
    target_url = pg_factory.create()  # migrated to the latest version
    target = Database(target_url)
    try:
        with pytest.raises(RestoreRefused, match="newer than the backup's 1"):
            restore_backup(target, store, InProcessEventBus())
    finally:
        target.close()
        pg_factory.drop(target_url)


def test_a_backup_needing_unknown_migrations_is_refused(backed_up, store, s3, empty_db):
    _rewrite_manifest(s3, backed_up.manifest_key, schema_version=9999, migrations=[1, 9999])
    with pytest.raises(RestoreRefused, match=r"needs migrations \[9999\]"):
        restore_backup(empty_db, store, InProcessEventBus())
    assert _no_tables(empty_db)


def test_backup_urls():
    assert isinstance(store_from_url("s3://bucket/prefix"), S3BackupStore)
    assert store_from_url("s3://bucket/some/prefix").where("k") == "s3://bucket/some/prefix/k"
    assert isinstance(store_from_url("/tmp/x"), LocalDirBackupStore)
    with pytest.raises(ValueError, match="names no bucket"):
        store_from_url("s3://")
    with pytest.raises(ValueError, match="use s3://"):
        store_from_url("gs://bucket")
    with pytest.raises(ValueError, match="escapes"):
        LocalDirBackupStore(Path("/tmp/x")).get("../../etc/passwd")


# --- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(app_env, s3, monkeypatch):
    from fpv.jobs import backup_job

    monkeypatch.setattr(backup_job, "_stores", {})
    monkeypatch.setenv("BACKUP_URL", f"s3://{BUCKET}/nightly")
    return app_env


def test_cli_backup_then_restore(cli_env, db, empty_db, capsys, monkeypatch):
    from fpv.cli import main
    from fpv.settings import get_settings

    make_pilot(db, 21)
    assert main(["backup"]) == 0
    out = capsys.readouterr().out
    assert f"backup written: s3://{BUCKET}/nightly/backups/" in out and "rows in" in out

    assert main(["restore", "--list"]) == 0
    assert "manifest.json" in capsys.readouterr().out

    # the empty database's own URL: a TCP one on a server, a Unix socket one on the embedded
    monkeypatch.setenv("DATABASE_URL", empty_db.url)
    get_settings.cache_clear()
    assert main(["restore"]) == 0
    out = capsys.readouterr().out
    assert "restored s3://" in out and "pilots: 1" in out
    with empty_db.transaction() as tx:
        assert tx.value("SELECT telegram_id FROM pilots") == 21

    # again: the database is not empty any more
    assert main(["restore"]) == 2
    assert "fpv: the database is not empty" in capsys.readouterr().err


def test_cli_restore_without_backups_is_one_clear_line(cli_env, capsys):
    from fpv.cli import main

    assert main(["restore"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"fpv: no backup found in s3://{BUCKET}/nightly/backups/"


def test_cli_backup_to_a_folder_keeps_days(app_env, db, tmp_path, capsys):
    from fpv.cli import main

    target = tmp_path / "bk"
    assert main(["backup", "--to", str(target), "--keep-days", "7"]) == 0
    assert "pruned 0 backup(s)" in capsys.readouterr().out
    assert list(target.rglob("manifest.json"))
    assert main(["backup", "--to", "ftp://nope"]) == 2
    assert "use s3://bucket" in capsys.readouterr().err


# --- the Lambda handler ----------------------------------------------------------------------


def _backup_function():
    from fpv.local.invoker import FunctionInvoker
    from fpv.local.template import load_template

    template = load_template(ROOT / "template.yaml")
    fn = template.functions["BackupFunction"]
    schedules = {s.name: s for s in template.schedules if s.function == fn}
    return FunctionInvoker(), fn, schedules


def test_nightly_handler_writes_a_backup_and_reports_success(cli_env, db, s3, capsys):
    invoker, fn, schedules = _backup_function()
    nightly = schedules["BackupFunction.Nightly"]
    assert nightly.expression.startswith("cron(")
    result = invoker.invoke(fn, nightly.event)
    assert result["manifest_key"].startswith("backups/")
    assert s3.head_object(Bucket=BUCKET, Key="nightly/" + result["manifest_key"])
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("BackupSucceeded") == [1.0] or m.get("BackupSucceeded") == 1.0 for m in emf)

    # the ledger mirror schedule
    ledger = invoker.invoke(fn, schedules["BackupFunction.LedgerMirror"].event)
    assert ledger == {"action": "ledger", "entries": 0}


def test_nightly_handler_failure_is_loud(cli_env, db, monkeypatch, capsys):
    from fpv.settings import get_settings

    monkeypatch.setenv("BACKUP_URL", "s3://bucket-that-is-not-there")
    get_settings.cache_clear()
    invoker, fn, schedules = _backup_function()
    with pytest.raises(Exception, match=r"NoSuchBucket|does not exist"):
        invoker.invoke(fn, schedules["BackupFunction.Nightly"].event)
    out = capsys.readouterr().out
    assert "BackupFailed" in out and "BackupSucceeded" not in out
