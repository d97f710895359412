"""The audit log through the API: filter and export. Superadmins see every entry; a local
admin sees the entries about their venues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fpv.actors import Actor
from fpv.admin.common import scope
from fpv.dal import audit as dal
from fpv.db import Database, Row


def shape(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["at"],
        "actor": row["actor"],
        "admin_id": row["admin_id"],
        "action": row["action"],
        "target": row["target"],
        "venue_id": row["venue_id"],
        "details": row["details"] or {},
        "before": row["before"],
        "after": row["after"],
        "client_hash": row["client_hash"],
        "agent_hash": row["agent_hash"],
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


def search(
    db: Database,
    actor: Actor,
    *,
    action: str | None = None,
    target: str | None = None,
    who: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    with db.transaction(readonly=True) as tx:
        rows = dal.search(
            tx,
            venue_ids=scope(actor),
            action=action,
            target=target,
            actor=who,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        )
    return [shape(r) for r in rows]
