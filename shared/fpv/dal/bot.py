"""Data access for the Telegram bot: update idempotency, conversation state, schedule browsing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from fpv.db import Row, Tx

SCOPE = "telegram"

# ---- idempotency (processed_updates, scope 'telegram') -----------------------------------------


def claim_update(tx: Tx, key: str, *, lease_seconds: int, token: UUID | None = None) -> str:
    """Claim an update for processing. Returns 'claimed' (go ahead), 'done' (already processed:
    a redelivery) or 'busy' (another invocation holds a live claim, or gave it back a moment
    ago: Telegram's next redelivery claims it).

    One statement, so the answer always describes one row version: it inserts the claim, takes
    over a claim whose lease has run out, or (locking the row) reports what is there. Checking in
    a second statement could find the row gone (released meanwhile) and answer 'done' for an
    update nobody processed; 'done' is answered only for a row seen marked done."""
    token = token or uuid4()
    row = tx.one(
        "INSERT INTO processed_updates AS p (scope, key, claimed_until, claim_token)"
        " VALUES (:scope, :key,"
        " now() + make_interval(secs => CAST(:lease AS double precision)), CAST(:token AS uuid))"
        " ON CONFLICT (scope, key) DO UPDATE SET"
        " claimed_until = CASE WHEN p.claimed_until < now()"
        " THEN EXCLUDED.claimed_until ELSE p.claimed_until END,"
        " claim_token = CASE WHEN p.claimed_until < now()"
        " THEN EXCLUDED.claim_token ELSE p.claim_token END,"
        " processed_at = CASE WHEN p.claimed_until < now() THEN now() ELSE p.processed_at END"
        " RETURNING p.claim_token = CAST(:token AS uuid) AS mine, p.claimed_until IS NULL AS done",
        scope=SCOPE,
        key=key,
        lease=lease_seconds,
        token=str(token),
    )
    assert row is not None  # INSERT ... ON CONFLICT DO UPDATE returns its row, always
    if row["mine"]:
        return "claimed"
    return "done" if row["done"] else "busy"


def finish_update(tx: Tx, key: str) -> None:
    """Mark the update processed, whoever holds the claim now: the work is done. An upsert, so
    the mark lands even when the claim was given back meanwhile (by a processor that had taken
    it over after this one's lease ran out and then failed): a redelivery is then 'done'."""
    tx.execute(
        "INSERT INTO processed_updates (scope, key) VALUES (:scope, :key)"
        " ON CONFLICT (scope, key) DO UPDATE SET claimed_until = NULL, claim_token = NULL,"
        " processed_at = now()",
        scope=SCOPE,
        key=key,
    )


def release_update(tx: Tx, key: str, *, token: UUID | None = None) -> None:
    """Give a claim back (transient failure): Telegram's redelivery will process it again. With
    the claim's token, only that claim: after a takeover the row is no longer ours to delete."""
    tx.execute(
        "DELETE FROM processed_updates WHERE scope = :scope AND key = :key"
        " AND claimed_until IS NOT NULL"
        " AND (CAST(:token AS uuid) IS NULL OR claim_token = CAST(:token AS uuid))",
        scope=SCOPE,
        key=key,
        token=str(token) if token else None,
    )


def purge_expired_updates(tx: Tx, *, limit: int = 500) -> int:
    return tx.execute(
        "DELETE FROM processed_updates WHERE ctid IN (SELECT ctid FROM processed_updates"
        " WHERE scope = :scope AND expires_at < now() AND claimed_until IS NULL LIMIT :limit)",
        scope=SCOPE,
        limit=limit,
    )


# ---- conversation state ----------------------------------------------------------------------


def get_state(tx: Tx, telegram_id: int) -> Row | None:
    row = tx.one(
        "SELECT state, data::text AS data FROM bot_conversations WHERE telegram_id = :t",
        t=telegram_id,
    )
    if row is not None:
        row["data"] = json.loads(row["data"])
    return row


def set_state(tx: Tx, telegram_id: int, state: str, data: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO bot_conversations (telegram_id, state, data)"
        " VALUES (:t, :s, CAST(:d AS jsonb))"
        " ON CONFLICT (telegram_id) DO UPDATE SET state = EXCLUDED.state, data = EXCLUDED.data,"
        " updated_at = now()",
        t=telegram_id,
        s=state,
        d=json.dumps(data),
    )


def clear_state(tx: Tx, telegram_id: int) -> None:
    tx.execute("DELETE FROM bot_conversations WHERE telegram_id = :t", t=telegram_id)


# ---- schedule browsing -----------------------------------------------------------------------


def cities_with_trainings(tx: Tx, *, now: datetime) -> list[Row]:
    return tx.all(
        "SELECT c.id, c.slug, c.name_ru, c.name_en, count(t.id) AS upcoming FROM cities c"
        " JOIN venues v ON v.city_id = c.id JOIN trainings t ON t.venue_id = v.id"
        " AND t.status = 'scheduled' AND t.starts_at > :now"
        " GROUP BY c.id ORDER BY c.name_ru, c.id",
        now=now,
    )


def city(tx: Tx, city_id: int) -> Row | None:
    return tx.one("SELECT id, slug, name_ru, name_en FROM cities WHERE id = :id", id=city_id)


def venues_with_trainings(tx: Tx, city_id: int, *, now: datetime) -> list[Row]:
    return tx.all(
        "SELECT v.id, v.name, v.address, count(t.id) AS upcoming FROM venues v"
        " JOIN trainings t ON t.venue_id = v.id AND t.status = 'scheduled' AND t.starts_at > :now"
        " WHERE v.city_id = :city GROUP BY v.id ORDER BY v.name, v.id",
        city=city_id,
        now=now,
    )


def venue(tx: Tx, venue_id: int) -> Row | None:
    return tx.one(
        "SELECT v.id, v.city_id, v.name, v.address, v.time_zone FROM venues v WHERE v.id = :id",
        id=venue_id,
    )


def venue_trainings(tx: Tx, venue_id: int, *, now: datetime, offset: int, limit: int) -> list[Row]:
    """Upcoming trainings of a venue, one page (`limit` + 1 rows tells whether more follow)."""
    return tx.all(
        "SELECT t.id, t.title, t.track_type, t.starts_at, t.capacity, t.seats_taken,"
        " t.capacity - t.seats_taken AS seats_left, t.price_kopecks, v.time_zone"
        " FROM trainings t JOIN venues v ON v.id = t.venue_id"
        " WHERE t.venue_id = :venue AND t.status = 'scheduled' AND t.starts_at > :now"
        " ORDER BY t.starts_at, t.id OFFSET :offset LIMIT :limit",
        venue=venue_id,
        now=now,
        offset=offset,
        limit=limit,
    )


def training_by_public_id(tx: Tx, public_id: str) -> int | None:
    return tx.value("SELECT id FROM trainings WHERE public_id::text = :pid", pid=public_id)


def pilot_registration(tx: Tx, telegram_id: int, training_id: int) -> Row | None:
    """The pilot's active registration for a training, if any."""
    return tx.one(
        "SELECT r.id, r.status, r.channel_mhz, r.channel_label, r.hold_expires_at"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE p.telegram_id = :t AND r.training_id = :tr"
        " AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')",
        t=telegram_id,
        tr=training_id,
    )


def waitlist_length(tx: Tx, training_id: int) -> int:
    return int(
        tx.value(
            "SELECT count(*) FROM registrations WHERE training_id = :tr AND status = 'waitlisted'",
            tr=training_id,
        )
    )


def trainings_brief(tx: Tx, training_ids: list[int]) -> dict[int, Row]:
    """Title, start and venue of trainings (for notifications)."""
    rows = tx.all(
        "SELECT t.id, t.title, t.starts_at, t.price_kopecks, v.name AS venue_name, v.time_zone"
        " FROM trainings t JOIN venues v ON v.id = t.venue_id WHERE t.id = ANY(:ids)",
        ids=training_ids,
    )
    return {r["id"]: r for r in rows}
