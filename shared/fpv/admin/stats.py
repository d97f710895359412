"""Per-venue figures over a period; a local admin sees only their venues' money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fpv.actors import Actor
from fpv.admin.common import scope
from fpv.admin.errors import Invalid
from fpv.dal import admin as dal
from fpv.db import Database


def venue_stats(
    db: Database,
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    until = until or now + timedelta(days=365)
    since = since or now - timedelta(days=365)
    if since >= until:
        raise Invalid("since must be before until")
    with db.transaction(readonly=True) as tx:
        rows = dal.stats(tx, scope(actor), since=since, until=until)
    return {"since": since, "until": until, "venues": rows}
