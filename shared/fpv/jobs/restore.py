"""`fpv restore`: a backup into an empty database, then the deletion ledger re-applied so
people who used /delete_me after the backup stay deleted.

Steps: read and verify the backup (manifest, size, SHA-256, row counts) before touching the
database; refuse a database that holds data; bring the schema to the backup's migration
version; load every table in one transaction (foreign keys checked, row triggers off so rows
come back exactly as they were); move sequences past the restored ids; apply newer migrations;
apply the merged deletion ledger (the restored one, the copy mirrored next to the backups, and
any extra source) through the registration core's /delete_me.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fpv.dal import backup as dal
from fpv.db import Database
from fpv.jobs.backup import (
    DATA,
    FORMAT,
    FORMAT_VERSION,
    NOT_COPIED,
    BackupCorrupted,
    find_manifest,
)
from fpv.jobs.store import BackupError, BackupNotFound, BackupStore
from fpv.migrate import available_migrations, migrate
from fpv.ports.events import EventBus

log = logging.getLogger("fpv.jobs.restore")

LEDGER_KEY = "ledger/deletion-ledger.json"
# One object per /delete_me, written before the database forgets the person (never rewritten,
# so concurrent deletions cannot lose each other); merged with LEDGER_KEY on every read.
LEDGER_ENTRIES = "ledger/entries/"
LEDGER_FORMAT = "fpv-deletion-ledger"
BATCH_ROWS = 5000

LedgerEntry = tuple[int, datetime]


class RestoreRefused(BackupError):
    """The target database is not one a backup may be restored into."""


@dataclass
class VerifiedBackup:
    manifest_key: str
    manifest: dict[str, Any]
    data: bytes

    @property
    def schema_version(self) -> int:
        return int(self.manifest["schema_version"] or 0)


@dataclass
class RestoreResult:
    manifest_key: str
    snapshot_at: str
    tables: dict[str, int]
    migrations_after: list[int]
    forgotten: int
    promotions: int
    seconds: float
    ledger_sources: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --- reading and verifying ---------------------------------------------------------------------


def read_backup(store: BackupStore, which: str | None = None) -> VerifiedBackup:
    """Fetch a backup and check it completely before anything is written anywhere."""
    key = find_manifest(store, which)
    try:
        raw = store.get(key)
    except BackupNotFound:
        raise BackupNotFound(f"backup manifest {store.where(key)} does not exist") from None
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupCorrupted(f"{store.where(key)} is not a readable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupCorrupted(f"{store.where(key)} is not an fpv backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupCorrupted(
            f"{store.where(key)} has format version {manifest.get('format_version')!r};"
            f" this code reads version {FORMAT_VERSION}"
        )
    data_info = manifest.get("data") or {}
    data_key = data_info.get("key") or key.rsplit("/", 1)[0] + "/" + DATA
    try:
        data = store.get(data_key)
    except BackupNotFound:
        raise BackupNotFound(
            f"backup {store.where(key)} is incomplete: its data {store.where(data_key)} is missing"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != data_info.get("size") or digest != data_info.get("sha256"):
        raise BackupCorrupted(
            f"backup data {store.where(data_key)} is corrupted: expected"
            f" {data_info.get('size')} bytes with SHA-256 {data_info.get('sha256')},"
            f" found {len(data)} bytes with SHA-256 {digest}"
        )
    verified = VerifiedBackup(key, manifest, data)
    counts = {name: len(rows) for name, _cols, rows in _tables_in(verified)}
    promised = {t["name"]: t["rows"] for t in manifest.get("tables", [])}
    if counts != promised:
        raise BackupCorrupted(f"backup {store.where(key)}: row counts differ from its manifest")
    return verified


def _tables_in(backup: VerifiedBackup) -> Iterator[tuple[str, list[str], list[bytes]]]:
    """(table, columns, row lines) in file order."""
    try:
        lines = gzip.decompress(backup.data).split(b"\n")
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupCorrupted(f"backup {backup.manifest_key}: cannot decompress ({exc})") from None
    if lines and lines[-1] == b"":
        lines.pop()
    i = 0
    while i < len(lines):
        try:
            header = json.loads(lines[i])
            name, columns, n = header["table"], list(header["columns"]), int(header["rows"])
        except (ValueError, KeyError, TypeError):
            raise BackupCorrupted(
                f"backup {backup.manifest_key}: line {i + 1} is not a table header"
            ) from None
        rows = lines[i + 1 : i + 1 + n]
        if len(rows) != n:
            raise BackupCorrupted(f"backup {backup.manifest_key}: table {name} is truncated")
        yield name, columns, rows
        i += 1 + n


# --- the target database -----------------------------------------------------------------------


def _check_target(db: Database, backup: VerifiedBackup) -> list[int]:
    """The target's applied migrations ([] for a brand-new database); refuses anything else."""
    with db.transaction(readonly=True) as tx:
        applied = dal.applied_migrations(tx)
        existing = dal.tables(tx)
        if applied is None:
            if existing:
                raise RestoreRefused(
                    f"the database has tables ({', '.join(existing[:5])}...) but no"
                    " schema_migrations: not an fpv database; restore into an empty one"
                )
            return []
        with_rows = [t for t in existing if t not in NOT_COPIED and dal.has_rows(tx, t)]
    if with_rows:
        raise RestoreRefused(
            "the database is not empty (rows in " + ", ".join(with_rows[:8]) + "); restore only"
            " into an empty database, e.g. a new one: createdb fpv_restored"
        )
    if applied and max(applied) > backup.schema_version:
        raise RestoreRefused(
            f"the database schema is at version {max(applied)}, newer than the backup's"
            f" {backup.schema_version}; restore into a brand-new database (no tables) so the"
            " newer migrations run on the restored rows"
        )
    return applied


