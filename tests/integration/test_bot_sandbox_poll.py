"""The local chat sandbox (/dev/chat, `make run` without a token), the `fpv poll` bridge and
`fpv set-webhook`, each against the fake Bot API server and real PostgreSQL."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from fpv.bot.deps import BotDeps
from fpv.bot.poll import Poller, deliver_in_process, deliver_over_http
from fpv.bot.webhook import WebhookService
from fpv.cli import main as fpv_main
from fpv.local.fake_telegram import FakeTelegram
from fpv.ports.events import InProcessEventBus
from fpv.settings import get_settings
from tests.support.bot import WEBHOOK_SECRET, bot_platform, isolate_event_bus, message_update
from tests.support.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
CHAT = 740_001


def wait_messages(client: httpx.Client, chat_id: int, after: int, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        messages = client.get(
            "/dev/chat/api/messages", params={"chat_id": chat_id, "after": after}
        ).json()["messages"]
        if predicate(messages):
            return messages
        if time.monotonic() > deadline:
            raise AssertionError(f"no matching messages: {messages}")
        time.sleep(0.05)


def test_chat_sandbox_without_a_token(app_env, tmp_path, monkeypatch):
    from fpv.local.runner import platform

    isolate_event_bus(monkeypatch)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    with (
        platform(ROOT, data_dir=tmp_path, schedules=False) as gateway,
        serve_in_thread(gateway) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        assert os.environ["TELEGRAM_API_BASE_URL"].startswith("http://127.0.0.1:")
        page = client.get("/dev/chat")
        assert page.status_code == 200 and "chat sandbox" in page.text
        assert "innerHTML" not in page.text  # bot text is only ever inserted as text

        sent = client.post("/dev/chat/api/send", json={"chat_id": CHAT, "text": "/start"})
        assert sent.json() == {"webhook_status": 200}
        (consent,) = wait_messages(client, CHAT, -1, lambda m: len(m) >= 1)
        assert consent["kind"] == "message" and "152-ФЗ" in consent["text"]
        assert [b["data"] for row in consent["buttons"] for b in row] == ["ok:0", "no"]

        pressed = client.post(
            "/dev/chat/api/press",
            json={"chat_id": CHAT, "data": "ok:0", "message_id": consent["message_id"]},
        )
        assert pressed.json() == {"webhook_status": 200}
        after = consent["seq"]
        messages = wait_messages(client, CHAT, after, lambda m: len(m) >= 2)
        edit = next(m for m in messages if m["kind"] == "edit")
        assert edit["message_id"] == consent["message_id"] and "согласие" in edit["text"]
        assert any("ник" in m.get("text", "") for m in messages if m["kind"] == "message")

        after = max(m["seq"] for m in messages)
        client.post("/dev/chat/api/send", json={"chat_id": CHAT, "text": "Sandboxer"})
        messages = wait_messages(client, CHAT, after, lambda m: any(x.get("buttons") for x in m))
        assert any("eqok" in str(m["buttons"]) for m in messages)
        after = max(m["seq"] for m in messages)
        client.post("/dev/chat/api/send", json={"chat_id": CHAT, "text": "/schedule"})
        (photo,) = wait_messages(client, CHAT, after, lambda m: len(m) >= 1)
        assert photo["photo"] is True

        # another chat sees none of this one's messages
        assert client.get("/dev/chat/api/messages", params={"chat_id": CHAT + 1}).json() == {
            "messages": []
        }
        # bad input to the sandbox itself
        assert client.post("/dev/chat/api/send", json={"chat_id": CHAT}).status_code == 400
        assert client.post(
            "/dev/chat/api/send", json={"chat_id": "x", "text": "hi"}
        ).status_code == (400)
        assert client.post("/dev/chat/api/press", content=b"not json").status_code == 400
        assert client.get("/dev/chat/api/messages").status_code == 400
        # the webhook behind it still wants the secret
        assert client.post(
            "/telegram/webhook", json=message_update(CHAT, "/start")
        ).status_code == (401)
    # the sandbox's settings do not outlive it
    assert "TELEGRAM_BOT_TOKEN" not in os.environ


def test_with_a_token_there_is_no_sandbox(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch, full_template=False) as p:
        assert httpx.get(f"{p.base_url}/dev/chat").status_code == 404


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def test_poll_bridge_in_process(db, fake):
    service = WebhookService(
        deps=BotDeps(db=db, bus=InProcessEventBus()),
        token=fake.token,
        api_base_url=fake.base_url,
        secret=WEBHOOK_SECRET,
    )
    poller = Poller(fake.base_url, fake.token, deliver_in_process(service), timeout=0)
    try:
        poller.prepare()
        assert fake.calls_to("deleteWebhook")
        first = fake.push_update(message_update(CHAT, "/start"))
        fake.push_update(message_update(CHAT, "/help"))
        assert poller.poll_once() == 2
        assert poller.offset == first["update_id"] + 2
        assert len(fake.calls_to("sendMessage", CHAT)) == 2
        assert poller.poll_once() == 0  # acknowledged: not delivered again
    finally:
        poller.close()
        service.close()


def test_poll_bridge_keeps_an_update_that_failed_transiently(fake):
    statuses = iter([503, 200])
    seen = []

    def deliver(update):
        seen.append(update["update_id"])
        return next(statuses)

    poller = Poller(fake.base_url, fake.token, deliver, timeout=0, sleep=lambda _s: None)
    try:
        update = fake.push_update(message_update(CHAT, "/start"))
        assert poller.poll_once() == 0 and poller.offset is None
        assert poller.poll_once() == 1 and poller.offset == update["update_id"] + 1
        assert seen == [update["update_id"], update["update_id"]]
    finally:
        poller.close()


def test_poll_bridge_over_http_to_the_gateway(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch, full_template=False) as p:
        deliver = deliver_over_http(p.base_url + "/telegram/webhook", WEBHOOK_SECRET)
        poller = Poller(p.fake.base_url, p.fake.token, deliver, timeout=0)
        try:
            p.fake.push_update(message_update(CHAT, "/start"))
            assert poller.poll_once() == 1
        finally:
            poller.close()
        assert "152-ФЗ" in p.fake.sent_to(CHAT)[-1].text
        wrong = deliver_over_http(p.base_url + "/telegram/webhook", "wrong")
        assert wrong(message_update(CHAT, "/start")) == 401


def test_set_webhook_command(fake, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    get_settings.cache_clear()
    try:
        assert fpv_main(["set-webhook", "--url", "https://abc.execute-api.example.com/"]) == 0
    finally:
        get_settings.cache_clear()
    (hook,) = fake.calls_to("setWebhook")
    assert hook.params["url"] == "https://abc.execute-api.example.com/telegram/webhook"
    assert hook.params["secret_token"] == WEBHOOK_SECRET
    assert "callback_query" in hook.params["allowed_updates"]
    commands = fake.calls_to("setMyCommands")
    assert len(commands) == 2
    assert {c.params.get("language_code") for c in commands} == {None, "en"}
    assert "delete_me" in str(commands[0].params["commands"])
    assert "webhook set" in capsys.readouterr().out
    assert WEBHOOK_SECRET not in capsys.readouterr().out


def test_set_webhook_without_a_token_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    get_settings.cache_clear()
    try:
        assert fpv_main(["set-webhook", "--url", "https://x.example"]) == 2
    finally:
        get_settings.cache_clear()
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err
