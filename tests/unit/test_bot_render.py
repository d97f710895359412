"""How the bot shows times, prices, channels and equipment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fpv.bot import render
from fpv.bot.handlers.profile import valid_nickname
from fpv.bot.handlers.signup import choice_label

MOMENT = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)  # a Friday


def test_time_is_shown_in_the_venue_zone():
    assert render.when(MOMENT, "Europe/Moscow", "ru") == "пт, 14 марта, 19:00"
    assert render.when(MOMENT, "Asia/Novosibirsk", "en") == "Fri, 14 Mar, 23:00"
    assert render.short_when(MOMENT, "Europe/Moscow", "ru") == "пт 14.03 19:00"
    # crossing midnight changes the date and weekday too
    assert render.short_when(MOMENT.replace(hour=20), "Asia/Novosibirsk", "en") == "Sat 15.03 03:00"


@pytest.mark.parametrize(
    ("kopecks", "lang", "shown"),
    [
        (0, "ru", "бесплатно"),
        (0, "en", "free"),
        (50_000, "ru", "500 ₽"),
        (123_456, "ru", "1\u202f234,56 ₽"),
        (123_456, "en", "1,234.56 RUB"),
        (100_001, "en", "1,000.01 RUB"),
    ],
)
def test_prices(kopecks, lang, shown):
    assert render.price(kopecks, lang) == shown


def test_channel_in_the_pilots_band_and_mhz():
    assert render.channel("F8", 5880, "ru") == "F8 · 5880 МГц"
    assert render.channel("R7", 5880, "en") == "R7 · 5880 MHz"
    assert render.channel(None, None, "en") == "channel to be assigned"


def test_equipment_display_and_band_toggling():
    assert render.equipment("R,F", "en") == "analog, bands R, F"
    assert render.equipment("dji-o3", "ru") == "цифра, DJI O3"
    assert render.toggle_band("R,F", "E") == "R,F,E"  # order kept, new band last
    assert render.toggle_band("R,F", "R") == "F"
    assert render.toggle_band("R", "R") is None  # never no band at all
    assert render.toggle_band("dji-o3", "A") == "A"  # from digital back to analog


def test_every_digital_system_has_a_short_name():
    from fpv.channels import DIGITAL_SYSTEM_IDS

    assert set(DIGITAL_SYSTEM_IDS) <= set(render.DIGITAL_SHORT_NAMES)


@pytest.mark.parametrize(
    ("nickname", "ok"),
    [
        ("Ace", True),
        ("Коршун_77", True),
        ("a.b-c", True),
        ("A", False),  # too short
        ("x" * 33, False),
        ("two words", False),
        ("<script>", False),
        ("Ёжик", True),
        ("Ace\n", False),  # no trailing newline sneaking past an anchor
    ],
)
def test_nickname_rule(nickname, ok):
    assert valid_nickname(nickname) is ok


def test_choice_label():
    assert choice_label("R3", 5732, 100, 74.0) == "R3 5732 · ★100 · ↔74"
    assert choice_label("R1", 5658, 100, None) == "R1 5658 · ★100 · ↔—"
