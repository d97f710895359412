"""Data access for the public site: one consistent snapshot of what the site shows, and the
advisory lock that serialises publishers (Lambda containers, the local runner, the CLI)."""

from __future__ import annotations

from datetime import datetime

from fpv.dal import catalog
from fpv.dal import passes as passes_dal
from fpv.dal import results as results_dal
from fpv.db import Row, Tx

BOARD_SIZE = 50  # pilots shown per city and season

# pg_advisory_lock key of "the site is being published" ("fpvsite" in ASCII)
PUBLISH_LOCK_KEY = 0x66707673697465


def cities(tx: Tx) -> list[Row]:
    return tx.all("SELECT id, slug, name_ru, name_en FROM cities ORDER BY name_ru, slug")


def venues(tx: Tx) -> list[Row]:
    return tx.all(
        "SELECT id, city_id, slug, name, address, latitude, longitude, time_zone,"
        " cancel_cutoff_hours, min_mhz, max_mhz FROM venues ORDER BY name, slug"
    )


def upcoming_trainings(tx: Tx, *, now: datetime) -> list[Row]:
    """Every training that has not ended yet, cancelled ones included (the site and the feeds
    show them as cancelled). No limit: the site publishes all of them."""
    return tx.all(
        "SELECT t.id, t.public_id::text AS public_id, t.venue_id, t.title, t.track_type,"
        " t.starts_at, t.ends_at, t.capacity, t.seats_taken, t.price_kopecks, t.status,"
        " t.notes, t.created_at, t.updated_at, t.revision"
        " FROM trainings t WHERE t.ends_at > :now ORDER BY t.starts_at, t.id",
        now=now,
    )


def seated_channels(tx: Tx, training_ids: list[int]) -> dict[int, list[Row]]:
    """Channels held per training (nickname only for pilots who opted in)."""
    if not training_ids:
        return {}
    return catalog.taken_channels(tx, training_ids)


def boards(tx: Tx) -> list[dict]:
    """Every season's leaderboard per city, through the ratings' own board query (only pilots
    who show their nickname on the site): [{season, city_id, rows}]. A few cities and seasons:
    one small query each."""
    seasons = [r["season"] for r in tx.all("SELECT DISTINCT season FROM pilot_ratings")]
    city_ids = [r["id"] for r in tx.all("SELECT id FROM cities ORDER BY id")]
    found = []
    for season in sorted(seasons, reverse=True):
        for city_id in city_ids:
            rows = results_dal.leaderboard(tx, season, city_id, BOARD_SIZE)
            if rows:
                found.append({"season": season, "city_id": city_id, "rows": rows})
    return found


def pass_products(tx: Tx) -> list[Row]:
    """The season passes on sale (what the bot offers)."""
    return passes_dal.products(tx)


def acquire_publish_lock(tx: Tx, *, timeout_ms: int) -> int:
    """Waits (at most `timeout_ms`) for the session-level publish lock; returns this session's
    backend pid, which later proves the lock is still held (same session)."""
    tx.value("SELECT set_config('lock_timeout', :ms, true)", ms=f"{int(timeout_ms)}ms")
    tx.value("SELECT pg_advisory_lock(:key)", key=PUBLISH_LOCK_KEY)
    return int(tx.value("SELECT pg_backend_pid()"))


def release_publish_lock(tx: Tx) -> bool:
    return bool(tx.value("SELECT pg_advisory_unlock(:key)", key=PUBLISH_LOCK_KEY))


def backend_pid(tx: Tx) -> int:
    return int(tx.value("SELECT pg_backend_pid()"))
