"""Site v2.1 (issue #17) and the visitor items of #10.8, rendered without I/O: filters and their
pages, day groups, per-training calendars, zones as people read them, cancelled trainings
without free seats, the English 404 page, the favicon, mixed-language and RTL text isolated."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from fpv.channels.imd import imd_rating
from fpv.site.filters import list_pages, matches
from fpv.site.model import SiteConfig, Snapshot, schedule_document
from fpv.site.render import render_site

# Wednesday 2 December 2026, 09:00 UTC (12:00 in Moscow, 16:00 in Novosibirsk)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CONFIG = SiteConfig(
    bot_username="fpv_test_bot", tile_url="http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
)


def _training(number, venue_id, starts, *, price=0, status="scheduled", title=None, **extra):
    return {
        "id": number,
        "public_id": f"00000000-0000-4000-8000-{number:012d}",
        "venue_id": venue_id,
        "title": title or f"Тренировка {number}",
        "track_type": extra.get("track_type", "race"),
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "capacity": 8,
        "seats_taken": extra.get("seats_taken", 2),
        "price_kopecks": price,
        "status": status,
        "notes": extra.get("notes", ""),
        "created_at": NOW,
        "updated_at": NOW,
        "revision": extra.get("revision", 0),
    }


def _venue(vid, city_id, slug, name, zone, lat=55.7, lon=37.6):
    return {
        "id": vid,
        "city_id": city_id,
        "slug": slug,
        "name": name,
        "address": "ул. Тестовая, 1",
        "latitude": lat,
        "longitude": lon,
        "time_zone": zone,
        "cancel_cutoff_hours": 6,
        "min_mhz": 5650,
        "max_mhz": 5925,
    }


def _snapshot() -> Snapshot:
    day = timedelta(days=1)
    return Snapshot(
        cities=[
            {"id": 1, "slug": "moscow", "name_ru": "Москва", "name_en": "Moscow"},
            {"id": 2, "slug": "novosibirsk", "name_ru": "Новосибирск", "name_en": "Novosibirsk"},
        ],
        venues=[
            _venue(10, 1, "hall", "Манеж", "Europe/Moscow"),
            _venue(20, 2, "arena", "Arena", "Asia/Novosibirsk", 55.0, 82.9),
        ],
        trainings=[
            _training(1, 10, NOW + timedelta(hours=3)),  # today, Wednesday
            _training(2, 20, NOW + 3 * day, price=50_000),  # Saturday
            _training(3, 10, NOW + 4 * day, track_type="whoop"),  # Sunday
            _training(4, 10, NOW + 5 * day, status="cancelled", revision=2),  # next Monday
            _training(5, 20, NOW + 6 * day, seats_taken=8, price=10_000),  # full, Tuesday
            _training(6, 10, NOW + 2 * day, title="עברית RTL", notes="مرحبا"),  # Friday
        ],
        channels={
            1: [
                {"channel_mhz": 5658, "channel_label": "R1", "heat": 1, "public_nickname": "Ace"},
                {"channel_mhz": 5732, "channel_label": "R3", "heat": 1, "public_nickname": None},
                {"channel_mhz": 5843, "channel_label": "R6", "heat": 2, "public_nickname": None},
            ]
        },
    )


@pytest.fixture(scope="module")
def built():
    doc = schedule_document(_snapshot(), CONFIG, now=NOW)
    objects = {o.key: o for o in render_site(doc, CONFIG, now=NOW)}
    return doc, objects


def _page(objects, key: str) -> str:
    return objects[key].body().decode()


def _cards(html: str) -> list[int]:
    found = re.findall(r'<li class="card training[^"]*" data-training="[^"]*?(\d+)"', html)
    return [int(n) for n in found]


def test_when_filters_follow_the_venue_local_week():
    doc = schedule_document(_snapshot(), CONFIG, now=NOW)
    venues = {v["slug"]: v for v in doc["venues"]}

    def chosen(**wanted):
        return sorted(
            t["number"] for t in doc["trainings"] if matches(t, venues[t["venue"]], **wanted)
        )

    assert venues["hall"]["today"] == "2026-12-02" and venues["hall"]["week_end"] == "2026-12-06"
    assert chosen(when="today") == [1]
    assert chosen(when="week") == [1, 2, 3, 6]
    assert chosen(when="weekend") == [2, 3]
    assert chosen(city="novosibirsk") == [2, 5]
    assert chosen(venue="hall", price="free") == [1, 3, 4, 6]
    assert chosen(price="paid") == [2, 5]
    assert chosen(seats="free") == [1, 2, 3, 6]  # not the cancelled one, not the full one
    assert chosen(track="whoop") == [3]
    assert chosen(when="weekend", price="paid") == [2]


def test_each_filter_has_its_page_and_the_lists_are_grouped_by_day(built):
    doc, objects = built
    keys = {p.url(lang).lstrip("/") for p in list_pages(doc) for lang in ("ru", "en")}
    assert (
        {
            "schedule.html",
            "when/today.html",
            "en/when/weekend.html",
            "track/whoop.html",
            "seats/free.html",
            "price/paid.html",
            "en/price/free.html",
        }
        <= keys
        <= set(objects)
    )
    assert _cards(_page(objects, "when/weekend.html")) == [2, 3]
    assert _cards(_page(objects, "en/seats/free.html")) == [1, 6, 2, 3]
    assert _cards(_page(objects, "schedule.html")) == [1, 6, 2, 3, 4, 5]
    schedule = _page(objects, "schedule.html")
    days = re.findall(r'data-day-group="([\d-]+)"><h3 class="day-title">([^<]+)<', schedule)
    assert [d for d, _ in days] == sorted(d for d, _ in days) and len(days) == 6
    assert days[0] == ("2026-12-02", "ср, 2 декабря 2026")
    # the active filter is marked and every chip is a plain link to a page that exists
    weekend = _page(objects, "en/when/weekend.html")
    assert (
        'href="/en/when/weekend.html" data-filter="when" data-value="weekend" aria-current'
        in weekend
    )
    for href in set(re.findall(r'class="chip" href="([^"]+)"', weekend)):
        assert href.lstrip("/") in objects or href.lstrip("/") + "index.html" in objects, href
    assert "Trainings found: 2" in weekend
    # the quick view on the home page counts what those pages show
    home = _page(objects, "index.html")
    assert re.search(
        r'href="/when/today.html"><span class="quick-label">Сегодня</span>'
        r'<span class="quick-count">1<',
        home,
    )


def test_cancelled_training_offers_no_seats_and_no_sign_up(built):
    doc, objects = built
    tr = next(t for t in doc["trainings"] if t["number"] == 4)
    assert tr["seats_left"] == 0 and tr["open"] is False  # schedule.json agrees
    for key in ("schedule.html", tr["url"]["ru"].lstrip("/"), tr["url"]["en"].lstrip("/")):
        html = _page(objects, key)
        for wrap in re.findall(rf'<[^>]*data-seats-wrap="{tr["id"]}"[^>]*>', html):
            assert " hidden" in wrap, key
        assert f'data-open="{tr["id"]}"' not in html, key
        assert re.search(rf'data-cancelled="{tr["id"]}">', html), key  # the badge shows
    assert f"qr/training-{tr['number']}.svg" not in objects


def test_each_training_has_its_own_ics_and_a_google_link_in_utc(built):
    doc, objects = built
    tr = next(t for t in doc["trainings"] if t["number"] == 2)  # Novosibirsk, UTC+7
    [event] = Calendar.from_ical(objects[tr["ics"].lstrip("/")].body()).walk("VEVENT")
    assert str(event["UID"]) == f"{tr['id']}@fpv-training"
    assert event.decoded("DTSTART").astimezone(UTC) == NOW + timedelta(days=3)
    query = parse_qs(urlsplit(tr["google_calendar"]).query)
    assert query["dates"] == ["20261205T090000Z/20261205T110000Z"]
    page = _page(objects, tr["url"]["en"].lstrip("/"))
    assert f'href="{tr["ics"]}"' in page and "calendar.google.com" in page
    cancelled = next(t for t in doc["trainings"] if t["number"] == 4)
    [event] = Calendar.from_ical(objects[cancelled["ics"].lstrip("/")].body()).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 2  # the training's revision


def test_zones_read_as_people_say_them_everywhere(built):
    _doc, objects = built
    for key, obj in objects.items():
        if key.endswith(".html"):
            assert "Europe/Moscow" not in obj.body().decode(), key
            assert "Asia/Novosibirsk" not in obj.body().decode(), key
    assert "<dd>МСК</dd>" in _page(objects, "venue/hall.html")
    assert "<dd>UTC+7</dd>" in _page(objects, "en/venue/arena.html")
    assert '<span class="zone">MSK</span>' in _page(objects, "en/schedule.html")


def test_english_404_and_favicon(built):
    _, objects = built
    english, russian = _page(objects, "en/404.html"), _page(objects, "404.html")
    assert '<html lang="en"' in english and "Page not found" in english
    assert "Страница" not in english.split("<footer")[0].split("<main")[1]
    assert '<html lang="ru"' in russian and "Страница не найдена" in russian
    assert objects["favicon.svg"].content_type == "image/svg+xml"
    assert objects["favicon.svg"].body().startswith(b"<svg")
    for key in ("index.html", "en/404.html", "schedule.html"):
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in _page(objects, key)


def test_user_text_is_isolated_and_marked_russian_on_english_pages(built):
    doc, objects = built
    en = _page(objects, "en/schedule.html")
    assert '<bdi lang="ru">Тренировка 1</bdi>' in en
    assert "<bdi>עברית RTL</bdi>" in en  # right-to-left text cannot reorder the line
    assert '<bdi lang="ru">' not in _page(objects, "schedule.html")
    rtl = next(t for t in doc["trainings"] if t["number"] == 6)
    assert "<bdi>مرحبا</bdi>" in _page(objects, rtl["url"]["en"].lstrip("/"))


def test_training_page_shows_set_rating_cancellation_rule_and_map(built):
    doc, objects = built
    tr = next(t for t in doc["trainings"] if t["number"] == 1)
    assert tr["ratings"] == [
        {"heat": 1, "pilots": 2, "rating": imd_rating([5658, 5732])},
        {"heat": 2, "pilots": 1, "rating": imd_rating([5843])},
    ]
    ru = _page(objects, tr["url"]["ru"].lstrip("/"))
    assert f"заход 1: {imd_rating([5658, 5732])} из 100" in ru
    assert "не позднее чем за 6 ч до начала" in ru
    assert 'data-map data-tiles="http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"' in ru
    assert 'data-lat="55.7" data-lon="37.6"' in ru
    assert "yandex.ru/maps/?pt=37.600000,55.700000" in ru and "google.com/maps/search" in ru
    # the page's own policy lets the tiles in, and only them
    meta = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', ru)[1]
    )
    assert "img-src 'self' data: http://127.0.0.1:9;" in meta


def test_schedule_json_is_what_the_filters_read(built):
    _doc, objects = built
    data = json.loads(objects["schedule.json"].body())
    venue = data["venues"][0]
    assert {"today", "week_end", "zone", "maps", "cancel_cutoff_hours"} <= set(venue)
    tr = data["trainings"][0]
    assert {"day", "open", "zone", "ics", "google_calendar", "revision", "ratings"} <= set(tr)
