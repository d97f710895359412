"""Season passes (abonements): N trainings within D days, or unlimited for D days, for one venue
or the whole club, bought through Telegram Payments like a seat.

A covered sign-up takes a credit instead of an invoice (`cover`, called by the registration use
cases under the training's and the pass's locks); a cancellation that the venue's rule refunds
gives the credit back (`give_back`). Money is recognised when the pass is bought; a pass is
refunded only while no credit is in use. Credits can never go negative or past what was bought:
the database checks it (0013).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fpv import audit, outbox
from fpv.actors import Actor
from fpv.dal import passes as dal
from fpv.dal import payments as payments_dal
from fpv.dal import registrations as reg_dal
from fpv.db import Database, Row, Tx
from fpv.site import trigger as site_trigger
from fpv.texts import t

EXPIRY_NOTICE = timedelta(days=3)
REPEAT_MINUTES = 15  # a pass asked for again within this is the same pending pass
TRACK_TYPES = ("race", "freestyle", "whoop", "open")


class PassError(Exception):
    pass


class NotAllowed(PassError):
    pass


class NotFound(PassError):
    pass


class InvalidProduct(PassError):
    pass


class InUse(PassError):
    """A pass with credits in use cannot be refunded."""


@dataclass(frozen=True)
class Credit:
    pass_id: int
    credits_left: int | None  # None: unlimited
    valid_until: datetime


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --- products (admins) ---------------------------------------------------------------------------


def _may_manage(actor: Actor, venue_id: int | None, what: str) -> None:
    """A superadmin (or the system) manages club-wide products; a local admin only their
    venues' (another venue's is not found, as everywhere in the admin)."""
    if actor.kind != "admin" and actor.kind != "system":
        raise NotAllowed("only organizers define passes")
    if venue_id is None and not (actor.is_superadmin or actor.kind == "system"):
        raise NotAllowed("a club-wide pass needs a superadmin")
    if venue_id is not None and not actor.sees_venue(venue_id):
        raise NotFound(what)


def create_product(
    db: Database,
    actor: Actor,
    *,
    title: str,
    valid_days: int,
    price_kopecks: int,
    trainings: int | None,
    venue_id: int | None = None,
    track_types: tuple[str, ...] = (),
    client: audit.Client | None = None,
) -> int:
    """A superadmin defines club-wide products; a local admin only their venues'. Audited."""
    _may_manage(actor, venue_id, f"venue {venue_id}")
    if not title.strip() or len(title) > 100:
        raise InvalidProduct("title: 1 to 100 characters")
    if not 1 <= valid_days <= 400 or price_kopecks <= 0:
        raise InvalidProduct("valid_days 1..400 and a positive price")
    if trainings is not None and not 1 <= trainings <= 500:
        raise InvalidProduct("trainings: 1..500, or none for unlimited")
    if set(track_types) - set(TRACK_TYPES):
        raise InvalidProduct(f"track types: {', '.join(TRACK_TYPES)}")
    with db.transaction() as tx:
        if venue_id is not None and not dal.venue_exists(tx, venue_id):
            raise NotFound(f"venue {venue_id}")
        product_id = dal.insert_product(
            tx,
            venue_id=venue_id,
            title=title.strip(),
            trainings=trainings,
            valid_days=valid_days,
            price_kopecks=price_kopecks,
            track_types=list(track_types),
        )
        audit.record(
            tx, actor, "pass_product.create", f"pass_product:{product_id}",
            after=dal.product(tx, product_id), client=client, venue_id=venue_id,
        )  # fmt: skip
        site_trigger.queue_rebuild(tx, "pass_product")  # the site lists the passes on sale
        return product_id


def retire_product(
    db: Database, actor: Actor, product_id: int, *, client: audit.Client | None = None
) -> Row:
    """Take a product off sale; passes already bought stay valid. Again: no change, no entry."""
    with db.transaction() as tx:
        before = dal.product(tx, product_id)
        if before is None:
            raise NotFound(f"pass product {product_id}")
        _may_manage(actor, before["venue_id"], f"pass product {product_id}")
        if dal.retire_product(tx, product_id):
            after = dal.product(tx, product_id)
            audit.record(
                tx, actor, "pass_product.retire", f"pass_product:{product_id}", before, after,
                client, venue_id=before["venue_id"],
            )  # fmt: skip
            site_trigger.queue_rebuild(tx, "pass_product")
            return after
        return before


def products(db: Database) -> list[Row]:
    with db.transaction(readonly=True) as tx:
        return dal.products(tx)


# --- buying (pilots) -----------------------------------------------------------------------------


