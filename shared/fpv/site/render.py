"""Renders the schedule document into the objects of the site: pages (ru + en), schedule.json,
calendar feeds, QR codes and the content-hashed CSS/JS assets.

Every object is a pure function of (document, config, code). Its digest is the hash of exactly
the data it is rendered from plus the code version (`render_version`), and its bytes are only
produced when the publisher has to upload it: after one sign-up only the handful of pages that
show that training are rendered at all. The "last updated" stamp is outside the digests (it is
written in at upload), so an unchanged page is not re-uploaded just because the clock moved.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.ext import Extension
from markupsafe import Markup, escape

from fpv.ports.storage import StoredObject
from fpv.site.calendar import calendar_feeds
from fpv.site.filters import SCHEDULE, WHEN, ListPage, list_pages
from fpv.site.format import date_text, price_text, track_text, when_text
from fpv.site.model import (
    LANGS,
    SiteConfig,
    Snapshot,
    leaderboard_document,
    page_key,
    page_url,
)
from fpv.site.qr import qr_digest, qr_svg
from fpv.site.security import content_security_policy
from fpv.texts import catalogue, t

UPDATED_PLACEHOLDER = "<!--fpv:updated-->"  # user text can never produce it: "<" is escaped

CACHE = {
    # Pages: browsers re-check after a minute (open pages poll schedule.json anyway); CloudFront
    # keeps them for a day and is invalidated on every change.
    "html": "public, max-age=60, s-maxage=86400",
    # Polled by open pages: always revalidated (ETag), at most 5 s stale at the edge.
    "json": "public, max-age=0, s-maxage=5, must-revalidate",
    "ics": "public, max-age=900, s-maxage=3600",
    "svg": "public, max-age=86400",
    # Content-hashed file names: a changed asset is a new URL.
    "asset": "public, max-age=31536000, immutable",
}
CONTENT_TYPE = {
    "html": "text/html; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
    "svg": "image/svg+xml",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
}

_TEXT_LOOKUP = re.compile(r"\{\{\s*T\['([A-Za-z0-9_.]+)'\]\s*\}\}")


def _text_inliner(lang: str) -> type[Extension]:
    """Compiles `{{ T['key'] }}` to the (escaped) text of this language: a training page holds
    dozens of them, and a constant costs nothing per page. Only plain texts are inlined (no
    template syntax, not blank: inlining those could change how the source is read)."""
    texts = {k: v.get(lang) or v["ru"] for k, v in catalogue().items()}

    def swap(match: re.Match[str]) -> str:
        value = texts.get(match[1])
        if value is None:
            return match[0]  # left to StrictUndefined, as before
        safe = str(escape(value))
        if not safe.strip() or "{" in safe or "}" in safe:
            return match[0]
        return safe

    class InlineTexts(Extension):
        def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
            return _TEXT_LOOKUP.sub(swap, source)

    return InlineTexts


@lru_cache(maxsize=4)
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("fpv.site", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=[_text_inliner(lang)],
    )
    env.filters["user"] = user_text
    return env


_CYRILLIC = re.compile("[\u0400-\u04ff]")


def user_text(text: Any, lang: str) -> Markup:
    """User-entered text (titles, names, notes): isolated in <bdi> so right-to-left text cannot
    reorder the line, and marked Russian on the other languages' pages when it is."""
    value = str(text)
    safe = escape(value)
    if lang != "ru" and _CYRILLIC.search(value):
        return Markup(f'<bdi lang="ru">{safe}</bdi>')  # noqa: S704 (escaped just above)
    return Markup(f"<bdi>{safe}</bdi>")  # noqa: S704 (escaped just above)


VENUE_CHIPS_MAX = 12  # more venues than this: the venue filter is the venue list and its pages
NEXT_PER_VENUE = 3  # trainings listed under a venue on the map


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _data_digest(*parts: Any) -> str:
    return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode())


