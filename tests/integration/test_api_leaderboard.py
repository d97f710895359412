"""The leaderboard in the integration API and the pilots' app, and season passes in the app,
through the local gateway over HTTP (the template's routes, the public_api function) with real
PostgreSQL and the fake Bot API: only pilots who show their nickname are on a board, a deleted
pilot is on none; the app shows my own standing, my passes with credits left, and buying a pass
answers a Telegram invoice link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fpv import passes, ratings
from fpv.actors import SYSTEM
from tests.support.apis import app_token, bearer
from tests.support.bot import BotPlatform, bot_platform
from tests.support.factories import make_pilot, make_training, make_venue

DATA = Path(__file__).resolve().parents[1] / "data"
SHOWN = {"Skywalker": True, "Korvin": True, "Vortex": False}


@pytest.fixture
def p(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("PAYMENT_PROVIDER_TOKEN", "381764678:TEST:leaderboard")
    with bot_platform(tmp_path, monkeypatch) as platform:
        yield platform


def api(p: BotPlatform, method: str, path: str, token: str | None = None, **kw) -> httpx.Response:
    headers = {**(bearer(token) if token else {}), **kw.pop("headers", {})}
    return httpx.request(method, f"{p.base_url}{path}", headers=headers, timeout=30, **kw)


def rated_city(db) -> tuple[int, int, dict[str, int]]:
    """A 2026 training with the RotorHazard export imported: (city, venue, telegram ids). Its
    callsigns are the demo pilots' nicknames (the platform seeds them): Vortex hides his."""
    venue = make_venue(db)
    ids = {}
    for n, (nick, shown) in enumerate(SHOWN.items()):
        with db.transaction() as tx:
            ids[nick] = tx.value("SELECT telegram_id FROM pilots WHERE nickname = :n", n=nick)
        if ids[nick] is None:
            ids[nick] = 9201 + n
            make_pilot(db, ids[nick], nickname=nick)
        with db.transaction() as tx:
            tx.execute("UPDATE pilots SET show_on_site = :s WHERE nickname = :n", s=shown, n=nick)
    training = make_training(
        db, venue_id=venue, starts_in=timedelta(days=-1), now=datetime(2026, 11, 20, tzinfo=UTC)
    )
    export = (DATA / "rotorhazard-results.json").read_bytes()
    ratings.import_results(db, SYSTEM, training, export, "results.json")
    with db.transaction(readonly=True) as tx:
        return tx.value("SELECT city_id FROM venues WHERE id = :v", v=venue), venue, ids


def test_boards_show_only_opted_in_pilots_and_never_a_deleted_one(p: BotPlatform):
    city, _venue, ids = rated_city(p.db)
    expected = [r["nickname"] for r in ratings.leaderboard(p.db, city, season=2026)]
    assert sorted(expected) == ["Korvin", "Skywalker"]

    public = api(p, "GET", "/api/v1/leaderboard", params={"city": city, "season": 2026})
    assert public.status_code == 200, public.text
    board = public.json()
    assert (board["city_id"], board["season"]) == (city, 2026)
    assert [i["nickname"] for i in board["items"]] == expected  # best first, Vortex hidden
    assert [i["place"] for i in board["items"]] == [1, 2]
    top = board["items"][0]
    assert top["rating"] == pytest.approx(top["mu"] - 3 * top["sigma"])
    assert top["races"] == 3 and set(top) >= {"best_lap_ms", "trainings", "streak"}
    etag = public.headers["etag"]
    again = api(
        p, "GET", "/api/v1/leaderboard", params={"city": city, "season": 2026},
        headers={"If-None-Match": etag},
    )  # fmt: skip
    assert again.status_code == 304
    assert api(p, "GET", "/api/v1/leaderboard", params={"city": 10**9}).status_code == 404
    missing = api(p, "GET", "/api/v1/leaderboard")
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")

    # the app: the same board, and where I stand (a hidden pilot has no place)
    vortex = app_token(p.db, ids["Vortex"])
    mine = api(p, "GET", "/api/app/leaderboard", vortex, params={"city": city, "season": 2026})
    assert mine.status_code == 200, mine.text
    assert mine.json()["items"] == board["items"]
    assert mine.json()["me"]["place"] is None and mine.json()["me"]["races"] == 3
    sky = app_token(p.db, ids["Skywalker"])
    standing = api(p, "GET", "/api/app/leaderboard", sky, params={"city": city, "season": 2026})
    place = expected.index("Skywalker") + 1
    assert standing.json()["me"]["place"] == place
    assert api(p, "GET", "/api/app/leaderboard", params={"city": city}).status_code == 401

    # /delete_me from the app: off every board, and a recompute does not bring them back
    assert api(p, "DELETE", "/api/app/me", sky).status_code == 204
    ratings.recompute(p.db, 2026)
    after = api(p, "GET", "/api/v1/leaderboard", params={"city": city, "season": 2026}).json()
    assert [i["nickname"] for i in after["items"]] == ["Korvin"]
    in_app = api(p, "GET", "/api/app/leaderboard", vortex, params={"city": city, "season": 2026})
    assert [i["nickname"] for i in in_app.json()["items"]] == ["Korvin"]


def test_my_passes_in_the_app_and_buying_one_answers_an_invoice_link(p: BotPlatform):
    venue = make_venue(p.db)
    product = passes.create_product(
        p.db, SYSTEM, title="Три тренировки", valid_days=30, price_kopecks=400_000, trainings=3,
        venue_id=venue,
    )  # fmt: skip
    make_pilot(p.db, 9301, nickname="Buyer")
    token = app_token(p.db, 9301)

    empty = api(p, "GET", "/api/app/passes", token)
    assert empty.status_code == 200, empty.text
    assert empty.json()["items"] == []
    assert product in {o["id"] for o in empty.json()["on_sale"]}

    bought = api(p, "POST", "/api/app/passes", token, json={"product_id": product})
    assert bought.status_code == 201, bought.text
    assert bought.json()["invoice_link"].startswith("https://t.me/$")
    assert bought.json()["price_kopecks"] == 400_000
    link = p.fake.calls_to("createInvoiceLink")[-1].params
    assert link["payload"] and "chat_id" not in link
    assert p.fake.calls_to("sendInvoice", 9301)  # and the invoice in the chat, as in the bot
    assert api(p, "GET", "/api/app/passes", token).json()["items"] == []  # not paid yet
    # a double submit is the same pass: no second pass, no second invoice in the chat
    twice = api(p, "POST", "/api/app/passes", token, json={"product_id": product})
    assert twice.status_code == 201 and twice.json()["pass_id"] == bought.json()["pass_id"]
    assert twice.json()["invoice_link"].startswith("https://t.me/$")
    assert len(p.fake.calls_to("sendInvoice", 9301)) == 1
    with p.db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM passes WHERE product_id = :p", p=product) == 1

    # paid (what the payments flow's transaction does): the pass with its credits and end
    with p.db.transaction() as tx:
        passes.activate_paid(tx, {"id": bought.json()["pass_id"]}, datetime.now(UTC))
    [mine] = api(p, "GET", "/api/app/passes", token).json()["items"]
    assert (mine["title"], mine["credits_total"], mine["credits_left"]) == ("Три тренировки", 3, 3)
    assert mine["venue_id"] == venue and mine["valid_until"]

    gone = api(p, "POST", "/api/app/passes", token, json={"product_id": 10**9})
    assert gone.status_code == 404
    assert api(p, "POST", "/api/app/passes", token, json={}).status_code == 422
