"""The authorization matrix, generated from the OpenAPI document: every admin operation ×
{no session, expired session, wrong CSRF, local admin of venue A on venue B's objects,
superadmin}, each cell with its expected status, through the local gateway.

Each operation declares its access in `x-fpv-access` (any / venue / super); the expected status
of a cell follows from it. A new operation without a request body sample here fails the test.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fpv.admin import auth
from tests.integration.test_payments_harness import fake_servers, fakes_fixture  # noqa: F401
from tests.support.admin import (  # noqa: F401 - fixture
    AdminGateway,
    World,
    admin_gw_fixture,
    build_world,
    session_for,
    with_session,
)

_n = itertools.count(1)
RH_CSV = (Path(__file__).resolve().parents[1] / "data" / "rotorhazard-results.csv").read_text()


def _future(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def bodies(w: World) -> dict[tuple[str, str], object]:
    """A valid body per operation that takes one (fresh values for every call)."""
    n = next(_n)
    next_week = str(date.today() + timedelta(days=7))
    return {
        ("post", "/api/admin/cities"): {
            "slug": f"city-m{n}",
            "name_ru": "Город",
            "name_en": "City",
        },
        ("patch", "/api/admin/cities/{city_id}"): {"name_en": f"City {n}"},
        ("post", "/api/admin/venues"): {
            "city_id": w.city_b,
            "slug": f"venue-m{n}",
            "name": "Поле",
            "time_zone": "Europe/Moscow",
        },
        ("patch", "/api/admin/venues/{venue_id}"): {"address": f"ул. Новая, {n}"},
        ("post", "/api/admin/trainings"): {
            "venue_id": w.venue_b,
            "title": "New",
            "starts_at": _future(5),
            "ends_at": _future(6),
        },
        ("post", "/api/admin/trainings/series"): {
            "venue_id": w.venue_b,
            "title": "Weekly",
            "first_date": next_week,
            "start_time": "19:00",
            "duration_minutes": 120,
            "count": 2,
        },
        ("patch", "/api/admin/trainings/{training_id}"): {"title": f"Renamed {n}"},
        ("post", "/api/admin/registrations/{registration_id}/channel"): {"channel_mhz": 5658},
        ("post", "/api/admin/registrations/{registration_id}/attendance"): {
            "attendance": "no_show"
        },
        ("post", "/api/admin/registrations/{registration_id}/cancel"): {"refund": False},
        ("post", "/api/admin/admins"): {
            "telegram_id": 940_000 + n,
            "login": f"new{n}",
            "password": "a long enough password",
            "role": "local",
            "venue_ids": [w.venue_b],
        },
        ("patch", "/api/admin/admins/{admin_id}"): {"language": "en"},
        ("post", "/api/admin/api-keys"): {
            "name": f"timing gates {n}",
            "scopes": ["schedule:read"],
            "venue_ids": [w.venue_b],
        },
        ("post", "/api/admin/pass-products"): {
            "title": f"Абонемент {n}",
            "valid_days": 30,
            "price_kopecks": 300_000,
            "trainings": 4,
            "venue_id": w.venue_b,
        },
        ("put", "/api/admin/trainings/{training_id}/results"): {
            "results": [
                {"heat": "Heat 1", "position": 1, "callsign": "bravo_b", "laps": 3},
                {"heat": "Heat 1", "position": 2, "callsign": "Stranger", "laps": 2},
            ]
        },
        ("post", "/api/admin/trainings/{training_id}/results/import"): {
            "filename": "results.csv",
            "content": RH_CSV,
        },
        ("post", "/api/admin/trainings/{training_id}/results/match"): {
            "callsign": "Stranger",
            "nickname": "bravo_c",
        },
        ("post", "/api/admin/ratings/recompute"): {},
    }


def path_for(w: World, method: str, template: str) -> str:
    """Venue B's objects; destructive operations get objects of their own."""
    params = {
        "city_id": w.city_b,
        "venue_id": w.venue_b,
        "training_id": (
            w.training_b_cancel
            if template.endswith("/cancel")
            else w.training_b_past  # results: a training that has taken place
            if "/results" in template
            else w.training_b
        ),
        "registration_id": (
            w.registration_b_cancel
            if template.endswith("/cancel")
            else w.registration_b_past
            if template.endswith("/attendance")
            else w.registration_b
        ),
        "pilot_id": w.pilot_b,
        "admin_id": w.spare_admin["id"] if template.endswith("/disable") else w.other_admin["id"],
        "key_id": w.api_key_b,
        "product_id": w.pass_product_b,
        "pass_id": w.pass_b,
    }
    return template.format(**params)