@lru_cache(maxsize=1)
def assets() -> dict[str, tuple[str, bytes]]:
    """kind → (content-hashed key, bytes) of the site's own CSS and JS."""
    found = {}
    for name, kind in (("site.css", "css"), ("site.js", "js"), ("favicon.svg", "svg")):
        data = resources.files("fpv.site").joinpath("assets", name).read_bytes()
        stem = name.rsplit(".", 1)[0]
        found[kind] = (f"assets/{stem}.{_sha(data)[:12]}.{kind}", data)
    return found


@lru_cache(maxsize=8)
def render_version(config: SiteConfig) -> str:
    """Identity of everything that renders besides the data: templates, assets, this package's
    modules, the texts and the config. A deploy that changes any of them re-renders."""
    digest = hashlib.sha256()
    package = resources.files("fpv.site")
    for folder in (package, package.joinpath("templates"), package.joinpath("assets")):
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_file() and entry.name.rsplit(".", 1)[-1] in (
                "py",
                "j2",
                "css",
                "js",
                "svg",
            ):
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    digest.update(json.dumps(catalogue(), sort_keys=True).encode())
    digest.update(repr(config).encode())
    return digest.hexdigest()


def stable_json(doc: dict[str, Any]) -> bytes:
    """schedule.json without its stamp; "<" ">" "&" escaped so the JSON is inert anywhere."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def stamp_json(stable: bytes, stamp: str) -> bytes:
    return b'{"generated_at":' + json.dumps(stamp).encode() + b"," + stable[1:]


def stamp_html(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    iso = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'<time data-updated datetime="{iso}">{utc.strftime("%d.%m.%Y %H:%M")} UTC</time>'


def qr_key(training: dict[str, Any]) -> str:
    return f"qr/training-{training['number']}.svg"


def _alt(kind: str, slug: str) -> dict[str, str]:
    return {lang: page_url(kind, slug, lang) for lang in LANGS}


class _Language:
    """Rendering in one language; fragments shared by many pages are rendered once per build."""

    def __init__(self, lang: str, site: _Site) -> None:
        self.lang = lang
        self.site = site
        self.texts = {k: v.get(lang) or v["ru"] for k, v in catalogue().items()}
        self.env = _environment(lang)
        self.macros = self.env.get_template("macros.html.j2").module
        self._items: dict[str, Markup] = {}
        self._calendars: dict[str, Markup] = {}
        self._signup_bot: Markup | None = None
        self._days: dict[tuple[str, tuple[str, ...]], Markup] = {}
        self._maps: dict[tuple[str, ...], Markup] = {}
        self._passes: dict[tuple[int, ...], Markup] = {}

    def text(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def base(self, alt: dict[str, str]) -> dict[str, Any]:
        config = self.site.config
        return {
            "lang": self.lang,
            "other": "en" if self.lang == "ru" else "ru",
            "alt": alt,
            "T": self.texts,
            "_": self.text,
            "text_in": lambda language, key: t(key, language),
            "assets": self.site.asset_urls,
            "home_url": page_url("home", "", self.lang),
            "schedule_url": page_url("schedule", "", self.lang),
            "leaderboard_url": page_url("leaderboard", "", self.lang),
            "bot_url": config.bot_url,
            "poll_seconds": config.poll_seconds,
            "csp": self.site.csp,
        }

    def view(self, tr: dict[str, Any]) -> dict[str, str]:
        """The training's display strings in this language."""
        venue = self.site.venues[tr["venue"]]
        seats = self.text("site.card.seats", left="\0", capacity=tr["capacity"])
        before, _, after = seats.partition("\0")
        starts, ends = (
            datetime.fromisoformat(tr["starts_at"]),
            datetime.fromisoformat(tr["ends_at"]),
        )
        return {
            "url": tr["url"][self.lang],
            "when": when_text(tr["starts_at"], tr["ends_at"], self.lang),
            "start": starts.strftime("%H:%M"),
            "end": ends.strftime("%H:%M"),
            "zone": self.text("site.time.zone", zone=tr["zone"][self.lang]),
            "price": price_text(tr["price_kopecks"], self.lang),
            "track": track_text(tr["track_type"], self.lang),
            "seats_of": self.text("site.training.seats_of", capacity=tr["capacity"]),
            "seats_before": before,
            "seats_after": after,
            "signup_label": self.text("site.card.signup_label", title=tr["title"]),
            "city_name": self.site.cities[tr["city"]]["name"][self.lang],
            "venue_name": venue["name"],
            "venue_url": venue["url"][self.lang],
            "today": venue["today"],
            "week_end": venue["week_end"],
        }

    def channel_rows(self, tr: dict[str, Any]) -> Markup:
        """The rows of a training's channel board: built here rather than in the template, as
        they are the most repeated markup of the site (a row per pilot, on 2 pages per
        training): one line per row, `<tr>…</tr>` and a newline."""
        hidden = f'<span class="muted">{escape(self.texts["site.training.pilot_hidden"])}</span>'
        return Markup(  # noqa: S704 (every value escaped)
            "".join(
                f"<tr><td>{escape(ch['heat'])}</td><td>{escape(ch['label'])}</td>"
                f"<td>{escape(ch['mhz'])}</td>"
                f"<td>{user_text(ch['pilot'], self.lang) if ch['pilot'] else hidden}</td></tr>\n"
                for ch in tr["channels"]
            )
        )

    def items(self, trainings: list[dict[str, Any]]) -> Markup:
        parts = []
        for tr in trainings:
            item = self._items.get(tr["id"])
            if item is None:
                item = self._items[tr["id"]] = self.macros.training_item(
                    tr, self.view(tr), self.texts, self.lang
                )
            parts.append(item)
        return Markup("\n".join(parts))  # noqa: S704 (every part is rendered markup)

    def grouped(self, trainings: list[dict[str, Any]]) -> Markup:
        """Trainings grouped by their local day, a heading per day."""
        if not trainings:
            return Markup("")
        days: dict[str, list[dict[str, Any]]] = {}
        for tr in trainings:
            days.setdefault(tr["day"], []).append(tr)
        parts = []
        for day in sorted(days):
            chosen = days[day]
            key = (day, tuple(tr["id"] for tr in chosen))
            section = self._days.get(key)
            if section is None:
                heading = escape(date_text(date.fromisoformat(day), self.lang))
                section = self._days[key] = Markup(  # noqa: S704 (escaped or rendered parts)
                    f'<section class="day" data-day-group="{escape(day)}">'
                    f'<h3 class="day-title">{heading}</h3>\n<ul class="cards">\n'
                    f"{self.items(chosen)}\n</ul>\n</section>"
                )
            parts.append(section)
        return Markup("\n".join(parts))  # noqa: S704 (every part is rendered markup)

    def filters(self, active: ListPage | None, count: int, *, city: str = "") -> Markup:
        site, lang = self.site, self.lang
        any_url = page_url("schedule", "", lang)

        def option(dimension: str, value: str, label: str, url: str) -> dict[str, Any]:
            on = active is not None and active.dimension == dimension and active.value == value
            if dimension == "city":
                on = city == value
            return {"value": value, "label": label, "url": url, "active": on}

        def group(dimension: str, options: list[dict[str, Any]]) -> dict[str, Any]:
            everything = not any(o["active"] for o in options) and dimension != "seats"
            head = [
                {
                    "value": "",
                    "label": self.texts["site.filter.any"],
                    "url": any_url,
                    "active": everything and active is SCHEDULE,
                }
            ]
            label = self.texts[f"site.filter.{dimension}"]
            return {"dimension": dimension, "label": label, "options": head + options}

        by_key = {(p.dimension, p.value): p for p in site.pages}
        groups = [
            group(
                "when",
                [
                    option(
                        "when", w, self.texts[f"site.filter.when.{w}"], by_key["when", w].url(lang)
                    )
                    for w in WHEN
                ],
            ),
        ]
        if len(site.doc["cities"]) > 1:
            groups.append(
                group(
                    "city",
                    [
                        option("city", c["slug"], c["name"][lang], c["url"][lang])
                        for c in site.doc["cities"]
                    ],
                )
            )
        if 1 < len(site.doc["venues"]) <= VENUE_CHIPS_MAX:
            groups.append(
                group(
                    "venue",
                    [
                        option("venue", v["slug"], v["name"], v["url"][lang])
                        for v in site.doc["venues"]
                    ],
                )
            )
        tracks = [p for p in site.pages if p.dimension == "track"]
        groups.append(
            group(
                "track",
                [option("track", p.value, track_text(p.value, lang), p.url(lang)) for p in tracks],
            )
        )
        groups.append(
            group(
                "price",
                [
                    option(
                        "price",
                        p,
                        self.texts[f"site.filter.price.{p}"],
                        by_key["price", p].url(lang),
                    )
                    for p in ("free", "paid")
                ],
            )
        )
        seats = by_key["seats", "free"]
        groups.append(
            {
                "dimension": "seats",
                "label": self.texts["site.filter.seats"],
                "options": [
                    option("seats", "free", self.texts["site.filter.seats.free"], seats.url(lang))
                ],
            }
        )
        template = self.texts["site.filter.count"]
        return self.macros.filters(self.texts, groups, template.format(count=count), template)

    def venue_map(self, venues: list[dict[str, Any]]) -> Markup:
        key = tuple(v["slug"] for v in venues)
        block = self._maps.get(key)
        if block is None:
            block = self._maps[key] = self._venue_map(venues)
        return block

    def _venue_map(self, venues: list[dict[str, Any]]) -> Markup:
        site, lang = self.site, self.lang
        next_items = {
            v["slug"]: [
                {
                    "url": tr["url"][lang],
                    "title": tr["title"],
                    "when": when_text(tr["starts_at"], tr["ends_at"], lang),
                }
                for tr in site.upcoming.get(v["slug"], [])
            ]
            for v in venues
        }
        config = site.config
        return self.macros.venue_map(
            self.texts, lang, venues, next_items, config.tile_url, config.tile_attribution, ""
        )

    def calendar(self, feed: str) -> Markup:
        block = self._calendars.get(feed)
        if block is None:
            google = self.site.google_calendar(feed)
            block = self._calendars[feed] = self.macros.calendar(self.texts, feed, google)
        return block

    def passes(self, ids: list[int]) -> Markup:
        """The season passes that cover a training (or a venue), with the bot's deep link."""
        if not ids:
            return Markup("")
        key = tuple(ids)
        block = self._passes.get(key)
        if block is None:
            items = []
            for product_id in ids:
                p = self.site.products[product_id]
                if p["trainings"] is None:
                    terms = self.text("site.passes.unlimited", days=p["valid_days"])
                else:
                    terms = self.text(
                        "site.passes.count", count=p["trainings"], days=p["valid_days"]
                    )
                tracks = ", ".join(track_text(tt, self.lang) for tt in p["track_types"])
                items.append(
                    {
                        "id": p["id"],
                        "title": p["title"],
                        "terms": terms,
                        "where": self.texts[
                            "site.passes.everywhere" if p["venue"] is None else "site.passes.here"
                        ],
                        "tracks": self.text("site.passes.tracks", tracks=tracks) if tracks else "",
                        "price": price_text(p["price_kopecks"], self.lang),
                        "buy_url": p["buy_url"],
                        "buy_label": self.text("site.passes.buy_label", title=p["title"]),
                    }
                )
            block = self._passes[key] = self.macros.passes(self.texts, self.lang, items)
        return block

    def signup_bot(self) -> Markup:
        if self._signup_bot is None:
            self._signup_bot = self.macros.signup(
                self.texts, self.site.config.bot_url, self.texts["site.signup.bot"], "/qr/bot.svg"
            )
        return self._signup_bot


