"""Small builders for test data, through the same data-access functions the product uses."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from fpv.dal import catalog, people
from fpv.db import Database

_seq = itertools.count(1)


def make_venue(
    db: Database,
    *,
    time_zone: str = "Europe/Moscow",
    min_mhz: int = 5645,
    max_mhz: int = 5945,
    cancel_cutoff_hours: int = 12,
) -> int:
    n = next(_seq)
    with db.transaction() as tx:
        city = catalog.upsert_city(tx, slug=f"city-{n}", name_ru=f"Город {n}", name_en=f"City {n}")
        return catalog.upsert_venue(
            tx,
            city_id=city,
            slug=f"venue-{n}",
            name=f"Площадка {n}",
            address="ул. Тестовая, 1",
            time_zone=time_zone,
            min_mhz=min_mhz,
            max_mhz=max_mhz,
            cancel_cutoff_hours=cancel_cutoff_hours,
        )


def make_training(
    db: Database,
    *,
    venue_id: int | None = None,
    capacity: int = 8,
    price_kopecks: int = 0,
    starts_in: timedelta = timedelta(days=2),
    now: datetime | None = None,
    title: str = "Тренировка",
    **venue: object,
) -> int:
    venue_id = venue_id or make_venue(db, **venue)  # type: ignore[arg-type]
    starts = (now or datetime.now(UTC)) + starts_in
    with db.transaction() as tx:
        return catalog.insert_training(
            tx,
            venue_id=venue_id,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=capacity,
            price_kopecks=price_kopecks,
        )


def make_pilot(
    db: Database,
    telegram_id: int,
    *,
    nickname: str | None = None,
    equipment: str | None = None,
    language: str = "ru",
) -> int:
    with db.transaction() as tx:
        people.record_consent(tx, telegram_id=telegram_id, policy_version="test")
        pilot_id = people.insert_pilot(
            tx,
            telegram_id=telegram_id,
            nickname=nickname or f"pilot{telegram_id}",
            language=language,
        )
        if equipment is not None:
            tx.execute("UPDATE pilots SET equipment = :e WHERE id = :id", e=equipment, id=pilot_id)
        return pilot_id
