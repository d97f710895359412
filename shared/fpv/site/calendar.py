"""iCalendar feeds (RFC 5545) that Google/Apple Calendar and Outlook can subscribe to.

Each training is one VEVENT with a stable UID (its public id), local times with the venue's
TZID plus the matching VTIMEZONE, and STATUS:CANCELLED once cancelled, so subscribers see the
cancellation instead of a silently vanished event. DTSTAMP is the training's last change, not the
build time: an unchanged feed stays byte-identical and is not re-uploaded.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Timezone

from fpv.site.format import price_text, track_text
from fpv.site.model import SiteConfig
from fpv.texts import t

LANG = "ru"  # feeds speak the product's first language
PRODID = "-//FPV Training Platform//Public schedule//RU"
UID_DOMAIN = "fpv-training"


@lru_cache(maxsize=256)
def _known_zone(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _local(iso: str, zone: str) -> datetime:
    """Local time with the venue's TZID; UTC (written with Z) when the zone is unknown."""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone if _known_zone(zone) else "UTC"))


def event_uid(training: dict[str, Any]) -> str:
    return f"{training['id']}@{UID_DOMAIN}"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_value(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): control characters dropped, \\ ; , escaped, newlines
    as \\n."""
    value = _CONTROL.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def content_line(line: str) -> bytes:
    """One content line, folded at 75 octets (never inside a UTF-8 sequence), CRLF-ended."""
    raw = line.encode()
    if len(raw) <= 75:
        return raw + b"\r\n"
    parts, limit = [], 75
    while raw:
        cut = min(len(raw), limit)
        while cut < len(raw) and raw[cut] & 0xC0 == 0x80:  # a continuation byte: step back
            cut -= 1
        parts.append(raw[:cut])
        raw, limit = raw[cut:], 74  # continuation lines start with a space
    return b"\r\n ".join(parts) + b"\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _date_time(name: str, iso: str, zone: str) -> str:
    moment = _local(iso, zone)
    if zone == "UTC" or not _known_zone(zone):
        return f"{name}:{_utc(moment)}"
    return f"{name};TZID={zone}:{moment.strftime('%Y%m%dT%H%M%S')}"


def event_ical(training: dict[str, Any], venue: dict[str, Any], config: SiteConfig) -> bytes:
    changed = datetime.fromisoformat(training["updated_at"])
    cancelled = training["status"] == "cancelled"
    zone = training["time_zone"]
    lines = [
        t("site.ics.track", LANG, track=track_text(training["track_type"], LANG)),
        t("site.ics.price", LANG, price=price_text(training["price_kopecks"], LANG)),
    ]
    if cancelled:
        lines.insert(0, t("site.ics.cancelled", LANG))
    else:
        lines.append(t("site.ics.signup", LANG, url=training["signup_url"]))
    if training["notes"]:
        lines.append(training["notes"])
    location = ", ".join(part for part in (venue["name"], venue["address"]) if part)
    props = [
        "BEGIN:VEVENT",
        f"UID:{text_value(event_uid(training))}",
        f"DTSTAMP:{_utc(changed)}",
        f"LAST-MODIFIED:{_utc(changed)}",
        # the training's revision grows with every move of time, place or status (migration
        # 0010): a subscribed calendar takes the higher SEQUENCE as the newer event
        f"SEQUENCE:{max(int(training.get('revision') or 0), 1 if cancelled else 0)}",
        _date_time("DTSTART", training["starts_at"], zone),
        _date_time("DTEND", training["ends_at"], zone),
        f"SUMMARY:{text_value(training['title'] + ' — ' + venue['name'])}",
        f"LOCATION:{text_value(location)}",
    ]
    if venue["latitude"] is not None and venue["longitude"] is not None:
        props.append(f"GEO:{venue['latitude']:.6f};{venue['longitude']:.6f}")
    props.append(f"DESCRIPTION:{text_value(chr(10).join(lines))}")
    if config.public_base_url:
        props.append(f"URL:{config.public_base_url}{training['url'][LANG]}")
    props += [f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}", "TRANSP:OPAQUE", "END:VEVENT"]
    return b"".join(content_line(p) for p in props)


@lru_cache(maxsize=64)
def vtimezone(zone: str, year: int) -> bytes:
    """The VTIMEZONE of an IANA zone, with transitions from last year to five years ahead."""
    component = Timezone.from_tzid(
        zone, first_date=date(year - 1, 1, 1), last_date=date(year + 5, 12, 31)
    )
    return component.to_ical()


def feed(name: str, events: list[bytes], zones: list[str], *, year: int) -> bytes:
    # RFC 5545 wants at least one component: an empty feed still carries its time zone.
    # Unknown zones are skipped: their events are written in UTC (see _date_time).
    known = sorted({z for z in zones if z != "UTC" and _known_zone(z)}) or ["Europe/Moscow"]
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{text_value(name)}",
        f"X-WR-TIMEZONE:{next((z for z in zones if _known_zone(z)), known[0])}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    return (
        b"".join(content_line(line) for line in head)
        + b"".join(vtimezone(z, year) for z in known)
        + b"".join(events)
        + b"END:VCALENDAR\r\n"
    )


def calendar_feeds(doc: dict[str, Any], config: SiteConfig, *, year: int) -> dict[str, bytes]:
    """Storage key → feed: everything, per city, per venue."""
    venues = {v["slug"]: v for v in doc["venues"]}
    rendered = [(tr, event_ical(tr, venues[tr["venue"]], config)) for tr in doc["trainings"]]

    def build(name: str, chosen: list[tuple[dict[str, Any], bytes]], zones: list[str]) -> bytes:
        zones = zones + [tr["time_zone"] for tr, _ in chosen]
        return feed(name, [ics for _, ics in chosen], zones, year=year)

    feeds = {
        doc["calendar"].lstrip("/"): build(
            t("site.calendar.name", LANG, name=t("site.calendar.all", LANG)),
            rendered,
            [v["time_zone"] for v in doc["venues"]][:1],
        )
    }
    for city in doc["cities"]:
        chosen = [(tr, ics) for tr, ics in rendered if tr["city"] == city["slug"]]
        city_zones = [v["time_zone"] for v in doc["venues"] if v["city"] == city["slug"]][:1]
        feeds[city["calendar"].lstrip("/")] = build(
            t("site.calendar.name", LANG, name=city["name"][LANG]), chosen, city_zones
        )
    for venue in doc["venues"]:
        chosen = [(tr, ics) for tr, ics in rendered if tr["venue"] == venue["slug"]]
        feeds[venue["calendar"].lstrip("/")] = build(
            t("site.calendar.name", LANG, name=venue["name"]), chosen, [venue["time_zone"]]
        )
    for tr, ics in rendered:  # one event per file: the "download .ics" of a training page
        if "ics" in tr:
            feeds[tr["ics"].lstrip("/")] = build(tr["title"], [(tr, ics)], [])
    return feeds
