"""Builders for Telegram updates (shaped like the Bot API's) and a chat driver for bot tests."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fpv.local.fake_telegram import Call, FakeTelegram

_update_ids = itertools.count(10_000)
_message_ids = itertools.count(1)

WEBHOOK_SECRET = "test-webhook-secret"


def user(telegram_id: int, language: str = "ru", first_name: str = "Pilot") -> dict[str, Any]:
    return {
        "id": telegram_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language,
    }


def message_update(
    telegram_id: int, text: str, *, language: str = "ru", update_id: int | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": telegram_id, "type": "private"},
        "from": user(telegram_id, language),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id or next(_update_ids), "message": message}


def callback_update(
    telegram_id: int,
    data: str,
    *,
    language: str = "ru",
    message_id: int = 1,
    message_text: str = "…",
    update_id: int | None = None,
) -> dict[str, Any]:
    return {
        "update_id": update_id or next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": user(telegram_id, language),
            "chat_instance": str(telegram_id),
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": telegram_id, "type": "private"},
                "from": {"id": 7000000001, "is_bot": True, "first_name": "FPV Training"},
                "text": message_text,
            },
        },
    }


@dataclass
class Chat:
    """One pilot talking to the bot through the webhook URL (real HTTP), reading what the bot
    sent from the fake Bot API server."""

    fake: FakeTelegram
    url: str
    telegram_id: int
    language: str = "ru"
    secret: str = WEBHOOK_SECRET
    responses: list[httpx.Response] = field(default_factory=list)
    _seen: int = 0

    def post(self, update: dict[str, Any], secret: str | None = None) -> httpx.Response:
        response = httpx.post(
            self.url,
            content=json.dumps(update),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": secret or self.secret,
            },
            timeout=30,
        )
        self.responses.append(response)
        return response

    def send(self, text: str) -> httpx.Response:
        response = self.post(message_update(self.telegram_id, text, language=self.language))
        assert response.status_code == 200, response.text
        return response

    def press(self, data: str, message_id: int = 1) -> httpx.Response:
        response = self.post(
            callback_update(self.telegram_id, data, language=self.language, message_id=message_id)
        )
        assert response.status_code == 200, response.text
        return response

    # --- what the bot said -------------------------------------------------------------------
    def sent(self) -> list[Call]:
        return self.fake.sent_to(self.telegram_id)

    def new(self) -> list[Call]:
        """Messages (sent or edited) since the last call of `new`."""
        calls = self.sent()
        fresh, self._seen = calls[self._seen :], len(calls)
        return fresh

    def last(self) -> Call:
        calls = self.sent()
        assert calls, "the bot sent nothing"
        return calls[-1]

    def buttons(self) -> list[str]:
        """callback_data of the last message that had buttons."""
        for call in reversed(self.sent()):
            data = call.button_data()
            if data:
                return data
        return []

    def toasts(self) -> list[dict[str, Any]]:
        return [c.params for c in self.fake.calls_to("answerCallbackQuery")]


# --- the platform with the bot wired to a fake Bot API server ------------------------------------


@dataclass
class BotPlatform:
    fake: FakeTelegram
    webhook_url: str
    base_url: str
    db: Any
    bus: Any

    def chat(self, telegram_id: int, language: str = "ru") -> Chat:
        return Chat(self.fake, self.webhook_url, telegram_id, language)

    def events(self, reason: str | None = None) -> list[dict[str, Any]]:
        from fpv.ports.events import SCHEDULE_CHANGED

        return [
            e["detail"]
            for e in list(self.bus.published)
            if e["detail-type"] == SCHEDULE_CHANGED
            and (reason is None or e["detail"].get("reason") == reason)
        ]


_WEBHOOK_ONLY_TEMPLATE = """
Resources:
  TelegramWebhookFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code_uri}
      Handler: app.lambda_handler
      Timeout: 15
      Events:
        Webhook:
          Type: HttpApi
          Properties:
            Path: /telegram/webhook
            Method: POST
"""


@contextmanager
def bot_platform(tmp_path, monkeypatch, *, full_template: bool = True) -> Iterator[BotPlatform]:
    """`fpv dev`'s platform (real PostgreSQL from `app_env`, the template's routes) served over
    HTTP by uvicorn, with the bot talking to a fake Bot API server on 127.0.0.1.

    `full_template=False` serves only the webhook function (same code, same gateway): events
    then reach no rule targets, which keeps tests about the webhook itself fast."""
    from fpv import runtime
    from fpv.local.runner import platform
    from fpv.settings import get_settings
    from tests.support.server import serve_in_thread

    root = Path(__file__).resolve().parents[2]
    isolate_event_bus(monkeypatch)
    with FakeTelegram() as fake:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://fpv.example/schedule")
        get_settings.cache_clear()
        template = None
        if not full_template:
            template = tmp_path / "template-webhook-only.yaml"
            code_uri = root / "functions" / "telegram_webhook"
            template.write_text(_WEBHOOK_ONLY_TEMPLATE.format(code_uri=code_uri), encoding="utf-8")
        with (
            platform(root, data_dir=tmp_path, schedules=False, template_path=template) as gateway,
            serve_in_thread(gateway) as url,
        ):
            try:
                yield BotPlatform(
                    fake=fake,
                    webhook_url=f"{url}/telegram/webhook",
                    base_url=url,
                    db=runtime.database(),
                    bus=runtime.event_bus(),
                )
            finally:
                _join_event_deliveries()


def isolate_event_bus(monkeypatch) -> None:
    """A fresh in-process bus for this test: the platform subscribes its rule targets to it, and
    they are gone with it afterwards (instead of reacting to other tests' events)."""
    from fpv import runtime

    monkeypatch.setattr(runtime, "_bus", None)


def _join_event_deliveries(timeout: float = 10.0) -> None:
    """Events are delivered to their rule targets (e.g. the site publisher) in background
    threads, as EventBridge does; let them finish before the test database is dropped."""
    import threading

    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "(invoke)" in thread.name:
            thread.join(max(0.0, deadline - time.monotonic()))
