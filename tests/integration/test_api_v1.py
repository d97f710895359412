"""The integration API over real HTTP (the ASGI app served by uvicorn on 127.0.0.1) with real
PostgreSQL: the public schedule (filters, cursor pages, ETags), keys scoped to venues (another
venue's registrations are 404), revoked and unknown keys (401), the per-key rate limit (429), last
use recorded, and `fpv apikey create|list|revoke`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fpv import actors, apikeys
from fpv.api.server import create_app
from fpv.cli import main
from fpv.ports.events import InProcessEventBus
from fpv.registrations import sign_up
from tests.support.admin import make_admin
from tests.support.apis import CLI, bearer, make_key
from tests.support.factories import make_pilot, make_training, make_venue
from tests.support.server import serve_in_thread


@pytest.fixture
def base(app_env):
    with serve_in_thread(create_app()) as url:
        yield url


def get(base: str, path: str, key: str | None = None, **kw) -> httpx.Response:
    headers = {**(bearer(key) if key else {}), **kw.pop("headers", {})}
    return httpx.get(f"{base}{path}", headers=headers, timeout=30, **kw)


def venue_of(db, training_id: int) -> int:
    with db.transaction(readonly=True) as tx:
        return tx.value("SELECT venue_id FROM trainings WHERE id = :t", t=training_id)


def test_schedule_needs_no_key_filters_pages_and_etags(base, db):
    a, b = make_venue(db), make_venue(db)
    soon = make_training(db, venue_id=a, starts_in=timedelta(days=1), capacity=1, title="Soon")
    later = make_training(db, venue_id=a, starts_in=timedelta(days=3), title="Later")
    other = make_training(db, venue_id=b, starts_in=timedelta(days=2), title="Other")
    make_pilot(db, 730_001)
    sign_up(db, InProcessEventBus(), training_id=soon, telegram_id=730_001)

    everything = get(base, "/api/v1/trainings")
    assert everything.status_code == 200
    assert [t["id"] for t in everything.json()["items"]] == [soon, other, later]
    first = everything.json()["items"][0]
    assert first["venue"]["id"] == a and first["seats_free"] == 0
    assert first["calendar"]["google"].startswith("https://calendar.google.com/")

    assert [t["id"] for t in get(base, f"/api/v1/trainings?venue={a}").json()["items"]] == [
        soon,
        later,
    ]
    free = get(base, "/api/v1/trainings?free_seats=1").json()["items"]
    assert soon not in [t["id"] for t in free]
    until = (datetime.now(UTC) + timedelta(days=2, hours=12)).isoformat()
    window = get(base, "/api/v1/trainings", params={"to": until}).json()["items"]
    assert [t["id"] for t in window] == [soon, other]

    # cursor pages walk the same order without repeats
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = get(base, "/api/v1/trainings", params=params).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [soon, other, later]
    bad = get(base, "/api/v1/trainings?cursor=not-a-cursor")
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["status"] == 400 and bad.json()["title"]

    # ETag / If-None-Match
    tag = everything.headers["etag"]
    assert get(base, "/api/v1/trainings", headers={"If-None-Match": tag}).status_code == 304
    make_training(db, venue_id=b, title="New")
    changed = get(base, "/api/v1/trainings", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag

    assert get(base, "/api/v1/venues?city=999999").json() == {"items": []}
    assert len(get(base, "/api/v1/cities").json()["items"]) == 2
    ics = get(base, f"/api/v1/trainings/{later}.ics")
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content
    assert get(base, "/api/v1/trainings/999999").status_code == 404


def test_key_sees_only_its_venues_registrations(base, db):
    mine = make_training(db)
    theirs = make_training(db)
    venue_a, venue_b = venue_of(db, mine), venue_of(db, theirs)
    make_pilot(db, 730_011, nickname="Falcon")
    make_pilot(db, 730_012, nickname="Hawk")
    bus = InProcessEventBus()
    sign_up(db, bus, training_id=mine, telegram_id=730_011)
    sign_up(db, bus, training_id=theirs, telegram_id=730_012)
    key = make_key(db, [venue_a])["key"]

    ok = get(base, f"/api/v1/venues/{venue_a}/registrations", key)
    assert ok.status_code == 200, ok.text
    (reg,) = ok.json()["items"]
    assert reg["nickname"] == "Falcon" and reg["channel_mhz"] and reg["heat"] == 1
    assert reg["payment_status"] == "free"
    assert set(reg) == {
        "id",
        "public_id",
        "training_id",
        "status",
        "nickname",
        "channel_mhz",
        "channel_label",
        "heat",
        "payment_status",
    }  # nothing more about the person

    other = get(base, f"/api/v1/venues/{venue_b}/registrations", key)
    assert other.status_code == 404
    assert "Hawk" not in other.text
    assert get(base, "/api/v1/venues/999999/registrations", key).status_code == 404

    schedule_only = make_key(db, [venue_a], scopes=("schedule:read",))["key"]
    assert get(base, f"/api/v1/venues/{venue_a}/registrations", schedule_only).status_code == 404


def test_missing_unknown_and_revoked_keys_are_401(base, db):
    venue = make_venue(db)
    made = make_key(db, [venue])
    path = f"/api/v1/venues/{venue}/registrations"
    assert get(base, path, made["key"]).status_code == 200
    assert get(base, path).status_code == 401
    assert get(base, path, "fpv_" + "x" * 43).status_code == 401
    unknown = get(base, path, "something-else")
    assert unknown.status_code == 401 and unknown.headers["www-authenticate"] == "Bearer"

    apikeys.revoke(db, CLI, made["id"])
    revoked = get(base, path, made["key"])
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == "unknown or revoked API key"


def test_rate_limit_per_key_and_last_use(base, db):
    venue = make_venue(db)
    slow = make_key(db, [venue], rate=3)
    other = make_key(db, [venue], rate=3)
    assert slow["last_used_at"] is None
    codes = [get(base, "/api/v1/me", slow["key"]).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = get(base, "/api/v1/me", slow["key"])
    assert int(limited.headers["retry-after"]) >= 1
    assert get(base, "/api/v1/me", other["key"]).status_code == 200  # per key
    listed = {k["id"]: k for k in apikeys.list_keys(db, CLI)}
    assert listed[slow["id"]]["last_used_at"] is not None
    # a new minute, a new window
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert apikeys.authenticate(db, slow["key"], now=later).id == slow["id"]


def test_apikey_cli_create_list_revoke(app_env, db, capsys):
    venue = make_venue(db)
    assert main(["apikey", "create", "--name", "CRM", "--venue", str(venue)]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["key"].startswith("fpv_") and made["venue_ids"] == [venue]
    assert apikeys.authenticate(db, made["key"]).venue_ids == {venue}
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM api_keys WHERE key_hash = :k", k=made["key"]) == 0

    assert main(["apikey", "list"]) == 0
    listed = capsys.readouterr().out
    assert made["key"] not in listed and '"name": "CRM"' in listed

    assert main(["apikey", "create", "--name", "x", "--venue", "999999"]) == 2
    assert "no such venue" in capsys.readouterr().err
    assert main(["apikey", "create", "--name", "x", "--venue", str(venue), "--scope", "root"]) == 2

    assert main(["apikey", "revoke", str(made["id"])]) == 0
    with pytest.raises(apikeys.Unauthenticated):
        apikeys.authenticate(db, made["key"])
    assert main(["apikey", "revoke", "999999"]) == 2


def test_only_superadmins_make_keys(db):
    venue = make_venue(db)
    with pytest.raises(apikeys.InvalidKeyRequest):
        apikeys.create(db, actors.pilot(1), name="x", scopes=["schedule:read"], venue_ids=[venue])
    local = actors.admin(1, "local", {venue}, via="admin_api")
    with pytest.raises(apikeys.InvalidKeyRequest):
        apikeys.create(db, local, name="x", scopes=["schedule:read"], venue_ids=[venue])
    boss_id = make_admin(db, "boss", 8_800_001)["id"]
    boss = actors.admin(boss_id, "superadmin", set(), via="admin_api")
    made = apikeys.create(db, boss, name="x", scopes=["schedule:read"], venue_ids=[venue])
    assert made["key"]
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT created_by FROM api_keys WHERE id = :id", id=made["id"]) == boss_id
