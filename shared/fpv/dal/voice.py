"""Data access for the voice assistant: who is an admin, proposals, and what the tools read."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fpv.db import Row, Tx


# --- admins ----------------------------------------------------------------------------------
def active_admin_by_telegram(tx: Tx, telegram_id: int) -> Row | None:
    return tx.one(
        "SELECT id, telegram_id, role, venue_ids FROM admins WHERE telegram_id = :t AND active",
        t=telegram_id,
    )


def active_admin(tx: Tx, admin_id: int) -> Row | None:
    return tx.one(
        "SELECT id, telegram_id, role, venue_ids FROM admins WHERE id = :id AND active",
        id=admin_id,
    )


# --- proposals -------------------------------------------------------------------------------
def insert_proposal(
    tx: Tx,
    *,
    admin_id: int,
    chat_id: int,
    language: str,
    actions: list[dict[str, Any]],
    now: datetime,
    expires_at: datetime,
) -> str:
    return tx.value(
        "INSERT INTO voice_proposals (admin_id, chat_id, language, actions, created_at,"
        " expires_at) VALUES (:a, :c, :l, CAST(:actions AS jsonb), :now, :exp)"
        " RETURNING id::text",
        a=admin_id,
        c=chat_id,
        l=language,
        actions=json.dumps(actions, ensure_ascii=False),
        now=now,
        exp=expires_at,
    )


def proposal(tx: Tx, proposal_id: str) -> Row | None:
    return tx.one(
        "SELECT id::text AS id, admin_id, chat_id, language, actions, status, expires_at"
        " FROM voice_proposals WHERE id = CAST(:id AS uuid)",
        id=proposal_id,
    )


def claim_proposal(tx: Tx, proposal_id: str, *, admin_id: int, now: datetime) -> Row | None:
    """pending → executing for the admin who was asked, before it expires: one winner."""
    return tx.one(
        "UPDATE voice_proposals SET status = 'executing', decided_at = :now"
        " WHERE id = CAST(:id AS uuid) AND admin_id = :a AND status = 'pending'"
        " AND expires_at > :now RETURNING id::text AS id, actions, language",
        id=proposal_id,
        a=admin_id,
        now=now,
    )


def cancel_proposal(tx: Tx, proposal_id: str, *, admin_id: int, now: datetime) -> bool:
    return bool(
        tx.execute(
            "UPDATE voice_proposals SET status = 'cancelled', decided_at = :now,"
            " actions = '[]'::jsonb WHERE id = CAST(:id AS uuid) AND admin_id = :a"
            " AND status = 'pending'",
            id=proposal_id,
            a=admin_id,
            now=now,
        )
    )


def finish_proposal(tx: Tx, proposal_id: str, *, status: str) -> None:
    """Decided: what was said (the actions' arguments) is not kept."""
    tx.execute(
        "UPDATE voice_proposals SET status = :s, actions = '[]'::jsonb"
        " WHERE id = CAST(:id AS uuid)",
        id=proposal_id,
        s=status,
    )


def purge_proposals(tx: Tx, *, before: datetime) -> int:
    return tx.execute("DELETE FROM voice_proposals WHERE expires_at < :b", b=before)


# --- what the tools read ---------------------------------------------------------------------
_TRAINING = (
    "t.id, t.title, t.track_type, t.starts_at, t.ends_at, t.capacity, t.seats_taken,"
    " t.price_kopecks, t.status, t.venue_id, v.name AS venue_name, v.time_zone,"
    " c.name_ru AS city_name_ru, c.name_en AS city_name_en"
)


def trainings_between(
    tx: Tx,
    *,
    start: datetime,
    end: datetime,
    venue_ids: list[int] | None,
    include_cancelled: bool = False,
    limit: int = 30,
) -> list[Row]:
    """Trainings starting in [start, end), at these venues (None: every venue)."""
    return tx.all(
        f"SELECT {_TRAINING} FROM trainings t JOIN venues v ON v.id = t.venue_id"  # noqa: S608 - constant
        " JOIN cities c ON c.id = v.city_id"
        " WHERE t.starts_at >= :start AND t.starts_at < :end"
        " AND (CAST(:venues AS bigint[]) IS NULL OR t.venue_id = ANY(CAST(:venues AS bigint[])))"
        " AND (t.status = 'scheduled' OR :cancelled)"
        " ORDER BY t.starts_at, t.id LIMIT :limit",
        start=start,
        end=end,
        venues=venue_ids,
        cancelled=include_cancelled,
        limit=limit,
    )


def training(tx: Tx, training_id: int) -> Row | None:
    return tx.one(
        f"SELECT {_TRAINING} FROM trainings t JOIN venues v ON v.id = t.venue_id"  # noqa: S608 - constant
        " JOIN cities c ON c.id = v.city_id WHERE t.id = :id",
        id=training_id,
    )


def venue(tx: Tx, venue_id: int) -> Row | None:
    return tx.one(
        "SELECT id, name, time_zone, cancel_cutoff_hours, default_capacity, default_price_kopecks"
        " FROM venues WHERE id = :id",
        id=venue_id,
    )


def venues(tx: Tx, venue_ids: list[int] | None) -> list[Row]:
    return tx.all(
        "SELECT v.id, v.name, v.time_zone, c.name_ru AS city_name_ru, c.name_en AS city_name_en"
        " FROM venues v JOIN cities c ON c.id = v.city_id"
        " WHERE CAST(:ids AS bigint[]) IS NULL OR v.id = ANY(CAST(:ids AS bigint[]))"
        " ORDER BY v.id",
        ids=venue_ids,
    )


def roster(tx: Tx, training_id: int) -> list[Row]:
    """Every active registration of a training with the pilot's nickname and channel."""
    return tx.all(
        "SELECT r.id, r.status, r.channel_mhz, r.channel_label, r.heat, r.waitlist_position,"
        " p.nickname, p.telegram_id, p.language"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE r.training_id = :tr AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')"
        " ORDER BY r.status = 'waitlisted', r.heat, r.channel_mhz NULLS LAST, r.id",
        tr=training_id,
    )


def registration_by_nickname(tx: Tx, training_id: int, nickname: str) -> Row | None:
    return tx.one(
        "SELECT r.id, r.status, r.channel_mhz, r.channel_label, p.telegram_id, p.nickname"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :tr"
        " AND lower(p.nickname) = lower(:nick)"
        " AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')",
        tr=training_id,
        nick=nickname,
    )


def move_training(tx: Tx, training_id: int, *, starts_at: datetime, ends_at: datetime) -> bool:
    return bool(
        tx.execute(
            "UPDATE trainings SET starts_at = :s, ends_at = :e, updated_at = now()"
            " WHERE id = :id AND status = 'scheduled'",
            id=training_id,
            s=starts_at,
            e=ends_at,
        )
    )


def stats(tx: Tx, *, start: datetime, end: datetime, venue_ids: list[int] | None) -> Row:
    return (
        tx.one(
            "SELECT count(DISTINCT t.id) AS trainings,"
            " count(DISTINCT t.id) FILTER (WHERE t.status = 'cancelled') AS cancelled,"
            " count(r.id) FILTER (WHERE r.status = 'confirmed') AS confirmed,"
            " count(r.id) FILTER (WHERE r.status = 'waitlisted') AS waitlisted,"
            " count(DISTINCT r.pilot_id) FILTER (WHERE r.status = 'confirmed') AS pilots"
            " FROM trainings t LEFT JOIN registrations r ON r.training_id = t.id"
            " WHERE t.starts_at >= :start AND t.starts_at < :end"
            " AND (CAST(:venues AS bigint[]) IS NULL"
            " OR t.venue_id = ANY(CAST(:venues AS bigint[])))",
            start=start,
            end=end,
            venues=venue_ids,
        )
        or {}
    )


def paid_between(tx: Tx, *, start: datetime, end: datetime, venue_ids: list[int] | None) -> Row:
    return (
        tx.one(
            "SELECT coalesce(sum(p.amount_kopecks - p.refunded_kopecks), 0) AS net_kopecks,"
            " count(*) AS payments FROM payments p JOIN trainings t ON t.id = p.training_id"
            " WHERE t.starts_at >= :start AND t.starts_at < :end AND p.currency = 'RUB'"
            " AND (CAST(:venues AS bigint[]) IS NULL"
            " OR t.venue_id = ANY(CAST(:venues AS bigint[])))",
            start=start,
            end=end,
            venues=venue_ids,
        )
        or {}
    )
