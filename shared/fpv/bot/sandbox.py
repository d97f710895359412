"""The local chat sandbox: talk to the bot in a browser at /dev/chat (`make run` without a token).

The bot runs exactly as in production: the page's messages and button presses become Telegram
updates POSTed to /telegram/webhook through the local gateway (with the webhook secret), and the
bot's replies are what it sent to the same fake Bot API server the tests use, shown as a chat.
Local only: the runner mounts it solely when TELEGRAM_BOT_TOKEN is unset.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import threading
import time
from contextlib import ExitStack
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from fpv.local.fake_telegram import Call, FakeTelegram

_SHOWN = {"sendMessage", "sendPhoto", "sendDocument", "sendInvoice", "editMessageText"}
_ENV = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_WEBHOOK_SECRET")
MESSAGE_ID_BASE = 1_000_000  # a sent message's id = base + its index in the fake's call log


class ChatSandbox:
    """Turns page actions into Telegram updates and the fake's recorded calls into a chat."""

    def __init__(self, fake: FakeTelegram, *, webhook_path: str = "/telegram/webhook") -> None:
        self.fake = fake
        self.webhook_path = webhook_path
        self._ids = itertools.count(int(time.time()) % 1_000_000 * 1000)
        self._queries: dict[str, int] = {}  # callback query id -> chat id (toasts have no chat)
        self._lock = threading.Lock()

    def _next(self) -> int:
        with self._lock:
            return next(self._ids)

    # --- updates --------------------------------------------------------------------------
    def _user(self, chat_id: int, language: str) -> dict[str, Any]:
        return {
            "id": chat_id,
            "is_bot": False,
            "first_name": "Sandbox",
            "language_code": language,
        }

    def message_update(self, chat_id: int, text: str, language: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self._user(chat_id, language),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": self._next(), "message": message}

    def callback_update(
        self, chat_id: int, data: str, message_id: int, language: str
    ) -> dict[str, Any]:
        query_id = str(self._next())
        with self._lock:
            self._queries[query_id] = chat_id
        return {
            "update_id": self._next(),
            "callback_query": {
                "id": query_id,
                "from": self._user(chat_id, language),
                "chat_instance": str(chat_id),
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "",
                },
            },
        }

    # --- the chat as the page shows it ----------------------------------------------------
    def messages(self, chat_id: int, after: int = -1) -> list[dict[str, Any]]:
        """Bot output for this chat, in order: sends, edits (same id), toasts."""
        with self.fake._cond:  # the fake appends from its server threads
            calls = list(enumerate(self.fake.calls))
        out = []
        for index, call in calls:
            if index <= after:
                continue
            item = self._item(index, call, chat_id)
            if item is not None:
                out.append(item)
        return out

    def _item(self, index: int, call: Call, chat_id: int) -> dict[str, Any] | None:
        if call.method == "answerCallbackQuery":
            query = str(call.params.get("callback_query_id"))
            if self._queries.get(query) != chat_id or not call.params.get("text"):
                return None
            return {"seq": index, "kind": "toast", "text": call.params["text"]}
        if call.chat_id != chat_id:
            return None
        if call.method in _SHOWN:
            edit = call.method == "editMessageText"
            return {
                "seq": index,
                "kind": "edit" if edit else "message",
                "message_id": int(call.params.get("message_id") or 0)
                if edit
                else MESSAGE_ID_BASE + index,
                "text": call.text,
                "photo": call.method == "sendPhoto",
                "invoice": call.method == "sendInvoice",
                "title": call.params.get("title"),
                "buttons": _buttons(call),
            }
        if call.method == "editMessageReplyMarkup":
            return {
                "seq": index,
                "kind": "markup",
                "message_id": int(call.params.get("message_id") or 0),
                "buttons": _buttons(call),
            }
        return None

    # --- HTTP -----------------------------------------------------------------------------
    async def _post_update(self, request: Request, update: dict[str, Any]) -> int:
        from fpv.settings import get_settings

        secret = get_settings().telegram_webhook_secret
        base = str(request.base_url).rstrip("/")
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{base}{self.webhook_path}",
                content=json.dumps(update),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": secret.get_secret_value() if secret else "",
                },
            )
        return response.status_code

    async def page(self, _request: Request) -> Response:
        from fpv.bot.sandbox_page import PAGE

        return HTMLResponse(PAGE, headers={"Cache-Control": "no-store"})

    async def send(self, request: Request) -> Response:
        body = await _json(request)
        if body is None or not isinstance(body.get("text"), str) or not body["text"].strip():
            return JSONResponse({"error": "text is required"}, status_code=400)
        chat_id = _chat_id(body)
        if chat_id is None:
            return JSONResponse({"error": "chat_id must be a positive integer"}, status_code=400)
        update = self.message_update(chat_id, body["text"][:4096], _language(body))
        return JSONResponse({"webhook_status": await self._post_update(request, update)})

    async def press(self, request: Request) -> Response:
        body = await _json(request)
        data = body.get("data") if body else None
        chat_id = _chat_id(body or {})
        if not isinstance(data, str) or chat_id is None:
            return JSONResponse({"error": "chat_id and data are required"}, status_code=400)
        message_id = body.get("message_id") if body else None
        update = self.callback_update(
            chat_id, data, int(message_id) if isinstance(message_id, int) else 0, _language(body)
        )
        return JSONResponse({"webhook_status": await self._post_update(request, update)})

    async def history(self, request: Request) -> Response:
        chat_id = _chat_id(dict(request.query_params))
        if chat_id is None:
            return JSONResponse({"error": "chat_id must be a positive integer"}, status_code=400)
        try:
            after = int(request.query_params.get("after", "-1"))
        except ValueError:
            after = -1
        return JSONResponse(
            {"messages": self.messages(chat_id, after)}, headers={"Cache-Control": "no-store"}
        )

    def routes(self) -> list[Route]:
        return [
            Route("/dev/chat", self.page, methods=["GET"]),
            Route("/dev/chat/api/send", self.send, methods=["POST"]),
            Route("/dev/chat/api/press", self.press, methods=["POST"]),
            Route("/dev/chat/api/messages", self.history, methods=["GET"]),
        ]


def _buttons(call: Call) -> list[list[dict[str, str]]]:
    rows = (call.reply_markup or {}).get("inline_keyboard") or []
    return [
        [
            {"text": b.get("text", ""), "data": b.get("callback_data", ""), "url": b.get("url", "")}
            for b in row
        ]
        for row in rows
    ]


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _chat_id(body: dict[str, Any]) -> int | None:
    try:
        value = int(body.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**52 else None


def _language(body: dict[str, Any] | None) -> str:
    return "en" if body and body.get("language") == "en" else "ru"


def start_sandbox(stack: ExitStack) -> list[Route]:
    """Start the fake Bot API server and point the bot's settings at it (restored on exit);
    returns the /dev/chat routes for the local gateway. Call before settings are read."""
    fake = stack.enter_context(FakeTelegram())
    saved = {name: os.environ.get(name) for name in _ENV}

    def restore() -> None:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    stack.callback(restore)
    os.environ["TELEGRAM_BOT_TOKEN"] = fake.token
    os.environ["TELEGRAM_API_BASE_URL"] = fake.base_url
    os.environ.setdefault("TELEGRAM_WEBHOOK_SECRET", secrets.token_urlsafe(24))
    return ChatSandbox(fake).routes()
