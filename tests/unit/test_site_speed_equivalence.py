"""The full rebuild's speed-ups change no byte: pages rendered with the texts inlined into the
compiled templates and the channel rows built in Python equal what the plain templates render
(hostile, right-to-left and hidden-nickname text included), and the pass and leaderboard
blocks render from the same document in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from fpv.site import render
from fpv.site.model import SiteConfig, Snapshot, leaderboard_document, schedule_document

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CONFIG = SiteConfig(bot_username="fpv_test_bot", public_base_url="https://schedule.example")
HOSTILE = '<script>alert("x")</script> & \u202eRTL'

# the channel board's rows as the template wrote them before they moved to Python
ROWS = (
    "{% for ch in tr['channels'] %}<tr><td>{{ ch['heat'] }}</td><td>{{ ch['label'] }}</td>"
    "<td>{{ ch['mhz'] }}</td><td>{% if ch['pilot'] %}{{ ch['pilot']|user(lang) }}{% else %}"
    "<span class=\"muted\">{{ T['site.training.pilot_hidden'] }}</span>{% endif %}</td></tr>\n"
    "{% endfor %}"
)


def _snapshot() -> Snapshot:
    starts = NOW + timedelta(days=2)
    venue = {
        "id": 10, "city_id": 1, "slug": "hall", "name": HOSTILE, "address": "ул. {Тест}, 1",
        "latitude": 55.7, "longitude": 37.6, "time_zone": "Europe/Moscow",
        "cancel_cutoff_hours": 6, "min_mhz": 5650, "max_mhz": 5925,
    }  # fmt: skip
    trainings = [
        {
            "id": n, "public_id": f"00000000-0000-4000-8000-{n:012d}", "venue_id": 10,
            "title": HOSTILE if n == 1 else f"Тренировка {n}",
            "track_type": "race" if n % 2 else "whoop",
            "starts_at": starts + timedelta(hours=n), "ends_at": starts + timedelta(hours=n + 2),
            "capacity": 8, "seats_taken": n, "price_kopecks": 50_000 * (n % 2),
            "status": "cancelled" if n == 3 else "scheduled", "notes": HOSTILE,
            "created_at": NOW, "updated_at": NOW, "revision": 0,
        }
        for n in (1, 2, 3)
    ]  # fmt: skip
    channels = {
        1: [
            {"channel_mhz": 5658, "channel_label": "R1", "heat": 1, "public_nickname": HOSTILE},
            {"channel_mhz": 5732, "channel_label": "<R3>", "heat": 1, "public_nickname": None},
            {"channel_mhz": 5843, "channel_label": "", "heat": 2, "public_nickname": "Ёжик"},
        ]
    }
    products = [
        {"id": 5, "venue_id": None, "title": HOSTILE, "trainings": None, "valid_days": 30,
         "price_kopecks": 900_000, "track_types": []},
        {"id": 6, "venue_id": 10, "title": "Гонки", "trainings": 5, "valid_days": 30,
         "price_kopecks": 200_000, "track_types": ["race"]},
    ]  # fmt: skip
    boards = [
        {"season": 2026, "city_id": 1, "rows": [
            {"nickname": HOSTILE, "ordinal": 12.345, "races": 3, "best_lap_ms": 11_900,
             "trainings": 2, "streak": 1},
            {"nickname": "Ёжик", "ordinal": -1.0, "races": 1, "best_lap_ms": None,
             "trainings": 1, "streak": 0},
        ]},
        {"season": 2025, "city_id": 1, "rows": [
            {"nickname": "Ёжик", "ordinal": 3.0, "races": 2, "best_lap_ms": 12_000,
             "trainings": 2, "streak": 2},
        ]},
    ]  # fmt: skip
    return Snapshot(
        cities=[{"id": 1, "slug": "moscow", "name_ru": "Москва", "name_en": "Moscow"}],
        venues=[venue],
        trainings=trainings,
        channels=channels,
        boards=boards,
        products=products,
    )


def _plain_environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("fpv.site", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["user"] = render.user_text
    return env


def _bodies(snapshot: Snapshot) -> dict[str, bytes]:
    doc = schedule_document(snapshot, CONFIG, now=NOW)
    boards = leaderboard_document(snapshot, now=NOW)
    return {o.key: o.body() for o in render.render_site(doc, CONFIG, now=NOW, boards=boards)}


def test_inlined_texts_render_exactly_what_the_plain_templates_render(monkeypatch):
    fast = _bodies(_snapshot())
    monkeypatch.setattr(render, "_environment", _plain_environment)
    plain = _bodies(_snapshot())
    assert fast.keys() == plain.keys()
    assert [k for k in fast if fast[k] != plain[k]] == []
    assert "leaderboard/2025.html" in fast and "en/leaderboard.html" in fast


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_channel_rows_equal_the_template_loop_they_replace(lang):
    doc = schedule_document(_snapshot(), CONFIG, now=NOW)
    site = render._Site(doc, CONFIG)
    language = site.langs[lang]
    [busy] = [tr for tr in doc["trainings"] if tr["channels"]]
    expected = (
        _plain_environment(lang).from_string(ROWS).render(tr=busy, T=language.texts, lang=lang)
    )
    assert str(language.channel_rows(busy)) == expected
    assert "&lt;script&gt;" in expected and "&lt;R3&gt;" in expected
