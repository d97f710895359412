"""Versioned SQL migrations (`fpv/migrations/NNNN_name.sql`), applied in order, each once.

Safe to run twice and by two processes at once: a session-level advisory lock serialises
runners, and each file is applied in its own transaction together with its bookkeeping row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from fpv.db import Database

# Arbitrary constant shared by every `fpv migrate` (the bytes of "fpvmigr" as a bigint).
MIGRATION_LOCK_KEY = 0x6670766D69677200
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("fpv.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def latest_version() -> int:
    migrations = available_migrations()
    return migrations[-1].version if migrations else 0


def migrate(db: Database) -> list[int]:
    """Apply pending migrations; returns the versions applied by this call."""
    conn = db.connection()
    conn.run("SELECT pg_advisory_lock(:key)", key=MIGRATION_LOCK_KEY)
    try:
        with db.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in tx.all("SELECT version FROM schema_migrations")}
        applied = []
        for migration in available_migrations():
            if migration.version in done:
                continue
            with db.transaction() as tx:
                tx.execute(migration.sql)
                tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (:v, :n)",
                    v=migration.version,
                    n=migration.name,
                )
            applied.append(migration.version)
        return applied
    finally:
        conn.run("SELECT pg_advisory_unlock(:key)", key=MIGRATION_LOCK_KEY)
