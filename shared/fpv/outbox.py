"""The outbox (DESIGN §8): side effects that must follow a commit are written in the same
transaction as the change and delivered afterwards, at least once.

A use case calls `message` / `invoice` / `event` inside its transaction and returns the ids.
Delivery (`deliver`) is tried at once by whoever committed (the bot after a sign-up, a use case
after publishing), and again by the outbox worker's schedule for anything that failed or was
never tried (a crash between the commit and the send). A transient Bot API or EventBridge error
leaves the row for a later try with backoff; a pilot who blocked the bot is marked unreachable;
a permanent error ends the row as 'failed' (logged, counted). Rows hold a Telegram id and a text:
/delete_me removes the person's undelivered rows, and delivered ones are purged after a week.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fpv.dal import outbox as dal
from fpv.db import Database, Row, Tx
from fpv.ports.events import SCHEDULE_CHANGED, EventBus

log = logging.getLogger("fpv.outbox")

MESSAGE = "telegram.message"
INVOICE = "telegram.invoice"
PASS_INVOICE = "telegram.pass_invoice"  # noqa: S105 - a kind, not a secret
EVENT = "event"
# An integration's signed webhook (fpv.webhooks) travels as an 'event' row whose payload is
# {"webhook": {...}}: the kind CHECK in the migrations has no room for a kind of its own.
WEBHOOK = "webhook"

LEASE = timedelta(minutes=2)  # longer than one Bot API call may take
MAX_ATTEMPTS = 30  # ~ a day of backoff before a row is given up
KEEP_DONE = timedelta(days=7)


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4, ... minutes, at most an hour between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# --- queueing (inside the caller's transaction) -------------------------------------------------


def message(
    tx: Tx,
    telegram_id: int,
    text: str,
    *,
    reply_markup: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    payload: dict[str, Any] = {"chat_id": telegram_id, "text": text}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    return dal.insert(
        tx,
        kind=MESSAGE,
        payload=payload,
        telegram_id=telegram_id,
        dedupe_key=dedupe_key,
    )


def invoice(
    tx: Tx, registration_id: int, telegram_id: int, language: str, *, dedupe_key: str | None = None
) -> int | None:
    """The invoice for a held seat; built from the database when delivered, and skipped if the
    seat is no longer held for payment by then."""
    return dal.insert(
        tx,
        kind=INVOICE,
        payload={"registration_id": registration_id, "language": language},
        telegram_id=telegram_id,
        dedupe_key=dedupe_key,
    )


def enqueue_pass_invoice(tx: Tx, pass_id: int, telegram_id: int, language: str) -> int:
    """The invoice for a season pass waiting for payment."""
    outbox_id = dal.insert(
        tx,
        kind=PASS_INVOICE,
        payload={"pass_id": pass_id, "language": language},
        telegram_id=telegram_id,
    )
    assert outbox_id is not None
    return outbox_id


def event(
    tx: Tx, detail_type: str, detail: dict[str, Any], *, registration_ids: Sequence[int] = ()
) -> int:
    """Queue an event for the bus; a "schedule changed" also queues the integrations' webhooks
    it means (`fpv.webhooks`), about `registration_ids` when the change concerns registrations
    (they travel to the webhooks only, not in the event's detail)."""
    if detail_type == SCHEDULE_CHANGED and ("training_id" in detail or "training_ids" in detail):
        from fpv import webhooks

        for training_id in detail.get("training_ids") or [detail["training_id"]]:
            webhooks.schedule_changed(
                tx, int(training_id), str(detail.get("reason")), registration_ids
            )
    outbox_id = dal.insert(
        tx,
        kind=EVENT,
        payload={"detail_type": detail_type, "detail": detail},
    )
    assert outbox_id is not None
    return outbox_id


# --- delivery -----------------------------------------------------------------------------------


class Transient(RuntimeError):
    """Try again later (network, 5xx, 429)."""


class Permanent(RuntimeError):
    """Will never succeed (bad request): give up now."""


class Blocked(RuntimeError):
    """The pilot blocked the bot (403)."""


class Skipped(RuntimeError):
    """Nothing to do any more (e.g. an invoice for a seat no longer held)."""


@dataclass
class Deliverers:
    """How each kind reaches the world. Missing ones leave their rows for a process that has
    them (e.g. the site publisher has no Bot API token)."""

    bus: EventBus | None = None
    telegram: Callable[[str, dict[str, Any]], Any] | None = None  # (method, params) -> result
    invoice_params: Callable[[Database, int, str], dict[str, Any] | None] | None = None
    pass_invoice_params: Callable[[Database, int, str], dict[str, Any] | None] | None = None
    webhook: Callable[[Database, Row], None] | None = None  # fpv.webhooks.Sender


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    ids: list[int] = field(default_factory=list)  # rows finished by this run
    delivered_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def _send(db: Database, ports: Deliverers, row: Row) -> None:
    kind, payload = row["kind"], row["payload"]
    if kind == EVENT and WEBHOOK in payload:
        if ports.webhook is None:
            raise Transient("no webhook sender here")
        ports.webhook(db, {**row, "payload": payload[WEBHOOK]})
        return
    if kind == EVENT:
        if ports.bus is None:
            raise Transient("no event bus here")
        try:
            ports.bus.publish(payload["detail_type"], payload["detail"])
        except Exception as exc:  # EventBridge throttling, network, partial failure
            raise Transient(f"event bus: {type(exc).__name__}: {exc}"[:200]) from None
        return
    if ports.telegram is None:
        raise Transient("no Bot API here")
    if kind == MESSAGE:
        ports.telegram("sendMessage", payload)
    elif kind == INVOICE:
        if ports.invoice_params is None:
            raise Transient("no payment configuration here")
        params = ports.invoice_params(db, int(payload["registration_id"]), payload["language"])
        if params is None:
            raise Skipped("seat no longer held for payment")
        ports.telegram("sendInvoice", params)
    elif kind == PASS_INVOICE:
        if ports.pass_invoice_params is None:
            raise Transient("no payment configuration here")
        params = ports.pass_invoice_params(db, int(payload["pass_id"]), payload["language"])
        if params is None:
            raise Skipped("pass no longer waiting for payment")
        ports.telegram("sendInvoice", params)
    else:
        raise Permanent(f"unknown outbox kind {kind}")


def deliver(
    db: Database,
    ports: Deliverers,
    ids: list[int] | None = None,
    *,
    now: datetime | None = None,
    limit: int = 200,
    on_blocked: Callable[[Tx, int], None] | None = None,
) -> DeliveryReport:
    """Deliver due rows (just `ids` when given: the effects a request has just committed)."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    if ids is not None and not ids:
        return report
    with db.transaction() as tx:
        rows = dal.claim(tx, now=now, lease_until=now + LEASE, ids=ids, limit=limit)
    for row in rows:
        outcome, error = "delivered", None
        try:
            _send(db, ports, row)
        except Transient as exc:
            if row["attempts"] < MAX_ATTEMPTS:
                with db.transaction() as tx:
                    dal.retry_at(
                        tx, row["id"], next_at=now + backoff(row["attempts"]), error=str(exc)
                    )
                report.retried += 1
                log.warning("outbox %s (%s) postponed: %s", row["id"], row["kind"], exc)
                continue
            outcome, error = "failed", f"gave up: {exc}"
        except Blocked:
            outcome = "blocked"
        except Skipped as exc:
            outcome, error = "skipped", str(exc)
        except Permanent as exc:
            outcome, error = "failed", str(exc)
        with db.transaction() as tx:
            if outcome == "blocked" and on_blocked is not None and row["telegram_id"] is not None:
                on_blocked(tx, row["telegram_id"])
            dal.finish(tx, row["id"], outcome=outcome, now=now, error=error)
        if outcome == "failed":
            log.error("outbox %s (%s) failed: %s", row["id"], row["kind"], error)
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.ids.append(row["id"])
        if outcome == "delivered":
            report.delivered_ids.append(row["id"])
    return report


def purge(db: Database, *, now: datetime | None = None) -> int:
    with db.transaction() as tx:
        return dal.purge_done(tx, before=(now or datetime.now(UTC)) - KEEP_DONE)


def publish_now(db: Database, bus: EventBus, event_ids: list[int]) -> DeliveryReport:
    """Publish events a use case has just committed; what fails stays for the worker."""
    return deliver(db, Deliverers(bus=bus), event_ids)
