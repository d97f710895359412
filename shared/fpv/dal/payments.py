"""Data access for payments: recording Telegram charges, the refund life cycle (claims with a
lease, so two workers never call a provider for the same refund at once), provider
notifications processed once, training cancellation, and the money ledger."""

from __future__ import annotations

from datetime import datetime

from fpv.db import Row, Tx

# Everything a refund attempt and its messages need about one payment.
_WORK_COLUMNS = (
    "p.id, p.provider, p.currency, p.amount_kopecks, p.status, p.refund_key::text AS refund_key,"
    " p.refund_id, p.refund_attempts, p.refund_reason, p.provider_payment_charge_id,"
    " p.telegram_payment_charge_id, p.registration_id, p.training_id, p.refunded_kopecks,"
    " pi.telegram_id, pi.language, t.title AS training_title"
)
_WORK_FROM = (
    " FROM payments p LEFT JOIN pilots pi ON pi.id = p.pilot_id"
    " LEFT JOIN trainings t ON t.id = p.training_id"
)


# --- invoices and checkout -------------------------------------------------------------------
def invoice_target(tx: Tx, registration_id: int) -> Row | None:
    return tx.one(
        "SELECT r.id, r.public_id::text AS public_id, r.status, r.hold_expires_at,"
        " r.channel_mhz, r.channel_label, p.telegram_id, p.language, t.title, t.starts_at,"
        " t.price_kopecks, t.status AS training_status, v.name AS venue_name, v.time_zone"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " JOIN trainings t ON t.id = r.training_id JOIN venues v ON v.id = t.venue_id"
        " WHERE r.id = :id",
        id=registration_id,
    )


def checkout_target(tx: Tx, public_id: str) -> Row | None:
    """The registration an invoice payload names, with what pre-checkout re-checks."""
    return tx.one(
        "SELECT r.id, r.training_id, r.pilot_id, r.status, r.hold_expires_at, p.telegram_id,"
        " p.language, t.title, t.price_kopecks, t.status AS training_status, t.starts_at"
        " FROM registrations r LEFT JOIN pilots p ON p.id = r.pilot_id"
        " JOIN trainings t ON t.id = r.training_id WHERE r.public_id = CAST(:pid AS uuid)",
        pid=public_id,
    )


def pilot_language(tx: Tx, telegram_id: int) -> str | None:
    return tx.value("SELECT language FROM pilots WHERE telegram_id = :t", t=telegram_id)


def insert_payment(
    tx: Tx,
    *,
    registration_id: int | None,
    training_id: int | None,
    pilot_id: int | None,
    provider: str,
    amount: int,
    currency: str,
    telegram_charge_id: str,
    provider_charge_id: str | None,
    pass_id: int | None = None,
) -> int | None:
    """The new payment's id, or None when this Telegram charge is already recorded."""
    return tx.value(
        "INSERT INTO payments (registration_id, training_id, pilot_id, provider, amount_kopecks,"
        " currency, status, telegram_payment_charge_id, provider_payment_charge_id, pass_id)"
        " VALUES (:reg, :tr, :pilot, :provider, :amount, :currency, 'paid', :tg, :pp, :pass)"
        " ON CONFLICT (telegram_payment_charge_id) DO NOTHING RETURNING id",
        reg=registration_id,
        tr=training_id,
        pilot=pilot_id,
        provider=provider,
        amount=amount,
        currency=currency,
        tg=telegram_charge_id,
        pp=provider_charge_id or None,
        **{"pass": pass_id},
    )


def payment_by_telegram_charge(tx: Tx, charge_id: str) -> Row | None:
    return tx.one(
        "SELECT id, registration_id, training_id, status, amount_kopecks, currency FROM payments"
        " WHERE telegram_payment_charge_id = :c",
        c=charge_id,
    )


# --- refund requests -------------------------------------------------------------------------
_REQUEST = (
    "UPDATE payments SET status = 'refund_pending', refund_key = gen_random_uuid(),"
    " refund_reason = :reason, refund_requested_at = :now, refund_next_at = :now,"
    " refund_attempts = 0, updated_at = now()"
)


def request_refund(tx: Tx, payment_id: int, *, reason: str, now: datetime) -> bool:
    """paid → refund_pending (due now). False when it is not 'paid' (already being refunded)."""
    return bool(
        tx.execute(
            f"{_REQUEST} WHERE id = :id AND status = 'paid'", id=payment_id, reason=reason, now=now
        )
    )


