"""The public site's leaderboard and season passes, against real PostgreSQL: the leaderboard
pages show only pilots who opted in, /delete_me takes a pilot off them at once and a recompute
does not bring them back; ratings recomputed queue a publication through the outbox; training
and venue pages list the passes that cover them with the bot's deep link, which the bot
answers with the passes on sale."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpv import passes, ratings
from fpv.actors import SYSTEM
from fpv.ports.events import SCHEDULE_CHANGED, InProcessEventBus
from fpv.ports.storage import LocalDirStorage
from fpv.registrations import delete_person
from fpv.site.build import publish_site
from fpv.site.model import SiteConfig
from tests.support.factories import make_pilot, make_training, make_venue

DATA = Path(__file__).resolve().parents[1] / "data"
CONFIG = SiteConfig(bot_username="fpv_test_bot", public_base_url="https://schedule.example")
PILOTS = {"Skywalker": 9201, "Korvin": 9202, "Vortex": 9203}
SEASON = 2026
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def site(tmp_path) -> LocalDirStorage:
    return LocalDirStorage(tmp_path / "site")


def _page(site: LocalDirStorage, key: str) -> str:
    body = site.get(key)
    assert body is not None, f"{key} was not published"
    return body.decode()


def _board_nicks(html: str) -> list[str]:
    return re.findall(r"<tr data-pilot><td>\d+</td><th scope=\"row\"><bdi>([^<]+)</bdi>", html)


def _rated(db) -> int:
    venue = make_venue(db)
    for nick, tid in PILOTS.items():
        pid = make_pilot(db, tid, nickname=nick)
        if nick != "Vortex":  # Vortex keeps the nickname off the site
            with db.transaction() as tx:
                tx.execute("UPDATE pilots SET show_on_site = true WHERE id = :id", id=pid)
    training = make_training(db, venue_id=venue, starts_in=timedelta(days=-1), now=NOW)
    ratings.import_results(
        db, SYSTEM, training, (DATA / "rotorhazard-results.json").read_bytes(), "r.json"
    )
    return venue


def test_leaderboard_pages_show_only_opted_in_pilots_and_forget_deleted_ones(db, site):
    _rated(db)
    with db.transaction(readonly=True) as tx:
        queued = tx.all("SELECT payload FROM outbox WHERE kind = 'event' ORDER BY id DESC LIMIT 1")
    assert queued[0]["payload"]["detail_type"] == SCHEDULE_CHANGED
    assert queued[0]["payload"]["detail"] == {"reason": "ratings", "season": SEASON}

    publish_site(db, site, config=CONFIG, now=NOW)
    ru, en = _page(site, "leaderboard.html"), _page(site, "en/leaderboard.html")
    board = ratings.leaderboard(db, _city(db), season=SEASON)
    assert _board_nicks(ru) == [r["nickname"] for r in board] == _board_nicks(en)
    assert set(_board_nicks(ru)) == {"Skywalker", "Korvin"}  # Vortex did not opt in
    assert "Vortex" not in ru and "Vortex" not in en
    assert f"{board[0]['ordinal']:.1f}" in ru  # the rating as the bot shows it
    assert 'lang="en"' in en and "Pilot leaderboard, season 2026" in en
    assert 'href="/leaderboard.html"' in _page(site, "index.html")  # in the navigation
    assert 'href="/en/leaderboard.html"' in _page(site, "en/schedule.html")

    delete_person(db, InProcessEventBus(), telegram_id=PILOTS["Skywalker"])
    report = publish_site(db, site, config=CONFIG, now=NOW)
    assert not report.skipped and "leaderboard.html" in report.uploaded
    assert _board_nicks(_page(site, "leaderboard.html")) == ["Korvin"]
    ratings.recompute(db, SEASON)  # a recompute does not bring them back
    publish_site(db, site, config=CONFIG, now=NOW)
    assert "Skywalker" not in _page(site, "leaderboard.html")
    assert "Skywalker" not in _page(site, "en/leaderboard.html")


def test_a_rated_pilot_opting_in_or_out_republishes_the_leaderboard(db, site):
    """No upcoming sign-up needed: the leaderboards follow the "show on site" setting at once."""
    from fpv import pilots
    from fpv.actors import pilot as pilot_actor

    _rated(db)
    publish_site(db, site, config=CONFIG, now=NOW)
    assert "Vortex" not in _page(site, "leaderboard.html")

    def rebuilds() -> list[dict]:
        with db.transaction(readonly=True) as tx:
            rows = tx.all("SELECT payload FROM outbox WHERE kind = 'event' ORDER BY id")
        return [
            r["payload"]["detail"]
            for r in rows
            if r["payload"]["detail"].get("reason") == "profile"
        ]

    bus = InProcessEventBus()
    pilots.update_profile(db, bus, pilot_actor(PILOTS["Vortex"]), show_on_site=True)
    assert rebuilds() == [{"reason": "profile"}]
    publish_site(db, site, config=CONFIG, now=NOW)
    assert "Vortex" in _page(site, "leaderboard.html")
    pilots.update_profile(db, bus, pilot_actor(PILOTS["Vortex"]), show_on_site=True)  # no change
    assert len(rebuilds()) == 1
    pilots.update_profile(db, bus, pilot_actor(PILOTS["Vortex"]), show_on_site=False)
    assert len(rebuilds()) == 2
    publish_site(db, site, config=CONFIG, now=NOW)
    assert "Vortex" not in _page(site, "leaderboard.html")


def test_an_earlier_season_has_its_own_page_linked_from_the_current_one(db, site):
    _rated(db)
    later = NOW.replace(year=2027)
    publish_site(db, site, config=CONFIG, now=later)
    current = _page(site, "leaderboard.html")
    assert "сезон 2027" in current and "В этом сезоне здесь пока нет рейтинга." in current
    assert 'href="/leaderboard/2026.html"' in current
    assert set(_board_nicks(_page(site, "leaderboard/2026.html"))) == {"Skywalker", "Korvin"}
    assert "Season 2026" in _page(site, "en/leaderboard/2026.html")


def _city(db) -> int:
    with db.transaction(readonly=True) as tx:
        return tx.value("SELECT id FROM cities ORDER BY id DESC LIMIT 1")


def test_training_and_venue_pages_offer_the_passes_that_cover_them(db, site):
    venue, other = make_venue(db), make_venue(db)
    race = make_training(db, venue_id=venue, title="Гонка", now=NOW)
    whoop = make_training(db, venue_id=venue, title="Вуп", now=NOW)
    with db.transaction() as tx:
        tx.execute("UPDATE trainings SET track_type = 'race' WHERE id = :id", id=race)
        tx.execute("UPDATE trainings SET track_type = 'whoop' WHERE id = :id", id=whoop)

    def product(title, **kw) -> int:
        kw.setdefault("trainings", None)
        return passes.create_product(
            db, SYSTEM, title=title, valid_days=30, price_kopecks=350_000, **kw
        )

    club = product("Клубный безлимит")
    here = product("Гоночный", trainings=5, venue_id=venue, track_types=("race",))
    elsewhere = product("Чужая площадка", trainings=4, venue_id=other)
    retired = product("Старый", trainings=2)
    passes.retire_product(db, SYSTEM, retired)
    with db.transaction(readonly=True) as tx:
        reasons = [
            r["payload"]["detail"]["reason"]
            for r in tx.all("SELECT payload FROM outbox WHERE kind = 'event' ORDER BY id")
        ]
    assert reasons == ["pass_product"] * 5  # each product and the retirement queue a rebuild

    publish_site(db, site, config=CONFIG, now=NOW)
    doc = _schedule(site)
    by_number = {t["number"]: t for t in doc["trainings"]}
    assert sorted(by_number[race]["passes"]) == sorted([club, here])
    assert by_number[whoop]["passes"] == [club]  # the race pass does not cover a whoop

    race_ru = _page(site, by_number[race]["url"]["ru"].lstrip("/"))
    race_en = _page(site, by_number[race]["url"]["en"].lstrip("/"))
    for pid in (club, here):
        assert f'href="https://t.me/fpv_test_bot?start=pass_{pid}"' in race_ru
    assert f"start=pass_{elsewhere}" not in race_ru and f"start=pass_{retired}" not in race_ru
    assert "Без ограничения тренировок, 30 дн." in race_ru and "5 трен. за 30 дн." in race_ru
    assert "3\u00a0500" in race_ru  # the price as every price on the site reads
    assert "Unlimited trainings for 30 days" in race_en and "Buy in the bot" in race_en
    assert "Только эта площадка · Трассы: гоночная" in race_ru  # the track type's own text
    whoop_ru = _page(site, by_number[whoop]["url"]["ru"].lstrip("/"))
    assert f"start=pass_{club}" in whoop_ru and f"start=pass_{here}" not in whoop_ru

    venue_slug = by_number[race]["venue"]
    venue_ru = _page(site, f"venue/{venue_slug}.html")
    assert f"start=pass_{club}" in venue_ru and f"start=pass_{here}" in venue_ru
    assert f"start=pass_{elsewhere}" not in venue_ru

    # a price change republishes the pages that show the pass, and only what shows it
    with db.transaction() as tx:
        tx.execute("UPDATE pass_products SET price_kopecks = 360000 WHERE id = :id", id=here)
    report = publish_site(db, site, config=CONFIG, now=NOW)
    assert by_number[race]["url"]["ru"].lstrip("/") in report.uploaded
    assert by_number[whoop]["url"]["ru"].lstrip("/") not in report.uploaded
    assert "3\u00a0600" in _page(site, by_number[race]["url"]["ru"].lstrip("/"))


def _schedule(site: LocalDirStorage) -> dict:
    import json

    return json.loads(site.get("schedule.json"))


@pytest.fixture
def platform(app_env, tmp_path, monkeypatch):
    from tests.support.bot import bot_platform

    with bot_platform(tmp_path, monkeypatch) as p:
        yield p


def test_the_bot_answers_the_sites_pass_link_with_the_passes_on_sale(platform):
    p = platform
    product_id = passes.create_product(
        p.db, SYSTEM, title="Три тренировки", valid_days=30, price_kopecks=400_000, trainings=3
    )
    make_pilot(p.db, 880_001, nickname="SitePilot")
    chat = p.chat(880_001)
    chat.send(f"/start pass_{product_id}")
    reply = chat.last()
    assert "Три тренировки" in reply.text
    assert f"pbuy:{product_id}" in str(reply.reply_markup)
    chat.send("/start pass_x1")  # not a pass link: the usual welcome
    assert "Три тренировки" not in chat.last().text
