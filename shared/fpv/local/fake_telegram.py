"""A fake Telegram Bot API server on 127.0.0.1 that python-telegram-bot really talks to over HTTP.

Used by tests (recording every call, scripting errors like 429 and 403) and by the local chat
sandbox (`make run` without a token). Point TELEGRAM_API_BASE_URL at `server.base_url`.
Implements the methods the platform uses with answers shaped like Telegram's; any other method
answers `true`, and every call is recorded either way.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from fpv.local.loopback import LoopbackServer

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "FPV Training",
    "username": "fpv_training_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_MESSAGE_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendInvoice",
    "sendLocation",
    "sendVenue",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "sendVoice",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.params.get("reply_markup")

    def button_data(self) -> list[str]:
        """callback_data of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class ScriptedError:
    method: str | None
    chat_id: int | None
    error_code: int
    description: str
    retry_after: int | None = None
    times: int = 1


def _decode(value: str) -> Any:
    if value[:1] in "{[" or value in ("true", "false", "null"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


class FakeTelegram(LoopbackServer):
    """The server. Start with `start()` (or use as a context manager); `calls` lists every call."""

    def __init__(self, token: str = "123456:TEST-token") -> None:  # noqa: S107 - fake
        self.token = token
        self.calls: list[Call] = []
        self.errors: list[ScriptedError] = []
        self.blocked_chats: set[int] = set()
        self.updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._cond = threading.Condition()
        self.on_call: list[Callable[[Call], None]] = []
        self.files: dict[str, bytes] = {}  # file_id -> content (voice messages, documents)
        self.downloads: list[str] = []  # file paths fetched from /file/bot<token>/...

    @property
    def base_url(self) -> str:
        return self.root_url

    # --- scripting ----------------------------------------------------------------------------
    def fail(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        error_code: int = 400,
        description: str = "Bad Request",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` matching calls fail with this error (429 with retry_after too)."""
        with self._cond:
            self.errors.append(
                ScriptedError(method, chat_id, error_code, description, retry_after, times)
            )

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends to this chat answer 403 from now on."""
        self.blocked_chats.add(chat_id)

    def add_file(self, file_id: str, content: bytes) -> None:
        """A file a user sent (e.g. a voice message): `getFile` finds it and its path serves it."""
        with self._cond:
            self.files[file_id] = content

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (long polling); assigns update_id when missing."""
        with self._cond:
            update.setdefault("update_id", next(self._update_ids))
            self.updates.append(update)
            self._cond.notify_all()
        return update

    # --- inspection ---------------------------------------------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._cond:
            return [
                c
                for c in self.calls
                if c.method == method and (chat_id is None or c.chat_id == chat_id)
            ]

    def sent_to(self, chat_id: int) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.chat_id == chat_id and c.method in _MESSAGE_METHODS]

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 5.0) -> Call:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.calls:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no matching Bot API call")
                self._cond.wait(remaining)

    def clear(self) -> None:
        with self._cond:
            self.calls.clear()

    # --- HTTP -----------------------------------------------------------------------------------
    def _params(self, request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        ctype = request.headers.get("Content-Type", "")
        if not body:
            return {}
        if ctype.startswith("application/json"):
            return json.loads(body)
        if ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + body
            )
            params: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename():
                    params[name] = {"filename": part.get_filename(), "size": len(payload)}
                else:
                    params[name] = _decode(payload.decode("utf-8"))
            return params
        return {k: _decode(v) for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True)}

    def _reply(self, request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        prefix = f"/bot{self.token}/"
        if path.startswith(f"/file/bot{self.token}/"):
            file_path = path[len(f"/file/bot{self.token}/") :]
            with self._cond:
                self.downloads.append(file_path)
                known = {f"voice/{k}.oga": v for k, v in self.files.items()}
            data = known.get(file_path, b"fake-file-content")
            request.send_response(200)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
            return
        if not path.startswith(prefix):
            self._reply(
                request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        method = path[len(prefix) :]
        try:
            params = self._params(request)
        except (ValueError, json.JSONDecodeError):
            self._reply(
                request,
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: can't parse body"},
            )
            return
        if method == "getUpdates":
            self._reply(request, 200, {"ok": True, "result": self._get_updates(params)})
            return
        call = Call(method, params)
        with self._cond:
            self.calls.append(call)
            error = self._take_error(call)
            self._cond.notify_all()
        for hook in self.on_call:
            hook(call)
        if error is not None:
            self._reply(
                request,
                error.error_code,
                {
                    "ok": False,
                    "error_code": error.error_code,
                    "description": error.description,
                    **(
                        {"parameters": {"retry_after": error.retry_after}}
                        if error.retry_after is not None
                        else {}
                    ),
                },
            )
            return
        self._reply(request, 200, {"ok": True, "result": self._result(call)})

    def _take_error(self, call: Call) -> ScriptedError | None:
        if call.chat_id is not None and call.chat_id in self.blocked_chats:
            return ScriptedError(
                call.method, call.chat_id, 403, "Forbidden: bot was blocked by the user"
            )
        for error in self.errors:
            if (
                error.method in (None, call.method)
                and error.chat_id in (None, call.chat_id)
                and error.times > 0
            ):
                error.times -= 1
                if error.times == 0:
                    self.errors.remove(error)
                return error
        return None

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 30.0)
        deadline = time.monotonic() + timeout
        with self._cond:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self.updates)

    def _result(self, call: Call) -> Any:
        p = call.params
        if call.method == "getMe":
            return BOT_USER
        if call.method in _MESSAGE_METHODS:
            message: dict[str, Any] = {
                "message_id": int(p.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": call.chat_id or 0, "type": "private"},
                "from": BOT_USER,
            }
            if "text" in p:
                message["text"] = p["text"]
            if "caption" in p:
                message["caption"] = p["caption"]
            if isinstance(p.get("reply_markup"), dict) and "inline_keyboard" in p["reply_markup"]:
                message["reply_markup"] = p["reply_markup"]
            if call.method == "sendInvoice":
                message["invoice"] = {
                    "title": p.get("title", ""),
                    "description": p.get("description", ""),
                    "start_parameter": p.get("start_parameter", ""),
                    "currency": p.get("currency", "RUB"),
                    "total_amount": sum(int(x["amount"]) for x in p.get("prices") or []),
                }
            if call.method == "sendPhoto":
                message["photo"] = [
                    {"file_id": "photo-1", "file_unique_id": "u1", "width": 512, "height": 512}
                ]
            return message
        if call.method == "createInvoiceLink":
            return f"https://t.me/$fake-invoice-{p.get('payload', '')}"
        if call.method == "getFile":
            content = self.files.get(str(p.get("file_id")), b"fake-file-content")
            return {
                "file_id": p.get("file_id"),
                "file_unique_id": "u",
                "file_size": len(content),
                "file_path": f"voice/{p.get('file_id')}.oga",
            }
        if call.method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True