class _Site:
    def __init__(self, doc: dict[str, Any], config: SiteConfig) -> None:
        self.doc = doc
        self.config = config
        self.version = render_version(config)
        self.cities = {c["slug"]: c for c in doc["cities"]}
        self.venues = {v["slug"]: v for v in doc["venues"]}
        self.products = {p["id"]: p for p in doc.get("passes", [])}
        self.asset_urls = {kind: f"/{key}" for kind, (key, _) in assets().items()}
        self.csp = content_security_policy(config.tile_url, meta=True)
        self.pages = list_pages(doc)
        self.upcoming: dict[str, list[dict[str, Any]]] = {}
        for tr in doc["trainings"]:
            if tr["status"] != "cancelled" and not tr["started"]:
                shown = self.upcoming.setdefault(tr["venue"], [])
                if len(shown) < NEXT_PER_VENUE:
                    shown.append(tr)
        self.langs = {lang: _Language(lang, self) for lang in LANGS}
        # digests of the parts pages are made of, computed once per build
        self.tr_digest = {tr["id"]: _data_digest(tr) for tr in doc["trainings"]}
        self.places_digest = _data_digest(doc["cities"], doc["venues"])
        # what the venue lists show of the next trainings (not seats: a sign-up leaves it alone)
        self.upcoming_shown = {
            slug: [(t["id"], t["title"], t["starts_at"], t["ends_at"]) for t in trs]
            for slug, trs in self.upcoming.items()
        }
        self.upcoming_digest = _data_digest(self.upcoming_shown)
        self.selected = {page: page.select(doc, self.venues) for page in self.pages}

    def venue_passes(self, slug: str) -> list[int]:
        """Products a pilot can use at this venue (any track type)."""
        return [p["id"] for p in self.products.values() if p["venue"] in (None, slug)]

    def passes_digest(self, ids: list[int]) -> list[Any]:
        return [self.products[i] for i in ids]

    def google_calendar(self, feed: str) -> str:
        base = self.config.public_base_url
        if not base:
            return feed  # the page's script makes it absolute from where it is served
        host = base.split("://", 1)[-1]
        return "https://calendar.google.com/calendar/render?cid=" + quote(
            f"webcal://{host}{feed}", safe=""
        )

    def digest(self, key: str, *parts: Any) -> str:
        return _data_digest(self.version, key, *parts)


