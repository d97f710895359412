"""The pilots' app API through the local gateway over HTTP (the template's routes, FastAPI behind
Mangum), with the bot talking to the fake Bot API server and real PostgreSQL: sign-in through the
bot and its failure modes, app use cases, and the private calendar feed."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from icalendar import Calendar

from fpv import outbox
from tests.support.apis import bearer
from tests.support.bot import BotPlatform, Chat, bot_platform
from tests.support.factories import make_pilot, make_training

PILOT, STRANGER = 720_001, 720_002


@pytest.fixture
def p(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch) as platform:
        yield platform


def api(p: BotPlatform, method: str, path: str, token: str | None = None, **kw) -> httpx.Response:
    headers = bearer(token) if token else {}
    return httpx.request(method, f"{p.base_url}{path}", headers=headers, timeout=30, **kw)


def start_sign_in(p: BotPlatform, device: str = "Pixel 9") -> dict:
    r = api(p, "POST", "/api/app/sign-in", json={"device_name": device})
    assert r.status_code == 201, r.text
    return r.json()


def exchange(p: BotPlatform, started: dict) -> httpx.Response:
    body = {"nonce": started["nonce"], "verifier": started["verifier"]}
    return api(p, "POST", "/api/app/sign-in/token", json=body)


def confirm_in_bot(chat: Chat, started: dict) -> None:
    payload = started["deep_link"].split("?start=", 1)[1]
    chat.send(f"/start {payload}")
    assert f"app:{started['nonce']}" in chat.buttons()
    chat.press(f"app:{started['nonce']}")


def sign_in(p: BotPlatform, chat: Chat) -> str:
    started = start_sign_in(p)
    confirm_in_bot(chat, started)
    r = exchange(p, started)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def test_sign_in_round_trip_through_the_bot(p: BotPlatform):
    make_pilot(p.db, PILOT, nickname="Ace")
    chat = p.chat(PILOT)
    started = start_sign_in(p, "Pixel 9")
    assert started["deep_link"].startswith("https://t.me/fpv_training_bot?start=app_")

    # before the pilot confirms, the app is told to wait
    early = exchange(p, started)
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")

    confirm_in_bot(chat, started)
    assert "Pixel 9" in chat.sent()[-2].text  # the question named the device
    token_response = exchange(p, started)
    assert token_response.status_code == 200, token_response.text
    token = token_response.json()["token"]

    me = api(p, "GET", "/api/app/me", token)
    assert me.status_code == 200 and me.json()["nickname"] == "Ace"
    # stored hashed only
    with p.db.transaction(readonly=True) as tx:
        stored = tx.value("SELECT token_hash FROM app_devices")
    assert stored == hashlib.sha256(token.encode()).hexdigest()

    # the nonce is single use
    again = exchange(p, started)
    assert again.status_code == 410


def test_sign_in_failures(p: BotPlatform):
    make_pilot(p.db, PILOT, nickname="Ace")
    chat = p.chat(PILOT)

    # a wrong verifier is as good as no sign-in
    started = start_sign_in(p)
    confirm_in_bot(chat, started)
    stolen = api(
        p,
        "POST",
        "/api/app/sign-in/token",
        json={"nonce": started["nonce"], "verifier": "x" * 43},
    )
    assert stolen.status_code == 404

    # expired nonce: the bot says so and the exchange is refused
    late = start_sign_in(p)
    with p.db.transaction() as tx:
        tx.execute("UPDATE app_sign_ins SET expires_at = now() - interval '1 minute'")
    payload = late["deep_link"].split("?start=", 1)[1]
    chat.send(f"/start {payload}")
    chat.press(f"app:{late['nonce']}")
    assert "устарела" in chat.last().text
    assert exchange(p, late).status_code == 410

    # a person without consent is asked for consent, and nothing is confirmed
    stranger = p.chat(STRANGER)
    fresh = start_sign_in(p)
    stranger.send(f"/start app_{fresh['nonce']}")
    assert any(b.startswith("ok:") for b in stranger.buttons())
    stranger.press(f"app:{fresh['nonce']}")  # an old button pressed anyway
    assert exchange(p, fresh).status_code == 409  # still unconfirmed
    with p.db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = :t", t=STRANGER) == 0

    # an unknown nonce in a deep link gets a friendly answer
    chat.send("/start app_" + "A" * 24)
    assert "устарела" in chat.last().text


def test_revoked_device_is_signed_out(p: BotPlatform):
    make_pilot(p.db, PILOT, nickname="Ace")
    chat = p.chat(PILOT)
    token = sign_in(p, chat)
    assert api(p, "GET", "/api/app/me", token).status_code == 200

    chat.press("prof")
    chat.press("devs")
    revoke = [b for b in chat.buttons() if b.startswith("devx:")]
    assert len(revoke) == 1
    chat.press(revoke[0])
    assert api(p, "GET", "/api/app/me", token).status_code == 401
    chat.press(revoke[0])  # twice: a stale button, nothing breaks
    assert api(p, "GET", "/api/app/devices", sign_in(p, chat)).json()[0]["current"] is True


def test_app_signs_up_pays_in_telegram_cancels_and_deletes(p: BotPlatform):
    make_pilot(p.db, PILOT, nickname="Ace")
    token = sign_in(p, p.chat(PILOT))
    free = make_training(p.db, title="Free")
    paid = make_training(p.db, price_kopecks=50_000, title="Paid")

    card = api(p, "GET", f"/api/app/trainings/{free}", token).json()
    assert card["mine"] is None and card["channels"]
    wanted = card["channels"][1]["mhz"]
    r = api(
        p, "POST", f"/api/app/trainings/{free}/registrations", token, json={"channel_mhz": wanted}
    )
    assert r.status_code == 201, r.text
    reg = r.json()["registration"]
    assert reg["status"] == "confirmed" and reg["channel_mhz"] == wanted
    assert r.json()["invoice_link"] is None
    dup = api(p, "POST", f"/api/app/trainings/{free}/registrations", token)
    assert dup.status_code == 409

    board = api(p, "GET", f"/api/app/trainings/{free}", token).json()
    assert board["mine"]["id"] == reg["id"] and board["board"][0]["channel_mhz"] == wanted

    r = api(p, "POST", f"/api/app/trainings/{paid}/registrations", token)
    assert r.status_code == 201, r.text
    assert r.json()["registration"]["status"] == "pending_payment"
    assert r.json()["invoice_link"].startswith("https://t.me/$")
    link_call = p.fake.calls_to("createInvoiceLink")[-1]
    assert link_call.params["currency"] and "chat_id" not in link_call.params

    # the notifications feed: what the bot said, reminders included
    with p.db.transaction() as tx:
        tx.execute(
            "INSERT INTO reminders_sent (registration_id, kind, sent_at, outcome)"
            " VALUES (:r, '24h', now(), 'sent')",
            r=reg["id"],
        )
        outbox.message(tx, PILOT, "Channel moved to R2")
    feed = api(p, "GET", "/api/app/notifications", token)
    assert feed.status_code == 200, feed.text
    texts = [n["text"] for n in feed.json()["items"]]
    assert "Channel moved to R2" in texts
    assert any("Free" in x and x.startswith("⏰") for x in texts)

    mine = api(p, "GET", "/api/app/registrations", token).json()
    assert {m["training_id"] for m in mine} == {free, paid}

    other = next(c for c in card["channels"] if c["mhz"] != wanted)["mhz"]
    moved = api(
        p, "PUT", f"/api/app/registrations/{reg['id']}/channel", token, json={"channel_mhz": other}
    )
    assert moved.status_code == 200 and moved.json()["mhz"] == other

    gone = api(p, "DELETE", f"/api/app/registrations/{reg['id']}", token)
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert api(p, "DELETE", f"/api/app/registrations/{reg['id']}", token).status_code == 404

    assert api(p, "DELETE", "/api/app/me", token).status_code == 204
    assert api(p, "GET", "/api/app/me", token).status_code == 401
    with p.db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM app_devices") == 0
        assert tx.value("SELECT count(*) FROM deletion_ledger WHERE telegram_id = :t", t=PILOT)


def _events(ics: bytes) -> list:
    return list(Calendar.from_ical(ics).walk("VEVENT"))


def test_private_feed_follows_sign_ups_and_rotates_in_the_bot(p: BotPlatform):
    make_pilot(p.db, PILOT, nickname="Ace")
    chat = p.chat(PILOT)
    token = sign_in(p, chat)
    training = make_training(p.db, title="Night race")

    chat.press("prof")
    chat.press("cal")
    chat.press("calnew")
    url = chat.last().text.split()[-1]
    path = url.split("fpv.example/schedule", 1)[1]
    assert path.startswith("/api/app/calendar/") and path.endswith(".ics")

    feed = api(p, "GET", path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert _events(feed.content) == []

    reg = api(p, "POST", f"/api/app/trainings/{training}/registrations", token).json()
    events = _events(api(p, "GET", path).content)
    assert len(events) == 1
    assert "Night race" in str(events[0]["SUMMARY"])
    description = str(events[0]["DESCRIPTION"])
    assert str(reg["registration"]["channel_mhz"]) in description and "1" in description

    api(p, "DELETE", f"/api/app/registrations/{reg['registration']['id']}", token)
    assert _events(api(p, "GET", path).content) == []

    # a new link turns the old one off (from the app this time)
    new = api(p, "POST", "/api/app/calendar", token)
    assert new.status_code == 201
    assert api(p, "GET", path).status_code == 404
    new_path = new.json()["url"].split("fpv.example/schedule", 1)[1]
    assert api(p, "GET", new_path).status_code == 200


def test_training_card_links_to_calendars(p: BotPlatform):
    make_pilot(p.db, PILOT, nickname="Ace")
    training = make_training(p.db, title="Calendar cup")
    chat = p.chat(PILOT)
    chat.send(f"/start training_{training}")
    rows = chat.last().reply_markup["inline_keyboard"]
    urls = [b["url"] for row in rows for b in row if "url" in b]
    assert urls[0].startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert "Calendar+cup" in urls[0]
    assert urls[1] == f"https://fpv.example/schedule/api/v1/trainings/{training}.ics"
    ics = api(p, "GET", f"/api/v1/trainings/{training}.ics")
    events = _events(ics.content)
    assert len(events) == 1 and "Calendar cup" in str(events[0]["SUMMARY"])