def buy(db: Database, actor: Actor, product_id: int) -> tuple[int, list[int]]:
    """A pilot asks for a pass: a pending pass and its invoice, queued together. Returns the
    pass id and the outbox ids to deliver now. Asked again for the same product while its
    invoice is fresh (a double tap, the app and the bot at once), it is the same pass and no
    second invoice."""
    if actor.kind != "pilot" or actor.id is None:
        raise NotAllowed("pilots buy passes")
    with db.transaction() as tx:
        pilot = reg_dal.pilot_by_telegram(tx, actor.id)
        if pilot is None:
            raise NotAllowed("consent first")
        product = dal.product(tx, product_id)
        if product is None or not product["active"]:
            raise NotFound(f"pass product {product_id}")
        dal.lock_pilot(tx, pilot["id"])  # two requests at once: one of them creates the pass
        again = dal.recent_pending(
            tx, pilot_id=pilot["id"], product_id=product_id, minutes=REPEAT_MINUTES
        )
        if again is not None:
            return again, []
        created = dal.insert_pass(
            tx, product_id=product_id, pilot_id=pilot["id"], credits_total=product["trainings"]
        )
        invoice = outbox.enqueue_pass_invoice(tx, created["id"], actor.id, pilot["language"])
    return created["id"], [invoice]


def invoice_params(
    db: Database, pass_id: int, language: str | None, config: Any
) -> dict[str, Any] | None:
    """`sendInvoice` parameters for a pass still waiting for payment (else None)."""
    from fpv.payments.invoice import pass_invoice

    with db.transaction(readonly=True) as tx:
        row = dal.pass_by_id(tx, pass_id)
    if row is None or row["status"] != "pending_payment" or row["telegram_id"] is None:
        return None
    return pass_invoice(row, language or row["language"] or "ru", config).api_params()


def pre_checkout_reason(row: Row, payer: int, amount: int, expected: int) -> str | None:
    """None when the payment may go ahead, else payments.precheckout.<reason>."""
    if row["telegram_id"] != payer:
        return "not_yours"
    if row["status"] != "pending_payment":
        return "already_paid"
    if amount != expected:
        return "amount_mismatch"
    return None


def activate_paid(tx: Tx, pass_row: Row, now: datetime) -> bool:
    """In the transaction recording the payment: the pass starts now. False: already active."""
    return dal.activate(tx, pass_row["id"], now=now)


def refund(
    db: Database,
    actor: Actor,
    pass_id: int,
    *,
    now: datetime | None = None,
    client: audit.Client | None = None,
) -> list[int]:
    """An organizer refunds an unused pass: the payment is queued for refund in the same
    transaction (the refund worker pays it back), and audited. Returns the payment ids queued."""
    now = _now(now)
    if not actor.is_staff:
        raise NotAllowed("organizers refund passes")
    with db.transaction() as tx:
        row = dal.pass_by_id(tx, pass_id, for_update=True)
        if row is None or (row["venue_id"] is not None and not actor.sees_venue(row["venue_id"])):
            raise NotFound(f"pass {pass_id}")
        if row["venue_id"] is None and not (actor.is_superadmin or actor.kind == "system"):
            raise NotFound(f"pass {pass_id}")
        if row["status"] != "active":
            return []
        if row["credits_used"]:
            raise InUse(f"{row['credits_used']} credit(s) in use")
        payment, queued = _refund_in_tx(tx, pass_id, reason="pass_refunded", now=now)
        audit.record(
            tx, actor, "pass.refund", f"pass:{pass_id}",
            {"status": row["status"], "credits_used": row["credits_used"]},
            {"status": "refunded", "payment_id": payment["id"] if payment else None,
             "refund_queued": queued},
            client, venue_id=row["venue_id"],
        )  # fmt: skip
        return [payment["id"]] if payment is not None and queued else []


def _refund_in_tx(tx: Tx, pass_id: int, *, reason: str, now: datetime) -> tuple[Row | None, bool]:
    """The pass ends as refunded; its payment, if paid, is queued for the refund worker.
    Returns the payment and whether a refund was queued."""
    payment = dal.payment_for_pass(tx, pass_id)
    dal.set_refunded(tx, pass_id)
    queued = payment is not None and payment["status"] == "paid"
    if queued:
        payments_dal.request_refund(tx, payment["id"], reason=reason, now=now)
    return payment, queued


# --- /delete_me (inside its transaction) --------------------------------------------------------


@dataclass(frozen=True)
class PassFate:
    """What /delete_me does with a pass the pilot still holds."""

    pass_id: int
    title: str
    credits_total: int | None  # None: unlimited for its days
    credits_used: int
    valid_until: datetime
    paid_kopecks: int
    refund: bool  # unused and paid: the money goes back; a pass in use is forfeited