def request_refunds_for_registration(
    tx: Tx, registration_id: int, *, reason: str, now: datetime
) -> list[int]:
    rows = tx.all(
        f"{_REQUEST} WHERE registration_id = :reg AND status = 'paid' RETURNING id",
        reg=registration_id,
        reason=reason,
        now=now,
    )
    return sorted(r["id"] for r in rows)


def held_payments(tx: Tx, registration_id: int) -> list[int]:
    """Payments for this registration that we still hold ('paid')."""
    rows = tx.all(
        "SELECT id FROM payments WHERE registration_id = :reg AND status = 'paid' ORDER BY id",
        reg=registration_id,
    )
    return [r["id"] for r in rows]


def request_refunds_for_training(
    tx: Tx, training_id: int, *, reason: str, now: datetime
) -> list[int]:
    rows = tx.all(
        f"{_REQUEST} WHERE training_id = :tr AND status = 'paid' RETURNING id",
        tr=training_id,
        reason=reason,
        now=now,
    )
    return sorted(r["id"] for r in rows)


def retry_failed_refund(tx: Tx, payment_id: int, *, now: datetime) -> bool:
    """refund_failed → refund_pending again (an operator's decision) under a new idempotence
    key: the old one may be remembered by the provider with its refusal. A refund the provider
    did make under the old key cannot be repeated: no provider refunds more than was paid."""
    return bool(
        tx.execute(
            "UPDATE payments SET status = 'refund_pending', refund_next_at = :now,"
            " refund_key = gen_random_uuid(),"
            " refund_attempts = 0, refund_last_error = NULL, updated_at = now()"
            " WHERE id = :id AND status = 'refund_failed'",
            id=payment_id,
            now=now,
        )
    )


# --- refund work -----------------------------------------------------------------------------
def claim_refund(
    tx: Tx, *, now: datetime, lease_until: datetime, payment_id: int | None = None
) -> Row | None:
    """Take one due refund (the given one, or the most overdue): its next attempt moves to
    `lease_until`, so another worker skips it while this one talks to the provider."""
    claimed = tx.value(
        "UPDATE payments SET refund_attempts = refund_attempts + 1, refund_next_at = :lease,"
        " updated_at = now() WHERE id = (SELECT id FROM payments WHERE status = 'refund_pending'"
        " AND refund_next_at <= :now AND (CAST(:pid AS bigint) IS NULL OR id = :pid)"
        " ORDER BY refund_next_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
        now=now,
        lease=lease_until,
        pid=payment_id,
    )
    return None if claimed is None else work_row(tx, claimed)


def work_row(tx: Tx, payment_id: int) -> Row | None:
    return tx.one(f"SELECT {_WORK_COLUMNS}{_WORK_FROM} WHERE p.id = :id", id=payment_id)


def note_refund_pending(tx: Tx, payment_id: int, *, refund_id: str, next_at: datetime) -> bool:
    """The provider accepted the refund and will finish it later: poll at `next_at`."""
    return bool(
        tx.execute(
            "UPDATE payments SET refund_id = :rid, refund_next_at = :next,"
            " refund_last_error = NULL, updated_at = now()"
            " WHERE id = :id AND status = 'refund_pending'",
            id=payment_id,
            rid=refund_id,
            next=next_at,
        )
    )


def note_refund_retry(tx: Tx, payment_id: int, *, error: str, next_at: datetime) -> bool:
    return bool(
        tx.execute(
            "UPDATE payments SET refund_last_error = :err, refund_next_at = :next,"
            " updated_at = now() WHERE id = :id AND status = 'refund_pending'",
            id=payment_id,
            err=error[:300],
            next=next_at,
        )
    )


def mark_refunded(tx: Tx, payment_id: int, *, refund_id: str | None, now: datetime) -> bool:
    """→ refunded (terminal). From refund_pending, or from refund_failed when the provider later
    shows the refund went through after all. The registration, if it no longer holds a seat,
    becomes 'refunded'."""
    row = tx.one(
        "UPDATE payments SET status = 'refunded', refunded_kopecks = amount_kopecks,"
        " refund_id = coalesce(:rid, refund_id), refunded_at = :now, refund_next_at = NULL,"
        " refund_last_error = NULL, updated_at = now()"
        " WHERE id = :id AND status IN ('refund_pending', 'refund_failed')"
        " RETURNING registration_id",
        id=payment_id,
        rid=refund_id,
        now=now,
    )
    if row is None:
        return False
    if row["registration_id"] is not None:
        tx.execute(
            "UPDATE registrations SET status = 'refunded', updated_at = now()"
            " WHERE id = :id AND status IN ('cancelled', 'expired')",
            id=row["registration_id"],
        )
    return True


