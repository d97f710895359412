"""The tamper-evident audit log: every mutating action, written in the same transaction as the
change (DESIGN §8), chained by hashes so a row changed behind the application's back is found.

Canonical JSON (what is hashed): the entry as a JSON object with keys sorted, no whitespace
(separators `,` and `:`), UTF-8 without escaping non-ASCII, no NaN/Infinity; timestamps as ISO
8601 in UTC with microseconds (`2026-12-02T06:00:00.123456+00:00`). An entry's hash is
sha256(prev_hash + canonical_json) in hex, where prev_hash is the previous entry's hash (the
first entry of the chain uses 64 zeros). Entries written before the chain existed (hash NULL)
precede it and are not covered; a NULL hash after the first chained entry is a break.

No secrets: keys named (or ending in `_`) password, code, token, hash, csrf, secret, key are dropped
from before/after/details. The client's IP address and user agent are stored only as hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from fpv.actors import Actor
from fpv.dal import audit as dal
from fpv.db import Database, Row, Tx

GENESIS = "0" * 64
_SECRET_WORDS = ("password", "code", "token", "hash", "csrf", "secret", "key")


@dataclass(frozen=True)
class Client:
    """Where a request came from; only hashes of it are stored."""

    ip: str | None = None
    user_agent: str | None = None

    @staticmethod
    def _digest(kind: str, value: str | None) -> str | None:
        if not value:
            return None
        return hashlib.sha256(f"fpv-audit:{kind}:{value}".encode()).hexdigest()[:32]

    @property
    def ip_hash(self) -> str | None:
        return self._digest("ip", self.ip)

    @property
    def agent_hash(self) -> str | None:
        return self._digest("ua", self.user_agent)


def _is_secret(key: str) -> bool:
    k = key.lower()
    return any(k == word or k.endswith("_" + word) for word in _SECRET_WORDS)


def plain(value: Any) -> Any:
    """A JSON-ready copy: dates as ISO strings, decimals/UUIDs as strings, secrets dropped."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if not _is_secret(str(k))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def canonical(obj: Any) -> str:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _entry_doc(row: Row | dict[str, Any]) -> dict[str, Any]:
    return {
        "at": plain(row["at"]),
        "admin_id": row["admin_id"],
        "actor": row["actor"],
        "action": row["action"],
        "target": row["target"],
        "venue_id": row["venue_id"],
        "details": row["details"] or {},
        "before": row["before"],
        "after": row["after"],
        "client": row["client_hash"],
        "agent": row["agent_hash"],
    }


def entry_hash(prev_hash: str, doc: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(doc)).encode("utf-8")).hexdigest()


def record(
    tx: Tx,
    actor: Actor,
    action: str,
    target: str | None,
    before: Any = None,
    after: Any = None,
    client: Client | None = None,
    *,
    venue_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry inside the caller's transaction (so it commits or rolls back with the
    change it describes). Returns the entry id."""
    client = client or Client()
    # Round-trip through JSON: what is hashed is exactly what jsonb gives back.
    row = {
        "at": datetime.now(UTC),
        "admin_id": actor.id if actor.kind == "admin" else None,
        "actor": actor.audit_label(),
        "action": action,
        "target": target,
        "venue_id": venue_id,
        "details": json.loads(canonical(plain(details or {}))),
        "before": None if before is None else json.loads(canonical(plain(before))),
        "after": None if after is None else json.loads(canonical(plain(after))),
        "client_hash": client.ip_hash,
        "agent_hash": client.agent_hash,
    }
    dal.lock_chain(tx)
    prev = dal.last_hash(tx) or GENESIS
    doc = _entry_doc(row)
    return dal.insert(
        tx,
        {**row, "at_dt": row["at"], "client": row["client_hash"], "agent": row["agent_hash"]},
        prev_hash=prev,
        hash_=entry_hash(prev, doc),
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None


def _rows(db: Database, page: int) -> Iterator[Row]:
    after = 0
    while True:
        with db.transaction(readonly=True) as tx:
            rows = dal.chain_page(tx, after_id=after, limit=page)
        if not rows:
            return
        yield from rows
        after = rows[-1]["id"]


def verify(db: Database, *, page: int = 1000) -> Verification:
    """Walk the chain in id order; the first entry whose stored hash, link or content does not
    match is the first broken link."""
    prev: str | None = None
    checked = 0
    for row in _rows(db, page):
        if row["hash"] is None:
            if prev is None:
                continue  # written before the chain existed
            return Verification(False, checked, row["id"], "entry without a hash inside the chain")
        expected_prev = prev or GENESIS
        if row["prev_hash"] != expected_prev:
            return Verification(False, checked, row["id"], "does not link to the previous entry")
        if entry_hash(expected_prev, _entry_doc(row)) != row["hash"]:
            return Verification(False, checked, row["id"], "content does not match its hash")
        prev = row["hash"]
        checked += 1
    return Verification(True, checked)
