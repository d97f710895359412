"""SQL of the organizer use cases: cities, venues, trainings, registrations, pilots, stats.
`venues` arguments: None = every venue (superadmin), else only rows of those venues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fpv.db import Row, Tx

_ALL = "(CAST(:all_venues AS boolean) OR {col} = ANY(CAST(:venues AS bigint[])))"


def _scope(venues: list[int] | None) -> dict[str, Any]:
    return {"all_venues": venues is None, "venues": venues or []}


# --- cities -----------------------------------------------------------------------------------
_CITY = "id, slug, name_ru, name_en"


def cities(tx: Tx, venues: list[int] | None) -> list[Row]:
    return tx.all(
        f"SELECT {_CITY} FROM cities c WHERE CAST(:all_venues AS boolean) OR EXISTS"  # noqa: S608
        " (SELECT 1 FROM venues v WHERE v.city_id = c.id"
        "  AND v.id = ANY(CAST(:venues AS bigint[]))) ORDER BY id",
        **_scope(venues),
    )


def city(tx: Tx, city_id: int) -> Row | None:
    return tx.one(f"SELECT {_CITY} FROM cities WHERE id = :id", id=city_id)  # noqa: S608


def insert_city(tx: Tx, **fields: Any) -> Row:
    row = tx.one(
        f"INSERT INTO cities (slug, name_ru, name_en) VALUES (:slug, :name_ru, :name_en)"  # noqa: S608
        f" RETURNING {_CITY}",
        **fields,
    )
    assert row is not None
    return row


def _update(tx: Tx, table: str, columns: str, row_id: int, fields: dict[str, Any]) -> Row | None:
    sets = ", ".join(f"{name} = :{name}" for name in fields)
    return tx.one(
        f"UPDATE {table} SET {sets} WHERE id = :id RETURNING {columns}",  # noqa: S608 - names checked
        id=row_id,
        **fields,
    )


def update_city(tx: Tx, city_id: int, fields: dict[str, Any]) -> Row | None:
    return _update(tx, "cities", _CITY, city_id, fields)


# --- venues -----------------------------------------------------------------------------------
_VENUE = (
    "id, city_id, slug, name, address, latitude, longitude, time_zone, min_mhz, max_mhz,"
    " cancel_cutoff_hours, default_price_kopecks, default_capacity"
)


def venues(tx: Tx, venues: list[int] | None) -> list[Row]:
    return tx.all(
        f"SELECT {_VENUE} FROM venues WHERE {_ALL.format(col='id')} ORDER BY id",  # noqa: S608
        **_scope(venues),
    )


def venue(tx: Tx, venue_id: int) -> Row | None:
    return tx.one(f"SELECT {_VENUE} FROM venues WHERE id = :id", id=venue_id)  # noqa: S608


def insert_venue(tx: Tx, fields: dict[str, Any]) -> Row:
    names = ", ".join(fields)
    values = ", ".join(f":{n}" for n in fields)
    row = tx.one(
        f"INSERT INTO venues ({names}) VALUES ({values}) RETURNING {_VENUE}",  # noqa: S608
        **fields,
    )
    assert row is not None
    return row


def update_venue(tx: Tx, venue_id: int, fields: dict[str, Any]) -> Row | None:
    return _update(tx, "venues", _VENUE, venue_id, fields)


# --- trainings --------------------------------------------------------------------------------
_TRAINING = (
    "t.id, t.public_id, t.venue_id, t.title, t.track_type, t.starts_at, t.ends_at, t.capacity,"
    " t.seats_taken, t.price_kopecks, t.status, t.notes, t.series_id"
)


def trainings(
    tx: Tx,
    venues: list[int] | None,
    *,
    venue_id: int | None,
    since: datetime | None,
    until: datetime | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[Row]:
    return tx.all(
        f"SELECT {_TRAINING} FROM trainings t WHERE {_ALL.format(col='t.venue_id')}"  # noqa: S608
        " AND (CAST(:venue_id AS bigint) IS NULL OR t.venue_id = :venue_id)"
        " AND (CAST(:since AS timestamptz) IS NULL OR t.starts_at >= :since)"
        " AND (CAST(:until AS timestamptz) IS NULL OR t.starts_at < :until)"
        " AND (CAST(:status AS text) IS NULL OR t.status = :status)"
        " ORDER BY t.starts_at, t.id LIMIT :limit OFFSET :offset",
        venue_id=venue_id,
        since=since,
        until=until,
        status=status,
        limit=limit,
        offset=offset,
        **_scope(venues),
    )


def training(tx: Tx, training_id: int, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(
        f"SELECT {_TRAINING} FROM trainings t WHERE t.id = :id{lock}",  # noqa: S608
        id=training_id,
    )


def insert_training(tx: Tx, fields: dict[str, Any]) -> Row:
    names = ", ".join(fields)
    values = ", ".join(f":{n}" for n in fields)
    row = tx.one(
        f"INSERT INTO trainings AS t ({names}) VALUES ({values}) RETURNING {_TRAINING}",  # noqa: S608
        **fields,
    )
    assert row is not None
    return row


def update_training(tx: Tx, training_id: int, fields: dict[str, Any]) -> Row | None:
    sets = ", ".join(f"{name} = :{name}" for name in fields)
    return tx.one(
        f"UPDATE trainings AS t SET {sets}, updated_at = now() WHERE t.id = :id"  # noqa: S608
        f" RETURNING {_TRAINING}",
        id=training_id,
        **fields,
    )


# --- registrations ----------------------------------------------------------------------------
_REGISTRATION = (
    "r.id, r.training_id, r.pilot_id, p.nickname, p.telegram_id, p.equipment, r.status,"
    " r.channel_mhz, r.channel_label, r.heat, r.attendance, r.hold_expires_at,"
    " r.waitlist_position, r.created_at,"
    " pay.status AS payment_status, pay.amount_kopecks, pay.refunded_kopecks, pay.currency"
)
_PAYMENT_JOIN = (
    " LEFT JOIN LATERAL (SELECT status, amount_kopecks, refunded_kopecks, currency"
    " FROM payments WHERE registration_id = r.id ORDER BY id DESC LIMIT 1) pay ON true"
)


def registrations(tx: Tx, training_id: int) -> list[Row]:
    return tx.all(
        f"SELECT {_REGISTRATION} FROM registrations r"  # noqa: S608
        " LEFT JOIN pilots p ON p.id = r.pilot_id" + _PAYMENT_JOIN + " WHERE r.training_id = :t"
        " ORDER BY r.heat, r.channel_mhz NULLS LAST, r.id",
        t=training_id,
    )


def registration(tx: Tx, registration_id: int) -> Row | None:
    return tx.one(
        f"SELECT {_REGISTRATION}, t.venue_id FROM registrations r"  # noqa: S608
        " JOIN trainings t ON t.id = r.training_id"
        " LEFT JOIN pilots p ON p.id = r.pilot_id" + _PAYMENT_JOIN + " WHERE r.id = :id",
        id=registration_id,
    )


def set_channel(tx: Tx, registration_id: int, mhz: int | None, label: str | None) -> None:
    tx.execute(
        "UPDATE registrations SET channel_mhz = :mhz, channel_label = :label, updated_at = now()"
        " WHERE id = :id",
        mhz=mhz,
        label=label,
        id=registration_id,
    )


def set_attendance(tx: Tx, registration_id: int, attendance: str | None) -> None:
    tx.execute(
        "UPDATE registrations SET attendance = :a, updated_at = now() WHERE id = :id",
        a=attendance,
        id=registration_id,
    )


# --- pilots -----------------------------------------------------------------------------------
def search_pilots(tx: Tx, venues: list[int] | None, *, query: str, limit: int) -> list[Row]:
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return tx.all(
        "SELECT p.id, p.nickname, p.telegram_id FROM pilots p"
        " WHERE p.nickname ILIKE :pattern AND (CAST(:all_venues AS boolean) OR EXISTS"
        "  (SELECT 1 FROM registrations r JOIN trainings t ON t.id = r.training_id"
        "   WHERE r.pilot_id = p.id AND t.venue_id = ANY(CAST(:venues AS bigint[]))))"
        " ORDER BY lower(p.nickname) LIMIT :limit",
        pattern=pattern,
        limit=limit,
        **_scope(venues),
    )


def pilot(tx: Tx, pilot_id: int) -> Row | None:
    return tx.one("SELECT id, nickname, telegram_id FROM pilots WHERE id = :id", id=pilot_id)


def pilot_history(tx: Tx, venues: list[int] | None, pilot_id: int) -> list[Row]:
    return tx.all(
        "SELECT r.id AS registration_id, t.id AS training_id, t.title, t.venue_id, t.starts_at,"  # noqa: S608 - constants
        " r.status, r.channel_mhz, r.channel_label, r.heat, r.attendance,"
        " pay.status AS payment_status"
        " FROM registrations r JOIN trainings t ON t.id = r.training_id" + _PAYMENT_JOIN + ""
        f" WHERE r.pilot_id = :p AND {_ALL.format(col='t.venue_id')}"
        " ORDER BY t.starts_at DESC, r.id DESC",
        p=pilot_id,
        **_scope(venues),
    )


# --- stats ------------------------------------------------------------------------------------
def stats(tx: Tx, venues: list[int] | None, *, since: datetime, until: datetime) -> list[Row]:
    return tx.all(
        "SELECT v.id AS venue_id, v.name,"  # noqa: S608 - constants
        " (SELECT count(*) FROM trainings t WHERE t.venue_id = v.id"
        "   AND t.starts_at >= :since AND t.starts_at < :until) AS trainings,"
        " (SELECT count(*) FROM trainings t WHERE t.venue_id = v.id AND t.status = 'cancelled'"
        "   AND t.starts_at >= :since AND t.starts_at < :until) AS cancelled,"
        " (SELECT count(*) FROM registrations r JOIN trainings t ON t.id = r.training_id"
        "   WHERE t.venue_id = v.id AND r.status = 'confirmed'"
        "   AND t.starts_at >= :since AND t.starts_at < :until) AS confirmed,"
        " (SELECT count(*) FROM registrations r JOIN trainings t ON t.id = r.training_id"
        "   WHERE t.venue_id = v.id AND r.attendance = 'no_show'"
        "   AND t.starts_at >= :since AND t.starts_at < :until) AS no_shows,"
        " (SELECT coalesce(sum(pay.amount_kopecks), 0) FROM payments pay"
        "   JOIN trainings t ON t.id = pay.training_id WHERE t.venue_id = v.id"
        "   AND pay.currency = 'RUB' AND t.starts_at >= :since AND t.starts_at < :until) AS paid,"
        " (SELECT coalesce(sum(pay.refunded_kopecks), 0) FROM payments pay"
        "   JOIN trainings t ON t.id = pay.training_id WHERE t.venue_id = v.id"
        "   AND pay.currency = 'RUB' AND t.starts_at >= :since AND t.starts_at < :until)"
        "   AS refunded"
        f" FROM venues v WHERE {_ALL.format(col='v.id')} ORDER BY v.id",
        since=since,
        until=until,
        **_scope(venues),
    )
