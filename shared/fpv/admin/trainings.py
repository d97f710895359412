"""Trainings: create one, create a weekly series (with dates skipped), edit, cancel (every payer
refunded exactly once and every pilot told, by `fpv.payments.cancellation.cancel_training`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fpv import audit, notices, outbox
from fpv.actors import Actor
from fpv.admin.common import integrity, scope, visible
from fpv.admin.errors import Invalid, NotFound, TrainingClosedError
from fpv.dal import admin as dal
from fpv.dal import payments as pay_dal
from fpv.dal import registrations as reg_dal
from fpv.db import Database, Tx
from fpv.payments import ports as p
from fpv.ports.events import SCHEDULE_CHANGED, EventBus

MAX_SERIES = 52
EDITABLE = ("title", "track_type", "starts_at", "ends_at", "capacity", "price_kopecks", "notes")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def list_trainings(
    db: Database,
    actor: Actor,
    *,
    venue_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    with db.transaction(readonly=True) as tx:
        return dal.trainings(
            tx,
            scope(actor),
            venue_id=venue_id,
            since=since,
            until=until,
            status=status,
            limit=limit,
            offset=offset,
        )


def get_training(db: Database, actor: Actor, training_id: int) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        return visible(actor, dal.training(tx, training_id), "training")


def _venue(tx: Tx, actor: Actor, venue_id: int) -> dict[str, Any]:
    row = dal.venue(tx, venue_id)
    if row is None or not actor.sees_venue(venue_id):
        raise NotFound("venue not found")
    return row


def _fields(venue: dict[str, Any], fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    out = {
        "venue_id": venue["id"],
        "title": fields["title"],
        "track_type": fields.get("track_type") or "race",
        "starts_at": fields["starts_at"],
        "ends_at": fields["ends_at"],
        "capacity": fields.get("capacity") or venue["default_capacity"],
        "price_kopecks": (
            venue["default_price_kopecks"]
            if fields.get("price_kopecks") is None
            else fields["price_kopecks"]
        ),
        "notes": fields.get("notes") or "",
    }
    if out["starts_at"] <= now:
        raise Invalid("starts_at must be in the future")
    if out["ends_at"] <= out["starts_at"]:
        raise Invalid("ends_at must be after starts_at")
    return out


def create_training(
    db: Database,
    bus: EventBus,
    actor: Actor,
    fields: dict[str, Any],
    client: audit.Client,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = _now(now)
    with integrity(), db.transaction() as tx:
        venue = _venue(tx, actor, fields["venue_id"])
        row = dal.insert_training(tx, _fields(venue, fields, now))
        audit.record(
            tx, actor, "training.create", f"training:{row['id']}", after=row, client=client,
            venue_id=venue["id"],
        )  # fmt: skip
        events = [
            outbox.event(
                tx, SCHEDULE_CHANGED, {"training_id": row["id"], "reason": "training_created"}
            )
        ]
    outbox.publish_now(db, bus, events)
    return row


@dataclass(frozen=True)
class SeriesSpec:
    venue_id: int
    title: str
    first_date: date  # local date of the first training; the series repeats on its weekday
    start_time: time  # local time at the venue
    duration_minutes: int
    count: int  # trainings to create
    skip_dates: tuple[date, ...] = ()  # local dates left out (holidays); the series goes on
    track_type: str = "race"
    capacity: int | None = None
    price_kopecks: int | None = None
    notes: str = ""


def series_dates(spec: SeriesSpec) -> list[date]:
    if not 1 <= spec.count <= MAX_SERIES:
        raise Invalid(f"count must be 1..{MAX_SERIES}")
    skips = set(spec.skip_dates)
    wrong = [d for d in skips if d < spec.first_date or (d - spec.first_date).days % 7]
    if wrong:
        raise Invalid(f"skipped dates not in the series: {sorted(d.isoformat() for d in wrong)}")
    dates: list[date] = []
    day = spec.first_date
    while len(dates) < spec.count:
        if day not in skips:
            dates.append(day)
        day += timedelta(days=7)
    return dates


def create_series(
    db: Database,
    bus: EventBus,
    actor: Actor,
    spec: SeriesSpec,
    client: audit.Client,
    *,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """All trainings of a weekly series in one transaction (all or none), each at the same
    local time at the venue (daylight saving time changes are followed)."""
    now = _now(now)
    if not 15 <= spec.duration_minutes <= 24 * 60:
        raise Invalid("duration_minutes must be 15..1440")
    series_id = uuid.uuid4()
    rows = []
    with integrity(), db.transaction() as tx:
        venue = _venue(tx, actor, spec.venue_id)
        zone = ZoneInfo(venue["time_zone"])
        for day in series_dates(spec):
            starts = datetime.combine(day, spec.start_time, tzinfo=zone).astimezone(UTC)
            fields = _fields(
                venue,
                {
                    "title": spec.title,
                    "track_type": spec.track_type,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=spec.duration_minutes),
                    "capacity": spec.capacity,
                    "price_kopecks": spec.price_kopecks,
                    "notes": spec.notes,
                },
                now,
            )
            rows.append(dal.insert_training(tx, {**fields, "series_id": series_id}))
        audit.record(
            tx, actor, "training.create_series", f"series:{series_id}",
            after={"training_ids": [r["id"] for r in rows],
                   "skipped": [d.isoformat() for d in sorted(spec.skip_dates)]},
            client=client, venue_id=venue["id"],
        )  # fmt: skip
        events = [
            outbox.event(
                tx, SCHEDULE_CHANGED, {"training_ids": [r["id"] for r in rows], "reason": "series"}
            )
        ]
    outbox.publish_now(db, bus, events)
    return rows


def update_training(
    db: Database,
    bus: EventBus,
    actor: Actor,
    training_id: int,
    fields: dict[str, Any],
    client: audit.Client,
    *,
    now: datetime | None = None,
    deliverers: Any = None,
) -> dict[str, Any]:
    """Edit a scheduled training. A new start time is told to every active pilot (through the
    outbox, in the same transaction; sent at once when `deliverers` is given, else by the outbox
    worker); the result carries `pilots_told` (messages queued)."""
    now = _now(now)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise Invalid(f"not editable: {sorted(unknown)}")
    with integrity(), db.transaction() as tx:
        before = visible(actor, dal.training(tx, training_id, for_update=True), "training")
        if before["status"] != "scheduled":
            raise TrainingClosedError("the training is cancelled")
        starts = fields.get("starts_at", before["starts_at"])
        ends = fields.get("ends_at", before["ends_at"])
        if "starts_at" in fields and starts <= now:
            raise Invalid("starts_at must be in the future")
        if ends <= starts:
            raise Invalid("ends_at must be after starts_at")
        moved = starts != before["starts_at"]
        moved_from = reg_dal.lock_training(tx, training_id) if moved else None  # has its zone
        after = dal.update_training(tx, training_id, fields) if fields else before
        told: list[int] = []
        for reg in pay_dal.active_registrations(tx, training_id) if moved_from else []:
            queued = notices.training_moved(tx, moved_from, reg, starts)
            told += [queued] if queued is not None else []
        if moved_from is not None:
            from fpv.jobs import reminders  # the admin function needs it only for a move

            reminders.training_moved(tx, training_id, starts)
        audit.record(
            tx, actor, "training.update", f"training:{training_id}", before, after, client,
            venue_id=before["venue_id"],
        )  # fmt: skip
        events = [
            outbox.event(
                tx, SCHEDULE_CHANGED, {"training_id": training_id, "reason": "training_updated"}
            )
        ]
    outbox.publish_now(db, bus, events)
    if deliverers is not None and told:
        from fpv import delivery  # the Bot API client: only when the pilots are told at once

        delivery.send(db, deliverers, told)
    assert after is not None
    return {**after, "pilots_told": len(told)}


def cancel(
    db: Database,
    bus: EventBus,
    ports: p.PaymentPorts,
    actor: Actor,
    training_id: int,
    client: audit.Client,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Cancel: registrations withdrawn, payers refunded exactly once (again = no-op)."""
    from fpv.payments.cancellation import cancel_training

    with db.transaction(readonly=True) as tx:
        visible(actor, dal.training(tx, training_id), "training")
    result = cancel_training(
        db, bus, ports, training_id=training_id, actor=actor, client=client, now=now
    )
    return {
        "training_id": training_id,
        "newly_cancelled": result.newly_cancelled,
        "registrations_cancelled": result.registrations_cancelled,
        "refunds": [{"payment_id": r.payment_id, "status": r.status} for r in result.refunds],
        "pilots_told": result.pilots_told,
    }
