"""SQL of the audit log (`admin_audit_log`): a hash chain, appended under one advisory lock."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fpv.db import Row, Tx

# Serialises writers of the chain: each entry must see the hash of the one before it.
CHAIN_LOCK_KEY = 0x66707661756469


def lock_chain(tx: Tx) -> None:
    tx.execute("SELECT pg_advisory_xact_lock(:k)", k=CHAIN_LOCK_KEY)


def last_hash(tx: Tx) -> str | None:
    return tx.value(
        "SELECT hash FROM admin_audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1"
    )


def insert(tx: Tx, entry: dict[str, Any], *, prev_hash: str, hash_: str) -> int:
    return tx.value(
        "INSERT INTO admin_audit_log (at, admin_id, actor, action, target, venue_id, details,"
        " before, after, client_hash, agent_hash, prev_hash, hash)"
        " VALUES (:at, :admin_id, :actor, :action, :target, :venue_id, CAST(:details AS jsonb),"
        " CAST(:before AS jsonb), CAST(:after AS jsonb), :client, :agent, :prev, :hash)"
        " RETURNING id",
        at=entry["at_dt"],
        admin_id=entry["admin_id"],
        actor=entry["actor"],
        action=entry["action"],
        target=entry["target"],
        venue_id=entry["venue_id"],
        details=json.dumps(entry["details"]),
        before=None if entry["before"] is None else json.dumps(entry["before"]),
        after=None if entry["after"] is None else json.dumps(entry["after"]),
        client=entry["client"],
        agent=entry["agent"],
        prev=prev_hash,
        hash=hash_,
    )


_COLUMNS = (
    "id, at, admin_id, actor, action, target, venue_id, details, before, after,"
    " client_hash, agent_hash, prev_hash, hash"
)


def chain_page(tx: Tx, *, after_id: int, limit: int) -> list[Row]:
    return tx.all(
        f"SELECT {_COLUMNS} FROM admin_audit_log WHERE id > :after ORDER BY id LIMIT :limit",  # noqa: S608 - constant
        after=after_id,
        limit=limit,
    )


def search(
    tx: Tx,
    *,
    venue_ids: list[int] | None,
    action: str | None,
    target: str | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[Row]:
    """Newest first. `venue_ids` None = every entry; else only entries about those venues."""
    return tx.all(
        f"SELECT {_COLUMNS} FROM admin_audit_log"  # noqa: S608 - constant column list
        " WHERE (CAST(:all_venues AS boolean) OR venue_id = ANY(CAST(:venues AS bigint[])))"
        "   AND (CAST(:action AS text) IS NULL OR action = :action"
        "        OR action LIKE CAST(:action AS text) || '.%')"
        "   AND (CAST(:target AS text) IS NULL OR target = :target)"
        "   AND (CAST(:actor AS text) IS NULL OR actor LIKE CAST(:actor AS text) || '%')"
        "   AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)"
        "   AND (CAST(:until AS timestamptz) IS NULL OR at < :until)"
        "   AND (CAST(:before_id AS bigint) IS NULL OR id < :before_id)"
        " ORDER BY id DESC LIMIT :limit",
        all_venues=venue_ids is None,
        venues=venue_ids or [],
        action=action,
        target=target,
        actor=actor,
        since=since,
        until=until,
        before_id=before_id,
        limit=limit,
    )
