"""Data access for the health check."""

from __future__ import annotations

from fpv.db import Tx


def schema_version(tx: Tx) -> int | None:
    """Highest applied migration, or None when the schema was never migrated."""
    if tx.value("SELECT to_regclass('schema_migrations') IS NOT NULL") is not True:
        return None
    return tx.value("SELECT max(version) FROM schema_migrations")