def _page(key: str, digest: str, render: Callable[[], str], stamp: str) -> StoredObject:
    stamp_bytes = stamp.encode()
    return StoredObject(
        key=key,
        content_type=CONTENT_TYPE["html"],
        cache_control=CACHE["html"],
        digest=digest,
        content=lambda: render().encode(),
        finish=lambda body: body.replace(UPDATED_PLACEHOLDER.encode(), stamp_bytes),
    )


def _static(
    key: str,
    kind: str,
    digest: str,
    content: Callable[[], bytes],
    cache: str,
    finish: Callable[[bytes], bytes] | None = None,
) -> StoredObject:
    if finish is None:
        return StoredObject(key, CONTENT_TYPE[kind], cache, digest, content)
    return StoredObject(key, CONTENT_TYPE[kind], cache, digest, content, finish)


def _home(site: _Site, lang: str, stamp: str) -> StoredObject:
    doc, config, language = site.doc, site.config, site.langs[lang]
    shown = doc["trainings"][: config.home_limit]
    more = len(doc["trainings"]) > config.home_limit
    quick = [
        {
            "label": language.texts[p.title_key],
            "url": p.url(lang),
            "count": len(site.selected[p]),
        }
        for p in site.pages
        if p.dimension == "when"
    ]

    def render() -> str:
        return language.env.get_template("home.html.j2").render(
            language.base(_alt("home", "")),
            trainings_html=language.grouped(shown),
            filters_html=language.filters(None, len(doc["trainings"])),
            map_html=language.venue_map(doc["venues"]),
            quick=quick,
            more=more,
            total=len(doc["trainings"]),
            city_list=doc["cities"],
            signup_html=language.signup_bot(),
            calendar_html=language.calendar(doc["calendar"]),
        )

    key = page_key(page_url("home", "", lang))
    digest = site.digest(
        key,
        site.places_digest,
        site.upcoming_digest,
        [site.tr_digest[t["id"]] for t in shown],
        [q["count"] for q in quick],
        more,
        len(doc["trainings"]),
    )
    return _page(key, digest, render, stamp)


