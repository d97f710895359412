"""Backup and restore of a club-sized database: 10,000 pilots, 50,000 registrations.

Figures (real PostgreSQL, S3 = moto in this process):
* backup: one REPEATABLE READ snapshot of every table, gzip, SHA-256, manifest; to S3 and to a
  local folder (the difference is the S3 client);
* restore from S3 into a brand-new database (schema, rows, sequences, migrations, deletion
  ledger), verified equal table by table;
* baseline measured in the same run: pg_dump -Fc and pg_restore of the same database
  (skipped with a note when the client tools are missing).

Database: TEST_DATABASE_URL or DATABASE_URL (temporary databases are created on that server),
else the embedded PostgreSQL under .fpv/bench-pgdata.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.support import bench_server
from fpv.local.databases import temporary_databases

PILOTS = 10_000
TRAININGS = 250  # 200 seats each
SEATS_PER_PILOT = 5  # 50,000 registrations
BUCKET = "fpv-bench-backups"


def _seed(db) -> None:
    """Set-based fixture data of a busy club season."""
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO cities (slug, name_ru, name_en) VALUES"
            " ('msk', 'Москва', 'Moscow'), ('nsk', 'Новосибирск', 'Novosibirsk')"
        )
        tx.execute(
            "INSERT INTO venues (city_id, slug, name, address, time_zone, latitude, longitude)"
            " SELECT c.id, c.slug || '-' || g, 'Площадка ' || g, 'ул. Полётная, ' || g,"
            " CASE c.slug WHEN 'msk' THEN 'Europe/Moscow' ELSE 'Asia/Novosibirsk' END,"
            " 55.0 + g / 100.0, 37.0 + g / 100.0 FROM cities c, generate_series(1, 3) g"
        )
        tx.execute(
            "INSERT INTO trainings (venue_id, title, starts_at, ends_at, capacity, price_kopecks)"
            " SELECT (SELECT id FROM venues ORDER BY id OFFSET g % 6 LIMIT 1), 'Тренировка ' || g,"
            " now() + g * interval '6 hours', now() + g * interval '6 hours' + interval '3 hours',"
            " 200, CASE WHEN g % 3 = 0 THEN 150000 ELSE 0 END"
            " FROM generate_series(1, :n) g",
            n=TRAININGS,
        )
        tx.execute(
            "INSERT INTO user_consent (telegram_id, policy_version)"
            " SELECT 500000000 + g, '2025-01' FROM generate_series(1, :n) g",
            n=PILOTS,
        )
        tx.execute(
            "INSERT INTO pilots (telegram_id, nickname, language, equipment, show_on_site)"
            " SELECT 500000000 + g, 'pilot_' || g, CASE WHEN g % 4 = 0 THEN 'en' ELSE 'ru' END,"
            " CASE WHEN g % 10 = 0 THEN 'dji-o3' ELSE 'R,F,A,B,E' END, g % 2 = 0"
            " FROM generate_series(1, :n) g",
            n=PILOTS,
        )
        tx.execute(
            "WITH t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM trainings),"
            " p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM pilots),"
            " seats AS (SELECT t.id AS training_id, p.id AS pilot_id, j,"
            "   row_number() OVER (PARTITION BY t.id ORDER BY p.id) - 1 AS rn"
            "   FROM p CROSS JOIN generate_series(0, :per - 1) j"
            "   JOIN t ON t.k = (p.k + j * 50) % :trainings)"
            " INSERT INTO registrations (training_id, pilot_id, status, channel_mhz,"
            "  channel_label, heat)"
            " SELECT training_id, pilot_id,"
            "  CASE WHEN rn % 10 = 9 THEN 'cancelled' ELSE 'confirmed' END,"
            "  (ARRAY[5658,5695,5732,5769,5806,5843,5880,5917])[rn % 8 + 1],"
            "  'R' || (rn % 8 + 1), rn / 8 + 1 FROM seats",
            per=SEATS_PER_PILOT,
            trainings=TRAININGS,
        )
        tx.execute(
            "INSERT INTO payments (registration_id, training_id, pilot_id, provider,"
            " amount_kopecks, status, telegram_payment_charge_id)"
            " SELECT r.id, r.training_id, r.pilot_id, 'yookassa', t.price_kopecks, 'paid',"
            " 'charge-' || r.id FROM registrations r JOIN trainings t ON t.id = r.training_id"
            " WHERE t.price_kopecks > 0 AND r.status = 'confirmed'"
        )
        tx.execute(
            "INSERT INTO reminders_sent (registration_id, kind, claimed_at, sent_at, outcome)"
            " SELECT id, '24h', now(), now(), 'sent' FROM registrations WHERE id % 3 = 0"
        )
        tx.execute(
            "INSERT INTO processed_updates (scope, key)"
            " SELECT 'telegram', g::text FROM generate_series(1, 10000) g"
        )
        tx.execute(
            "INSERT INTO admins (telegram_id, display_name, role, venue_ids)"
            " VALUES (1, 'Главный', 'superadmin', '{}'), (2, 'Местный', 'local', '{1,2}')"
        )
        tx.execute(
            "INSERT INTO admin_audit_log (admin_id, action, target, details)"
            " SELECT 1, 'training.update', 'training:' || g, jsonb_build_object('capacity', g)"
            " FROM generate_series(1, 2000) g"
        )
        tx.execute(
            "INSERT INTO deletion_ledger (telegram_id, deleted_at)"
            " SELECT 600000000 + g, now() - interval '1 day' FROM generate_series(1, 200) g"
        )


def _fingerprints(db) -> dict[str, tuple[int, str]]:
    from fpv.dal import backup as dal

    out = {}
    with db.transaction(readonly=True) as tx:
        for table in dal.tables(tx):
            if table == "schema_migrations":
                continue
            name = dal.ident(table)
            rows = f"SELECT to_jsonb(t)::text AS j FROM {name} t"  # noqa: S608 - catalog name
            out[table] = (
                tx.value(f"SELECT count(*) FROM {name}"),  # noqa: S608 - catalog name
                tx.value(f"SELECT md5(coalesce(string_agg(j, '' ORDER BY j), '')) FROM ({rows}) x"),  # noqa: S608
            )
    return out


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def _pg_baseline(source: str, target: str) -> tuple[float, float, int] | None:
    dump, restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if not dump or not restore:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "db.dump"
        started = time.perf_counter()
        subprocess.run([dump, "-Fc", "-f", str(out), "-d", source], check=True)
        dump_s = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([restore, "--no-owner", "-d", target, str(out)], check=True)
        return dump_s, time.perf_counter() - started, out.stat().st_size


def main() -> None:
    import boto3
    from moto import mock_aws

    from fpv.db import Database
    from fpv.jobs.backup import create_backup
    from fpv.jobs.restore import restore_backup
    from fpv.jobs.store import LocalDirBackupStore, S3BackupStore
    from fpv.migrate import migrate
    from fpv.ports.events import InProcessEventBus

    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }.items():
        os.environ.setdefault(name, value)

    with (
        bench_server() as server,
        temporary_databases(server, 3, "fpv_bench_bk") as (
            source_url,
            target_url,
            pg_target,
        ),
    ):
        source = Database(source_url)
        migrate(source)
        _, seed_s = _timed(_seed, source)
        with source.transaction() as tx:
            counts = {
                t: tx.value(f"SELECT count(*) FROM {t}")  # noqa: S608 - constant names
                for t in ("pilots", "registrations", "payments", "reminders_sent")
            }
        print(f"seeded in {seed_s:.1f} s: {counts}")

        with mock_aws(), tempfile.TemporaryDirectory() as tmp:
            s3 = boto3.client("s3", region_name="eu-central-1")
            s3.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
            )
            store = S3BackupStore(BUCKET, client=s3)
            result, backup_s = _timed(create_backup, source, store)
            _, local_s = _timed(create_backup, source, LocalDirBackupStore(Path(tmp)))
            raw_bytes = len(gzip.decompress(store.get(result.data_key)))
            print(
                f"backup to S3: {backup_s:.2f} s ({result.total_rows} rows in"
                f" {len(result.tables)} tables); to a folder: {local_s:.2f} s"
            )
            print(
                f"  size {result.size / 1e6:.2f} MB gzip ({raw_bytes / 1e6:.1f} MB of JSON,"
                f" ratio {raw_bytes / result.size:.1f}x), sha256 {result.sha256[:16]}..."
            )
            target = Database(target_url)
            restored, restore_s = _timed(restore_backup, target, store, InProcessEventBus())
            equal = _fingerprints(target) == _fingerprints(source)
            print(
                f"restore from S3 into a new database: {restore_s:.2f} s"
                f" ({sum(restored.tables.values())} rows, ledger entries"
                f" {restored.ledger_sources}); equal table by table: {equal}"
            )
            target.close()

        baseline = _pg_baseline(source_url, pg_target)
        if baseline is None:
            print("baseline: pg_dump/pg_restore not installed; skipped")
        else:
            dump_s, pg_restore_s, dump_size = baseline
            print(
                f"baseline pg_dump -Fc: {dump_s:.2f} s, {dump_size / 1e6:.2f} MB;"
                f" pg_restore: {pg_restore_s:.2f} s"
            )
            print(
                f"ratio ours / pg tools: backup {backup_s / dump_s:.2f}x,"
                f" restore {restore_s / pg_restore_s:.2f}x"
            )
        source.close()


if __name__ == "__main__":
    main()
