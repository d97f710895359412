"""SQL of the admin exports and the pass figures of the dashboard."""

from __future__ import annotations

from datetime import datetime

from fpv.db import Row, Tx

_ALL = "(CAST(:all_venues AS boolean) OR {col} = ANY(CAST(:venues AS bigint[])))"


def _scope(venues: list[int] | None) -> dict[str, object]:
    return {"all_venues": venues is None, "venues": venues or []}


def training(tx: Tx, training_id: int) -> Row | None:
    return tx.one(
        "SELECT t.id, t.venue_id, t.title, t.starts_at, t.ends_at, t.price_kopecks, t.status,"
        " v.name AS venue_name, v.time_zone FROM trainings t JOIN venues v ON v.id = t.venue_id"
        " WHERE t.id = :id",
        id=training_id,
    )


def pilot_list(tx: Tx, training_id: int) -> list[Row]:
    """Every registration but the expired holds, heat by heat, with how the seat is paid: the
    latest payment row, and the pass credit it holds (returned or not)."""
    return tx.all(
        "SELECT r.id, p.nickname, r.pilot_id, r.status, r.channel_mhz, r.channel_label, r.heat,"
        " r.attendance, r.waitlist_position,"
        " pay.status AS payment_status, pay.amount_kopecks, pay.refunded_kopecks,"
        " u.pass_id, u.returned_at AS pass_returned_at"
        " FROM registrations r LEFT JOIN pilots p ON p.id = r.pilot_id"
        " LEFT JOIN LATERAL (SELECT status, amount_kopecks, refunded_kopecks FROM payments"
        "   WHERE registration_id = r.id ORDER BY id DESC LIMIT 1) pay ON true"
        " LEFT JOIN pass_uses u ON u.registration_id = r.id"
        " WHERE r.training_id = :t AND r.status <> 'expired'"
        " ORDER BY CASE WHEN r.status IN ('pending_payment', 'confirmed') THEN 0"
        "   WHEN r.status = 'waitlisted' THEN 1 ELSE 2 END,"
        " r.heat, r.channel_mhz NULLS LAST, r.waitlist_position NULLS LAST, r.id",
        t=training_id,
    )


def venue_names(tx: Tx) -> dict[int, str]:
    return {r["id"]: r["name"] for r in tx.all("SELECT id, name FROM venues")}


# --- passes on the dashboard ------------------------------------------------------------------
# Pass payments made in [since, until): revenue is recognised when a pass is bought (a seat paid
# with a credit has no payment). Grouped per pass first, so a pass paid twice counts once.
_BOUGHT = (
    "(SELECT pass_id, count(*) AS payments, sum(amount_kopecks) AS paid,"
    " sum(refunded_kopecks) AS refunded FROM payments"
    " WHERE pass_id IS NOT NULL AND currency = 'RUB'"
    " AND created_at >= :since AND created_at < :until GROUP BY pass_id) m"
    " JOIN passes s ON s.id = m.pass_id JOIN pass_products pr ON pr.id = s.product_id"
)


def pass_usage(tx: Tx, venues: list[int] | None, *, since: datetime, until: datetime) -> list[Row]:
    """Per pass product (a local admin's scope leaves club-wide products out): the passes paid
    for in the period, their credits (sold; in use now) and their money."""
    return tx.all(
        "SELECT pr.id AS product_id, pr.title, pr.venue_id, pr.trainings, pr.price_kopecks,"  # noqa: S608 - constants
        " count(*) AS sold, sum(m.payments) AS payments,"
        " count(*) FILTER (WHERE s.status = 'refunded') AS refunded_passes,"
        " count(*) FILTER (WHERE s.credits_total IS NULL) AS unlimited,"
        " coalesce(sum(s.credits_total), 0) AS credits_sold,"
        " coalesce(sum(s.credits_used), 0) AS credits_used,"
        " coalesce(sum(m.paid), 0) AS paid, coalesce(sum(m.refunded), 0) AS refunded"
        f" FROM {_BOUGHT} WHERE {_ALL.format(col='pr.venue_id')}"
        " GROUP BY pr.id ORDER BY pr.venue_id NULLS FIRST, pr.id",
        since=since,
        until=until,
        **_scope(venues),
    )
