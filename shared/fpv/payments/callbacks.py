"""Provider callbacks at `POST /payments/{provider}`: YooKassa HTTP notifications and Stripe
events. Nothing in a callback is believed as sent:

- YooKassa: the named object is re-fetched from YooKassa's API (optionally the request must also
  come from YooKassa's published networks) and we act on what the API says, whatever the event
  claimed. A forged notification therefore makes us re-read the truth, nothing more.
- Stripe: only events with a valid `Stripe-Signature` (HMAC, 5-minute tolerance).

A verified notification is recorded with its effect in one transaction; a replay is answered
200 and changes nothing. Out-of-order ones cannot move a refund backwards (terminal states stay).
Answers: 200 done/ignored · 400 malformed · 401 bad signature · 403 not from YooKassa's
networks · 404 unknown provider · 503 provider API or database unreachable (the provider
retries later; nothing lost).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fpv.dal import payments as dal
from fpv.db import Database
from fpv.payments import ports as p
from fpv.payments import stripe, yookassa
from fpv.payments.config import PaymentConfig
from fpv.payments.refunds import apply_refund_state, mark_refunded

log = logging.getLogger("fpv.payments.callbacks")

YOOKASSA_EVENTS = {
    "payment.succeeded",
    "payment.waiting_for_capture",
    "payment.canceled",
    "refund.succeeded",
}
STRIPE_REFUND_EVENTS = {
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.refund.updated",
}


@dataclass(frozen=True)
class CallbackResult:
    status: int
    outcome: str

    @property
    def body(self) -> dict[str, Any]:
        return {"ok": self.status == 200, "outcome": self.outcome}


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _apply_refund(
    db: Database,
    ports: p.PaymentPorts,
    provider: str,
    obj: dict[str, Any],
    charge_key: str,
    now: datetime,
) -> str:
    """A verified refund object → our payment's refund state."""
    state = (yookassa if provider == "yookassa" else stripe).refund_state(obj)
    with db.transaction(readonly=True) as tx:
        payment = (
            dal.payment_for_refund(tx, provider, state.refund_id or "") if state.refund_id else None
        )
        if payment is None and obj.get(charge_key):
            payment = dal.payment_for_charge(tx, provider, str(obj[charge_key]))
    if payment is None:
        return "unknown_refund"
    if payment["status"] == "paid":
        if state.status != "succeeded":
            return "ignored"
        amount = yookassa.amount_of(obj)[0] if provider == "yookassa" else obj.get("amount")
        if amount != payment["amount_kopecks"]:
            log.warning("partial refund of payment %s made outside the platform", payment["id"])
            return "partial_refund_ignored"
        with db.transaction() as tx:
            mark_refunded(tx, payment["id"], refund_id=state.refund_id, now=now, outside=True)
        ports.metrics.count(p.REFUND_SUCCEEDED)
        return "refunded_outside"
    before = payment["status"]
    after = apply_refund_state(db, ports, payment["id"], state, now)
    return f"refund_{after}" if after != before else "unchanged"


# --- YooKassa --------------------------------------------------------------------------------
def handle_yookassa(
    db: Database,
    ports: p.PaymentPorts,
    *,
    body: bytes,
    source_ip: str | None,
    config: PaymentConfig,
    now: datetime | None = None,
) -> CallbackResult:
    now = now or datetime.now(UTC)
    if config.yookassa_check_source_ip and not yookassa.from_yookassa(source_ip):
        ports.metrics.count(p.NOTIFICATION_REJECTED)
        return CallbackResult(403, "untrusted_source")
    data = _json_object(body)
    obj = data.get("object") if data else None
    event = data.get("event") if data else None
    if (
        data is None
        or data.get("type") != "notification"
        or not isinstance(event, str)
        or not isinstance(obj, dict)
        or not isinstance(obj.get("id"), str)
        or not yookassa.OBJECT_ID.match(obj["id"])
    ):
        ports.metrics.count(p.NOTIFICATION_REJECTED)
        return CallbackResult(400, "malformed")
    if event not in YOOKASSA_EVENTS:
        return CallbackResult(200, "ignored")
    if ports.yookassa is None:
        log.error("YooKassa notification received but the YooKassa API is not configured")
        return CallbackResult(503, "not_configured")
    object_id = obj["id"]
    # YooKassa notifications carry no id of their own: "event:object:verified status" is one.
    # A replay of an applied notification (the truth was what the event said) is answered
    # without another API call; a forged early "succeeded" was recorded with the status the
    # API showed then, so it never shadows the genuine notification that comes later.
    claimed = event.split(".", 1)[1]
    with db.transaction(readonly=True) as tx:
        if dal.notification_seen(tx, "yookassa", f"{event}:{object_id}:{claimed}"):
            return CallbackResult(200, "duplicate")
    try:
        if event.startswith("refund."):
            truth = ports.yookassa.get_refund(object_id)
        else:
            truth = ports.yookassa.get_payment(object_id)
    except p.ProviderUnavailable as exc:
        log.warning("cannot verify a YooKassa notification now: %s", exc)
        return CallbackResult(503, "provider_unavailable")
    if truth is None or truth.get("id") != object_id:
        # YooKassa does not know this object: forged (or for another shop)
        ports.metrics.count(p.NOTIFICATION_REJECTED)
        log.warning("YooKassa notification for an unknown object ignored")
        return CallbackResult(200, "unverified")
    if event.startswith("refund."):
        outcome = _apply_refund(db, ports, "yookassa", truth, "payment_id", now)
    else:
        outcome = _yookassa_payment(db, truth)
    notification_id = f"{event}:{object_id}:{truth.get('status')}"
    with db.transaction() as tx:
        dal.record_notification(tx, "yookassa", notification_id, event=event, outcome=outcome)
    return CallbackResult(200, outcome)