def _list(site: _Site, lang: str, page: ListPage, stamp: str) -> StoredObject:
    doc, language = site.doc, site.langs[lang]
    chosen = site.selected[page]
    heading = language.texts[page.title_key]
    if page.dimension == "track":
        heading = f"{language.texts['site.filter.track']}: {heading}"

    def render() -> str:
        return language.env.get_template("list.html.j2").render(
            language.base(page.urls()),
            heading=heading,
            full_list=page is SCHEDULE,
            trainings_html=language.grouped(chosen),
            filters_html=language.filters(page, len(chosen)),
            signup_html=language.signup_bot(),
            calendar_html=language.calendar(doc["calendar"]),
        )

    key = page_key(page.url(lang))
    digest = site.digest(key, site.places_digest, [site.tr_digest[t["id"]] for t in chosen])
    return _page(key, digest, render, stamp)


def _city(site: _Site, lang: str, city: dict[str, Any], trainings: list, stamp: str):
    language = site.langs[lang]
    venues = [v for v in site.doc["venues"] if v["city"] == city["slug"]]

    def render() -> str:
        return language.env.get_template("city.html.j2").render(
            language.base(_alt("city", city["slug"])),
            city=city,
            city_venues=venues,
            trainings_html=language.grouped(trainings),
            filters_html=language.filters(None, len(trainings), city=city["slug"]),
            map_html=language.venue_map(venues),
            signup_html=language.signup_bot(),
            calendar_html=language.calendar(city["calendar"]),
        )

    key = page_key(city["url"][lang])
    digest = site.digest(
        key,
        site.places_digest,
        site.upcoming_digest,
        [site.tr_digest[t["id"]] for t in trainings],
    )
    return _page(key, digest, render, stamp)


