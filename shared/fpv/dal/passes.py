"""Data access for season passes: products, pilots' passes, credits used by registrations."""

from __future__ import annotations

from datetime import datetime

from fpv.db import Row, Tx

_ABONEMENT_ROW = (
    "SELECT s.id, s.public_id::text AS public_id, s.product_id, s.pilot_id, s.status,"
    " s.credits_total, s.credits_used, s.valid_from, s.valid_until, pr.title, pr.venue_id,"
    " pr.track_types, pr.price_kopecks, pr.valid_days, pp.telegram_id, pp.language,"
    " v.name AS venue_name, COALESCE(v.time_zone, 'Europe/Moscow') AS time_zone"
    " FROM passes s JOIN pass_products pr ON pr.id = s.product_id"
    " LEFT JOIN pilots pp ON pp.id = s.pilot_id LEFT JOIN venues v ON v.id = pr.venue_id"
)


def insert_product(
    tx: Tx,
    *,
    venue_id: int | None,
    title: str,
    trainings: int | None,
    valid_days: int,
    price_kopecks: int,
    track_types: list[str],
) -> int:
    return tx.value(
        "INSERT INTO pass_products (venue_id, title, trainings, valid_days, price_kopecks,"
        " track_types) VALUES (:v, :title, :n, :days, :price, CAST(:tracks AS text[]))"
        " RETURNING id",
        v=venue_id,
        title=title,
        n=trainings,
        days=valid_days,
        price=price_kopecks,
        tracks=track_types,
    )


def products(tx: Tx, *, active_only: bool = True) -> list[Row]:
    return tx.all(
        "SELECT pr.id, pr.venue_id, pr.title, pr.trainings, pr.valid_days, pr.price_kopecks,"
        " pr.track_types, pr.active, v.name AS venue_name FROM pass_products pr"
        " LEFT JOIN venues v ON v.id = pr.venue_id"
        " WHERE (NOT :active OR pr.active) ORDER BY pr.venue_id NULLS FIRST, pr.price_kopecks",
        active=active_only,
    )


def product(tx: Tx, product_id: int) -> Row | None:
    return tx.one(
        "SELECT id, venue_id, title, trainings, valid_days, price_kopecks, track_types, active"
        " FROM pass_products WHERE id = :id",
        id=product_id,
    )


def venue_exists(tx: Tx, venue_id: int) -> bool:
    return bool(tx.value("SELECT EXISTS (SELECT 1 FROM venues WHERE id = :v)", v=venue_id))


def products_in(tx: Tx, venue_ids: list[int] | None) -> list[Row]:
    """Every product, retired ones too, with how many were sold: all (None) or the club-wide
    ones and these venues' (a local admin's)."""
    return tx.all(
        "SELECT pr.id, pr.venue_id, pr.title, pr.trainings, pr.valid_days, pr.price_kopecks,"
        " pr.track_types, pr.active, pr.created_at, v.name AS venue_name,"
        " (SELECT count(*) FROM passes s WHERE s.product_id = pr.id"
        "   AND s.status <> 'pending_payment') AS sold"
        " FROM pass_products pr LEFT JOIN venues v ON v.id = pr.venue_id"
        " WHERE (CAST(:all_venues AS boolean) OR pr.venue_id IS NULL"
        "   OR pr.venue_id = ANY(CAST(:venues AS bigint[])))"
        " ORDER BY pr.active DESC, pr.venue_id NULLS FIRST, pr.price_kopecks, pr.id",
        all_venues=venue_ids is None,
        venues=venue_ids or [],
    )


def retire_product(tx: Tx, product_id: int) -> bool:
    """Off sale (passes already bought stay valid). False: it was already retired."""
    return bool(
        tx.execute(
            "UPDATE pass_products SET active = false WHERE id = :id AND active", id=product_id
        )
    )


def sold(
    tx: Tx,
    venue_ids: list[int] | None,
    *,
    product_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Row]:
    """Passes bought (not those still waiting for payment), newest first, with credits used and
    left and the payment's state: all (None) or these venues' products' (club-wide passes are
    a superadmin's)."""
    return tx.all(
        "SELECT s.id, s.product_id, pr.title, pr.venue_id, v.name AS venue_name, s.status,"
        " s.pilot_id, pp.nickname, pp.telegram_id, s.credits_total, s.credits_used,"
        " CASE WHEN s.credits_total IS NULL THEN NULL ELSE s.credits_total - s.credits_used END"
        " AS credits_left, s.valid_from, s.valid_until, pr.price_kopecks,"
        " pay.status AS payment_status, pay.amount_kopecks, pay.refunded_kopecks"
        " FROM passes s JOIN pass_products pr ON pr.id = s.product_id"
        " LEFT JOIN venues v ON v.id = pr.venue_id LEFT JOIN pilots pp ON pp.id = s.pilot_id"
        " LEFT JOIN LATERAL (SELECT status, amount_kopecks, refunded_kopecks FROM payments"
        "   WHERE pass_id = s.id ORDER BY id LIMIT 1) pay ON true"
        " WHERE s.status <> 'pending_payment'"
        " AND (CAST(:all_venues AS boolean) OR pr.venue_id = ANY(CAST(:venues AS bigint[])))"
        " AND (CAST(:product AS bigint) IS NULL OR s.product_id = :product)"
        " AND (CAST(:status AS text) IS NULL OR s.status = :status)"
        " ORDER BY s.valid_from DESC NULLS LAST, s.id DESC LIMIT :limit OFFSET :offset",
        all_venues=venue_ids is None,
        venues=venue_ids or [],
        product=product_id,
        status=status,
        limit=limit,
        offset=offset,
    )