def _yookassa_payment(db: Database, truth: dict[str, Any]) -> str:
    """Payments are recorded from Telegram's successful_payment (which carries our payload); a
    YooKassa payment event is a cross-check only."""
    with db.transaction(readonly=True) as tx:
        payment = dal.payment_for_charge(tx, "yookassa", truth["id"])
    if payment is None:
        return "unknown_payment"
    amount, currency = yookassa.amount_of(truth)
    if truth.get("status") == "succeeded" and (
        amount != payment["amount_kopecks"] or currency != payment["currency"]
    ):
        log.error("YooKassa payment %s differs from our record %s", truth["id"], payment["id"])
        return "amount_differs"
    return "consistent" if truth.get("status") == "succeeded" else f"status_{truth.get('status')}"


# --- Stripe ------------------------------------------------------------------------------------
def handle_stripe(
    db: Database,
    ports: p.PaymentPorts,
    *,
    body: bytes,
    signature_header: str | None,
    config: PaymentConfig,
    now: datetime | None = None,
) -> CallbackResult:
    now = now or datetime.now(UTC)
    if not config.stripe_webhook_secret:
        log.error("Stripe event received but STRIPE_WEBHOOK_SECRET is not set")
        return CallbackResult(503, "not_configured")
    try:
        stripe.verify_signature(
            body, signature_header, config.stripe_webhook_secret, now=now.timestamp()
        )
    except stripe.SignatureError as exc:
        ports.metrics.count(p.NOTIFICATION_REJECTED)
        log.warning("Stripe event rejected: %s", exc)
        return CallbackResult(401, "bad_signature")
    event = _json_object(body)
    obj = ((event or {}).get("data") or {}).get("object") if event else None
    if (
        event is None
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not isinstance(obj, dict)
    ):
        return CallbackResult(400, "malformed")
    event_id, kind = event["id"][:200], event["type"]
    with db.transaction(readonly=True) as tx:
        if dal.notification_seen(tx, "stripe", event_id):
            return CallbackResult(200, "duplicate")
    if kind in STRIPE_REFUND_EVENTS and obj.get("object") == "refund":
        outcome = _apply_refund(db, ports, "stripe", obj, "charge", now)
    elif kind == "charge.refunded" and obj.get("object") == "charge":
        outcome = _stripe_charge_refunded(db, ports, obj, now)
    else:
        outcome = "ignored"
    with db.transaction() as tx:
        dal.record_notification(tx, "stripe", event_id, event=kind, outcome=outcome)
    return CallbackResult(200, outcome)


def _stripe_charge_refunded(
    db: Database, ports: p.PaymentPorts, charge: dict[str, Any], now: datetime
) -> str:
    if not charge.get("id") or charge.get("amount_refunded") != charge.get("amount"):
        return "ignored"
    refund = {"id": None, "status": "succeeded", "charge": charge["id"], "amount": charge["amount"]}
    return _apply_refund(db, ports, "stripe", refund, "charge", now)


def handle_callback(
    db: Database,
    ports: p.PaymentPorts,
    *,
    provider: str,
    body: bytes,
    headers: dict[str, str],
    source_ip: str | None,
    config: PaymentConfig,
    now: datetime | None = None,
) -> CallbackResult:
    """`POST /payments/{provider}` (headers with lower-case names)."""
    if provider == "yookassa":
        return handle_yookassa(db, ports, body=body, source_ip=source_ip, config=config, now=now)
    if provider == "stripe":
        return handle_stripe(
            db,
            ports,
            body=body,
            signature_header=headers.get("stripe-signature"),
            config=config,
            now=now,
        )
    return CallbackResult(404, "unknown_provider")
