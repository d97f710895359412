"""Demo data for `make run`: two cities in different time zones, venues, a fortnight of trainings
and a few demo pilots already seated, so every page has something real to show."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fpv.dal import catalog, people, seats
from fpv.dal import passes as passes_dal
from fpv.db import Database

DEMO_POLICY_VERSION = "demo"

_CITIES = [
    (
        "moscow",
        "Москва",
        "Moscow",
        [
            (
                "moscow-luzhniki-hall",
                "Манеж «Лужники»",
                "Лужнецкая наб., 24",
                "Europe/Moscow",
                55.7158,
                37.5537,
            ),
            (
                "moscow-drone-park",
                "Дрон-парк Строгино",
                "Строгинская пойма",
                "Europe/Moscow",
                55.8038,
                37.4020,
            ),
        ],
    ),
    (
        "novosibirsk",
        "Новосибирск",
        "Novosibirsk",
        [
            (
                "nsk-sibir-arena",
                "Арена «Сибирь»",
                "ул. Ипподромская, 46",
                "Asia/Novosibirsk",
                55.0415,
                82.9346,
            ),
        ],
    ),
]
_DEMO_PILOTS = [
    (9_000_001, "Skywalker", 5658, "R1"),
    (9_000_002, "Korvin", 5732, "R3"),
    (9_000_003, "Vortex", 5843, "R6"),
]


def seed_demo(db: Database, *, now: datetime | None = None) -> bool:
    """Seeds once: returns False (and changes nothing) when any city already exists."""
    now = now or datetime.now(UTC)
    with db.transaction() as tx:
        if catalog.count_cities(tx) > 0:
            return False
        first_training = None
        for c_slug, ru, en, venues in _CITIES:
            city_id = catalog.upsert_city(tx, slug=c_slug, name_ru=ru, name_en=en)
            for i, (v_slug, name, address, tz, lat, lon) in enumerate(venues):
                venue_id = catalog.upsert_venue(
                    tx,
                    city_id=city_id,
                    slug=v_slug,
                    name=name,
                    address=address,
                    time_zone=tz,
                    latitude=lat,
                    longitude=lon,
                )
                zone = ZoneInfo(tz)
                for day in range(1 + i, 15, 3):
                    local_day = (now.astimezone(zone) + timedelta(days=day)).date()
                    starts = datetime.combine(local_day, time(19, 0), zone)
                    paid = day % 2 == 0
                    tid = catalog.insert_training(
                        tx,
                        venue_id=venue_id,
                        title="Вечерняя гонка" if paid else "Открытая тренировка",
                        track_type="race" if paid else "open",
                        starts_at=starts.astimezone(UTC),
                        ends_at=(starts + timedelta(hours=3)).astimezone(UTC),
                        capacity=8,
                        price_kopecks=50_000 if paid else 0,
                    )
                    first_training = first_training or tid
        for telegram_id, nickname, mhz, label in _DEMO_PILOTS:
            people.record_consent(tx, telegram_id=telegram_id, policy_version=DEMO_POLICY_VERSION)
            pilot_id = people.insert_pilot(
                tx, telegram_id=telegram_id, nickname=nickname, show_on_site=True
            )
            seats.insert_confirmed(
                tx,
                training_id=first_training,
                pilot_id=pilot_id,
                channel_mhz=mhz,
                channel_label=label,
            )
        # a club-wide season pass on sale (bought in the bot's "Passes" menu)
        passes_dal.insert_product(
            tx,
            venue_id=None,
            title="Абонемент на 4 тренировки",
            trainings=4,
            valid_days=30,
            price_kopecks=180_000,
            track_types=[],
        )
    return True
