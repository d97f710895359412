"""Registrations seen by organizers: the list with channels and payment state, moving a pilot
to another channel (validated by the allocator, answered with the new rating), a rebalance
proposal and its application, attendance / no-show, cancelling with or without a refund."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fpv import audit, outbox
from fpv.actors import Actor
from fpv.admin.common import visible
from fpv.admin.errors import ChannelTaken, Conflict, TrainingClosedError
from fpv.channels import ChannelError, Equipment, PilotSlot, rebalance
from fpv.dal import admin as dal
from fpv.dal import registrations as reg_dal
from fpv.db import Database, Row, Tx
from fpv.payments import ports as p
from fpv.ports.events import SCHEDULE_CHANGED, EventBus
from fpv.registrations import RegistrationNotFound, TrainingClosed, cancel
from fpv.registrations.seating import HEAT_SIZE, choices_in_heat

SEATED = ("pending_payment", "confirmed")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def shape(row: Row) -> dict[str, Any]:
    payment = None
    if row.get("payment_status"):
        payment = {
            "status": row["payment_status"],
            "amount_kopecks": row["amount_kopecks"],
            "refunded_kopecks": row["refunded_kopecks"],
            "currency": row["currency"],
        }
    return {
        "id": row["id"],
        "training_id": row["training_id"],
        "pilot_id": row["pilot_id"],
        "nickname": row["nickname"],
        "telegram_id": row["telegram_id"],
        "status": row["status"],
        "channel_mhz": row["channel_mhz"],
        "channel_label": row["channel_label"],
        "heat": row["heat"],
        "attendance": row["attendance"],
        "waitlist_position": row["waitlist_position"],
        "payment": payment,
    }


def list_registrations(db: Database, actor: Actor, training_id: int) -> list[dict[str, Any]]:
    with db.transaction(readonly=True) as tx:
        visible(actor, dal.training(tx, training_id), "training")
        return [shape(r) for r in dal.registrations(tx, training_id)]


def _registration(tx: Tx, actor: Actor, registration_id: int) -> Row:
    return visible(actor, dal.registration(tx, registration_id), "registration")


def _locked_open(tx: Tx, training_id: int, now: datetime) -> Row:
    training = reg_dal.lock_training(tx, training_id)
    assert training is not None
    if training["status"] != "scheduled" or training["starts_at"] <= now:
        raise TrainingClosedError("the training is cancelled or has started")
    return training


def move_channel(
    db: Database,
    bus: EventBus,
    actor: Actor,
    registration_id: int,
    channel_mhz: int,
    client: audit.Client,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Move a seated pilot to a free channel of their heat their VTX can tune to; the answer
    carries the heat's IMD rating and minimum spacing with the pilot there."""
    now = _now(now)
    with db.transaction() as tx:
        found = _registration(tx, actor, registration_id)
        training = _locked_open(tx, found["training_id"], now)
        reg = dal.registration(tx, registration_id)
        assert reg is not None
        if reg["status"] not in SEATED or reg["pilot_id"] is None:
            raise Conflict("the registration holds no seat")
        others = [r for r in reg_dal.seated(tx, training["id"]) if r["id"] != registration_id]
        options = choices_in_heat(
            others,
            reg["heat"],
            reg["pilot_id"],
            reg["equipment"],
            min_mhz=training["min_mhz"],
            max_mhz=training["max_mhz"],
        )
        chosen = next((c for c in options if c.mhz == channel_mhz), None)
        if chosen is None:
            raise ChannelTaken(f"{channel_mhz} MHz is taken, illegal here or not on this VTX")
        if chosen.mhz != reg["channel_mhz"]:
            dal.set_channel(tx, registration_id, chosen.mhz, chosen.label)
        audit.record(
            tx, actor, "registration.move_channel", f"registration:{registration_id}",
            {"channel_mhz": reg["channel_mhz"], "channel_label": reg["channel_label"]},
            {"channel_mhz": chosen.mhz, "channel_label": chosen.label, "rating": chosen.rating},
            client, venue_id=found["venue_id"],
        )  # fmt: skip
        events = [
            outbox.event(
                tx, SCHEDULE_CHANGED, {"training_id": training["id"], "reason": "channel_change"}
            )
        ]
    outbox.publish_now(db, bus, events)
    return {
        "registration_id": registration_id,
        "channel_mhz": chosen.mhz,
        "channel_label": chosen.label,
        "heat": chosen.heat,
        "rating": chosen.rating,
        "min_spacing_mhz": chosen.min_spacing,
    }


def _proposal(tx: Tx, training: Row) -> list[dict[str, Any]]:
    by_heat: dict[int, list[Row]] = {}
    for row in reg_dal.seated(tx, training["id"]):
        if row["channel_mhz"] is not None and row["pilot_id"] is not None:
            by_heat.setdefault(row["heat"], []).append(row)
    heats = []
    for heat, rows in sorted(by_heat.items()):
        regs = {str(r["pilot_id"]): r for r in rows}
        slots = [
            PilotSlot(str(r["pilot_id"]), Equipment.parse(r["equipment"]), r["channel_mhz"])
            for r in rows
        ]
        try:
            result = rebalance(
                slots,
                min_mhz=training["min_mhz"],
                max_mhz=training["max_mhz"],
                max_heat_size=HEAT_SIZE,
            )
        except ChannelError as exc:
            heats.append({"heat": heat, "rating": None, "gain": str(exc), "moves": []})
            continue
        heats.append(
            {
                "heat": heat,
                "rating": result.rating,
                "gain": result.gain,
                "moves": [
                    {
                        "registration_id": regs[m.pilot_id]["id"],
                        "from_mhz": m.from_channel.mhz,
                        "to_mhz": m.to_channel.mhz,
                        "to_label": m.to_channel.label,
                    }
                    for m in result.moves
                ],
            }
        )
    return heats


