"""Data access for registrations: seats, holds, the waitlist, and forgetting a person."""

from __future__ import annotations

from datetime import datetime

from fpv.dal import apis
from fpv.db import Row, Tx

ACTIVE = ("waitlisted", "pending_payment", "confirmed")
SEATED = ("pending_payment", "confirmed")


def pilot_by_telegram(tx: Tx, telegram_id: int, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(
        "SELECT id, telegram_id, nickname, language, equipment, reachable FROM pilots"  # noqa: S608
        f" WHERE telegram_id = :t{lock}",
        t=telegram_id,
    )


def lock_training(tx: Tx, training_id: int) -> Row | None:
    """Locks the training row: every change to its seats goes through this lock, so concurrent
    sign-ups for one training are serialised and the last seat has exactly one winner."""
    return tx.one(
        "SELECT t.id, t.title, t.starts_at, t.capacity, t.seats_taken, t.price_kopecks, t.status,"
        " t.venue_id, t.track_type, v.min_mhz, v.max_mhz, v.cancel_cutoff_hours, v.time_zone"
        " FROM trainings t JOIN venues v ON v.id = t.venue_id WHERE t.id = :id FOR UPDATE OF t",
        id=training_id,
    )


def active_for_pilot(
    tx: Tx, training_id: int, pilot_id: int, *, for_update: bool = False
) -> Row | None:
    """The pilot's one active registration at a training (the schema allows no second)."""
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(
        "SELECT id, status FROM registrations WHERE training_id = :tr AND pilot_id = :p"  # noqa: S608
        f" AND status IN ('waitlisted', 'pending_payment', 'confirmed'){lock}",
        tr=training_id,
        p=pilot_id,
    )


def seated(tx: Tx, training_id: int) -> list[Row]:
    return tx.all(
        "SELECT r.id, r.pilot_id, r.channel_mhz, r.heat, p.equipment FROM registrations r"
        " JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :tr"
        " AND r.status IN ('pending_payment', 'confirmed') ORDER BY r.id",
        tr=training_id,
    )


def insert(
    tx: Tx,
    *,
    training_id: int,
    pilot_id: int,
    status: str,
    channel_mhz: int | None,
    channel_label: str | None,
    hold_expires_at: datetime | None,
    waitlist_position: int | None,
    heat: int = 1,
) -> Row:
    return tx.one(
        "INSERT INTO registrations (training_id, pilot_id, status, channel_mhz, channel_label,"
        " hold_expires_at, waitlist_position, heat)"
        " VALUES (:tr, :p, :status, :mhz, :label, :hold, :pos, :heat)"
        " RETURNING id, public_id::text AS public_id, status, channel_mhz, channel_label, heat,"
        " hold_expires_at, waitlist_position",
        tr=training_id,
        p=pilot_id,
        status=status,
        mhz=channel_mhz,
        label=channel_label,
        hold=hold_expires_at,
        pos=waitlist_position,
        heat=heat,
    )  # type: ignore[return-value]


def next_waitlist_position(tx: Tx, training_id: int) -> int:
    return int(
        tx.value(
            "SELECT coalesce(max(waitlist_position), 0) + 1 FROM registrations"
            " WHERE training_id = :tr AND status = 'waitlisted'",
            tr=training_id,
        )
    )


def waitlist_rank(tx: Tx, registration_id: int) -> int:
    """1-based place in the queue as the pilot sees it (positions may have gaps)."""
    return int(
        tx.value(
            "SELECT count(*) FROM registrations w JOIN registrations r ON r.id = :id"
            " WHERE w.training_id = r.training_id AND w.status = 'waitlisted'"
            " AND (w.waitlist_position, w.id) <= (r.waitlist_position, r.id)",
            id=registration_id,
        )
    )


def registration(tx: Tx, registration_id: int, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE OF r" if for_update else ""
    return tx.one(
        "SELECT r.id, r.public_id::text AS public_id, r.training_id, r.pilot_id, r.status,"  # noqa: S608
        " r.channel_mhz, r.channel_label, r.heat, r.hold_expires_at, p.telegram_id, p.language"
        " FROM registrations r LEFT JOIN pilots p ON p.id = r.pilot_id"
        f" WHERE r.id = :id{lock}",
        id=registration_id,
    )


def registration_by_public_id(tx: Tx, public_id: str) -> Row | None:
    return tx.one(
        "SELECT id, training_id FROM registrations WHERE public_id::text = :pid", pid=public_id
    )


def set_status(
    tx: Tx,
    registration_id: int,
    status: str,
    *,
    hold_expires_at: datetime | None = None,
    channel_mhz: int | None = None,
    channel_label: str | None = None,
    heat: int = 1,
    keep_channel: bool = True,
) -> None:
    """New status; with keep_channel=False also a new channel and heat (a seat given or moved)."""
    tx.execute(
        "UPDATE registrations SET status = :status, hold_expires_at = :hold, updated_at = now(),"
        " channel_mhz = CASE WHEN :keep THEN channel_mhz ELSE :mhz END,"
        " channel_label = CASE WHEN :keep THEN channel_label ELSE :label END,"
        " heat = CASE WHEN :keep THEN heat ELSE :heat END,"
        " waitlist_position = CASE WHEN :status = 'waitlisted' THEN waitlist_position END"
        " WHERE id = :id",
        id=registration_id,
        status=status,
        hold=hold_expires_at,
        keep=keep_channel,
        mhz=channel_mhz,
        label=channel_label,
        heat=heat,
    )


def waitlisted(tx: Tx, training_id: int) -> list[Row]:
    return tx.all(
        "SELECT r.id, r.pilot_id, p.telegram_id, p.language, p.equipment FROM registrations r"
        " JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :tr AND r.status = 'waitlisted'"
        " ORDER BY r.waitlist_position, r.id",
        tr=training_id,
    )


def trainings_with_expired_holds(tx: Tx, now: datetime) -> list[int]:
    rows = tx.all(
        "SELECT DISTINCT training_id FROM registrations"
        " WHERE status = 'pending_payment' AND hold_expires_at <= :now ORDER BY training_id",
        now=now,
    )
    return [r["training_id"] for r in rows]


def expired_holds(tx: Tx, training_id: int, now: datetime) -> list[Row]:
    return tx.all(
        "SELECT id FROM registrations WHERE training_id = :tr"
        " AND status = 'pending_payment' AND hold_expires_at <= :now"
        " ORDER BY id FOR UPDATE",
        tr=training_id,
        now=now,
    )


def for_pilot(tx: Tx, pilot_id: int, now: datetime) -> list[Row]:
    return tx.all(
        "SELECT r.id, r.public_id::text AS public_id, r.status, r.channel_mhz, r.channel_label,"
        " r.heat, r.hold_expires_at, r.training_id, t.title, t.starts_at, t.ends_at,"
        " t.price_kopecks, t.status AS training_status, v.name AS venue_name, v.time_zone,"
        " v.cancel_cutoff_hours FROM registrations r JOIN trainings t ON t.id = r.training_id"
        " JOIN venues v ON v.id = t.venue_id WHERE r.pilot_id = :p AND t.ends_at > :now"
        " AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')"
        " ORDER BY t.starts_at, r.id",
        p=pilot_id,
        now=now,
    )


def active_training_ids_for_pilot(tx: Tx, pilot_id: int) -> list[int]:
    rows = tx.all(
        "SELECT DISTINCT training_id FROM registrations WHERE pilot_id = :p"
        " AND status IN ('waitlisted', 'pending_payment', 'confirmed') ORDER BY training_id",
        p=pilot_id,
    )
    return [r["training_id"] for r in rows]


def forget_pilot(tx: Tx, *, pilot_id: int | None, telegram_id: int) -> None:
    """/delete_me after the registrations are released: the pilot row goes (registrations and
    payments keep their rows for accounting with pilot_id NULL via ON DELETE SET NULL), consent
    goes, and the deletion is recorded so a backup restore can re-apply it."""
    if pilot_id is not None:
        # results stay for the other pilots' history, without the nickname
        tx.execute("UPDATE heat_results SET callsign = NULL WHERE pilot_id = :id", id=pilot_id)
        tx.execute("DELETE FROM pilots WHERE id = :id", id=pilot_id)
    tx.execute("DELETE FROM user_consent WHERE telegram_id = :t", t=telegram_id)
    apis.forget_person(tx, telegram_id)  # the app's devices and sign-ins, the private feed
    tx.execute(
        "INSERT INTO deletion_ledger (telegram_id) VALUES (:t)"
        " ON CONFLICT (telegram_id) DO UPDATE SET deleted_at = now()",
        t=telegram_id,
    )


def seats_taken(tx: Tx, training_id: int) -> int:
    return int(tx.value("SELECT seats_taken FROM trainings WHERE id = :id", id=training_id))


def training_limits(tx: Tx, training_id: int) -> Row | None:
    return tx.one(
        "SELECT t.id, v.min_mhz, v.max_mhz FROM trainings t JOIN venues v ON v.id = t.venue_id"
        " WHERE t.id = :id",
        id=training_id,
    )


def pilot_equipment(tx: Tx, pilot_id: int) -> str:
    return str(tx.value("SELECT equipment FROM pilots WHERE id = :id", id=pilot_id))


def record_refund_decision(tx: Tx, registration_id: int, decision: str, rule: str) -> None:
    tx.execute(
        "UPDATE registrations SET refund_decision = :d, refund_rule = :r WHERE id = :id",
        id=registration_id,
        d=decision,
        r=rule,
    )


def upcoming_training_ids_for_pilot(tx: Tx, pilot_id: int, now: datetime) -> list[int]:
    """Trainings not yet started where the pilot holds or waits for a seat (id order)."""
    rows = tx.all(
        "SELECT DISTINCT r.training_id FROM registrations r"
        " JOIN trainings t ON t.id = r.training_id"
        " WHERE r.pilot_id = :p AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')"
        " AND t.starts_at > :now ORDER BY r.training_id",
        p=pilot_id,
        now=now,
    )
    return [r["training_id"] for r in rows]


def upcoming_with_money(tx: Tx, pilot_id: int, now: datetime) -> list[Row]:
    """The pilot's upcoming active registrations with what they paid (still held by us)."""
    return tx.all(
        "SELECT r.id, r.training_id, r.status, t.title, t.starts_at, t.status AS training_status,"
        " v.time_zone, v.cancel_cutoff_hours,"
        " COALESCE((SELECT sum(p.amount_kopecks) FROM payments p WHERE p.registration_id = r.id"
        "   AND p.status = 'paid'), 0)::bigint AS paid_kopecks,"
        " (SELECT min(p.currency) FROM payments p WHERE p.registration_id = r.id"
        "   AND p.status = 'paid') AS currency"
        " FROM registrations r JOIN trainings t ON t.id = r.training_id"
        " JOIN venues v ON v.id = t.venue_id"
        " WHERE r.pilot_id = :p AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')"
        " AND t.starts_at > :now ORDER BY t.starts_at, r.id",
        p=pilot_id,
        now=now,
    )
