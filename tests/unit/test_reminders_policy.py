"""When a reminder goes out, and what it says (venue time zone, channel, address, map link)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fpv.jobs.reminders import KIND_BY_NAME, classify, map_url, render_reminder, utc_offset_label

START = datetime(2030, 6, 15, 16, 0, tzinfo=UTC)
EARLY = START - timedelta(days=10)  # registered long before
H24, H1 = KIND_BY_NAME["24h"], KIND_BY_NAME["1h"]


@pytest.mark.parametrize(
    ("kind", "now", "registered_at", "expected"),
    [
        (H24, START - timedelta(hours=24, minutes=1), EARLY, "not_yet"),
        (H24, START - timedelta(hours=24), EARLY, "send"),
        (H24, START - timedelta(hours=21), EARLY, "send"),  # 3 h late: still on time
        (H24, START - timedelta(hours=20, minutes=59), EARLY, "late"),
        (H1, START - timedelta(minutes=61), EARLY, "not_yet"),
        (H1, START - timedelta(minutes=55), EARLY, "send"),
        (H1, START - timedelta(minutes=40), EARLY, "send"),
        (H1, START - timedelta(minutes=39), EARLY, "late"),
        (H1, START, EARLY, "late"),  # started
        # signed up 30 minutes before the start: both moments passed before the sign-up
        (H24, START - timedelta(minutes=25), START - timedelta(minutes=30), "late"),
        (H1, START - timedelta(minutes=25), START - timedelta(minutes=30), "late"),
        # signed up 50 minutes before: the 1 h moment had passed, the confirmation said it all
        (H1, START - timedelta(minutes=45), START - timedelta(minutes=50), "late"),
        # signed up 2 days before: the 24 h reminder is sent
        (H24, START - timedelta(hours=23, minutes=58), START - timedelta(days=2), "send"),
    ],
)
def test_reminder_windows(kind, now, registered_at, expected):
    assert classify(kind, starts_at=START, registered_at=registered_at, now=now) == expected


def _details(**overrides):
    base = {
        "title": "Вечерняя гонка",
        "starts_at": START,
        "time_zone": "Europe/Moscow",
        "venue_name": "Манеж «Лужники»",
        "address": "Лужнецкая наб., 24",
        "latitude": 55.7158,
        "longitude": 37.5537,
        "channel_mhz": 5658,
        "channel_label": "R1",
        "language": "ru",
    }
    return {**base, **overrides}


def test_moscow_venue_utc_plus_3_in_russian():
    text = render_reminder("24h", _details())
    assert "завтра" in text and "«Вечерняя гонка»" in text
    assert "15.06.2030, 19:00" in text  # 16:00 UTC
    assert "UTC+3" in text and "Europe/Moscow" in text
    assert "Манеж «Лужники», Лужнецкая наб., 24" in text
    assert "R1 — 5658 МГц" in text
    assert "https://yandex.ru/maps/?pt=37.553700,55.715800" in text


def test_novosibirsk_venue_utc_plus_7_crosses_midnight_in_english():
    text = render_reminder(
        "1h",
        _details(
            starts_at=datetime(2030, 6, 15, 18, 30, tzinfo=UTC),
            time_zone="Asia/Novosibirsk",
            venue_name="Sibir Arena",
            address="Ippodromskaya 46",
            latitude=55.0415,
            longitude=82.9346,
            channel_mhz=5917,
            channel_label="R8",
            language="en",
        ),
    )
    assert "starts in an hour" in text
    assert "Sun 16 Jun 2030, 01:30" in text  # the next day there
    assert "UTC+7" in text and "Asia/Novosibirsk" in text
    assert "Your channel: R8 — 5917 MHz" in text
    assert "openstreetmap.org/?mlat=55.041500&mlon=82.934600" in text


def test_without_coordinates_the_map_link_searches_the_address():
    text = render_reminder("24h", _details(latitude=None, longitude=None))
    assert "https://yandex.ru/maps/?text=%D0%9B%D1%83%D0%B6" in text


def test_without_address_or_coordinates_there_is_no_map_line():
    text = render_reminder("24h", _details(latitude=None, longitude=None, address=""))
    assert "Карта" not in text and "📍 Манеж «Лужники»\n" in text


def test_without_a_channel_the_pilot_is_told_it_is_assigned_on_site():
    assert "выдаст организатор" in render_reminder(
        "24h", _details(channel_mhz=None, channel_label=None)
    )
    assert "5800 МГц" in render_reminder("24h", _details(channel_mhz=5800, channel_label=None))


def test_unknown_language_falls_back_to_russian():
    assert "Напоминание" in render_reminder("24h", _details(language="de"))


def test_unknown_time_zone_shows_utc_rather_than_failing():
    text = render_reminder("24h", _details(time_zone="Mars/Olympus"))
    assert "16:00" in text and "UTC+0" in text


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Moscow", "UTC+3"),
        ("Asia/Novosibirsk", "UTC+7"),
        ("Asia/Kolkata", "UTC+5:30"),
        ("America/Sao_Paulo", "UTC-3"),
    ],
)
def test_offset_labels(zone, expected):
    from zoneinfo import ZoneInfo

    assert utc_offset_label(START.astimezone(ZoneInfo(zone))) == expected


def test_map_url_needs_something_to_point_at():
    assert map_url("ru", latitude=None, longitude=None, address="  ") is None
