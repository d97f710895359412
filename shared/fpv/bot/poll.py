"""`fpv poll`: long polling bridged to the webhook handler, so the bot works with a real token
from a laptop without a public URL.

Each update goes through exactly the same path as a webhook delivery: either in-process
(`WebhookService.process`, with idempotency and error classification) or over HTTP to a running
local gateway's /telegram/webhook with the secret header. An update whose delivery failed
transiently (5xx) is not acknowledged: it is fetched and delivered again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

log = logging.getLogger("fpv.bot.poll")

Deliver = Callable[[dict[str, Any]], int]  # update -> HTTP-like status
ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query"]


class BotApiError(RuntimeError):
    pass


class Poller:
    def __init__(
        self,
        api_base_url: str,
        token: str,
        deliver: Deliver,
        *,
        timeout: int = 25,
        retry_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = f"{api_base_url.rstrip('/')}/bot{token}"
        self._deliver = deliver
        self._timeout = timeout
        self._retry_delay = retry_delay
        self._sleep = sleep
        self._client = httpx.Client(timeout=timeout + 10)
        self.offset: int | None = None
        self.delivered = 0

    def _call(self, method: str, **params: Any) -> Any:
        try:
            response = self._client.post(f"{self._url}/{method}", json=params)
            payload = response.json()
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            raise BotApiError(f"{method}: {type(exc).__name__}") from exc
        if not payload.get("ok"):
            raise BotApiError(f"{method}: {payload.get('error_code')} {payload.get('description')}")
        return payload["result"]

    def prepare(self) -> None:
        """Telegram refuses getUpdates while a webhook is set: remove it (keeping the queue)."""
        self._call("deleteWebhook", drop_pending_updates=False)

    def poll_once(self) -> int:
        """One getUpdates round; returns how many updates were delivered."""
        params: dict[str, Any] = {"timeout": self._timeout, "allowed_updates": ALLOWED_UPDATES}
        if self.offset is not None:
            params["offset"] = self.offset
        updates = self._call("getUpdates", **params)
        done = 0
        for update in updates:
            status = self._deliver(update)
            if status >= 500:  # transient: do not acknowledge, fetch it again later
                log.warning("update %s not processed (%s); retrying", update["update_id"], status)
                self._sleep(self._retry_delay)
                return done
            self.offset = int(update["update_id"]) + 1
            done += 1
            self.delivered += 1
        return done

    def run(self, *, should_stop: Callable[[], bool] = lambda: False) -> None:
        self.prepare()
        while not should_stop():
            try:
                self.poll_once()
            except BotApiError as exc:
                log.warning("polling failed (%s); retrying", exc)
                self._sleep(self._retry_delay)

    def close(self) -> None:
        self._client.close()


def deliver_in_process(service: Any) -> Deliver:
    """Deliver to a `WebhookService` in this process (same checks, minus the secret)."""

    def deliver(update: dict[str, Any]) -> int:
        return service.process(update).status

    return deliver


def deliver_over_http(webhook_url: str, secret: str) -> Deliver:
    """Deliver to a running gateway's /telegram/webhook, exactly as Telegram would."""
    client = httpx.Client(timeout=30)

    def deliver(update: dict[str, Any]) -> int:
        try:
            response = client.post(
                webhook_url,
                content=json.dumps(update),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": secret,
                },
            )
        except httpx.HTTPError as exc:
            log.warning("gateway unreachable: %s", type(exc).__name__)
            return 503
        return response.status_code

    return deliver
