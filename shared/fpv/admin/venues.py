"""Cities and venues. Superadmins create cities and venues; a local admin edits their own
venues (address, coordinates, zone, legal range, cut-off, defaults) and sees only those."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpv import audit, outbox
from fpv.actors import Actor
from fpv.admin.common import integrity, require_super, scope, visible
from fpv.admin.errors import Invalid, NotFound
from fpv.dal import admin as dal
from fpv.db import Database
from fpv.ports.events import SCHEDULE_CHANGED, EventBus


def list_cities(db: Database, actor: Actor) -> list[dict[str, Any]]:
    with db.transaction(readonly=True) as tx:
        return dal.cities(tx, scope(actor))


def create_city(
    db: Database, bus: EventBus, actor: Actor, fields: dict[str, Any], client: audit.Client
) -> dict[str, Any]:
    require_super(actor)
    with integrity(), db.transaction() as tx:
        row = dal.insert_city(tx, **fields)
        audit.record(tx, actor, "city.create", f"city:{row['id']}", after=row, client=client)
        events = [outbox.event(tx, SCHEDULE_CHANGED, {"reason": "city_created"})]
    outbox.publish_now(db, bus, events)
    return row


def update_city(
    db: Database,
    bus: EventBus,
    actor: Actor,
    city_id: int,
    fields: dict[str, Any],
    client: audit.Client,
) -> dict[str, Any]:
    require_super(actor)
    with integrity(), db.transaction() as tx:
        before = dal.city(tx, city_id)
        if before is None:
            raise NotFound("city not found")
        after = dal.update_city(tx, city_id, fields) if fields else before
        audit.record(tx, actor, "city.update", f"city:{city_id}", before, after, client)
        events = [outbox.event(tx, SCHEDULE_CHANGED, {"reason": "city_updated"})]
    outbox.publish_now(db, bus, events)
    assert after is not None
    return after


def _check_venue(fields: dict[str, Any], current: dict[str, Any] | None = None) -> None:
    merged = {**(current or {}), **fields}
    if "time_zone" in fields:
        try:
            ZoneInfo(fields["time_zone"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Invalid("time_zone must be an IANA zone such as Europe/Moscow") from exc
    lo, hi = merged.get("min_mhz"), merged.get("max_mhz")
    if lo is not None and hi is not None and lo >= hi:
        raise Invalid("min_mhz must be below max_mhz")


def list_venues(db: Database, actor: Actor) -> list[dict[str, Any]]:
    with db.transaction(readonly=True) as tx:
        return dal.venues(tx, scope(actor))


def get_venue(db: Database, actor: Actor, venue_id: int) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        return visible(actor, dal.venue(tx, venue_id), "venue", "id")


def create_venue(
    db: Database, bus: EventBus, actor: Actor, fields: dict[str, Any], client: audit.Client
) -> dict[str, Any]:
    require_super(actor)
    _check_venue(fields)
    with integrity(), db.transaction() as tx:
        if dal.city(tx, fields["city_id"]) is None:
            raise Invalid("no such city")
        row = dal.insert_venue(tx, fields)
        audit.record(
            tx, actor, "venue.create", f"venue:{row['id']}", after=row, client=client,
            venue_id=row["id"],
        )  # fmt: skip
        events = [
            outbox.event(tx, SCHEDULE_CHANGED, {"reason": "venue_created", "venue_id": row["id"]})
        ]
    outbox.publish_now(db, bus, events)
    return row


def update_venue(
    db: Database,
    bus: EventBus,
    actor: Actor,
    venue_id: int,
    fields: dict[str, Any],
    client: audit.Client,
) -> dict[str, Any]:
    with integrity(), db.transaction() as tx:
        before = visible(actor, dal.venue(tx, venue_id), "venue", "id")
        if "city_id" in fields:
            require_super(actor)
            if dal.city(tx, fields["city_id"]) is None:
                raise Invalid("no such city")
        _check_venue(fields, before)
        after = dal.update_venue(tx, venue_id, fields) if fields else before
        audit.record(
            tx, actor, "venue.update", f"venue:{venue_id}", before, after, client,
            venue_id=venue_id,
        )  # fmt: skip
        events = [
            outbox.event(tx, SCHEDULE_CHANGED, {"reason": "venue_updated", "venue_id": venue_id})
        ]
    outbox.publish_now(db, bus, events)
    assert after is not None
    return after
