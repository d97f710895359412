"""Helpers for the public APIs' tests: API keys, app sessions, a webhook receiver on 127.0.0.1
that checks every signature with the `standardwebhooks` library."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from fpv import actors, apikeys, app_auth
from fpv.actors import Actor
from fpv.db import Database
from fpv.local.loopback import LoopbackServer

CLI = Actor(kind="system", via="cli")


def make_key(
    db: Database,
    venue_ids: list[int],
    *,
    scopes: tuple[str, ...] = ("schedule:read", "registrations:read"),
    rate: int = 1000,
    name: str = "CRM",
) -> dict[str, Any]:
    return apikeys.create(
        db, CLI, name=name, scopes=list(scopes), venue_ids=venue_ids, rate_per_minute=rate
    )


def app_token(db: Database, telegram_id: int, device: str = "test phone") -> str:
    """A signed-in device for a pilot who has consented (the bot's part done directly)."""
    started = app_auth.start_sign_in(db, device_name=device)
    app_auth.confirm_sign_in(db, actors.pilot(telegram_id), started.nonce)
    return app_auth.exchange(db, started.nonce, started.verifier).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Receiver:
    """Accepts webhooks, verifying each with standardwebhooks; `fail_next` answers 500."""

    secret: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)  # every verified request
    accepted: list[dict[str, Any]] = field(default_factory=list)  # answered 2xx, by webhook-id
    rejected_signatures: int = 0
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in request.headers.items()}
        status = 204
        try:
            assert self.secret is not None
            payload = Webhook(self.secret).verify(body, headers)
        except (WebhookVerificationError, AssertionError):
            with self.lock:
                self.rejected_signatures += 1
            status = 401
        else:
            entry = {"id": headers["webhook-id"], "payload": payload}
            with self.lock:
                self.received.append(entry)
                if self.fail_next > 0:
                    self.fail_next -= 1
                    status = 500
                elif entry["id"] not in {e["id"] for e in self.accepted}:
                    self.accepted.append(entry)
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def types(self) -> list[str]:
        return [e["payload"]["type"] for e in self.accepted]


class ReceiverServer(LoopbackServer):
    """The receiver on 127.0.0.1 (a free port)."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        self.receiver.handle(request)

    @property
    def url(self) -> str:
        return f"{self.root_url}/hooks/crm"


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
