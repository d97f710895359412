"""Data access for the channel plan: a training's seats with what the allocator needs, moving
seats, pinning a channel, and recording the channel freeze."""

from __future__ import annotations

from datetime import datetime

from fpv.db import Row, Tx


def training(tx: Tx, training_id: int, *, for_update: bool = False) -> Row | None:
    """The training with its venue's legal range and freeze offset; `for_update` takes the
    training lock every seat change goes through (see registrations.lock_training)."""
    lock = " FOR UPDATE OF t" if for_update else ""
    return tx.one(
        "SELECT t.id, t.title, t.starts_at, t.status, t.channels_frozen_at,"  # noqa: S608
        " v.min_mhz, v.max_mhz, v.channel_freeze_hours"
        " FROM trainings t JOIN venues v ON v.id = t.venue_id"
        f" WHERE t.id = :id{lock}",
        id=training_id,
    )


def seats(tx: Tx, training_id: int) -> list[Row]:
    """Every seated registration (holding or paid) with its pilot's equipment, by heat."""
    return tx.all(
        "SELECT r.id, r.pilot_id, r.channel_mhz, r.channel_label, r.heat, r.channel_pinned,"
        " p.equipment, p.nickname, p.telegram_id, p.language"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE r.training_id = :tr AND r.status IN ('pending_payment', 'confirmed')"
        " ORDER BY r.heat, r.id",
        tr=training_id,
    )


def move_seats(tx: Tx, moves: list[tuple[int, int, str]]) -> None:
    """New channels (registration id, MHz, label). The moved seats let go of their channels
    first, so that pilots may swap channels without meeting the one-pilot-per-channel index
    (checked row by row) halfway."""
    if not moves:
        return
    tx.execute(
        "UPDATE registrations SET channel_mhz = NULL WHERE id = ANY(CAST(:ids AS bigint[]))",
        ids=[m[0] for m in moves],
    )
    tx.execute(
        "UPDATE registrations r SET channel_mhz = m.mhz, channel_label = m.label,"
        " updated_at = now()"
        " FROM (SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:mhz AS integer[]),"
        "   CAST(:labels AS text[])) AS x(id, mhz, label)) m"
        " WHERE r.id = m.id",
        ids=[m[0] for m in moves],
        mhz=[m[1] for m in moves],
        labels=[m[2] for m in moves],
    )


def pin(tx: Tx, registration_id: int, pinned: bool = True) -> None:
    tx.execute(
        "UPDATE registrations SET channel_pinned = :p WHERE id = :id",
        id=registration_id,
        p=pinned,
    )


def mark_frozen(tx: Tx, training_id: int, now: datetime) -> bool:
    """Record the freeze; False when it was already recorded (the caller then changes nothing)."""
    return bool(
        tx.execute(
            "UPDATE trainings SET channels_frozen_at = :now"
            " WHERE id = :id AND channels_frozen_at IS NULL",
            id=training_id,
            now=now,
        )
    )


def due_for_freeze(tx: Tx, now: datetime) -> list[int]:
    """Scheduled trainings not yet frozen whose start is within their venue's freeze offset."""
    rows = tx.all(
        "SELECT t.id FROM trainings t JOIN venues v ON v.id = t.venue_id"
        " WHERE t.status = 'scheduled' AND t.channels_frozen_at IS NULL AND t.starts_at > :now"
        " AND t.starts_at <= :now + make_interval(hours => v.channel_freeze_hours)"
        " ORDER BY t.starts_at, t.id",
        now=now,
    )
    return [int(r["id"]) for r in rows]
