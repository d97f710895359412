"""Data access for cities, venues and trainings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fpv.db import Row, Tx


def upsert_city(tx: Tx, *, slug: str, name_ru: str, name_en: str) -> int:
    return tx.value(
        "INSERT INTO cities (slug, name_ru, name_en) VALUES (:slug, :ru, :en)"
        " ON CONFLICT (slug) DO UPDATE SET name_ru = EXCLUDED.name_ru, name_en = EXCLUDED.name_en"
        " RETURNING id",
        slug=slug,
        ru=name_ru,
        en=name_en,
    )


def upsert_venue(
    tx: Tx,
    *,
    city_id: int,
    slug: str,
    name: str,
    address: str,
    time_zone: str,
    latitude: float | None = None,
    longitude: float | None = None,
    min_mhz: int = 5650,
    max_mhz: int = 5925,
    cancel_cutoff_hours: int = 12,
) -> int:
    return tx.value(
        "INSERT INTO venues (city_id, slug, name, address, time_zone, latitude, longitude,"
        " min_mhz, max_mhz, cancel_cutoff_hours)"
        " VALUES (:city, :slug, :name, :address, :tz, :lat, :lon, :min, :max, :cutoff)"
        " ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address"
        " RETURNING id",
        city=city_id,
        slug=slug,
        name=name,
        address=address,
        tz=time_zone,
        lat=latitude,
        lon=longitude,
        min=min_mhz,
        max=max_mhz,
        cutoff=cancel_cutoff_hours,
    )


def insert_training(
    tx: Tx,
    *,
    venue_id: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    price_kopecks: int = 0,
    track_type: str = "race",
    notes: str = "",
) -> int:
    return tx.value(
        "INSERT INTO trainings (venue_id, title, track_type, starts_at, ends_at, capacity,"
        " price_kopecks, notes)"
        " VALUES (:venue, :title, :track, :starts, :ends, :cap, :price, :notes)"
        " RETURNING id",
        venue=venue_id,
        title=title,
        track=track_type,
        starts=starts_at,
        ends=ends_at,
        cap=capacity,
        price=price_kopecks,
        notes=notes,
    )


def count_cities(tx: Tx) -> int:
    return int(tx.value("SELECT count(*) FROM cities"))


_TRAINING_COLUMNS = """
    t.id, t.public_id::text AS public_id, t.title, t.track_type, t.starts_at, t.ends_at,
    t.capacity, t.seats_taken, t.capacity - t.seats_taken AS seats_left, t.price_kopecks,
    t.status, t.notes, t.updated_at,
    v.id AS venue_id, v.slug AS venue_slug, v.name AS venue_name, v.address AS venue_address,
    v.time_zone, v.latitude, v.longitude, v.min_mhz, v.max_mhz, v.cancel_cutoff_hours,
    c.id AS city_id, c.slug AS city_slug, c.name_ru AS city_name_ru, c.name_en AS city_name_en
"""


def upcoming_trainings(
    tx: Tx, *, now: datetime, include_cancelled: bool = False, limit: int = 500
) -> list[Row]:
    return tx.all(
        f"SELECT {_TRAINING_COLUMNS} FROM trainings t JOIN venues v ON v.id = t.venue_id"  # noqa: S608 - constant column list
        " JOIN cities c ON c.id = v.city_id"
        " WHERE t.ends_at > :now AND (t.status = 'scheduled' OR :cancelled)"
        " ORDER BY t.starts_at, t.id LIMIT :limit",
        now=now,
        cancelled=include_cancelled,
        limit=limit,
    )


def training(tx: Tx, training_id: int, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE OF t" if for_update else ""
    return tx.one(
        f"SELECT {_TRAINING_COLUMNS} FROM trainings t JOIN venues v ON v.id = t.venue_id"  # noqa: S608 - constant fragments
        f" JOIN cities c ON c.id = v.city_id WHERE t.id = :id{lock}",
        id=training_id,
    )


def taken_channels(tx: Tx, training_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Seated pilots' channels per training (nickname only for pilots who opted in)."""
    rows = tx.all(
        "SELECT r.training_id, r.channel_mhz, r.channel_label, r.heat,"
        " CASE WHEN p.show_on_site THEN p.nickname END AS public_nickname"
        " FROM registrations r LEFT JOIN pilots p ON p.id = r.pilot_id"
        " WHERE r.training_id = ANY(:ids) AND r.status IN ('pending_payment', 'confirmed')"
        " AND r.channel_mhz IS NOT NULL ORDER BY r.training_id, r.heat, r.channel_mhz",
        ids=training_ids,
    )
    result: dict[int, list[dict[str, Any]]] = {tid: [] for tid in training_ids}
    for row in rows:
        result[row.pop("training_id")].append(row)
    return result
