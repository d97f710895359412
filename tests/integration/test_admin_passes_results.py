"""Passes, results and ratings in the admin API, through the local gateway over HTTP with real
PostgreSQL: who may define and retire pass products, the RotorHazard upload with its unmatched
callsigns decided, manual results, recompute, and a leaderboard equal to `fpv ratings board`.
Every change is in the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fpv.admin import auth
from fpv.cli import main
from tests.integration.test_payments_harness import fake_servers, fakes_fixture  # noqa: F401
from tests.support.admin import (  # noqa: F401 - fixture
    AdminGateway,
    World,
    admin_gw_fixture,
    build_world,
    session_for,
    with_session,
)
from tests.support.factories import make_pilot, make_training

DATA = Path(__file__).resolve().parents[1] / "data"
RACED = datetime(2026, 11, 20, 18, tzinfo=UTC)  # a training of season 2026 that took place


@pytest.fixture
def world(admin_gw) -> World:
    return build_world(admin_gw.db)


def client_for(gw: AdminGateway, login: str) -> httpx.Client:
    token, csrf = session_for(gw.db, login)
    client = with_session(gw, token)
    client.headers[auth.CSRF_HEADER] = csrf
    return client


def audit_actions(client: httpx.Client, action: str) -> list[dict]:
    answer = client.get("/api/admin/audit", params={"action": action})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_who_defines_and_retires_pass_products(admin_gw: AdminGateway, world: World):
    product = {"title": "Четыре тренировки", "valid_days": 30, "price_kopecks": 300_000}
    with client_for(admin_gw, "local_a") as local, client_for(admin_gw, "root") as root:
        # a local admin: their venue yes; another venue's is not found; club-wide: superadmins
        mine = local.post(
            "/api/admin/pass-products",
            json={**product, "trainings": 4, "venue_id": world.venue_a, "track_types": ["race"]},
        )
        assert mine.status_code == 201, mine.text
        assert mine.json()["venue_id"] == world.venue_a and mine.json()["active"] is True
        assert mine.json()["sold"] == 0 and mine.json()["track_types"] == ["race"]
        other = local.post("/api/admin/pass-products", json={**product, "venue_id": world.venue_b})
        assert other.status_code == 404
        assert other.headers["content-type"].startswith("application/problem+json")
        club = local.post("/api/admin/pass-products", json=product)
        assert club.status_code == 403 and club.json()["code"] == "forbidden"
        club = root.post("/api/admin/pass-products", json=product)  # unlimited, every venue
        assert club.status_code == 201 and club.json()["trainings"] is None

        # bad input: a clear answer naming the field, nothing stored
        for bad in (
            {**product, "price_kopecks": 0},
            {**product, "venue_id": world.venue_a, "track_types": ["drag"]},
            {**product, "venue_id": world.venue_a, "title": "   "},
            {**product, "venue_id": world.venue_a, "valid_days": 401},
        ):
            answer = local.post("/api/admin/pass-products", json=bad)
            assert answer.status_code == 422, (bad, answer.text)
            assert answer.json()["code"] == "invalid"
        seen = {p["id"] for p in local.get("/api/admin/pass-products").json()}
        assert seen == {mine.json()["id"], club.json()["id"]}  # not venue B's
        assert world.pass_product_b in {
            p["id"] for p in root.get("/api/admin/pass-products").json()
        }

        # retire: once, then no change; a club-wide product is a superadmin's
        url = f"/api/admin/pass-products/{mine.json()['id']}/retire"
        assert local.post(url).json()["active"] is False
        assert local.post(url).status_code == 200
        assert len(audit_actions(root, "pass_product.retire")) == 1
        club_url = f"/api/admin/pass-products/{club.json()['id']}/retire"
        assert local.post(club_url).status_code == 403
        b_url = f"/api/admin/pass-products/{world.pass_product_b}/retire"
        assert local.post(b_url).status_code == 404
        created = audit_actions(root, "pass_product.create")
        assert {e["target"] for e in created} >= {
            f"pass_product:{mine.json()['id']}",
            f"pass_product:{club.json()['id']}",
        }
        assert any(e["actor"] == f"admin:{world.local_a['id']} via admin_api" for e in created)

        # passes sold: venue B's pass is not the local admin's; refunding an unused one works once
        assert local.get("/api/admin/passes").json() == []
        [sold] = root.get("/api/admin/passes").json()
        assert (sold["id"], sold["credits_used"], sold["credits_left"]) == (world.pass_b, 0, 5)
        assert local.post(f"/api/admin/passes/{world.pass_b}/refund").status_code == 404
        first = root.post(f"/api/admin/passes/{world.pass_b}/refund")
        assert first.status_code == 200 and first.json()["status"] == "refunded"
        assert root.post(f"/api/admin/passes/{world.pass_b}/refund").json()["refunds"] == []
        assert len(audit_actions(root, "pass.refund")) == 1
        assert root.get("/api/admin/passes", params={"status": "active"}).json() == []


def _past_training(gw: AdminGateway, world: World) -> int:
    for nick, telegram_id, shown in (
        ("Skywalker", 9101, True),
        ("Korvin", 9102, True),
        ("Vortex", 9103, False),
        ("Newbie", 9104, True),
    ):
        pilot_id = make_pilot(gw.db, telegram_id, nickname=nick)
        with gw.db.transaction() as tx:
            tx.execute("UPDATE pilots SET show_on_site = :s WHERE id = :id", s=shown, id=pilot_id)
    return make_training(gw.db, venue_id=world.venue_a, starts_in=timedelta(days=-1), now=RACED)


def test_import_a_rotorhazard_export_match_a_callsign_and_read_the_leaderboard(
    admin_gw: AdminGateway, world: World, capsys
):
    training = _past_training(admin_gw, world)
    export = (DATA / "rotorhazard-results.json").read_text()
    with client_for(admin_gw, "local_a") as local, client_for(admin_gw, "root") as root:
        url = f"/api/admin/trainings/{training}/results"
        answer = local.post(f"{url}/import", json={"filename": "results.json", "content": export})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "training_id": training,
            "results": 11,
            "matched": 9,
            "unmatched": ["Stranger"],
        }
        shown = local.get(url).json()
        assert shown["unmatched"] == ["Stranger"] and len(shown["results"]) == 11
        assert {r["nickname"] for r in shown["results"] if r["pilot_id"]} == {
            "Skywalker",
            "Korvin",
            "Vortex",
        }

        # the unmatched callsign decided: once, a second submit changes nothing
        match = local.post(f"{url}/match", json={"callsign": "Stranger", "nickname": "newbie"})
        assert match.status_code == 200, match.text
        assert match.json() == {"training_id": training, "matched": 2, "unmatched": []}
        again = local.post(f"{url}/match", json={"callsign": "Stranger", "nickname": "Newbie"})
        assert again.json()["matched"] == 0
        for unknown in (
            {"callsign": "Nobody", "nickname": "Newbie"},
            {"callsign": "Stranger", "nickname": "ghost"},
        ):
            assert local.post(f"{url}/match", json=unknown).status_code == 404
        assert len(audit_actions(root, "results.match")) == 1

        # the leaderboard is `fpv ratings board`: opted-in pilots only, best first
        city = world.city_a
        board = local.get("/api/admin/leaderboard", params={"city_id": city, "season": 2026})
        assert board.status_code == 200, board.text
        assert main(["ratings", "board", str(city), "--season", "2026"]) == 0
        printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        items = board.json()["items"]
        assert [(i["nickname"], i["ordinal"], i["races"]) for i in items] == [
            (p["nickname"], p["ordinal"], p["races"]) for p in printed
        ]
        assert {i["nickname"] for i in items} == {"Skywalker", "Korvin", "Newbie"}  # not Vortex
        assert [i["place"] for i in items] == [1, 2, 3]
        unknown_city = local.get("/api/admin/leaderboard", params={"city_id": 10**9})
        assert unknown_city.status_code == 404

        recomputed = local.post("/api/admin/ratings/recompute", json={"season": 2026})
        assert recomputed.json() == {"season": 2026, "ratings": 4}
        same = local.get("/api/admin/leaderboard", params={"city_id": city, "season": 2026})
        assert same.json() == board.json()
        assert len(audit_actions(root, "ratings.recompute")) == 1
        [imported] = audit_actions(root, "results.import")
        assert imported["target"] == f"training:{training}" and "Stranger" not in str(imported)


def test_manual_results_and_refusals(admin_gw: AdminGateway, world: World):
    training = _past_training(admin_gw, world)
    coming = make_training(admin_gw.db, venue_id=world.venue_a)
    final = {"heat": "Финал", "laps": 5}
    table = {
        "results": [
            {**final, "position": 1, "callsign": "Korvin", "fastest_lap_ms": 11_800},
            {**final, "position": 2, "callsign": "skywalker"},
            {**final, "position": 3, "callsign": "Guest", "laps": 4},
        ]
    }
    with client_for(admin_gw, "local_a") as local, client_for(admin_gw, "root") as root:
        url = f"/api/admin/trainings/{training}/results"
        first = local.put(url, json=table)
        assert first.status_code == 200, first.text
        assert first.json()["matched"] == 2 and first.json()["unmatched"] == ["Guest"]
        assert local.put(url, json=table).json() == first.json()  # twice: the same table
        assert len(local.get(url).json()["results"]) == 3

        twice = {"results": [table["results"][0], {**table["results"][0], "position": 2}]}
        refused = local.put(url, json=twice)
        assert refused.status_code == 422 and "twice" in refused.json()["detail"]
        unreadable = local.post(f"{url}/import", json={"filename": "r.csv", "content": "a,b\n"})
        assert unreadable.status_code == 422 and "RotorHazard" in unreadable.json()["detail"]
        future = local.put(f"/api/admin/trainings/{coming}/results", json=table)
        assert future.status_code == 422 and "not started" in future.json()["detail"]
        b_url = f"/api/admin/trainings/{world.training_b_past}/results"
        assert local.put(b_url, json=table).status_code == 404
        assert local.get(b_url).status_code == 404
        assert len(local.get(url).json()["results"]) == 3  # nothing lost by the refusals
        [entry, _same] = audit_actions(root, "results.record")
        assert entry["details"]["results"] == 3 and entry["venue_id"] == world.venue_a