def deletion_fates(tx: Tx, pilot_id: int, now: datetime) -> list[PassFate]:
    """The rule of `refund` for organizers, applied to the pilot leaving: a pass with no credit
    in use is refunded in full; one in use stays with the club (it is de-linked, not kept)."""
    fates = []
    for row in dal.for_pilot(tx, pilot_id, now):
        payment = dal.payment_for_pass(tx, row["id"])
        paid = payment["amount_kopecks"] if payment and payment["status"] == "paid" else 0
        fates.append(
            PassFate(
                pass_id=row["id"],
                title=row["title"],
                credits_total=row["credits_total"],
                credits_used=row["credits_used"],
                valid_until=row["valid_until"],
                paid_kopecks=paid,
                refund=bool(paid) and not row["credits_used"],
            )
        )
    return fates


def settle_on_deletion(tx: Tx, pilot_id: int, now: datetime) -> list[int]:
    """Refund (queue) every unused paid pass of a pilot who deletes themselves, after their
    upcoming seats gave their credits back; returns the payment ids queued."""
    queued = []
    for fate in deletion_fates(tx, pilot_id, now):
        if fate.refund:
            payment, refunding = _refund_in_tx(tx, fate.pass_id, reason="account_deleted", now=now)
            queued += [payment["id"]] if payment is not None and refunding else []
    return queued


# --- credits (called by the registration use cases, inside their transaction) --------------------


def cover(tx: Tx, *, pilot_id: int, training: Row) -> Credit | None:
    """The pilot's pass that pays for this training, locked, if any."""
    found = dal.usable_for(
        tx,
        pilot_id=pilot_id,
        venue_id=training["venue_id"],
        track_type=training["track_type"],
        starts_at=training["starts_at"],
    )
    if found is None:
        return None
    total, used = found["credits_total"], found["credits_used"]
    left = None if total is None else total - used
    return Credit(found["id"], left, found["valid_until"])


def take(tx: Tx, credit: Credit, registration_id: int) -> Credit:
    dal.use_credit(tx, pass_id=credit.pass_id, registration_id=registration_id)
    left = None if credit.credits_left is None else credit.credits_left - 1
    return Credit(credit.pass_id, left, credit.valid_until)


def give_back(tx: Tx, registration_id: int, now: datetime) -> bool:
    return dal.return_credit(tx, registration_id=registration_id, now=now) is not None


def holds_credit(tx: Tx, registration_id: int) -> bool:
    return dal.credit_of(tx, registration_id) is not None


# --- reading and reminding -----------------------------------------------------------------------


def get(db: Database, pass_id: int) -> Row | None:
    """One pass with its product (title, price, venue) and owner."""
    with db.transaction(readonly=True) as tx:
        return dal.pass_by_id(tx, pass_id)


def my_passes(db: Database, telegram_id: int, *, now: datetime | None = None) -> list[Row]:
    with db.transaction(readonly=True) as tx:
        pilot = reg_dal.pilot_by_telegram(tx, telegram_id)
        return [] if pilot is None else dal.for_pilot(tx, pilot["id"], _now(now))


def remind_expiring(db: Database, *, now: datetime | None = None) -> list[int]:
    """Queue one reminder per pass three days before it ends (idempotent by dedupe key)."""
    from fpv.bot import render

    now = _now(now)
    ids: list[int] = []
    with db.transaction() as tx:
        for row in dal.expiring(tx, now=now, until=now + EXPIRY_NOTICE):
            lang = row["language"] or "ru"
            left = (
                t("passes.unlimited", lang)
                if row["credits_total"] is None
                else t("passes.left", lang, left=row["credits_total"] - row["credits_used"])
            )
            text = t(
                "passes.expiring",
                lang,
                title=row["title"],
                until=render.when(row["valid_until"], row["time_zone"], lang),
                left=left,
            )
            key = f"pass-expiry:{row['id']}"
            queued = outbox.message(tx, row["telegram_id"], text, dedupe_key=key)
            if queued is not None:
                ids.append(queued)
    return ids


def covers(product: Row, *, venue_id: int, track_type: str) -> bool:
    """Does a pass of this product pay for a training at this venue on this track type? The
    same rule as `dal.usable_for` (which also checks the pass's own dates and credits); the
    public site lists the products that cover a training with it."""
    track_types = product["track_types"] or []
    return (product["venue_id"] is None or product["venue_id"] == venue_id) and (
        not track_types or track_type in track_types
    )
