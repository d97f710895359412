"""How a time zone reads to people: "МСК" / "MSK" for Moscow time, "UTC+7" for the others.

IANA names such as "Europe/Moscow" mean nothing to a pilot; the offset they know does. The label
is taken at a given moment, so a zone with daylight saving time shows the offset then in force.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Zones whose clocks are Moscow time (people there say "по Москве" / "МСК").
MOSCOW_ZONES = frozenset(
    {"Europe/Moscow", "W-SU", "Europe/Simferopol", "Europe/Kirov", "Europe/Volgograd"}
)
_MOSCOW_OFFSET = timedelta(hours=3)
_MOSCOW_LABEL = {"ru": "МСК", "en": "MSK"}


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def offset_label(offset: timedelta) -> str:
    """UTC, UTC+7, UTC-3, UTC+5:30, UTC+5:45."""
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str, at: datetime, lang: str) -> str:
    """The zone as people name it at the moment `at` (naive = UTC): "МСК" in Russian and "MSK"
    in English for Moscow time, "UTC+7" style otherwise. An unknown zone reads "UTC", which is
    what the times are then shown in."""
    info = _zone(zone)
    if info is None:
        return "UTC"
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    offset = moment.astimezone(info).utcoffset() or timedelta(0)
    if zone in MOSCOW_ZONES and offset == _MOSCOW_OFFSET:
        return _MOSCOW_LABEL.get(lang, _MOSCOW_LABEL["en"])
    return offset_label(offset)
