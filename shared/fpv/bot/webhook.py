"""The webhook use case: secret check, parsing, exactly-once processing of each update.

One `WebhookService` per warm container: it owns one event loop and one initialized PTB
Application, both reused by every invocation (no asyncio.run, no getMe per request).

Answers: 401 wrong/missing secret (nothing processed) · 400 malformed body · 200 processed, or a
redelivery of an update already processed, or a bug in a handler (logged; retrying would not
help and would only storm) · 503 transient failure (database or Bot API unreachable) or the same
update still being processed: Telegram redelivers and nothing is lost.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from telegram import Update

from fpv.bot.application import Outcome, build_application, current_outcome, make_bot
from fpv.bot.deps import BotDeps
from fpv.dal import bot as bot_dal
from fpv.db import Database, DatabaseUnavailable
from fpv.ports.events import EventBus

log = logging.getLogger("fpv.bot.webhook")
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
LEASE_SECONDS = 60  # longer than the function timeout: a live claim is never taken over
PURGE_EVERY = 200  # on average, one request in this many purges expired idempotency keys


@dataclass(frozen=True)
class WebhookResult:
    status: int
    outcome: (
        str  # processed | duplicate | busy | unauthorized | malformed | handler_error | transient
    )
    update_id: int | None = None
    error: str | None = None

    @property
    def body(self) -> str:
        return json.dumps({"ok": self.status == 200, "outcome": self.outcome})


def secret_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; no configured secret means nothing is accepted."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def parse_update(body: str | bytes | None) -> dict[str, Any] | None:
    """The update as a dict when the body is a JSON object with an integer update_id."""
    if not body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    return data


class WebhookService:
    """One warm container's bot: event loop + initialized Application, built once."""

    def __init__(
        self,
        *,
        deps: BotDeps,
        token: str,
        api_base_url: str,
        secret: str | None,
    ) -> None:
        self.deps = deps
        self.secret = secret
        self.loop = asyncio.new_event_loop()
        bot = make_bot(token, api_base_url, deps.bot_username)
        self.application = build_application(deps, bot)
        self.loop.run_until_complete(self.application.initialize())

    @property
    def db(self) -> Database:
        return self.deps.db

    @property
    def bus(self) -> EventBus:
        return self.deps.bus

    def handle(self, headers: dict[str, str], body: str | bytes | None) -> WebhookResult:
        """An HTTP delivery from Telegram (headers lower-cased, as API Gateway gives them)."""
        if not secret_ok(self.secret, headers.get(SECRET_HEADER)):
            return WebhookResult(401, "unauthorized")
        data = parse_update(body)
        if data is None:
            return WebhookResult(400, "malformed")
        return self.process(data)

    def process(self, data: dict[str, Any]) -> WebhookResult:
        """Process one update exactly once (also the entry point of the long-polling bridge)."""
        update_id = int(data["update_id"])
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception as exc:  # shape Telegram never sends: reject, do not retry
            log.warning("update %s does not parse: %s", update_id, type(exc).__name__)
            return WebhookResult(400, "malformed", update_id)
        key = str(update_id)
        token = uuid4()
        # Claim, release and finish are one statement each, committed on their own (one round
        # trip each) and without waiting for the disk: a crash of the database server in the
        # next instant could forget one, and Telegram's redelivery would then be processed
        # again; the handler's own writes are durable (and make everything before them so).
        try:
            with self.db.autocommit(durable=False) as tx:
                claim = bot_dal.claim_update(tx, key, lease_seconds=LEASE_SECONDS, token=token)
                if claim == "claimed" and random.randrange(PURGE_EVERY) == 0:
                    bot_dal.purge_expired_updates(tx)
        except DatabaseUnavailable:
            log.warning("database unavailable; update %s left for redelivery", update_id)
            return WebhookResult(503, "transient", update_id, "DatabaseUnavailable")
        if claim == "done":
            return WebhookResult(200, "duplicate", update_id)
        if claim == "busy":
            return WebhookResult(503, "busy", update_id)

        outcome = self.loop.run_until_complete(self._run(update))
        if outcome.transient is not None:
            try:
                with self.db.autocommit(durable=False) as tx:
                    bot_dal.release_update(tx, key, token=token)
            except DatabaseUnavailable:
                pass  # the lease runs out and the redelivery takes the claim over
            return WebhookResult(503, "transient", update_id, type(outcome.transient).__name__)
        try:
            with self.db.autocommit(durable=False) as tx:
                bot_dal.finish_update(tx, key)
        except DatabaseUnavailable:
            return WebhookResult(503, "transient", update_id, "DatabaseUnavailable")
        if outcome.bug is not None:
            return WebhookResult(200, "handler_error", update_id, type(outcome.bug).__name__)
        return WebhookResult(200, "processed", update_id)

    async def _run(self, update: Update) -> Outcome:
        outcome = Outcome()
        token = current_outcome.set(outcome)
        try:
            await self.application.process_update(update)
        finally:
            current_outcome.reset(token)
        return outcome

    def close(self) -> None:
        self.loop.run_until_complete(self.application.shutdown())
        self.loop.close()


def service_from_settings(settings: Any = None) -> WebhookService:
    """The container's service from the environment (Lambda handler, local gateway, poller)."""
    from fpv import runtime
    from fpv.settings import get_settings

    settings = settings or get_settings()
    if settings.telegram_bot_token is None:
        raise runtime.ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    deps = BotDeps(
        db=runtime.database(settings),
        bus=runtime.event_bus(settings),
        public_base_url=settings.public_base_url,
        hold_minutes=settings.hold_minutes,
        default_language=settings.default_language,
        bot_username=settings.telegram_bot_username,
    )
    secret = settings.telegram_webhook_secret
    return WebhookService(
        deps=deps,
        token=settings.telegram_bot_token.get_secret_value(),
        api_base_url=settings.telegram_api_base_url,
        secret=secret.get_secret_value() if secret else None,
    )
