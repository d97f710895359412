"""Find fast: the schedule's filters, one definition for the static pages and for the checks.

Every filter is a plain link to a pre-rendered page (works without JavaScript); the page's script
combines them in place on /schedule.html (same rules, in site.js). "Today" and "this week" are
the venue's local dates at the publication (schedule.json carries each venue's `today` and
`week_end`), and the periodic refresh republishes when the date turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fpv.site.model import LANGS, page_url

WHEN = ("today", "week", "weekend")
DIMENSIONS = ("when", "city", "venue", "track", "seats", "price")


def matches(training: dict[str, Any], place: dict[str, Any], /, **wanted: str | None) -> bool:
    """Does the training pass every given filter (None = any)? `wanted` keys: DIMENSIONS."""
    when = wanted.get("when")
    if when:
        day, today, end = training["day"], place["today"], place["week_end"]
        if when == "today" and day != today:
            return False
        if when in ("week", "weekend") and not today <= day <= end:
            return False
        if when == "weekend" and date.fromisoformat(day).isoweekday() < 6:
            return False
    if wanted.get("city") and training["city"] != wanted["city"]:
        return False
    if wanted.get("venue") and training["venue"] != wanted["venue"]:
        return False
    if wanted.get("track") and training["track_type"] != wanted["track"]:
        return False
    if wanted.get("seats") == "free" and not (training["open"] and training["seats_left"] > 0):
        return False
    price = wanted.get("price")
    if price == "free" and training["price_kopecks"] > 0:
        return False
    return not (price == "paid" and training["price_kopecks"] <= 0)


@dataclass(frozen=True)
class ListPage:
    """A pre-rendered list: the whole schedule or one filter of it."""

    dimension: str  # "" for the whole schedule
    value: str
    title_key: str

    def url(self, lang: str) -> str:
        if not self.dimension:
            return page_url("schedule", "", lang)
        return page_url(self.dimension, self.value, lang)

    def urls(self) -> dict[str, str]:
        return {lang: self.url(lang) for lang in LANGS}

    def select(self, doc: dict[str, Any], venues: dict[str, dict[str, Any]]) -> list[dict]:
        if not self.dimension:
            return list(doc["trainings"])
        return [
            tr
            for tr in doc["trainings"]
            if matches(tr, venues[tr["venue"]], **{self.dimension: self.value})
        ]


SCHEDULE = ListPage("", "", "site.list.all")


def list_pages(doc: dict[str, Any]) -> list[ListPage]:
    """The whole schedule, then each filter that can have trainings (track types present)."""
    pages = [SCHEDULE]
    pages += [ListPage("when", w, f"site.filter.when.{w}") for w in WHEN]
    tracks = sorted({tr["track_type"] for tr in doc["trainings"]})
    pages += [ListPage("track", track, f"site.track.{track}") for track in tracks]
    pages.append(ListPage("seats", "free", "site.filter.seats.free"))
    pages += [ListPage("price", p, f"site.filter.price.{p}") for p in ("free", "paid")]
    return pages