def rebalance_proposal(db: Database, actor: Actor, training_id: int) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        visible(actor, dal.training(tx, training_id), "training")
        training = reg_dal.training_limits(tx, training_id)
        assert training is not None
        return {"training_id": training_id, "heats": _proposal(tx, {**training, "id": training_id})}


def apply_rebalance(
    db: Database,
    bus: EventBus,
    actor: Actor,
    training_id: int,
    client: audit.Client,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Computes the proposal again under the training lock and applies its moves at once."""
    now = _now(now)
    with db.transaction() as tx:
        found = visible(actor, dal.training(tx, training_id), "training")
        training = _locked_open(tx, training_id, now)
        heats = _proposal(tx, training)
        moves = [m for h in heats for m in h["moves"]]
        for move in moves:  # free the channels first: moves may swap them
            dal.set_channel(tx, move["registration_id"], None, None)
        for move in moves:
            dal.set_channel(tx, move["registration_id"], move["to_mhz"], move["to_label"])
        events = []
        if moves:
            audit.record(
                tx, actor, "training.rebalance", f"training:{training_id}",
                after={"moves": moves}, client=client, venue_id=found["venue_id"],
            )  # fmt: skip
            detail = {"training_id": training_id, "reason": "rebalance"}
            moved = [m["registration_id"] for m in moves]
            events.append(outbox.event(tx, SCHEDULE_CHANGED, detail, registration_ids=moved))
    outbox.publish_now(db, bus, events)
    return {"training_id": training_id, "heats": heats, "applied_moves": len(moves)}


def set_attendance(
    db: Database,
    bus: EventBus,
    actor: Actor,
    registration_id: int,
    attendance: str | None,
    client: audit.Client,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = _now(now)
    with db.transaction() as tx:
        reg = _registration(tx, actor, registration_id)
        training = dal.training(tx, reg["training_id"])
        assert training is not None
        if reg["status"] != "confirmed":
            raise Conflict("only confirmed registrations have attendance")
        if training["starts_at"] > now:
            raise TrainingClosedError("the training has not started yet")
        dal.set_attendance(tx, registration_id, attendance)
        audit.record(
            tx, actor, "registration.attendance", f"registration:{registration_id}",
            {"attendance": reg["attendance"]}, {"attendance": attendance}, client,
            venue_id=reg["venue_id"],
        )  # fmt: skip
        after = dal.registration(tx, registration_id)
    assert after is not None
    return shape(after)


def cancel_registration(
    db: Database,
    bus: EventBus,
    ports: p.PaymentPorts,
    actor: Actor,
    registration_id: int,
    client: audit.Client,
    *,
    refund: bool,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Withdraw a pilot (no cut-off for organizers; the waitlist moves up). With `refund`, a
    paid seat is refunded through the provider; without, the money stays (e.g. a no-show rule)."""
    from fpv.payments.refunds import work_refunds

    now = _now(now)
    with db.transaction(readonly=True) as tx:
        _registration(tx, actor, registration_id)  # another venue's: 404, not 409

    try:
        result = cancel(
            db,
            bus,
            registration_id=registration_id,
            actor=actor,
            client=client,
            now=now,
            admin_refund=refund,
        )
    except RegistrationNotFound as exc:
        raise Conflict("the registration is not active") from exc
    except TrainingClosed as exc:
        raise TrainingClosedError(str(exc)) from exc
    refunds = work_refunds(db, ports, result.refund_payment_ids, now=now)
    return {
        "registration_id": registration_id,
        "previous_status": result.previous_status,
        "refunds": [{"payment_id": r.payment_id, "status": r.status} for r in refunds],
        "promoted": [pr.registration_id for pr in result.promotions],
    }


def get_registration(db: Database, actor: Actor, registration_id: int) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        return shape(_registration(tx, actor, registration_id))


def channel_options(db: Database, actor: Actor, registration_id: int) -> dict[str, Any]:
    """The channels this seated pilot could move to in their heat — free, legal at the venue
    and tunable by their VTX (analog or digital) — best first, each with the heat's IMD rating
    and minimum spacing were the pilot there; the same check `move_channel` makes."""
    with db.transaction(readonly=True) as tx:
        reg = _registration(tx, actor, registration_id)
        if reg["status"] not in SEATED or reg["pilot_id"] is None:
            raise Conflict("the registration holds no seat")
        training = reg_dal.training_limits(tx, reg["training_id"])
        assert training is not None
        others = [r for r in reg_dal.seated(tx, reg["training_id"]) if r["id"] != registration_id]
    options = choices_in_heat(
        others,
        reg["heat"],
        reg["pilot_id"],
        reg["equipment"],
        min_mhz=training["min_mhz"],
        max_mhz=training["max_mhz"],
    )
    return {
        "registration_id": registration_id,
        "heat": reg["heat"],
        "equipment": reg["equipment"],
        "current_mhz": reg["channel_mhz"],
        "options": [
            {
                "channel_mhz": c.mhz,
                "channel_label": c.label,
                "rating": c.rating,
                "min_spacing_mhz": c.min_spacing,
                "current": c.mhz == reg["channel_mhz"],
            }
            for c in options
        ],
    }
