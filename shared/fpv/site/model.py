"""The schedule document: the one data structure behind every page, feed and `schedule.json`.

Built from a database snapshot by pure functions, so the pages, the calendar feeds and the JSON
the pages poll can never disagree. Times are shown in the venue's zone (ISO 8601 with offset).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpv.channels.imd import imd_rating
from fpv.db import Row
from fpv.passes import covers
from fpv.site.security import DEFAULT_TILE_ATTRIBUTION, DEFAULT_TILE_URL
from fpv.zones import zone_label

LANGS = ("ru", "en")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{3,64}$")


@dataclass(frozen=True)
class SiteConfig:
    bot_username: str = "fpv_training_bot"
    public_base_url: str = ""  # absolute links in the calendar feeds; "" = leave them out
    poll_seconds: int = 10  # how often open pages poll schedule.json
    home_limit: int = 30  # trainings listed on the home page
    # map tiles ({z}/{x}/{y}); "" = no tiles: the venue list and map links still work
    tile_url: str = DEFAULT_TILE_URL
    tile_attribution: str = DEFAULT_TILE_ATTRIBUTION

    def __post_init__(self) -> None:
        if not _USERNAME.fullmatch(self.bot_username):
            raise ValueError(
                f"TELEGRAM_BOT_USERNAME {self.bot_username!r} is not a Telegram username"
            )
        if not 2 <= self.poll_seconds <= 600:
            raise ValueError("poll_seconds must be between 2 and 600")

    @classmethod
    def from_settings(cls, settings: Any) -> SiteConfig:
        return cls(
            bot_username=str(settings.telegram_bot_username).lstrip("@"),
            public_base_url=(settings.public_base_url or "").rstrip("/"),
            tile_url=settings.site_tile_url,
            tile_attribution=settings.site_tile_attribution,
        )

    @property
    def bot_url(self) -> str:
        return f"https://t.me/{self.bot_username}"

    def signup_url(self, training_id: int) -> str:
        return f"{self.bot_url}?start=training_{training_id}"

    def pass_url(self, product_id: int) -> str:
        """The bot's deep link that offers this season pass (`/start pass_<id>`)."""
        return f"{self.bot_url}?start=pass_{product_id}"


@dataclass(frozen=True)
class Snapshot:
    """What the database says at one instant (one repeatable-read transaction)."""

    cities: list[Row]
    venues: list[Row]
    trainings: list[Row]
    channels: dict[int, list[Row]] = field(default_factory=dict)
    boards: list[dict[str, Any]] = field(default_factory=list)  # [{season, city_id, rows}]
    products: list[Row] = field(default_factory=list)  # season passes on sale


def page_url(kind: str, slug: str, lang: str) -> str:
    prefix = "" if lang == "ru" else f"/{lang}"
    if kind == "home":
        return f"{prefix}/"
    if kind == "schedule":
        return f"{prefix}/schedule.html"
    if kind == "leaderboard":
        return f"{prefix}/leaderboard.html" if not slug else f"{prefix}/leaderboard/{slug}.html"
    return f"{prefix}/{kind}/{slug}.html"


def page_key(url: str) -> str:
    """Storage key of a page URL (a folder URL is its index.html)."""
    key = url.lstrip("/")
    return key + "index.html" if key == "" or key.endswith("/") else key


def calendar_url(kind: str, slug: str = "") -> str:
    return "/calendar/all.ics" if kind == "all" else f"/calendar/{kind}/{slug}.ics"


def google_calendar_event(
    *, title: str, starts_at: datetime, ends_at: datetime, details: str, location: str
) -> str:
    """ "Add to Google Calendar" for one event: its times in UTC (…Z), so the visitor's calendar
    shows them in whatever zone it is set to."""

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": title,
            "dates": f"{utc(starts_at)}/{utc(ends_at)}",
            "details": details,
            "location": location,
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def week_end(today: date) -> date:
    """The Sunday that ends today's week (Monday to Sunday)."""
    return today + timedelta(days=6 - today.weekday())


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # A venue with a broken zone must not take the whole site down: show UTC, visibly.
        return ZoneInfo("UTC")


def _offset(moment: datetime) -> str:
    raw = moment.strftime("%z")  # +0300
    return f"{raw[:3]}:{raw[3:]}"


