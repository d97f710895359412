"""Time zones as people read them (issue #10.8): "МСК"/"MSK", "UTC+7", never "Europe/Moscow"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fpv.zones import offset_label, zone_label

WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "lang", "at", "label"),
    [
        ("Europe/Moscow", "ru", WINTER, "МСК"),
        ("Europe/Moscow", "en", SUMMER, "MSK"),
        ("Europe/Simferopol", "ru", WINTER, "МСК"),
        ("Asia/Novosibirsk", "ru", WINTER, "UTC+7"),
        ("Asia/Yekaterinburg", "en", SUMMER, "UTC+5"),
        ("Europe/Kaliningrad", "ru", WINTER, "UTC+2"),
        ("Asia/Kolkata", "en", WINTER, "UTC+5:30"),
        ("America/Sao_Paulo", "ru", WINTER, "UTC-3"),
        ("UTC", "ru", WINTER, "UTC"),
        # daylight saving time: the offset in force at that moment
        ("Europe/Berlin", "en", WINTER, "UTC+1"),
        ("Europe/Berlin", "en", SUMMER, "UTC+2"),
        ("America/New_York", "ru", SUMMER, "UTC-4"),
        ("America/New_York", "ru", WINTER, "UTC-5"),
        ("No/Such_Zone", "ru", WINTER, "UTC"),
    ],
)
def test_zone_label(zone, lang, at, label):
    assert zone_label(zone, at, lang) == label


def test_moscow_before_2014_was_utc_plus_4_and_is_not_called_msk_then():
    # from 2011-03-27 to 2014-10-26 Moscow kept UTC+4 all year
    assert zone_label("Europe/Moscow", datetime(2013, 1, 1, tzinfo=UTC), "ru") == "UTC+4"


def test_naive_moment_is_utc():
    assert zone_label("Asia/Novosibirsk", datetime(2026, 1, 1, 20, 0), "en") == "UTC+7"


def test_offset_label_negative_with_minutes():
    assert offset_label(-timedelta(hours=9, minutes=30)) == "UTC-9:30"
    assert offset_label(timedelta(hours=5, minutes=45)) == "UTC+5:45"
