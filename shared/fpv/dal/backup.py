"""Data access for backups and restores: the catalog (tables, columns, foreign keys,
sequences), rows as JSON, bulk loads, and the deletion ledger.

Table and column names in dynamic SQL always come from this database's own catalog (a backup's
names are checked against it first) and are quoted; values are parameters.
"""

from __future__ import annotations

from datetime import datetime

from fpv.db import Row, Tx
from fpv.migrate import MIGRATION_LOCK_KEY


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def tables(tx: Tx) -> list[str]:
    """Ordinary and partitioned tables of the current schema (partitions come with their parent)."""
    rows = tx.all(
        "SELECT c.relname AS name FROM pg_class c"
        " WHERE c.relnamespace = current_schema()::regnamespace"
        " AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname"
    )
    return [r["name"] for r in rows]


def foreign_keys(tx: Tx) -> list[tuple[str, str]]:
    """(child, parent) table pairs of the current schema."""
    rows = tx.all(
        "SELECT ch.relname AS child, pa.relname AS parent FROM pg_constraint k"
        " JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid"
        " WHERE k.contype = 'f' AND ch.relnamespace = current_schema()::regnamespace"
        " AND pa.relnamespace = current_schema()::regnamespace"
    )
    return [(r["child"], r["parent"]) for r in rows]


def columns(tx: Tx, table: str) -> list[str]:
    """Columns a row can be inserted with (generated columns excluded), in table order."""
    rows = tx.all(
        "SELECT a.attname AS name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = :t"
        " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
        t=table,
    )
    return [r["name"] for r in rows]


def rows_as_json(tx: Tx, table: str) -> list[str]:
    """Every row as one line of JSON (jsonb text: never contains a raw newline)."""
    rows = tx.all(f"SELECT to_jsonb(t)::text AS j FROM {ident(table)} t")  # noqa: S608 - catalog name, quoted
    return [r["j"] for r in rows]


def snapshot_facts(tx: Tx) -> Row:
    return tx.one(
        "SELECT now() AS snapshot_at, current_setting('server_version') AS server_version,"
        " (SELECT max(version) FROM schema_migrations) AS schema_version"
    )


def sequences(tx: Tx) -> list[Row]:
    """Every sequence of the schema, its last value, and the column owning it (identity or
    serial), if any."""
    return tx.all(
        "SELECT s.relname AS name, pg_sequence_last_value(s.oid) AS last_value,"
        " t.relname AS owner_table, a.attname AS owner_column"
        " FROM pg_class s"
        " LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
        "   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
        " LEFT JOIN pg_class t ON t.oid = d.refobjid"
        " LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
        " WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace"
        " ORDER BY s.relname"
    )


def set_sequence(tx: Tx, *, name: str, at_least: int, owner: tuple[str, str] | None) -> int:
    """Move a sequence to max(at_least, the owning column's maximum); returns the value the next
    nextval() will exceed (0: untouched, starts from its first value)."""
    value = at_least
    if owner is not None:
        table, column = owner
        top = tx.value(f"SELECT max({ident(column)}) FROM {ident(table)}")  # noqa: S608 - catalog names
        value = max(value, int(top or 0))
    if value >= 1:
        tx.value("SELECT setval(CAST(:seq AS regclass), :v, true)", seq=ident(name), v=value)
    else:
        tx.value("SELECT setval(CAST(:seq AS regclass), 1, false)", seq=ident(name))
    return value


def has_rows(tx: Tx, table: str) -> bool:
    return tx.value(f"SELECT EXISTS (SELECT 1 FROM {ident(table)})") is True  # noqa: S608


def applied_migrations(tx: Tx) -> list[int] | None:
    """Versions in schema_migrations, or None when the table does not exist."""
    if tx.value("SELECT to_regclass('schema_migrations') IS NOT NULL") is not True:
        return None
    return [r["version"] for r in tx.all("SELECT version FROM schema_migrations ORDER BY 1")]


def set_user_triggers(tx: Tx, table: str, *, enabled: bool) -> None:
    """Restores load rows as they were: triggers (seat counting, append-only guards, ...) would
    count them twice or refuse them. Foreign keys stay checked."""
    action = "ENABLE" if enabled else "DISABLE"
    tx.execute(f"ALTER TABLE {ident(table)} {action} TRIGGER USER")


def truncate(tx: Tx, table_names: list[str]) -> None:
    if table_names:
        tx.execute("TRUNCATE " + ", ".join(ident(t) for t in table_names))


def insert_json_rows(tx: Tx, table: str, column_names: list[str], json_array: str) -> int:
    """Insert rows given as a JSON array of objects keyed by column name, values as they were
    (identity columns included)."""
    cols = ", ".join(ident(c) for c in column_names)
    return tx.execute(
        f"INSERT INTO {ident(table)} ({cols}) OVERRIDING SYSTEM VALUE"  # noqa: S608 - catalog names
        f" SELECT {cols} FROM jsonb_populate_recordset(NULL::{ident(table)}, CAST(:rows AS jsonb))",
        rows=json_array,
    )


# --- the deletion ledger ----------------------------------------------------------------------


def deletion_ledger(tx: Tx) -> list[Row]:
    return tx.all("SELECT telegram_id, deleted_at FROM deletion_ledger ORDER BY telegram_id")


def people_to_forget(tx: Tx, entries: list[tuple[int, datetime]]) -> list[int]:
    """Telegram ids from the ledger whose data in this database predates their deletion (a
    person who deleted and later came back keeps their new profile)."""
    if not entries:
        return []
    rows = tx.all(
        "SELECT l.telegram_id FROM unnest(CAST(:ids AS bigint[]), CAST(:at AS timestamptz[]))"
        "   AS l(telegram_id, deleted_at)"
        " WHERE EXISTS (SELECT 1 FROM pilots p WHERE p.telegram_id = l.telegram_id"
        "   AND p.created_at <= l.deleted_at)"
        " OR EXISTS (SELECT 1 FROM user_consent c WHERE c.telegram_id = l.telegram_id"
        "   AND c.given_at <= l.deleted_at)"
        " ORDER BY l.telegram_id",
        ids=[e[0] for e in entries],
        at=[e[1] for e in entries],
    )
    return [r["telegram_id"] for r in rows]


def record_deletions(tx: Tx, entries: list[tuple[int, datetime]]) -> None:
    """Keep the ledger's original deletion times (the latest one when a person deleted twice)."""
    if entries:
        tx.execute(
            "INSERT INTO deletion_ledger (telegram_id, deleted_at)"
            " SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:at AS timestamptz[]))"
            " ON CONFLICT (telegram_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at",
            ids=[e[0] for e in entries],
            at=[e[1] for e in entries],
        )


# --- migrations up to a version (restores replay the backup's schema first) --------------------


def migration_lock(tx: Tx, *, locked: bool) -> None:
    fn = "pg_advisory_lock" if locked else "pg_advisory_unlock"
    tx.value(f"SELECT {fn}(:k)", k=MIGRATION_LOCK_KEY)  # the lock `fpv migrate` takes


def ensure_migrations_table(tx: Tx) -> None:
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )


def apply_migration(tx: Tx, *, version: int, name: str, sql: str) -> None:
    tx.execute(sql)
    tx.execute("INSERT INTO schema_migrations (version, name) VALUES (:v, :n)", v=version, n=name)