def map_urls(latitude: float | None, longitude: float | None, address: str) -> dict[str, str]:
    """Yandex Maps for the Russian page, OpenStreetMap for the English one."""
    if latitude is not None and longitude is not None:
        lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
        return {
            "ru": f"https://yandex.ru/maps/?pt={lon},{lat}&z=16&l=map",
            "en": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}",
        }
    text = quote(address, safe="")
    return {
        "ru": f"https://yandex.ru/maps/?text={text}",
        "en": f"https://www.openstreetmap.org/search?query={text}",
    }


def map_apps(latitude: float | None, longitude: float | None, address: str) -> dict[str, str]:
    """ "Open in Yandex Maps / Google Maps" links (a point when known, else a search)."""
    if latitude is not None and longitude is not None:
        lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
        return {
            "yandex": f"https://yandex.ru/maps/?pt={lon},{lat}&z=16&l=map",
            "google": f"https://www.google.com/maps/search/?api=1&query={lat},{lon}",
        }
    text = quote(address, safe="")
    return {
        "yandex": f"https://yandex.ru/maps/?text={text}",
        "google": f"https://www.google.com/maps/search/?api=1&query={text}",
    }


@lru_cache(maxsize=4096)
def _set_rating(freqs: tuple[int, ...]) -> int:
    return imd_rating(freqs)  # sets repeat across trainings (clubs reuse the good ones)


def heat_ratings(channels: list[dict[str, Any]]) -> list[dict[str, int]]:
    """IMD rating (ET's IMDTabler) of each heat's set of frequencies."""
    heats: dict[int, list[int]] = {}
    for ch in channels:
        heats.setdefault(ch["heat"], []).append(ch["mhz"])
    return [
        {"heat": heat, "pilots": len(freqs), "rating": _set_rating(tuple(sorted(freqs)))}
        for heat, freqs in sorted(heats.items())
    ]


def schedule_document(snapshot: Snapshot, config: SiteConfig, *, now: datetime) -> dict[str, Any]:
    """The schedule as published (`generated_at` is added when it is uploaded)."""
    city_by_id = {c["id"]: c for c in snapshot.cities}
    venue_by_id = {v["id"]: v for v in snapshot.venues}
    venue_slug = {v["id"]: v["slug"] for v in snapshot.venues}
    trainings: list[dict[str, Any]] = []
    products = sorted(snapshot.products, key=lambda p: (p["price_kopecks"], p["id"]))
    per_city: dict[str, int] = {}
    per_venue: dict[str, int] = {}
    for row in snapshot.trainings:
        venue = venue_by_id.get(row["venue_id"])
        if venue is None:
            continue
        city = city_by_id[venue["city_id"]]
        zone = _zone(venue["time_zone"])
        starts = row["starts_at"].astimezone(zone)
        ends = row["ends_at"].astimezone(zone)
        cancelled = row["status"] == "cancelled"
        # a cancelled training has no seats to offer, whatever its counters say
        seats_left = 0 if cancelled else max(0, row["capacity"] - row["seats_taken"])
        channels = [
            {
                "heat": ch["heat"],
                "mhz": ch["channel_mhz"],
                "label": ch["channel_label"] or "",
                "pilot": ch["public_nickname"],
            }
            for ch in snapshot.channels.get(row["id"], [])
        ]
        location = ", ".join(p for p in (venue["name"], venue["address"]) if p)
        trainings.append(
            {
                "id": row["public_id"],
                "number": row["id"],
                "revision": row.get("revision", 0),
                "title": row["title"],
                "track_type": row["track_type"],
                "status": row["status"],
                "started": row["starts_at"] <= now,
                "open": not cancelled and row["starts_at"] > now,
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "day": starts.date().isoformat(),
                "time_zone": venue["time_zone"],
                "zone": {lang: zone_label(venue["time_zone"], starts, lang) for lang in LANGS},
                "utc_offset": _offset(starts),
                "venue": venue["slug"],
                "city": city["slug"],
                "price_kopecks": row["price_kopecks"],
                "capacity": row["capacity"],
                "seats_taken": row["seats_taken"],
                "seats_left": seats_left,
                "notes": row["notes"] or "",
                "updated_at": row["updated_at"].astimezone(ZoneInfo("UTC")).isoformat(),
                "channels": channels,
                "ratings": heat_ratings(channels),
                "passes": [
                    p["id"]
                    for p in products
                    if covers(p, venue_id=venue["id"], track_type=row["track_type"])
                ],
                "signup_url": config.signup_url(row["id"]),
                "url": {lang: page_url("training", row["public_id"], lang) for lang in LANGS},
                "ics": calendar_url("training", row["public_id"]),
                "google_calendar": google_calendar_event(
                    title=f"{row['title']} — {venue['name']}",
                    starts_at=row["starts_at"],
                    ends_at=row["ends_at"],
                    details=config.signup_url(row["id"]),
                    location=location,
                ),
            }
        )
        per_city[city["slug"]] = per_city.get(city["slug"], 0) + 1
        per_venue[venue["slug"]] = per_venue.get(venue["slug"], 0) + 1
    cities = [
        {
            "slug": c["slug"],
            "name": {"ru": c["name_ru"], "en": c["name_en"]},
            "trainings": per_city.get(c["slug"], 0),
            "url": {lang: page_url("city", c["slug"], lang) for lang in LANGS},
            "calendar": calendar_url("city", c["slug"]),
        }
        for c in snapshot.cities
    ]
    venues = []
    for v in snapshot.venues:
        zone = _zone(v["time_zone"])
        today = now.astimezone(zone).date()
        venues.append(
            {
                "slug": v["slug"],
                "city": city_by_id[v["city_id"]]["slug"],
                "name": v["name"],
                "address": v["address"] or "",
                "latitude": v["latitude"],
                "longitude": v["longitude"],
                "time_zone": v["time_zone"],
                "utc_offset": _offset(now.astimezone(zone)),
                "zone": {lang: zone_label(v["time_zone"], now, lang) for lang in LANGS},
                "today": today.isoformat(),
                "week_end": week_end(today).isoformat(),
                "cancel_cutoff_hours": v.get("cancel_cutoff_hours", 12),
                "min_mhz": v["min_mhz"],
                "max_mhz": v["max_mhz"],
                "trainings": per_venue.get(v["slug"], 0),
                "map_url": map_urls(v["latitude"], v["longitude"], v["address"] or v["name"]),
                "maps": map_apps(v["latitude"], v["longitude"], v["address"] or v["name"]),
                "url": {lang: page_url("venue", v["slug"], lang) for lang in LANGS},
                "calendar": calendar_url("venue", v["slug"]),
            }
        )
    return {
        "version": 2,
        "poll_seconds": config.poll_seconds,
        "bot_url": config.bot_url,
        "calendar": calendar_url("all"),
        "cities": cities,
        "venues": venues,
        "trainings": trainings,
        "passes": [
            {
                "id": p["id"],
                "title": p["title"],
                "price_kopecks": p["price_kopecks"],
                "trainings": p["trainings"],
                "valid_days": p["valid_days"],
                "venue": venue_slug.get(p["venue_id"]),
                "track_types": sorted(p["track_types"] or []),
                "buy_url": config.pass_url(p["id"]),
            }
            for p in products
            if p["venue_id"] is None or p["venue_id"] in venue_slug
        ],
    }


