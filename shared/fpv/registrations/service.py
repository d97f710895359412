"""Sign-up, cancellation, holds and the waitlist: the seat rules of the platform.

Every change to a training's seats first locks that training's row (`dal.lock_training`), so
concurrent requests for one training are serialised: the last seat has exactly one winner and
no channel is handed out twice. The database constraints (0001) back this up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from fpv import audit as fpv_audit
from fpv import notices, outbox, passes, webhooks
from fpv.actors import Actor
from fpv.dal import channels as channels_dal
from fpv.dal import outbox as outbox_dal
from fpv.dal import payments as payments_dal
from fpv.dal import registrations as dal
from fpv.db import Database, Row, Tx
from fpv.ports.events import SCHEDULE_CHANGED, EventBus
from fpv.registrations import seating
from fpv.registrations.errors import (
    AlreadyRegistered,
    CancelTooLate,
    ChannelUnavailable,
    PilotNotFound,
    RegistrationNotFound,
    TrainingClosed,
    TrainingNotFound,
)
from fpv.registrations.refund_policy import RefundDecision, decide
from fpv.site import trigger as site_trigger


@dataclass(frozen=True)
class SignUpResult:
    registration_id: int
    public_id: str
    training_id: int
    status: str  # confirmed | pending_payment | waitlisted
    channel_mhz: int | None
    channel_label: str | None
    heat: int
    hold_expires_at: datetime | None
    waitlist_position: int | None
    price_kopecks: int
    outbox_ids: tuple[int, ...] = ()  # the invoice of a held seat: deliver it now
    pass_credit: passes.Credit | None = None  # the seat was paid with a pass credit


@dataclass(frozen=True)
class Promotion:
    """A waitlisted pilot who got a seat: the caller tells them."""

    registration_id: int
    telegram_id: int
    language: str
    training_id: int
    status: str  # confirmed | pending_payment
    channel_mhz: int | None
    channel_label: str | None
    hold_expires_at: datetime | None
    heat: int = 1
    outbox_ids: tuple[int, ...] = ()  # the pilot's notice (and invoice), queued with the seat


@dataclass(frozen=True)
class CancelResult:
    registration_id: int
    training_id: int
    previous_status: str
    refund_due: bool
    promotions: list[Promotion] = field(default_factory=list)
    refund_payment_ids: list[int] = field(default_factory=list)  # queued in the same commit
    refund_rule: str | None = None
    credit_returned: bool = False  # a pass credit came back (before the cut-off)

    @property
    def outbox_ids(self) -> list[int]:
        return [i for p in self.promotions for i in p.outbox_ids]


@dataclass(frozen=True)
class Deletion:
    """What /delete_me did: seats released (with the waitlist's promotions), refunds queued
    under the venue's rule for upcoming paid seats."""

    promotions: list[Promotion] = field(default_factory=list)
    refund_payment_ids: list[int] = field(default_factory=list)
    trainings_changed: list[int] = field(default_factory=list)

    @property
    def outbox_ids(self) -> list[int]:
        return [i for p in self.promotions for i in p.outbox_ids]


def _changed(
    tx: Tx, events: list[int], training_id: int, reason: str, registration_ids: list[int]
) -> None:
    """Queue "schedule changed" with the change (the public site follows; integrations' webhooks
    about these registrations are queued with it)."""
    detail = {"training_id": training_id, "reason": reason}
    events.append(outbox.event(tx, SCHEDULE_CHANGED, detail, registration_ids=registration_ids))


def _record_refund_decision(
    tx: Tx, reg: Row, training: Row, now: datetime, *, reason: str, admin_refund: bool | None
) -> tuple[RefundDecision | None, list[int]]:
    """For a seat paid with money or a pass credit: decide by the venue's rule, record the
    decision with the registration, and queue the refund (or give the credit back) in this
    transaction. Others have nothing to decide."""
    if reg["status"] != "confirmed":
        return None, []
    paid = bool(payments_dal.held_payments(tx, reg["id"]))
    if not paid and not passes.holds_credit(tx, reg["id"]):
        return None, []
    decision = decide(training, now, admin_refund=admin_refund)
    dal.record_refund_decision(tx, reg["id"], decision.decision, decision.rule)
    if not decision.refund:
        return decision, []
    if passes.give_back(tx, reg["id"], now):
        return decision, []  # a credit came back; no money was paid for this seat
    ids = payments_dal.request_refunds_for_registration(tx, reg["id"], reason=reason, now=now)
    return decision, ids


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _open_training(tx: Tx, training_id: int, now: datetime) -> Row:
    training = dal.lock_training(tx, training_id)
    if training is None:
        raise TrainingNotFound(f"training {training_id} does not exist")
    if training["status"] != "scheduled" or training["starts_at"] <= now:
        raise TrainingClosed(f"training {training_id} is {training['status']} or has started")
    return training


def _seat_status(
    tx: Tx, training: Row, pilot_id: int, now: datetime, hold_minutes: int
) -> tuple[str, datetime | None, passes.Credit | None]:
    """A free training: confirmed. A paid one: confirmed by a pass credit when the pilot has a
    pass that covers it, else held for payment."""
    if training["price_kopecks"] <= 0:
        return "confirmed", None, None
    credit = passes.cover(tx, pilot_id=pilot_id, training=training)
    if credit is not None:
        return "confirmed", None, credit
    return "pending_payment", now + timedelta(minutes=hold_minutes), None


def sign_up(
    db: Database,
    bus: EventBus,
    *,
    training_id: int,
    telegram_id: int,
    channel_mhz: int | None = None,
    hold_minutes: int = 15,
    now: datetime | None = None,
) -> SignUpResult:
    now = _now(now)
    events: list[int] = []
    invoices: list[int] = []
    credit: passes.Credit | None = None
    with db.transaction() as tx:
        pilot = dal.pilot_by_telegram(tx, telegram_id)
        if pilot is None:
            raise PilotNotFound("no pilot profile (consent first)")
        training = _open_training(tx, training_id, now)
        existing = dal.active_for_pilot(tx, training_id, pilot["id"])
        if existing is not None:
            raise AlreadyRegistered(existing["id"], existing["status"])
        if training["seats_taken"] >= training["capacity"]:
            row = dal.insert(
                tx,
                training_id=training_id,
                pilot_id=pilot["id"],
                status="waitlisted",
                channel_mhz=None,
                channel_label=None,
                hold_expires_at=None,
                waitlist_position=dal.next_waitlist_position(tx, training_id),
            )
            position = dal.waitlist_rank(tx, row["id"])
        else:
            seat = seating.pick(
                dal.seated(tx, training_id),
                pilot["id"],
                pilot["equipment"],
                min_mhz=training["min_mhz"],
                max_mhz=training["max_mhz"],
                wanted_mhz=channel_mhz,
            )
            if seat is None:
                raise ChannelUnavailable(
                    f"channel {channel_mhz} MHz is not free"
                    if channel_mhz
                    else "no free channel fits this pilot's equipment"
                )
            status, hold, credit = _seat_status(tx, training, pilot["id"], now, hold_minutes)
            row = dal.insert(
                tx,
                training_id=training_id,
                pilot_id=pilot["id"],
                status=status,
                channel_mhz=seat.mhz,
                channel_label=seat.label,
                hold_expires_at=hold,
                waitlist_position=None,
                heat=seat.heat,
            )
            if channel_mhz is not None:  # picked by hand: the channel freeze keeps it
                channels_dal.pin(tx, row["id"])
            position = None
            if credit is not None:
                credit = passes.take(tx, credit, row["id"])
            if status == "pending_payment":
                invoice = outbox.invoice(tx, row["id"], telegram_id, pilot["language"])
                invoices += [invoice] if invoice is not None else []
        _changed(tx, events, training_id, "sign_up", [row["id"]])
    outbox.publish_now(db, bus, events)
    return SignUpResult(
        registration_id=row["id"],
        public_id=row["public_id"],
        training_id=training_id,
        status=row["status"],
        channel_mhz=row["channel_mhz"],
        channel_label=row["channel_label"],
        heat=row["heat"],
        hold_expires_at=row["hold_expires_at"],
        waitlist_position=position,
        price_kopecks=training["price_kopecks"],
        outbox_ids=tuple(invoices),
        pass_credit=credit,
    )


def resend_invoice(db: Database, *, registration_id: int, telegram_id: int) -> list[int]:
    """The pilot asks to pay a held seat again (the Pay button, or signing up again): the
    invoice is queued anew. [] when the seat is not (or no longer) held for payment."""
    with db.transaction() as tx:
        reg = dal.registration(tx, registration_id)
        if reg is None or reg["telegram_id"] != telegram_id or reg["status"] != "pending_payment":
            return []
        invoice = outbox.invoice(tx, registration_id, telegram_id, reg["language"] or "ru")
    return [invoice] if invoice is not None else []


def promote_waitlist(tx: Tx, training: Row, now: datetime, hold_minutes: int) -> list[Promotion]:
    """Fill free seats from the waitlist in order. A waitlisted pilot whose VTX fits no free
    channel keeps their place and the next one is tried. `training` must be locked."""
    promotions: list[Promotion] = []
    seats_taken = dal.seats_taken(tx, training["id"])
    for candidate in dal.waitlisted(tx, training["id"]):
        if seats_taken >= training["capacity"]:
            break
        seat = seating.pick(
            dal.seated(tx, training["id"]),
            candidate["pilot_id"],
            candidate["equipment"],
            min_mhz=training["min_mhz"],
            max_mhz=training["max_mhz"],
        )
        if seat is None:
            continue
        status, hold, credit = _seat_status(tx, training, candidate["pilot_id"], now, hold_minutes)
        if credit is not None:
            passes.take(tx, credit, candidate["id"])
        dal.set_status(
            tx,
            candidate["id"],
            status,
            hold_expires_at=hold,
            channel_mhz=seat.mhz,
            channel_label=seat.label,
            heat=seat.heat,
            keep_channel=False,
        )
        seats_taken += 1
        promotion = Promotion(
            registration_id=candidate["id"],
            telegram_id=candidate["telegram_id"],
            language=candidate["language"],
            training_id=training["id"],
            status=status,
            channel_mhz=seat.mhz,
            channel_label=seat.label,
            hold_expires_at=hold,
            heat=seat.heat,
        )
        ids = notices.promoted(tx, promotion)
        promotions.append(replace(promotion, outbox_ids=tuple(ids)))
    if promotions:  # integrations hear of it; the caller's "schedule changed" rebuilds the site
        webhooks.schedule_changed(
            tx, training["id"], "promoted", [p.registration_id for p in promotions]
        )
    return promotions


def cancel(
    db: Database,
    bus: EventBus,
    *,
    registration_id: int,
    telegram_id: int | None = None,
    actor: Actor | None = None,
    client: fpv_audit.Client | None = None,
    now: datetime | None = None,
    admin_refund: bool | None = None,
    hold_minutes: int = 15,
) -> CancelResult:
    """The pilot `telegram_id` cancels their own registration, or an organizer `actor` (an
    admin at a venue of theirs, the system) withdraws a pilot. Pilots must respect the venue's
    cut-off for a held seat; leaving the waitlist or an unpaid hold is always allowed; organizers
    have no cut-off and are audited. A paid seat's refund is decided here (`refund_policy`; an
    organizer may say `admin_refund=False`) and queued in the same transaction; the caller works
    the queued refunds (`refund_payment_ids`) at once."""
    now = _now(now)
    organizer = actor is not None and actor.kind != "pilot"
    events: list[int] = []
    with db.transaction() as tx:
        found = dal.registration(tx, registration_id)
        if found is None or (not organizer and found["telegram_id"] != telegram_id):
            raise RegistrationNotFound(f"registration {registration_id} not found")
        training = dal.lock_training(tx, found["training_id"])
        if organizer and (training is None or not actor.sees_venue(training["venue_id"])):
            raise RegistrationNotFound(f"registration {registration_id} not found")
        reg = dal.registration(tx, registration_id, for_update=True)
        if training is None or reg is None or reg["status"] not in dal.ACTIVE:
            raise RegistrationNotFound(f"registration {registration_id} is not active")
        if not organizer and reg["status"] == "confirmed":
            if training["starts_at"] <= now:
                raise TrainingClosed("the training has started")
            cutoff = training["starts_at"] - timedelta(hours=training["cancel_cutoff_hours"])
            if now > cutoff:
                raise CancelTooLate(f"cancellation closed at {cutoff.isoformat()}")
        dal.set_status(tx, registration_id, "cancelled")
        refund = True if admin_refund is None else admin_refund
        decision, refund_ids = _record_refund_decision(
            tx,
            reg,
            training,
            now,
            reason="admin_cancelled" if organizer else "pilot_cancelled",
            admin_refund=refund if organizer else None,
        )
        if organizer:
            assert actor is not None
            fpv_audit.record(
                tx, actor, "registration.cancel", f"registration:{registration_id}",
                {"status": reg["status"]}, {"status": "cancelled", "refund": refund}, client,
                venue_id=training["venue_id"],
            )  # fmt: skip
        promotions = []
        if reg["status"] in dal.SEATED and training["status"] == "scheduled":
            promotions = promote_waitlist(tx, training, now, hold_minutes)
        _changed(tx, events, reg["training_id"], "cancel", [registration_id])
    outbox.publish_now(db, bus, events)
    return CancelResult(
        registration_id=registration_id,
        training_id=reg["training_id"],
        previous_status=reg["status"],
        refund_due=bool(refund_ids),
        promotions=promotions,
        refund_payment_ids=refund_ids,
        refund_rule=decision.rule if decision else None,
        credit_returned=bool(decision and decision.refund and not refund_ids),
    )


def expire_holds(
    db: Database, bus: EventBus, *, now: datetime | None = None, hold_minutes: int = 15
) -> list[CancelResult]:
    """Unpaid holds past their time release their seats (status 'expired'); the waitlist moves
    up. One transaction per training keeps lock times short."""
    now = _now(now)
    with db.transaction(readonly=True) as tx:
        training_ids = dal.trainings_with_expired_holds(tx, now)
    results: list[CancelResult] = []
    for training_id in training_ids:
        events: list[int] = []
        with db.transaction() as tx:
            training = dal.lock_training(tx, training_id)
            expired = dal.expired_holds(tx, training_id, now)
            for reg in expired:
                dal.set_status(tx, reg["id"], "expired")
            promotions = (
                promote_waitlist(tx, training, now, hold_minutes)
                if expired
                and training
                and training["status"] == "scheduled"
                and training["starts_at"] > now
                else []
            )
            if expired:
                _changed(tx, events, training_id, "hold_expired", [r["id"] for r in expired])
        for i, reg in enumerate(expired):
            results.append(
                CancelResult(
                    registration_id=reg["id"],
                    training_id=training_id,
                    previous_status="pending_payment",
                    refund_due=False,
                    promotions=promotions if i == 0 else [],
                )
            )
        outbox.publish_now(db, bus, events)
    return results


@dataclass(frozen=True)
class SeatFate:
    """What /delete_me will do to one upcoming seat (shown to the pilot before confirming)."""

    registration_id: int
    training_id: int
    title: str
    starts_at: datetime
    time_zone: str
    status: str
    paid_kopecks: int
    currency: str
    refund: bool
    rule: str | None  # refund_policy rule for a paid seat


def deletion_preview(
    db: Database, *, telegram_id: int, now: datetime | None = None
) -> list[SeatFate]:
    """Every upcoming seat or waitlist place the pilot holds, with what happens to its money,
    decided by the same rule `delete_person` applies."""
    now = _now(now)
    fates: list[SeatFate] = []
    with db.transaction(readonly=True) as tx:
        pilot = dal.pilot_by_telegram(tx, telegram_id)
        if pilot is None:
            return []
        for reg in dal.upcoming_with_money(tx, pilot["id"], now):
            paid = reg["status"] == "confirmed" and reg["paid_kopecks"] > 0
            training = {
                "status": reg["training_status"],
                "starts_at": reg["starts_at"],
                "cancel_cutoff_hours": reg["cancel_cutoff_hours"],
            }
            decision = decide(training, now) if paid else None
            fates.append(
                SeatFate(
                    registration_id=reg["id"],
                    training_id=reg["training_id"],
                    title=reg["title"],
                    starts_at=reg["starts_at"],
                    time_zone=reg["time_zone"],
                    status=reg["status"],
                    paid_kopecks=reg["paid_kopecks"] if paid else 0,
                    currency=reg["currency"] or "RUB",
                    refund=bool(decision and decision.refund),
                    rule=decision.rule if decision else None,
                )
            )
    return fates


def deletion_passes(
    db: Database, *, telegram_id: int, now: datetime | None = None
) -> list[passes.PassFate]:
    """The pilot's passes and what /delete_me does with each (an unused one is refunded)."""
    now = _now(now)
    with db.transaction(readonly=True) as tx:
        pilot = dal.pilot_by_telegram(tx, telegram_id)
        return [] if pilot is None else passes.deletion_fates(tx, pilot["id"], now)


DeletionRecorder = Callable[[int, datetime], None]


def delete_person(
    db: Database,
    bus: EventBus,
    *,
    telegram_id: int,
    now: datetime | None = None,
    hold_minutes: int = 15,
    record_outside: DeletionRecorder | None = None,
    decide_refunds: bool = True,
) -> Deletion:
    """/delete_me: release every upcoming seat (the waitlist moves up; a paid seat is refunded
    by the venue's rule, as if the pilot cancelled, but also after the cut-off nothing is owed),
    refund every unused paid season pass (one in use is forfeited), then forget the pilot: pilot
    row and consent deleted, undelivered messages to them dropped, payments and registrations
    kept for accounting but de-linked, and the deletion recorded for
    backup restores. Trainings that already took place keep their registrations as they are:
    nothing is cancelled or refunded there.

    `record_outside` writes the deletion to durable storage outside the database BEFORE the
    database forgets the person, so a restore at any moment after it re-applies the deletion
    (if it fails, nothing is deleted and the caller says "try again"). Safe to call twice.
    A restore re-applying an old deletion passes `decide_refunds=False`: whether that money went
    back was decided, and maybe paid out, in the database the backup predates."""
    now = _now(now)
    if record_outside is not None:
        record_outside(telegram_id, datetime.now(UTC))  # real time: compared with created_at
    promotions: list[Promotion] = []
    refund_ids: list[int] = []
    changed: list[int] = []
    events: list[int] = []
    with db.transaction() as tx:
        pilot = dal.pilot_by_telegram(tx, telegram_id, for_update=True)
        if pilot is not None:
            # Lock trainings in id order: two deletions never deadlock each other.
            for training_id in dal.upcoming_training_ids_for_pilot(tx, pilot["id"], now):
                training = dal.lock_training(tx, training_id)
                reg = dal.active_for_pilot(tx, training_id, pilot["id"], for_update=True)
                if reg is None or training is None:
                    continue
                dal.set_status(tx, reg["id"], "cancelled")
                if decide_refunds:
                    _decision, ids = _record_refund_decision(
                        tx, reg, training, now, reason="account_deleted", admin_refund=None
                    )
                    refund_ids += ids
                if reg["status"] in dal.SEATED and training["status"] == "scheduled":
                    promotions += promote_waitlist(tx, training, now, hold_minutes)
                changed.append(training_id)
                _changed(tx, events, training_id, "delete_me", [reg["id"]])
            if decide_refunds:  # after the seats gave their credits back
                refund_ids += passes.settle_on_deletion(tx, pilot["id"], now)
        outbox_dal.forget_person(tx, telegram_id)
        dal.forget_pilot(tx, pilot_id=pilot and pilot["id"], telegram_id=telegram_id)
        if pilot is not None and not events:  # off the site's leaderboards at once
            events.append(site_trigger.queue_rebuild(tx, "delete_me"))
    outbox.publish_now(db, bus, events)
    return Deletion(promotions, refund_ids, changed)


def channel_choices(
    db: Database, *, training_id: int, telegram_id: int
) -> list[seating.ChannelChoice]:
    """Free channels for this pilot at this training, best first, with how good each is."""
    with db.transaction(readonly=True) as tx:
        pilot = dal.pilot_by_telegram(tx, telegram_id)
        if pilot is None:
            raise PilotNotFound("no pilot profile (consent first)")
        training = dal.training_limits(tx, training_id)
        if training is None:
            raise TrainingNotFound(f"training {training_id} does not exist")
        seated = [r for r in dal.seated(tx, training_id) if r["pilot_id"] != pilot["id"]]
    return seating.choices(
        seated,
        pilot["id"],
        pilot["equipment"],
        min_mhz=training["min_mhz"],
        max_mhz=training["max_mhz"],
    )


def my_registrations(db: Database, *, telegram_id: int, now: datetime | None = None) -> list[Row]:
    with db.transaction(readonly=True) as tx:
        pilot = dal.pilot_by_telegram(tx, telegram_id)
        return [] if pilot is None else dal.for_pilot(tx, pilot["id"], _now(now))


@dataclass(frozen=True)
class Settlement:
    """What a payment did to its registration."""

    registration_id: int
    training_id: int
    outcome: str  # confirmed | already_confirmed | reseated | no_seat
    channel_mhz: int | None = None
    channel_label: str | None = None
    heat: int = 1


def settle_payment(tx: Tx, *, registration_id: int, now: datetime | None = None) -> Settlement:
    """Inside the caller's transaction (the one that records the payment): a paid hold becomes
    'confirmed'; a payment that arrives after its hold expired re-seats the pilot when a seat and
    a channel are free, else says 'no_seat' (the caller refunds). Caller publishes the change."""
    now = _now(now)
    found = dal.registration(tx, registration_id)
    if found is None:
        raise RegistrationNotFound(f"registration {registration_id} not found")
    training = dal.lock_training(tx, found["training_id"])
    reg = dal.registration(tx, registration_id, for_update=True)
    assert training is not None and reg is not None
    if reg["status"] == "confirmed":
        return Settlement(
            reg["id"],
            reg["training_id"],
            "already_confirmed",
            reg["channel_mhz"],
            reg["channel_label"],
            reg["heat"],
        )
    if reg["status"] == "pending_payment":
        dal.set_status(tx, reg["id"], "confirmed")
        return Settlement(
            reg["id"],
            reg["training_id"],
            "confirmed",
            reg["channel_mhz"],
            reg["channel_label"],
            reg["heat"],
        )
    open_ = training["status"] == "scheduled" and training["starts_at"] > now
    if (
        reg["pilot_id"] is None
        or not open_
        or dal.seats_taken(tx, training["id"]) >= training["capacity"]
    ):
        return Settlement(reg["id"], reg["training_id"], "no_seat")
    pilot_equipment = dal.pilot_equipment(tx, reg["pilot_id"])
    seat = seating.pick(
        dal.seated(tx, training["id"]),
        reg["pilot_id"],
        pilot_equipment,
        min_mhz=training["min_mhz"],
        max_mhz=training["max_mhz"],
    )
    if seat is None:
        return Settlement(reg["id"], reg["training_id"], "no_seat")
    dal.set_status(
        tx,
        reg["id"],
        "confirmed",
        channel_mhz=seat.mhz,
        channel_label=seat.label,
        heat=seat.heat,
        keep_channel=False,
    )
    return Settlement(reg["id"], reg["training_id"], "reseated", seat.mhz, seat.label, seat.heat)


def change_channel(
    db: Database,
    bus: EventBus,
    *,
    registration_id: int,
    telegram_id: int,
    channel_mhz: int,
    now: datetime | None = None,
    actor: Actor | None = None,
) -> seating.ChannelChoice:
    """A pilot moves their seat to another free channel, under the training lock like sign-ups.
    An admin `actor` may move any pilot's seat at a venue of theirs (audited, with `via`)."""
    now = _now(now)
    events: list[int] = []
    with db.transaction() as tx:
        found = dal.registration(tx, registration_id)
        if found is None or found["telegram_id"] != telegram_id:
            raise RegistrationNotFound(f"registration {registration_id} not found")
        training = dal.lock_training(tx, found["training_id"])
        if actor is not None and (training is None or not actor.sees_venue(training["venue_id"])):
            raise RegistrationNotFound(f"registration {registration_id} not found")
        reg = dal.registration(tx, registration_id, for_update=True)
        if training is None or reg is None or reg["status"] not in dal.SEATED:
            raise RegistrationNotFound(f"registration {registration_id} holds no seat")
        if training["status"] != "scheduled" or training["starts_at"] <= now:
            raise TrainingClosed("the training is cancelled or has started")
        pilot = dal.pilot_by_telegram(tx, telegram_id)
        assert pilot is not None
        others = [r for r in dal.seated(tx, training["id"]) if r["id"] != registration_id]
        options = seating.choices_in_heat(
            others,
            reg["heat"],
            pilot["id"],
            pilot["equipment"],
            min_mhz=training["min_mhz"],
            max_mhz=training["max_mhz"],
        )
        chosen = next((c for c in options if c.mhz == channel_mhz), None)
        if chosen is None:
            raise ChannelUnavailable(f"channel {channel_mhz} MHz is not free")
        if chosen.mhz != reg["channel_mhz"]:
            dal.set_status(
                tx,
                registration_id,
                reg["status"],
                hold_expires_at=reg["hold_expires_at"],
                channel_mhz=chosen.mhz,
                channel_label=chosen.label,
                heat=reg["heat"],
                keep_channel=False,
            )
        if actor is not None and actor.kind == "admin":
            fpv_audit.record(
                tx,
                actor,
                "registration.channel",
                f"registration:{registration_id}",
                details={"via": actor.via, "from_mhz": reg["channel_mhz"], "to_mhz": chosen.mhz},
            )
        channels_dal.pin(tx, registration_id)  # picked by a pilot or an admin: the freeze keeps it
        _changed(tx, events, training["id"], "channel_change", [registration_id])
    outbox.publish_now(db, bus, events)
    return chosen
