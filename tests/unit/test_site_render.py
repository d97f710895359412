"""Rendering without I/O: the document → pages, JSON, feeds. Escaping, languages, the stamp kept
out of the digests, formatting and the iCalendar shape (parsed back with `icalendar`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from icalendar import Calendar

from fpv.site.format import price_text, when_text
from fpv.site.model import SiteConfig, Snapshot, schedule_document
from fpv.site.render import UPDATED_PLACEHOLDER, render_site, stable_json

NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
CONFIG = SiteConfig(bot_username="fpv_test_bot", public_base_url="https://schedule.example")


def _snapshot(*, title="Открытая тренировка", nickname="Skywalker", status="scheduled", **venue):
    starts = datetime(2025, 11, 28, 16, 0, tzinfo=UTC)
    return Snapshot(
        cities=[{"id": 1, "slug": "moscow", "name_ru": "Москва", "name_en": "Moscow"}],
        venues=[
            {
                "id": 10,
                "city_id": 1,
                "slug": "luzhniki",
                "name": venue.get("name", "Манеж «Лужники»"),
                "address": venue.get("address", "Лужнецкая наб., 24"),
                "latitude": 55.7158,
                "longitude": 37.5537,
                "time_zone": venue.get("time_zone", "Europe/Moscow"),
                "min_mhz": 5650,
                "max_mhz": 5925,
            }
        ],
        trainings=[
            {
                "id": 7,
                "public_id": "0b9e1c7e-0000-4000-8000-000000000007",
                "venue_id": 10,
                "title": title,
                "track_type": "race",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=3),
                "capacity": 8,
                "seats_taken": 2,
                "price_kopecks": 150_050,
                "status": status,
                "notes": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
        channels={
            7: [
                {
                    "channel_mhz": 5658,
                    "channel_label": "R1",
                    "heat": 1,
                    "public_nickname": nickname,
                },
                {"channel_mhz": 5732, "channel_label": "R3", "heat": 1, "public_nickname": None},
            ]
        },
    )


def _objects(snapshot: Snapshot, now: datetime = NOW) -> dict:
    doc = schedule_document(snapshot, CONFIG, now=now)
    return {o.key: o for o in render_site(doc, CONFIG, now=now)}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_hostile_nickname_title_and_venue_render_as_text():
    hostile = "<script>alert(1)</script>"
    objects = _objects(
        _snapshot(title='"><img src=x onerror=alert(1)>', nickname=hostile, name=hostile)
    )
    page = objects["training/0b9e1c7e-0000-4000-8000-000000000007.html"].body().decode()
    tags = _tags(page)
    assert [t for t, _ in tags].count("script") == 1  # only our own script
    assert not [t for t, a in tags if t == "img" and "onerror" in a]
    assert all(not k.startswith("on") for _, attrs in tags for k in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = objects["schedule.json"].body()
    assert b"<" not in data
    assert json.loads(data)["trainings"][0]["channels"][0]["pilot"] == hostile


def test_every_page_declares_its_language_and_links_the_other():
    objects = _objects(_snapshot())
    for key, obj in objects.items():
        if not key.endswith(".html"):
            continue
        html = obj.body().decode()
        lang = "en" if key.startswith("en/") else "ru"
        assert f'<html lang="{lang}"' in html, key
        assert 'hreflang="ru"' in html and 'hreflang="en"' in html, key
        assert "cdn" not in html.lower() and "//fonts." not in html, key  # nothing external
        sources = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
        assert sources and all(s.lstrip("/") in objects for s in sources), key


def test_training_page_shows_what_the_json_says_in_both_languages():
    objects = _objects(_snapshot())
    ru = objects["training/0b9e1c7e-0000-4000-8000-000000000007.html"].body().decode()
    en = objects["en/training/0b9e1c7e-0000-4000-8000-000000000007.html"].body().decode()
    training = json.loads(objects["schedule.json"].body())["trainings"][0]
    assert training["seats_left"] == 6 and training["starts_at"] == "2025-11-28T19:00:00+03:00"
    assert "пт, 28 ноября 2025, 19:00–22:00" in ru and "Fri, 28 November 2025, 19:00–22:00" in en
    assert "1\u00a0500,50 ₽" in ru and "RUB 1\u00a0500.50" in en
    # issue #10.8: zones as people read them, never the IANA name
    assert '">МСК</span>' in ru and '">MSK</span>' in en
    assert "Europe/Moscow" not in ru and "Europe/Moscow" not in en
    assert ">6</strong> из 8" in ru and ">6</strong> of 8" in en
    assert "https://t.me/fpv_test_bot?start=training_7" in ru
    assert "Skywalker" in ru and "скрыт" in ru and "hidden" in en  # opted-out pilot stays anonymous
    assert 'src="/qr/training-7.svg"' in ru and "qr/training-7.svg" in objects
    assert "yandex.ru/maps/?pt=37.553700,55.715800" in ru and "openstreetmap.org" in en


def test_the_update_stamp_changes_bodies_but_not_digests():
    early, late = _objects(_snapshot()), _objects(_snapshot(), NOW + timedelta(hours=1))
    key = "index.html"
    assert early[key].digest == late[key].digest
    assert early["schedule.json"].digest == late["schedule.json"].digest
    assert early[key].body() != late[key].body()
    assert UPDATED_PLACEHOLDER not in early[key].body().decode()
    assert '<time data-updated datetime="2025-11-20T09:00:00Z">' in early[key].body().decode()
    assert json.loads(late["schedule.json"].body())["generated_at"] == "2025-11-20T10:00:00Z"


def test_a_seat_change_changes_the_digest_of_exactly_the_pages_showing_it():
    before = _objects(_snapshot())
    snapshot = _snapshot()
    snapshot.trainings[0]["seats_taken"] = 3
    after = _objects(snapshot)
    changed = {k for k in before if before[k].digest != after[k].digest}
    assert changed == {
        "schedule.json",
        "index.html",
        "en/index.html",
        "city/moscow.html",
        "en/city/moscow.html",
        "venue/luzhniki.html",
        "en/venue/luzhniki.html",
        "training/0b9e1c7e-0000-4000-8000-000000000007.html",
        "en/training/0b9e1c7e-0000-4000-8000-000000000007.html",
        # the lists that show it: the whole schedule and the filters it passes
        "schedule.html",
        "en/schedule.html",
        "track/race.html",
        "en/track/race.html",
        "price/paid.html",
        "en/price/paid.html",
        "seats/free.html",
        "en/seats/free.html",
    }


def test_calendar_feed_parses_with_tzid_uid_and_status():
    objects = _objects(_snapshot(time_zone="Asia/Novosibirsk"))
    raw = objects["calendar/venue/luzhniki.ics"].body()
    assert raw.endswith(b"END:VCALENDAR\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded at 75 octets
    calendar = Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "0b9e1c7e-0000-4000-8000-000000000007@fpv-training"
    start = event.decoded("DTSTART")
    assert start.tzinfo.key == "Asia/Novosibirsk" and (start.hour, start.minute) == (23, 0)
    assert event["DTSTART"].params["TZID"] == "Asia/Novosibirsk"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Novosibirsk"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]).startswith("https://schedule.example/training/")

    cancelled = _objects(_snapshot(status="cancelled", time_zone="Asia/Novosibirsk"))
    [event] = Calendar.from_ical(cancelled["calendar/all.ics"].body()).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == "0b9e1c7e-0000-4000-8000-000000000007@fpv-training"


def test_unknown_venue_zone_falls_back_to_utc_instead_of_failing():
    objects = _objects(_snapshot(time_zone="Mars/Olympus_Mons"))
    [event] = Calendar.from_ical(objects["calendar/all.ics"].body()).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2025, 11, 28, 16, 0, tzinfo=UTC)
    assert "training/0b9e1c7e-0000-4000-8000-000000000007.html" in objects


def test_empty_document_is_friendly_and_feeds_stay_valid():
    objects = _objects(Snapshot(cities=[], venues=[], trainings=[]))
    assert "Ближайших тренировок пока нет" in objects["index.html"].body().decode()
    assert "No upcoming trainings yet" in objects["en/index.html"].body().decode()
    calendar = Calendar.from_ical(objects["calendar/all.ics"].body())
    assert calendar.walk("VEVENT") == [] and len(calendar.walk("VTIMEZONE")) == 1


def test_stable_json_is_deterministic_and_inert():
    doc = {"b": "<script>&", "a": [1, 2]}
    assert stable_json(doc) == stable_json(dict(reversed(list(doc.items()))))
    assert b"<" not in stable_json(doc) and json.loads(stable_json(doc)) == doc


@pytest.mark.parametrize(
    ("kopecks", "lang", "text"),
    [(0, "ru", "бесплатно"), (0, "en", "free"), (50_000, "ru", "500 ₽"), (99, "en", "RUB 0.99")],
)
def test_prices(kopecks, lang, text):
    assert price_text(kopecks, lang) == text


def test_a_training_past_midnight_shows_the_end_date():
    text = when_text("2025-12-31T22:00:00+03:00", "2026-01-01T02:00:00+03:00", "en")
    assert text == "Wed, 31 December 2025, 22:00–Thu, 1 January 2026, 02:00"


@pytest.mark.parametrize("username", ["", "bad name", "<script>", "a" * 65])
def test_bad_bot_username_is_refused_with_the_setting_named(username):
    with pytest.raises(ValueError, match="TELEGRAM_BOT_USERNAME"):
        SiteConfig(bot_username=username)
