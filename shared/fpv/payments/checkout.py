"""Telegram's two payment moments, without python-telegram-bot (plain functions on db/ports):

- `check_pre_checkout`: one read-only transaction, no provider call, so the answer goes back well
  within Telegram's 10 seconds. The hold must be alive and the pilot's own, the training neither
  cancelled nor started, the amount and currency what the seat costs now.
- `record_payment` (successful_payment): the payment row and its effect on the registration are
  one transaction, keyed by telegram_payment_charge_id, so a replay changes nothing. Money that
  buys no seat (hold expired and the training full, a second payment, an unknown payload) is
  recorded and queued for refund in that same transaction: it cannot be forgotten.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from fpv import outbox, passes
from fpv.dal import passes as passes_dal
from fpv.dal import payments as dal
from fpv.db import Database, IntegrityViolation, Row, Tx
from fpv.payments import ports as p
from fpv.payments.config import PaymentConfig
from fpv.payments.money import charge_for
from fpv.ports.events import SCHEDULE_CHANGED, EventBus
from fpv.registrations import Settlement, settle_payment

log = logging.getLogger("fpv.payments.checkout")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def valid_payload(payload: str) -> bool:
    """Our payloads are public ids (UUIDs) of registrations or passes; nothing else is ours."""
    try:
        return str(uuid.UUID(payload)) == payload.lower()
    except (ValueError, AttributeError, TypeError):
        return False


# --- pre_checkout_query -------------------------------------------------------------------
@dataclass(frozen=True)
class PreCheckout:
    payload: str
    currency: str
    total_amount: int
    payer_telegram_id: int


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None  # None when ok; else the text key suffix payments.precheckout.<reason>
    language: str | None  # the pilot's language when we know the registration


def check_pre_checkout(
    db: Database, query: PreCheckout, *, config: PaymentConfig, now: datetime | None = None
) -> Verdict:
    now = _now(now)
    with db.transaction(readonly=True) as tx:
        reg = dal.checkout_target(tx, query.payload) if valid_payload(query.payload) else None
        pass_row = (
            passes_dal.pass_by_public_id(tx, query.payload)
            if reg is None and valid_payload(query.payload)
            else None
        )
        if reg is None and pass_row is None:  # not ours: answer in the payer's language
            return Verdict(False, "unknown", dal.pilot_language(tx, query.payer_telegram_id))
    if pass_row is not None:
        expected = charge_for(pass_row["price_kopecks"], config.currency, config.star_price_kopecks)
        amount = query.total_amount if query.currency == config.currency else -1
        reason = passes.pre_checkout_reason(pass_row, query.payer_telegram_id, amount, expected)
        return Verdict(reason is None, reason, pass_row["language"])
    lang = reg["language"]

    def no(reason: str) -> Verdict:
        return Verdict(False, reason, lang)

    if reg["telegram_id"] != query.payer_telegram_id:
        return no("not_yours")
    if reg["training_status"] != "scheduled":
        return no("training_cancelled")
    if reg["starts_at"] <= now:
        return no("training_started")
    if reg["status"] == "confirmed":
        return no("already_paid")
    if reg["status"] != "pending_payment" or reg["hold_expires_at"] <= now:
        return no("hold_expired")
    expected = charge_for(reg["price_kopecks"], config.currency, config.star_price_kopecks)
    if query.currency != config.currency or query.total_amount != expected:
        return no("amount_mismatch")
    return Verdict(True, None, lang)


# --- successful_payment ---------------------------------------------------------------------
@dataclass(frozen=True)
class IncomingPayment:
    payload: str
    currency: str
    total_amount: int
    telegram_payment_charge_id: str
    provider_payment_charge_id: str | None


@dataclass(frozen=True)
class PaymentOutcome:
    # confirmed | reseated | no_seat | duplicate | unknown_registration | replay
    outcome: str
    payment_id: int
    registration_id: int | None
    training_id: int | None
    amount: int
    currency: str
    channel_mhz: int | None = None
    channel_label: str | None = None
    language: str | None = None  # the pilot's, when the registration is known
    training_title: str | None = None  # (the pass's title for a pass)
    pass_id: int | None = None

    @property
    def refund_due(self) -> bool:
        return self.outcome in ("no_seat", "duplicate", "unknown_registration")


def provider_for(currency: str, config: PaymentConfig) -> str:
    return "stars" if currency == "XTR" else config.provider


def _settle(tx: Tx, registration_id: int, now: datetime) -> Settlement | None:
    """settle_payment inside a savepoint: a late payment whose pilot meanwhile signed up again
    (one active registration per pilot) cannot be re-seated and is refunded instead."""
    try:
        with tx.savepoint("settle"):
            return settle_payment(tx, registration_id=registration_id, now=now)
    except IntegrityViolation:
        return None


def _record_pass_payment(
    tx: Tx, pass_row: Row, payment: IncomingPayment, provider: str, now: datetime
) -> PaymentOutcome | None:
    """A pass bought: recorded once (None on a replay), the pass starts now; a second payment
    for a pass already active is refunded."""
    payment_id = dal.insert_payment(
        tx,
        registration_id=None,
        training_id=None,
        pilot_id=pass_row["pilot_id"],
        provider=provider,
        amount=payment.total_amount,
        currency=payment.currency,
        telegram_charge_id=payment.telegram_payment_charge_id,
        provider_charge_id=payment.provider_payment_charge_id,
        pass_id=pass_row["id"],
    )
    if payment_id is None:
        return None
    if passes.activate_paid(tx, pass_row, now):
        outcome = "pass_active"
    else:
        outcome = "duplicate"
        dal.request_refund(tx, payment_id, reason="duplicate", now=now)
    return PaymentOutcome(
        outcome,
        payment_id,
        None,
        None,
        payment.total_amount,
        payment.currency,
        language=pass_row["language"],
        training_title=pass_row["title"],
        pass_id=pass_row["id"],
    )


def record_payment(
    db: Database,
    bus: EventBus,
    ports: p.PaymentPorts,
    payment: IncomingPayment,
    *,
    config: PaymentConfig,
    now: datetime | None = None,
) -> PaymentOutcome:
    """Record a successful payment once and settle its registration. The caller tells the pilot
    and then works a due refund (`refunds.attempt_refund`); if it cannot, the refund worker will.
    """
    now = _now(now)
    provider = provider_for(payment.currency, config)
    with db.transaction() as tx:
        reg = dal.checkout_target(tx, payment.payload) if valid_payload(payment.payload) else None
        if reg is None and valid_payload(payment.payload):
            pass_row = passes_dal.pass_by_public_id(tx, payment.payload, for_update=True)
            if pass_row is not None:
                outcome = _record_pass_payment(tx, pass_row, payment, provider, now)
                if outcome is not None:
                    if outcome.refund_due:
                        ports.metrics.count(p.PAYMENT_FAILED)
                    else:
                        ports.metrics.count(p.PAYMENT_SUCCEEDED)
                    return outcome
                existing = dal.payment_by_telegram_charge(tx, payment.telegram_payment_charge_id)
                assert existing is not None
                return PaymentOutcome(
                    "replay",
                    existing["id"],
                    None,
                    None,
                    existing["amount_kopecks"],
                    existing["currency"],
                )
        payment_id = dal.insert_payment(
            tx,
            registration_id=reg["id"] if reg else None,
            training_id=reg["training_id"] if reg else None,
            pilot_id=reg["pilot_id"] if reg else None,
            provider=provider,
            amount=payment.total_amount,
            currency=payment.currency,
            telegram_charge_id=payment.telegram_payment_charge_id,
            provider_charge_id=payment.provider_payment_charge_id,
        )
        if payment_id is None:
            existing = dal.payment_by_telegram_charge(tx, payment.telegram_payment_charge_id)
            assert existing is not None
            return PaymentOutcome(
                "replay",
                existing["id"],
                existing["registration_id"],
                existing["training_id"],
                existing["amount_kopecks"],
                existing["currency"],
            )
        settlement = _settle(tx, reg["id"], now) if reg else None
        if reg is None:
            outcome = "unknown_registration"
        elif settlement is None or settlement.outcome == "no_seat":
            outcome = "no_seat"
        elif settlement.outcome == "already_confirmed":
            outcome = "duplicate"
        else:
            outcome = settlement.outcome  # confirmed | reseated
        events: list[int] = []
        if outcome in ("no_seat", "duplicate", "unknown_registration"):
            dal.request_refund(tx, payment_id, reason=outcome, now=now)
        else:
            detail = {"training_id": reg["training_id"], "reason": "payment_" + outcome}
            events.append(outbox.event(tx, SCHEDULE_CHANGED, detail, registration_ids=[reg["id"]]))
    outbox.publish_now(db, bus, events)
    ports.metrics.count(p.PAYMENT_SUCCEEDED)
    result = PaymentOutcome(
        outcome,
        payment_id,
        reg["id"] if reg else None,
        reg["training_id"] if reg else None,
        payment.total_amount,
        payment.currency,
        settlement.channel_mhz if settlement else None,
        settlement.channel_label if settlement else None,
        reg["language"] if reg else None,
        reg["title"] if reg else None,
    )
    if result.refund_due:
        # money arrived but bought nothing: counts as a failed payment for the alarms
        ports.metrics.count(p.PAYMENT_FAILED)
        log.warning("payment %s bought no seat (%s); refund queued", payment_id, outcome)
    return result
