"""Per-venue figures over a period; a local admin sees only their venues' money.

Seats: the money of trainings that start in the period (`fpv.payments.ledger` per training).
Passes: revenue recognised at purchase — a pass payment counts in the period it was made, on
its product's venue (a club-wide product: `club_passes`, superadmins only); a seat paid with a
pass credit has no payment and adds nothing. `passes` tells per product how many were sold and
how many of their credits are in use.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fpv.actors import Actor
from fpv.admin.common import scope
from fpv.admin.errors import Invalid
from fpv.dal import admin as dal
from fpv.dal import exports as exports_dal
from fpv.db import Database, Row


def _product(row: Row) -> dict[str, Any]:
    return {
        "product_id": row["product_id"],
        "title": row["title"],
        "venue_id": row["venue_id"],
        "trainings": row["trainings"],
        "price_kopecks": int(row["price_kopecks"]),
        "sold": int(row["sold"]),
        "refunded_passes": int(row["refunded_passes"]),
        "unlimited": int(row["unlimited"]),
        "credits_sold": int(row["credits_sold"]),
        "credits_used": int(row["credits_used"]),
        "paid": int(row["paid"]),
        "refunded": int(row["refunded"]),
    }


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
    venues = scope(actor)
    with db.transaction(readonly=True) as tx:
        rows = dal.stats(tx, venues, since=since, until=until)
        usage = exports_dal.pass_usage(tx, venues, since=since, until=until)
    products = [_product(r) for r in usage]
    club = [p for p in products if p["venue_id"] is None]
    out = []
    for row in rows:
        own = [p for p in products if p["venue_id"] == row["venue_id"]]
        passes_paid = sum(p["paid"] for p in own)
        passes_refunded = sum(p["refunded"] for p in own)
        out.append(
            {
                **row,
                "paid": int(row["paid"]),
                "refunded": int(row["refunded"]),
                "passes_paid": passes_paid,
                "passes_refunded": passes_refunded,
                "revenue": int(row["paid"]) - int(row["refunded"]) + passes_paid - passes_refunded,
            }
        )
    club_passes = {
        "sold": sum(p["sold"] for p in club),
        "paid": sum(p["paid"] for p in club),
        "refunded": sum(p["refunded"] for p in club),
    }
    seats_net = sum(v["paid"] - v["refunded"] for v in out)
    passes_net = sum(v["passes_paid"] - v["passes_refunded"] for v in out)
    return {
        "since": since,
        "until": until,
        "venues": out,
        "passes": products,
        "club_passes": club_passes,
        "revenue": seats_net + passes_net + club_passes["paid"] - club_passes["refunded"],
    }