def mark_refunded_outside(tx: Tx, payment_id: int, *, refund_id: str | None, now: datetime) -> bool:
    """A 'paid' payment the provider shows refunded in full by someone else (e.g. from the
    provider's dashboard): the ledger must follow the provider."""
    changed = tx.execute(
        "UPDATE payments SET status = 'refund_pending', refund_key = gen_random_uuid(),"
        " refund_reason = 'manual', refund_requested_at = :now, refund_next_at = :now,"
        " updated_at = now() WHERE id = :id AND status = 'paid'",
        id=payment_id,
        now=now,
    )
    return bool(changed) and mark_refunded(tx, payment_id, refund_id=refund_id, now=now)


def mark_refund_failed(tx: Tx, payment_id: int, *, error: str) -> bool:
    return bool(
        tx.execute(
            "UPDATE payments SET status = 'refund_failed', refund_last_error = :err,"
            " refund_next_at = NULL, updated_at = now()"
            " WHERE id = :id AND status = 'refund_pending'",
            id=payment_id,
            err=error[:300],
        )
    )


def payment_for_refund(tx: Tx, provider: str, refund_id: str) -> Row | None:
    return tx.one(
        "SELECT id, status, amount_kopecks, currency FROM payments"
        " WHERE provider = :p AND refund_id = :r",
        p=provider,
        r=refund_id,
    )


def payment_for_charge(tx: Tx, provider: str, charge_id: str) -> Row | None:
    return tx.one(
        "SELECT id, status, amount_kopecks, currency, refund_id FROM payments"
        " WHERE provider = :p AND provider_payment_charge_id = :c ORDER BY id LIMIT 1",
        p=provider,
        c=charge_id,
    )


def refund_counts(tx: Tx) -> Row:
    """Backlog figures for the job's report."""
    return tx.one(
        "SELECT count(*) FILTER (WHERE status = 'refund_pending') AS pending,"
        " count(*) FILTER (WHERE status = 'refund_failed') AS failed FROM payments"
    )  # type: ignore[return-value]


# --- provider notifications ------------------------------------------------------------------
def notification_seen(tx: Tx, provider: str, notification_id: str) -> bool:
    return bool(
        tx.value(
            "SELECT 1 FROM payment_notifications WHERE provider = :p AND notification_id = :n",
            p=provider,
            n=notification_id,
        )
    )


def record_notification(
    tx: Tx, provider: str, notification_id: str, *, event: str, outcome: str
) -> bool:
    """False when it was recorded already (a concurrent delivery of the same notification)."""
    return (
        tx.value(
            "INSERT INTO payment_notifications (provider, notification_id, event, outcome)"
            " VALUES (:p, :n, :e, :o) ON CONFLICT DO NOTHING RETURNING 1",
            p=provider,
            n=notification_id[:200],
            e=event[:100],
            o=outcome[:100],
        )
        is not None
    )


# --- training cancellation -------------------------------------------------------------------
def set_training_cancelled(tx: Tx, training_id: int) -> bool:
    return bool(
        tx.execute(
            "UPDATE trainings SET status = 'cancelled', updated_at = now()"
            " WHERE id = :id AND status <> 'cancelled'",
            id=training_id,
        )
    )


def active_registrations(tx: Tx, training_id: int) -> list[Row]:
    """Every registration still active at this training, locked, with whom to tell."""
    return tx.all(
        "SELECT r.id, r.status, p.telegram_id, p.language FROM registrations r"
        " LEFT JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :tr"
        " AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')"
        " ORDER BY r.id FOR UPDATE OF r",
        tr=training_id,
    )


# --- ledger ----------------------------------------------------------------------------------
def money_by_training(tx: Tx, training_ids: list[int], currency: str) -> dict[int, Row]:
    rows = tx.all(
        "SELECT training_id, count(*) AS payments,"
        " coalesce(sum(amount_kopecks), 0) AS paid,"
        " coalesce(sum(refunded_kopecks), 0) AS refunded,"
        " coalesce(sum(amount_kopecks) FILTER (WHERE status = 'refund_pending'), 0)"
        "   AS refund_pending,"
        " coalesce(sum(amount_kopecks) FILTER (WHERE status = 'refund_failed'), 0)"
        "   AS refund_failed,"
        " count(*) FILTER (WHERE status = 'refunded') AS refunds"
        " FROM payments WHERE training_id = ANY(:ids) AND currency = :cur GROUP BY training_id",
        ids=training_ids,
        cur=currency,
    )
    return {r.pop("training_id"): r for r in rows}