def _venue(site: _Site, lang: str, venue: dict[str, Any], trainings: list, stamp: str):
    language = site.langs[lang]
    city = site.cities[venue["city"]]

    def render() -> str:
        return language.env.get_template("venue.html.j2").render(
            language.base(_alt("venue", venue["slug"])),
            venue=venue,
            city=city,
            trainings_html=language.grouped(trainings),
            map_html=language.venue_map([venue]),
            signup_html=language.signup_bot(),
            passes_html=language.passes(passes),
            calendar_html=language.calendar(venue["calendar"]),
        )

    passes = site.venue_passes(venue["slug"])
    key = page_key(venue["url"][lang])
    digest = site.digest(
        key,
        site.places_digest,
        site.upcoming_shown.get(venue["slug"], []),
        [site.tr_digest[t["id"]] for t in trainings],
        site.passes_digest(passes),
    )
    return _page(key, digest, render, stamp)


def _training(site: _Site, lang: str, tr: dict[str, Any], stamp: str) -> StoredObject:
    language = site.langs[lang]
    venue, city = site.venues[tr["venue"]], site.cities[tr["city"]]
    open_for_signup = tr["open"]

    def render() -> str:
        signup = ""
        if open_for_signup:
            signup = language.macros.signup(
                language.texts,
                tr["signup_url"],
                language.texts["site.signup.training"],
                "/" + qr_key(tr),
            )
        return language.env.get_template("training.html.j2").render(
            language.base(tr["url"]),
            tr=tr,
            v=language.view(tr),
            venue=venue,
            city=city,
            map_html=language.venue_map([venue]),
            signup_html=signup,
            passes_html=language.passes(tr["passes"] if open_for_signup else []),
            channel_rows=language.channel_rows(tr),
            calendar_html=language.calendar(venue["calendar"]),
        )

    key = page_key(tr["url"][lang])
    # only what the page shows of its venue and city: a new training elsewhere at the venue
    # changes the venue's counters, not this page
    shown = (
        "name",
        "address",
        "url",
        "maps",
        "calendar",
        "latitude",
        "longitude",
        "today",
        "week_end",
        "cancel_cutoff_hours",
        "zone",
        "slug",
    )
    shown_venue = {k: venue[k] for k in shown}
    upcoming = site.upcoming_shown.get(venue["slug"], [])
    digest = site.digest(
        key,
        site.tr_digest[tr["id"]],
        shown_venue,
        upcoming,
        city["name"],
        city["url"],
        site.passes_digest(tr["passes"]),
    )
    return _page(key, digest, render, stamp)


