"""Refunds: requested in the same transaction as the reason for them, worked through the
provider's API afterwards, and retried until the provider gives a final answer.

States of a payment: paid → refund_pending → refunded | refund_failed.
- A refund_pending row is "due" at refund_next_at. A worker claims it (moving refund_next_at
  forward by a lease), calls the provider with the row's fixed idempotence key, then records:
  succeeded → refunded (pilot told) · pending at the provider → poll later · provider said no →
  refund_failed (metric RefundFailed, pilot told) · provider unreachable → retry with backoff.
- After MAX_ATTEMPTS unreachable attempts the refund becomes refund_failed (alarm); an operator
  can put it back with `fpv payments retry-refund ID` (a fresh key: the provider may remember
  its refusal under the old one; no provider refunds more than was paid).
- Whether a cancelled seat's money goes back is decided by the use case that cancels
  (`fpv.registrations.refund_policy`) and queued in the same transaction as the cancellation, so
  nothing is lost in a crash and nothing is swept up later: a paid training that took place is
  never refunded because its registration changed afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fpv import delivery, outbox, webhooks
from fpv.actors import Actor
from fpv.dal import payments as dal
from fpv.db import Database, Row, Tx
from fpv.payments import ports as p
from fpv.payments.money import format_amount
from fpv.ports.events import EventBus
from fpv.registrations import CancelResult, cancel
from fpv.texts import t

log = logging.getLogger("fpv.payments.refunds")

LEASE = timedelta(minutes=2)  # longer than a provider call can take (10 s timeout)
POLL_PENDING = timedelta(minutes=15)  # provider accepted, result later (notification or poll)
MAX_ATTEMPTS = 24  # unreachable provider: ~14 h of backoff before the alarm state


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most an hour between attempts."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


@dataclass(frozen=True)
class RefundResult:
    payment_id: int
    status: str  # refunded | refund_pending | refund_failed | not_due
    detail: str | None = None


def _request(row: Row) -> p.RefundRequest:
    title = row["training_title"] or "—"
    return p.RefundRequest(
        payment_id=row["id"],
        provider=row["provider"],
        currency=row["currency"],
        amount=row["amount_kopecks"],
        idempotence_key=row["refund_key"],
        provider_charge_id=row["provider_payment_charge_id"],
        telegram_charge_id=row["telegram_payment_charge_id"],
        payer_telegram_id=row["telegram_id"],
        description=t("payments.refund.provider_description", "ru", title=title),
    )


def _tell(tx: Tx, row: Row, key: str) -> int | None:
    """Queue the pilot's notice in the transaction that records the provider's answer."""
    if row["telegram_id"] is None:  # the pilot used /delete_me: nobody to tell
        return None
    lang = row["language"] or "ru"
    amount = format_amount(row["amount_kopecks"], row["currency"], lang)
    text = t(key, lang, amount=amount, title=row["training_title"] or "—")
    return outbox.message(tx, row["telegram_id"], text, dedupe_key=f"{key}:{row['id']}")


def _deliver(db: Database, ports: p.PaymentPorts, ids: list[int]) -> None:
    """At once where this process has the Bot API; the outbox worker does it otherwise."""
    if ids and ports.deliverers is not None:
        delivery.send(db, ports.deliverers, ids)


def mark_refunded(
    tx: Tx, payment_id: int, *, refund_id: str | None, now: datetime, outside: bool = False
) -> bool:
    """The money went back (by us, or in the provider's dashboard when `outside`); integrations
    hear `payment.refunded` once, with the registration it paid for."""
    mark = dal.mark_refunded_outside if outside else dal.mark_refunded
    changed = mark(tx, payment_id, refund_id=refund_id, now=now)
    row = dal.work_row(tx, payment_id) if changed else None
    if row is not None and row["training_id"] is not None and row["registration_id"] is not None:
        webhooks.schedule_changed(
            tx, row["training_id"], "payment_refunded", [row["registration_id"]]
        )
    return changed


def apply_refund_state(
    db: Database, ports: p.PaymentPorts, payment_id: int, state: p.RefundState, now: datetime
) -> str:
    """Record what the provider says about a payment's refund; tells the pilot on a final
    answer. Safe to repeat: terminal states do not move (returns the resulting status)."""
    with db.transaction() as tx:
        if state.status == "succeeded":
            changed = mark_refunded(tx, payment_id, refund_id=state.refund_id, now=now)
        elif state.status == "failed":
            changed = dal.mark_refund_failed(tx, payment_id, error=state.detail or "rejected")
        else:
            changed = bool(state.refund_id) and dal.note_refund_pending(
                tx, payment_id, refund_id=state.refund_id or "", next_at=now + POLL_PENDING
            )
        row = dal.work_row(tx, payment_id)
        assert row is not None
        notice = None
        if changed and state.status in ("succeeded", "failed"):
            key = (
                "payments.refund.done" if state.status == "succeeded" else "payments.refund.failed"
            )
            notice = _tell(tx, row, key)
    if changed and state.status == "succeeded":
        ports.metrics.count(p.REFUND_SUCCEEDED)
    elif changed and state.status == "failed":
        ports.metrics.count(p.REFUND_FAILED)
        log.error("refund of payment %s failed: %s", payment_id, state.detail)
    _deliver(db, ports, [notice] if notice is not None else [])
    return row["status"]


def _work(db: Database, ports: p.PaymentPorts, row: Row, now: datetime) -> RefundResult:
    payment_id = row["id"]
    refunder = ports.refunders.get(row["provider"])
    try:
        if refunder is None:
            raise p.ProviderUnavailable(f"no {row['provider']} API configured")
        request = _request(row)
        state = (
            refunder.refund_status(request, row["refund_id"])
            if row["refund_id"]
            else refunder.refund(request)
        )
    except p.RefundRejected as exc:
        state = p.RefundState("failed", None, exc.code)
    except p.ProviderUnavailable as exc:
        ports.metrics.count(p.REFUND_RETRIED)
        attempts = row["refund_attempts"]
        if attempts >= MAX_ATTEMPTS and not row["refund_id"]:
            state = p.RefundState("failed", None, f"gave up after {attempts} attempts: {exc}")
        else:
            log.warning("refund of payment %s postponed: %s", payment_id, exc)
            with db.transaction() as tx:
                dal.note_refund_retry(
                    tx, payment_id, error=str(exc), next_at=now + backoff(attempts)
                )
            return RefundResult(payment_id, "refund_pending", str(exc)[:100])
    status = apply_refund_state(db, ports, payment_id, state, now)
    return RefundResult(payment_id, status, state.detail)


def attempt_refund(
    db: Database, ports: p.PaymentPorts, payment_id: int, *, now: datetime | None = None
) -> RefundResult:
    """Work this payment's refund now if it is due (not claimed by another worker)."""
    now = _now(now)
    with db.transaction() as tx:
        row = dal.claim_refund(tx, now=now, lease_until=now + LEASE, payment_id=payment_id)
        current = None if row else dal.work_row(tx, payment_id)
    if row is None:
        return RefundResult(payment_id, "not_due", current["status"] if current else "unknown")
    return _work(db, ports, row, now)


def refund_registration(
    db: Database,
    ports: p.PaymentPorts,
    *,
    registration_id: int,
    reason: str,
    now: datetime | None = None,
) -> list[RefundResult]:
    """Refund every payment still held for this registration (normally one), now."""
    now = _now(now)
    with db.transaction() as tx:
        ids = dal.request_refunds_for_registration(tx, registration_id, reason=reason, now=now)
    return [attempt_refund(db, ports, pid, now=now) for pid in ids]


def cancel_with_refund(
    db: Database,
    bus: EventBus,
    ports: p.PaymentPorts,
    *,
    registration_id: int,
    telegram_id: int | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
    admin_refund: bool | None = None,
    hold_minutes: int = 15,
) -> tuple[CancelResult, list[RefundResult]]:
    """A pilot (or an organizer `actor`) cancels; a paid seat is refunded through the provider.
    The venue's cut-off is enforced by `fpv.registrations.cancel` (CancelTooLate: nothing
    changes)."""
    now = _now(now)
    result = cancel(
        db,
        bus,
        registration_id=registration_id,
        telegram_id=telegram_id,
        actor=actor,
        now=now,
        admin_refund=admin_refund,
        hold_minutes=hold_minutes,
    )
    return result, work_refunds(db, ports, result.refund_payment_ids, now=now)


def work_refunds(
    db: Database, ports: p.PaymentPorts, payment_ids: list[int], *, now: datetime | None = None
) -> list[RefundResult]:
    """Work refunds a use case has just queued; the worker retries any the provider refused."""
    return [attempt_refund(db, ports, pid, now=_now(now)) for pid in payment_ids]


@dataclass
class RefundRetryReport:
    attempted: int = 0
    refunded: int = 0
    failed: int = 0
    postponed: int = 0
    results: list[RefundResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "results" and isinstance(v, int)}


def retry_pending_refunds(
    db: Database,
    ports: p.PaymentPorts,
    now: datetime | None = None,
    *,
    limit: int = 200,
    should_stop: Callable[[], bool] | None = None,
) -> RefundRetryReport:
    """The refund worker (the payments function's schedule; the jobs may call it too): work
    every due refund, oldest first."""
    now = _now(now)
    report = RefundRetryReport()
    while report.attempted < limit and not (should_stop and should_stop()):
        with db.transaction() as tx:
            row = dal.claim_refund(tx, now=now, lease_until=now + LEASE)
        if row is None:
            break
        result = _work(db, ports, row, now)
        report.attempted += 1
        report.results.append(result)
        if result.status == "refunded":
            report.refunded += 1
        elif result.status == "refund_failed":
            report.failed += 1
        else:
            report.postponed += 1
    return report


def retry_failed_refund(
    db: Database, ports: p.PaymentPorts, payment_id: int, *, now: datetime | None = None
) -> RefundResult:
    """An operator puts a refund_failed payment back in the queue and tries it at once."""
    now = _now(now)
    with db.transaction() as tx:
        requeued = dal.retry_failed_refund(tx, payment_id, now=now)
    if not requeued:
        with db.transaction(readonly=True) as tx:
            row = dal.work_row(tx, payment_id)
        return RefundResult(payment_id, "not_due", row["status"] if row else "unknown")
    return attempt_refund(db, ports, payment_id, now=now)