def _migrate_to_backup(db: Database, backup: VerifiedBackup) -> None:
    """Apply the migrations the backup's database had, and no newer ones yet."""
    wanted = [int(v) for v in backup.manifest.get("migrations") or []]
    known = {m.version: m for m in available_migrations()}
    unknown = [v for v in wanted if v not in known]
    if unknown:
        raise RestoreRefused(
            f"the backup needs migrations {unknown} this code does not have; restore with the"
            " code version that made it"
        )
    with db.transaction() as tx:
        dal.migration_lock(tx, locked=True)
    try:
        with db.transaction() as tx:
            dal.ensure_migrations_table(tx)
            done = set(dal.applied_migrations(tx) or [])
        for version in wanted:
            if version not in done:
                m = known[version]
                with db.transaction() as tx:
                    dal.apply_migration(tx, version=m.version, name=m.name, sql=m.sql)
    finally:
        with db.transaction() as tx:
            dal.migration_lock(tx, locked=False)
    with db.transaction(readonly=True) as tx:
        now_applied = dal.applied_migrations(tx) or []
    if now_applied != sorted(wanted):
        raise RestoreRefused(
            f"the database has migrations {now_applied}, the backup was made with {sorted(wanted)}"
        )


def _load(db: Database, backup: VerifiedBackup, *, fresh: bool) -> dict[str, int]:
    loaded: dict[str, int] = {}
    with db.transaction() as tx:
        target = set(dal.tables(tx))
        in_backup = [t["name"] for t in backup.manifest["tables"]]
        missing = [t for t in in_backup if t not in target]
        if missing:
            raise RestoreRefused(f"the backup has tables this schema lacks: {missing}")
        for table in sorted(target):
            dal.set_user_triggers(tx, table, enabled=False)
        if fresh:  # rows the migrations themselves inserted come back from the backup
            dal.truncate(tx, in_backup)
        for table, columns, rows in _tables_in(backup):
            have = set(dal.columns(tx, table))
            extra = [c for c in columns if c not in have]
            if extra:
                raise RestoreRefused(f"the backup's {table} has columns this schema lacks: {extra}")
            count = 0
            for start in range(0, len(rows), BATCH_ROWS):
                chunk = b"[" + b",".join(rows[start : start + BATCH_ROWS]) + b"]"
                count += dal.insert_json_rows(tx, table, columns, chunk.decode())
            loaded[table] = count
        for table in sorted(target):
            dal.set_user_triggers(tx, table, enabled=True)
        saved = backup.manifest.get("sequences") or {}
        for seq in dal.sequences(tx):
            owner = (
                (seq["owner_table"], seq["owner_column"])
                if seq["owner_table"] and seq["owner_column"]
                else None
            )
            dal.set_sequence(
                tx, name=seq["name"], at_least=int(saved.get(seq["name"]) or 0), owner=owner
            )
    return loaded


# --- the deletion ledger -----------------------------------------------------------------------