def insert_pass(tx: Tx, *, product_id: int, pilot_id: int, credits_total: int | None) -> Row:
    return tx.one(
        "INSERT INTO passes (product_id, pilot_id, status, credits_total)"
        " VALUES (:p, :pilot, 'pending_payment', :n) RETURNING id, public_id::text AS public_id",
        p=product_id,
        pilot=pilot_id,
        n=credits_total,
    )


def lock_pilot(tx: Tx, pilot_id: int) -> None:
    tx.value("SELECT id FROM pilots WHERE id = :id FOR UPDATE", id=pilot_id)


def recent_pending(tx: Tx, *, pilot_id: int, product_id: int, minutes: int) -> int | None:
    """The pilot's pass of this product still waiting for payment, asked for lately."""
    return tx.value(
        "SELECT id FROM passes WHERE pilot_id = :pilot AND product_id = :product"
        " AND status = 'pending_payment' AND created_at > now() - make_interval(mins => :m)"
        " ORDER BY id DESC LIMIT 1",
        pilot=pilot_id,
        product=product_id,
        m=minutes,
    )


def pass_by_id(tx: Tx, pass_id: int, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE OF s" if for_update else ""
    return tx.one(f"{_ABONEMENT_ROW} WHERE s.id = :id{lock}", id=pass_id)


def pass_by_public_id(tx: Tx, public_id: str, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE OF s" if for_update else ""
    return tx.one(
        f"{_ABONEMENT_ROW} WHERE s.public_id = CAST(:pid AS uuid){lock}",
        pid=public_id,
    )


def activate(tx: Tx, pass_id: int, *, now: datetime) -> bool:
    return bool(
        tx.execute(
            "UPDATE passes s SET status = 'active', valid_from = CAST(:now AS timestamptz),"
            " valid_until = CAST(:now AS timestamptz) + make_interval(days => pr.valid_days)"
            " FROM pass_products pr WHERE pr.id = s.product_id AND s.id = :id"
            " AND s.status = 'pending_payment'",
            id=pass_id,
            now=now,
        )
    )


def set_refunded(tx: Tx, pass_id: int) -> None:
    tx.execute("UPDATE passes SET status = 'refunded' WHERE id = :id", id=pass_id)


def usable_for(
    tx: Tx, *, pilot_id: int, venue_id: int, track_type: str, starts_at: datetime
) -> Row | None:
    """The pilot's active pass that covers this training with a credit left, locked: the one
    that ends soonest first (so credits expiring earlier are used first)."""
    return tx.one(
        "SELECT s.id, s.credits_total, s.credits_used, s.valid_until FROM passes s"
        " JOIN pass_products pr ON pr.id = s.product_id"
        " WHERE s.pilot_id = :pilot AND s.status = 'active'"
        " AND s.valid_from <= :starts AND s.valid_until > :starts"
        " AND (pr.venue_id IS NULL OR pr.venue_id = :venue)"
        " AND (cardinality(pr.track_types) = 0 OR :track = ANY(pr.track_types))"
        " AND (s.credits_total IS NULL OR s.credits_used < s.credits_total)"
        " ORDER BY s.valid_until, s.id LIMIT 1 FOR UPDATE OF s",
        pilot=pilot_id,
        starts=starts_at,
        venue=venue_id,
        track=track_type,
    )


def use_credit(tx: Tx, *, pass_id: int, registration_id: int) -> None:
    tx.execute(
        "INSERT INTO pass_uses (registration_id, pass_id) VALUES (:r, :p)",
        r=registration_id,
        p=pass_id,
    )
    tx.execute("UPDATE passes SET credits_used = credits_used + 1 WHERE id = :p", p=pass_id)


def credit_of(tx: Tx, registration_id: int) -> Row | None:
    """The credit this registration holds (not returned), if a pass paid for it."""
    return tx.one(
        "SELECT registration_id, pass_id FROM pass_uses"
        " WHERE registration_id = :r AND returned_at IS NULL",
        r=registration_id,
    )


def return_credit(tx: Tx, *, registration_id: int, now: datetime) -> int | None:
    """Give the credit back; the pass id, or None when there was none to return."""
    pass_id = tx.value(
        "UPDATE pass_uses SET returned_at = :now WHERE registration_id = :r"
        " AND returned_at IS NULL RETURNING pass_id",
        r=registration_id,
        now=now,
    )
    if pass_id is not None:
        tx.execute("UPDATE passes SET credits_used = credits_used - 1 WHERE id = :p", p=pass_id)
    return pass_id


def for_pilot(tx: Tx, pilot_id: int, now: datetime) -> list[Row]:
    return tx.all(
        f"{_ABONEMENT_ROW} WHERE s.pilot_id = :pilot AND s.status = 'active'"
        " AND s.valid_until > :now ORDER BY s.valid_until",
        pilot=pilot_id,
        now=now,
    )


def expiring(tx: Tx, *, now: datetime, until: datetime) -> list[Row]:
    """Active passes ending between now and `until` (the 3-day reminder)."""
    return tx.all(
        f"{_ABONEMENT_ROW} WHERE s.status = 'active' AND s.valid_until > :now"
        " AND s.valid_until <= :until AND s.pilot_id IS NOT NULL",
        now=now,
        until=until,
    )


def payment_for_pass(tx: Tx, pass_id: int) -> Row | None:
    return tx.one(
        "SELECT id, status, amount_kopecks FROM payments WHERE pass_id = :p ORDER BY id LIMIT 1",
        p=pass_id,
    )