def queries(w: World) -> dict[tuple[str, str], dict]:
    return {
        ("get", "/api/admin/pilots"): {"q": "bravo"},
        ("get", "/api/admin/leaderboard"): {"city_id": w.city_b},
    }


def operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if path.startswith("/api/admin/") and op.get("x-fpv-access") != "login"
    ]


def expected(op: dict, method: str, cell: str) -> int:
    access = op["x-fpv-access"]
    success = int(next(c for c in op["responses"] if c.startswith("2")))
    if cell in ("no_session", "expired"):
        return 401
    if cell == "wrong_csrf":
        return 403 if method != "get" else success
    if cell == "local_a":
        return {"any": success, "venue": 404, "super": 403}[access]
    return success


CELLS = ("no_session", "expired", "wrong_csrf", "local_a", "superadmin")


def test_authorization_matrix(admin_gw: AdminGateway):
    world = build_world(admin_gw.db)
    doc = httpx.get(f"{admin_gw.url}/api/openapi.json").json()
    ops = operations(doc)
    assert len(ops) >= 25
    sample = bodies(world)
    needing_body = {(m, p) for m, p, op in ops if "requestBody" in op}
    assert needing_body <= set(sample), f"add a sample body for {needing_body - set(sample)}"
    assert {op["x-fpv-access"] for _m, _p, op in ops} == {"any", "venue", "super"}

    expired_token, _ = session_for(admin_gw.db, "root")
    with admin_gw.db.transaction() as tx:  # 2 h 1 s idle
        tx.execute(
            "UPDATE admin_2fa_sessions SET last_seen_at = now() - interval '2 hours 1 second'"
            " WHERE token_hash = encode(sha256(convert_to(:t, 'UTF8')), 'hex')",
            t=expired_token,
        )

    failures = []
    sessions: dict[str, tuple[str, str]] = {}

    def session(login: str) -> tuple[str, str]:
        if login not in sessions:
            sessions[login] = session_for(admin_gw.db, login)
        return sessions[login]

    for method, template, op in ops:
        path = path_for(world, method, template)
        for cell in CELLS:
            if cell == "no_session":
                token, csrf = None, None
            elif cell == "expired":
                token, csrf = expired_token, "whatever"
            else:
                token, csrf = session("local_a" if cell == "local_a" else "root")
            if cell == "wrong_csrf":
                csrf = "not-the-token"
            with with_session(admin_gw, token) as client:
                response = client.request(
                    method.upper(),
                    path,
                    json=bodies(world).get((method, template)),
                    params=queries(world).get((method, template)),
                    headers={auth.CSRF_HEADER: csrf} if csrf else {},
                )
            if "/logout" in template and response.status_code == 200:
                sessions.clear()  # that session (or all of them) is gone
            want = expected(op, method, cell)
            if response.status_code != want:
                got = f"{response.status_code} != {want} {response.text[:200]}"
                failures.append(f"{method.upper()} {template} [{cell}]: {got}")
            elif response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
    assert not failures, "\n".join(failures)


@pytest.fixture
def world(admin_gw) -> World:
    return build_world(admin_gw.db)


def test_a_local_admin_lists_only_their_venues_rows(admin_gw, world):
    token, _ = session_for(admin_gw.db, "local_a")
    super_token, _ = session_for(admin_gw.db, "root")
    with with_session(admin_gw, token) as local, with_session(admin_gw, super_token) as root:
        venues = local.get("/api/admin/venues").json()
        assert [v["id"] for v in venues] == [world.venue_a]
        trainings = local.get("/api/admin/trainings").json()
        assert {t["venue_id"] for t in trainings} == {world.venue_a}
        assert {t["venue_id"] for t in root.get("/api/admin/trainings").json()} == {
            world.venue_a, world.venue_b,
        }  # fmt: skip
        stats = local.get("/api/admin/stats").json()
        assert [v["venue_id"] for v in stats["venues"]] == [world.venue_a]
        assert [c["id"] for c in local.get("/api/admin/cities").json()] == [world.city_a]
        assert local.get("/api/admin/pilots", params={"q": "bravo"}).json() == []
        assert [p["id"] for p in local.get("/api/admin/pilots", params={"q": "a"}).json()] == [
            world.pilot_a
        ]
        assert len(root.get("/api/admin/pilots", params={"q": "bravo"}).json()) == 2
        history = local.get(f"/api/admin/pilots/{world.pilot_a}").json()
        assert [r["training_id"] for r in history["registrations"]] == [world.training_a]
        assert set(history) == {"id", "nickname", "telegram_id", "registrations"}
