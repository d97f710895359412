"""Nightly logical backups: every table from one consistent snapshot, gzip-compressed, with a
SHA-256 checksum and a manifest.

Layout in the store (dated keys; retention by the bucket's lifecycle rule or `prune_backups`):

    backups/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>/data.jsonl.gz   the rows
    backups/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>/manifest.json   written last: no manifest, no backup

data.jsonl.gz holds, per table in foreign-key order, a header line
{"table": name, "columns": [...], "rows": n} followed by n lines, one JSON object per row.
The manifest records the format, the schema version and applied migrations, the snapshot time,
row counts per table, sequence positions, and the data object's size and SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fpv.dal import backup as dal
from fpv.db import Database
from fpv.jobs.store import BackupError, BackupNotFound, BackupStore

FORMAT = "fpv-backup"
FORMAT_VERSION = 1
PREFIX = "backups/"
MANIFEST = "manifest.json"
DATA = "data.jsonl.gz"
# schema_migrations is the target database's own bookkeeping: recorded in the manifest instead.
# outbox: messages already sent or about to be; a restore must not send old ones again
NOT_COPIED = frozenset({"schema_migrations", "outbox"})
_DATED = re.compile(r"^backups/(\d{4})/(\d{2})/(\d{2})/(\d{8}T\d{6}Z)/manifest\.json$")


class BackupCorrupted(BackupError):
    """The backup's bytes are not what its manifest promises."""


@dataclass
class BackupResult:
    manifest_key: str
    data_key: str
    size: int
    sha256: str
    tables: dict[str, int]
    seconds: float
    where: str = ""
    pruned: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "total_rows": self.total_rows}


def dependency_order(names: list[str], foreign_keys: list[tuple[str, str]]) -> list[str]:
    """Parents before children (alphabetical among equals); self-references ignored."""
    wanted = set(names)
    parents: dict[str, set[str]] = {n: set() for n in names}
    for child, parent in foreign_keys:
        if child in wanted and parent in wanted and child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    done: set[str] = set()
    while len(ordered) < len(names):
        ready = sorted(n for n in names if n not in done and parents[n] <= done)
        if not ready:
            cycle = sorted(n for n in names if n not in done)
            raise BackupError(f"foreign keys form a cycle between tables {cycle}")
        ordered += ready
        done.update(ready)
    return ordered


def create_backup(
    db: Database, store: BackupStore, *, now: datetime | None = None, compresslevel: int = 6
) -> BackupResult:
    started = time.monotonic()
    now = now or datetime.now(UTC)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = f"{PREFIX}{now.astimezone(UTC):%Y/%m/%d}/{stamp}/"
    buffer = io.BytesIO()
    tables: dict[str, int] = {}
    with (
        db.transaction("repeatable read", readonly=True) as tx,
        gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=compresslevel, mtime=0) as gz,
    ):
        facts = dal.snapshot_facts(tx)  # the snapshot starts with this first query
        migrations = dal.applied_migrations(tx) or []
        names = [n for n in dal.tables(tx) if n not in NOT_COPIED]
        order = dependency_order(names, dal.foreign_keys(tx))
        for name in order:
            lines = dal.rows_as_json(tx, name)
            header = {"table": name, "columns": dal.columns(tx, name), "rows": len(lines)}
            gz.write(json.dumps(header).encode() + b"\n")
            if lines:
                gz.write("\n".join(lines).encode() + b"\n")
            tables[name] = len(lines)
        sequences = {
            s["name"]: s["last_value"] for s in dal.sequences(tx) if s["last_value"] is not None
        }
    body = buffer.getvalue()
    digest = hashlib.sha256(body).hexdigest()
    data_key = folder + DATA
    store.put(
        data_key,
        body,
        content_type="application/gzip",
        metadata={"sha256": digest, "format": f"{FORMAT}/{FORMAT_VERSION}"},
    )
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now.astimezone(UTC).isoformat(),
        "snapshot_at": facts["snapshot_at"].astimezone(UTC).isoformat(),
        "server_version": facts["server_version"],
        "schema_version": facts["schema_version"],
        "migrations": migrations,
        "data": {"key": data_key, "size": len(body), "sha256": digest, "compression": "gzip"},
        "tables": [{"name": n, "rows": tables[n]} for n in order],
        "sequences": sequences,
    }
    manifest_key = folder + MANIFEST
    store.put(
        manifest_key,
        json.dumps(manifest, indent=2).encode(),
        content_type="application/json",
        metadata={"sha256": digest},
    )
    return BackupResult(
        manifest_key=manifest_key,
        data_key=data_key,
        size=len(body),
        sha256=digest,
        tables=tables,
        seconds=round(time.monotonic() - started, 3),
        where=store.where(manifest_key),
    )


def list_backups(store: BackupStore) -> list[str]:
    """Manifest keys of complete backups, oldest first."""
    return [k for k in store.list(PREFIX) if _DATED.match(k)]


def find_manifest(store: BackupStore, which: str | None = None) -> str:
    """'latest' (or None), a day 'YYYY-MM-DD' (its latest backup), or a key (the manifest or its
    folder)."""
    if which in (None, "", "latest"):
        found = list_backups(store)
        if not found:
            raise BackupNotFound(f"no backup found in {store.where(PREFIX)}")
        return found[-1]
    assert which is not None
    day = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", which)
    if day:
        found = [
            k for k in list_backups(store) if k.startswith(f"{PREFIX}{'/'.join(day.groups())}/")
        ]
        if not found:
            raise BackupNotFound(f"no backup from {which} in {store.where(PREFIX)}")
        return found[-1]
    key = which.strip("/")
    return key if key.endswith(MANIFEST) else f"{key}/{MANIFEST}"


def prune_backups(store: BackupStore, *, keep_days: int, now: datetime | None = None) -> list[str]:
    """Delete backups older than keep_days (by the date in their key); the newest is always kept.
    In AWS the bucket's lifecycle rule does this; this serves folders and plain buckets."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=keep_days)
    manifests = list_backups(store)
    doomed = []
    for key in manifests[:-1]:
        m = _DATED.match(key)
        assert m is not None
        taken = datetime.strptime(m[4], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if taken < cutoff:
            folder = key[: -len(MANIFEST)]
            # the manifest goes first: a half-deleted backup never looks complete
            for obj in sorted(store.list(folder), key=lambda k: not k.endswith(MANIFEST)):
                store.delete(obj)
            doomed.append(folder)
    return doomed