def merge_ledgers(*sources: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """One entry per person, the latest deletion time."""
    merged: dict[int, datetime] = {}
    for source in sources:
        for telegram_id, deleted_at in source:
            if telegram_id not in merged or deleted_at > merged[telegram_id]:
                merged[telegram_id] = deleted_at
    return sorted(merged.items())


def read_ledger(db: Database) -> list[LedgerEntry]:
    with db.transaction(readonly=True) as tx:
        return [(r["telegram_id"], r["deleted_at"]) for r in dal.deletion_ledger(tx)]


def _read_ledger_doc(store: BackupStore, key: str) -> list[LedgerEntry]:
    try:
        raw = store.get(key)
    except BackupNotFound:
        return []
    try:
        doc = json.loads(raw)
        if doc.get("format") != LEDGER_FORMAT:
            raise ValueError("not a deletion ledger")
        return [(int(tid), datetime.fromisoformat(at)) for tid, at in doc["entries"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupCorrupted(f"{store.where(key)} is unreadable ({exc})") from None


def read_mirrored_ledger(store: BackupStore) -> list[LedgerEntry]:
    """The ledger kept next to the backups: the mirrored copy and every entry written at the
    moment of a deletion ([] when there is none yet)."""
    sources = [_read_ledger_doc(store, LEDGER_KEY)]
    sources += [_read_ledger_doc(store, key) for key in store.list(LEDGER_ENTRIES)]
    return merge_ledgers(*sources)


def record_deletion(store: BackupStore, telegram_id: int, deleted_at: datetime) -> None:
    """/delete_me writes this before the database forgets the person: a restore run at any
    moment afterwards re-applies the deletion, even one started before the next mirror run."""
    at = deleted_at.astimezone(UTC)
    doc = {
        "format": LEDGER_FORMAT,
        "version": 1,
        "entries": [[telegram_id, at.isoformat()]],
    }
    store.put(
        f"{LEDGER_ENTRIES}{at:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.json",
        json.dumps(doc).encode(),
        content_type="application/json",
        metadata={"entries": "1"},
    )


def mirror_ledger(db: Database, store: BackupStore, *, now: datetime | None = None) -> int:
    """Copy the deletion ledger next to the backups, merged with what is there (never shrinks:
    a database rolled back by other means must not erase deletions). Returns the entry count."""
    mirrored = read_mirrored_ledger(store)
    merged = merge_ledgers(mirrored, read_ledger(db))
    if merged != merge_ledgers(mirrored):
        doc = {
            "format": LEDGER_FORMAT,
            "version": 1,
            "updated_at": (now or datetime.now(UTC)).isoformat(),
            "entries": [[tid, at.astimezone(UTC).isoformat()] for tid, at in merged],
        }
        store.put(
            LEDGER_KEY,
            json.dumps(doc).encode(),
            content_type="application/json",
            metadata={"entries": str(len(merged))},
        )
    return len(merged)


def apply_deletion_ledger(
    db: Database, bus: EventBus, entries: list[LedgerEntry], *, now: datetime | None = None
) -> tuple[int, int]:
    """Forget everyone whose data predates their deletion; returns (people forgotten, waitlist
    promotions that followed). Safe to run again."""
    from fpv.registrations import delete_person

    with db.transaction(readonly=True) as tx:
        doomed = dal.people_to_forget(tx, entries)
    promotions = 0
    for telegram_id in doomed:
        deletion = delete_person(db, bus, telegram_id=telegram_id, now=now, decide_refunds=False)
        promotions += len(deletion.promotions)
    with db.transaction() as tx:
        dal.record_deletions(tx, entries)  # the original times, not the restore's
    return len(doomed), promotions


# --- the whole restore -------------------------------------------------------------------------


def restore_backup(
    db: Database,
    store: BackupStore,
    bus: EventBus,
    *,
    which: str | None = None,
    extra_ledger: Iterable[LedgerEntry] = (),
    now: datetime | None = None,
) -> RestoreResult:
    started = time.monotonic()
    backup = read_backup(store, which)
    applied = _check_target(db, backup)
    _migrate_to_backup(db, backup)
    tables = _load(db, backup, fresh=not applied)
    log.info("restored %d rows from %s", sum(tables.values()), backup.manifest_key)
    after = migrate(db)
    restored = read_ledger(db)
    mirrored = read_mirrored_ledger(store)
    extra = list(extra_ledger)
    forgotten, promotions = apply_deletion_ledger(
        db, bus, merge_ledgers(restored, mirrored, extra), now=now
    )
    return RestoreResult(
        manifest_key=backup.manifest_key,
        snapshot_at=str(backup.manifest.get("snapshot_at")),
        tables=tables,
        migrations_after=after,
        forgotten=forgotten,
        promotions=promotions,
        seconds=round(time.monotonic() - started, 3),
        ledger_sources={"backup": len(restored), "mirror": len(mirrored), "extra": len(extra)},
    )
