"""Pilots as organizers see them: nickname and Telegram id only (152-FZ), and their history at
the venues the organizer runs."""

from __future__ import annotations

from typing import Any

from fpv.actors import Actor
from fpv.admin.common import scope
from fpv.admin.errors import Invalid, NotFound
from fpv.dal import admin as dal
from fpv.db import Database


def search(db: Database, actor: Actor, query: str, *, limit: int = 50) -> list[dict[str, Any]]:
    query = query.strip()
    if not 1 <= len(query) <= 32:
        raise Invalid("q: 1-32 characters of a nickname")
    with db.transaction(readonly=True) as tx:
        return dal.search_pilots(tx, scope(actor), query=query, limit=limit)


def history(db: Database, actor: Actor, pilot_id: int) -> dict[str, Any]:
    venues = scope(actor)
    with db.transaction(readonly=True) as tx:
        pilot = dal.pilot(tx, pilot_id)
        rows = dal.pilot_history(tx, venues, pilot_id) if pilot else []
    if pilot is None or (venues is not None and not rows):
        raise NotFound("pilot not found")
    return {**pilot, "registrations": rows}