def _leaderboard(
    site: _Site, lang: str, boards: dict[str, Any], season: dict[str, Any], stamp: str
) -> StoredObject:
    """One season's leaderboards, a table per city (every city in the current season)."""
    language = site.langs[lang]
    number = season["season"]
    found = {b["city"]: b for b in season["boards"]}
    cities = (
        [c["slug"] for c in site.doc["cities"]]
        if number == boards["current"]
        else [b["city"] for b in season["boards"]]
    )
    shown = [
        {
            "city": slug,
            "city_name": site.cities[slug]["name"][lang],
            "caption": language.text("site.board.caption", city=site.cities[slug]["name"][lang]),
            "pilots": found.get(slug, {}).get("pilots", []),
        }
        for slug in cities
        if slug in site.cities
    ]
    seasons = [
        {
            "label": language.text("site.board.season", season=s["season"]),
            "url": s["url"][lang],
            "active": s["season"] == number,
        }
        for s in boards["seasons"]
    ]
    heading = language.text("site.board.heading", season=number)

    def render() -> str:
        return language.env.get_template("leaderboard.html.j2").render(
            language.base(season["url"]), heading=heading, boards=shown, seasons=seasons
        )

    key = page_key(season["url"][lang])
    digest = site.digest(key, site.places_digest, shown, seasons)
    return _page(key, digest, render, stamp)


def render_site(
    doc: dict[str, Any],
    config: SiteConfig,
    *,
    now: datetime,
    stable: bytes | None = None,
    boards: dict[str, Any] | None = None,
) -> list[StoredObject]:
    """All objects of the site for this document and the leaderboards (`leaderboard_document`;
    none given: empty boards), bodies produced lazily. `stable` is `stable_json(doc)` when the
    caller has it already."""
    if boards is None:
        boards = leaderboard_document(Snapshot([], [], []), now=now)
    site = _Site(doc, config)
    stamp = stamp_html(now)
    objects: list[StoredObject] = [
        _static(key, kind, _sha(data), lambda data=data: data, CACHE["asset"])
        for kind, (key, data) in assets().items()
    ]
    favicon = assets()["svg"][1]
    objects.append(_static("favicon.svg", "svg", _sha(favicon), lambda: favicon, CACHE["svg"]))

    def qr(key: str, url: str) -> None:
        objects.append(_static(key, "svg", qr_digest(url), lambda: qr_svg(url), CACHE["svg"]))

    qr("qr/bot.svg", config.bot_url)
    by_city: dict[str, list[dict[str, Any]]] = {}
    by_venue: dict[str, list[dict[str, Any]]] = {}
    for tr in doc["trainings"]:
        by_city.setdefault(tr["city"], []).append(tr)
        by_venue.setdefault(tr["venue"], []).append(tr)
        if tr["open"]:
            qr(qr_key(tr), tr["signup_url"])
    for lang in LANGS:
        objects.append(_home(site, lang, stamp))
        objects += [_list(site, lang, page, stamp) for page in site.pages]
        objects += [_city(site, lang, c, by_city.get(c["slug"], []), stamp) for c in doc["cities"]]
        objects += [
            _venue(site, lang, v, by_venue.get(v["slug"], []), stamp) for v in doc["venues"]
        ]
        objects += [_training(site, lang, tr, stamp) for tr in doc["trainings"]]
        objects += [_leaderboard(site, lang, boards, s, stamp) for s in boards["seasons"]]

        def not_found(lang: str = lang) -> str:
            language = site.langs[lang]
            return language.env.get_template("404.html.j2").render(language.base(_alt("home", "")))

        key = "404.html" if lang == "ru" else f"{lang}/404.html"
        objects.append(_page(key, site.digest(key), not_found, stamp))

    if stable is None:
        stable = stable_json(doc)
    generated = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    objects.append(
        _static(
            "schedule.json",
            "json",
            _sha(stable),
            lambda: stable,
            CACHE["json"],
            finish=lambda body: stamp_json(body, generated),
        )
    )
    for key, ics in calendar_feeds(doc, config, year=now.year).items():
        objects.append(_static(key, "ics", _sha(ics), lambda ics=ics: ics, CACHE["ics"]))
    return objects