def leaderboard_document(snapshot: Snapshot, *, now: datetime) -> dict[str, Any]:
    """The leaderboards as published: per season (the current one always, earlier ones that
    have ratings) and city, opted-in pilots only (the snapshot holds nobody else)."""
    city_by_id = {c["id"]: c for c in snapshot.cities}
    current = now.astimezone(UTC).year  # the ratings' season: a calendar year (UTC)
    seasons: dict[int, list[dict[str, Any]]] = {current: []}
    for board in snapshot.boards:
        city = city_by_id.get(board["city_id"])
        if city is None:
            continue
        seasons.setdefault(board["season"], []).append(
            {
                "city": city["slug"],
                "pilots": [
                    {
                        "place": place,
                        "nickname": row["nickname"],
                        "rating": f"{row['ordinal']:.1f}",
                        "races": row["races"],
                        "best_lap": lap_text(row["best_lap_ms"]),
                        "streak": row["streak"],
                        "trainings": row["trainings"],
                    }
                    for place, row in enumerate(board["rows"], start=1)
                ],
            }
        )
    order = {c["slug"]: n for n, c in enumerate(snapshot.cities)}
    return {
        "current": current,
        "seasons": [
            {
                "season": season,
                "boards": sorted(boards, key=lambda b: order[b["city"]]),
                "url": {
                    lang: page_url("leaderboard", "" if season == current else str(season), lang)
                    for lang in LANGS
                },
            }
            for season, boards in sorted(seasons.items(), reverse=True)
        ],
    }


def lap_text(ms: int | None) -> str:
    """A lap time in seconds with milliseconds (11.900), as the bot shows it; "" if none."""
    return "" if not ms else f"{ms / 1000:.3f}"
