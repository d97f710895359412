"""Data access for the outbox: effects queued in the transaction that caused them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fpv.db import Row, Tx

_COLUMNS = "id, kind, payload, telegram_id, attempts, created_at"


def insert(
    tx: Tx,
    *,
    kind: str,
    payload: dict[str, Any],
    telegram_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue an effect; None when one with the same dedupe key is already queued."""
    return tx.value(
        "INSERT INTO outbox (kind, payload, telegram_id, dedupe_key, next_at)"
        " VALUES (:kind, CAST(:payload AS jsonb), :tid, :key, now())"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        kind=kind,
        payload=json.dumps(payload, ensure_ascii=False),
        tid=telegram_id,
        key=dedupe_key,
    )


def claim(
    tx: Tx, *, now: datetime, lease_until: datetime, ids: list[int] | None, limit: int
) -> list[Row]:
    """Take due rows (only `ids` when given), oldest first; their next attempt moves to the end
    of the lease so a concurrent worker skips them while this one delivers."""
    return tx.all(
        f"UPDATE outbox SET attempts = attempts + 1, next_at = :lease"  # noqa: S608 - constant
        f" WHERE id IN (SELECT id FROM outbox WHERE done_at IS NULL AND next_at <= :now"
        f" AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[])))"
        f" ORDER BY next_at, id LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}",
        now=now,
        lease=lease_until,
        ids=ids,
        limit=limit,
    )


def finish(tx: Tx, outbox_id: int, *, outcome: str, now: datetime, error: str | None) -> None:
    tx.execute(
        "UPDATE outbox SET done_at = :now, outcome = :outcome, last_error = :error"
        " WHERE id = :id AND done_at IS NULL",
        id=outbox_id,
        now=now,
        outcome=outcome,
        error=error and error[:300],
    )


def retry_at(tx: Tx, outbox_id: int, *, next_at: datetime, error: str) -> None:
    tx.execute(
        "UPDATE outbox SET next_at = :at, last_error = :error WHERE id = :id AND done_at IS NULL",
        id=outbox_id,
        at=next_at,
        error=error[:300],
    )


def forget_person(tx: Tx, telegram_id: int) -> int:
    """/delete_me: nothing more is sent to the person, and no text about them is kept."""
    return tx.execute("DELETE FROM outbox WHERE telegram_id = :t", t=telegram_id)


def purge_done(tx: Tx, *, before: datetime) -> int:
    return tx.execute("DELETE FROM outbox WHERE done_at IS NOT NULL AND done_at < :b", b=before)


def pending(tx: Tx) -> list[Row]:
    return tx.all(
        f"SELECT {_COLUMNS}, next_at, last_error FROM outbox"  # noqa: S608 - constant
        " WHERE done_at IS NULL ORDER BY id"
    )


def row(tx: Tx, outbox_id: int) -> Row | None:
    return tx.one(
        f"SELECT {_COLUMNS}, next_at, done_at, outcome, last_error FROM outbox"  # noqa: S608
        " WHERE id = :id",
        id=outbox_id,
    )
