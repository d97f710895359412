"""Deliver alarm messages to the operators' chat through the Bot API, honouring 429.

A message that cannot be delivered fails exactly the records it carries: from the SQS buffer
they come back (and after a few tries land in the dead-letter queue); invoked from SNS directly
the invocation fails and Lambda's retries and on-failure destination take over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fpv.ops.alarms import club_zone, items_from_event, render
from fpv.settings import Settings

log = logging.getLogger("fpv.ops.forwarder")

# Wait for a 429's retry_after only when this much of the invocation would still remain after.
SAFETY_MS = 3_000
MAX_ATTEMPTS = 4


class DeliveryFailed(RuntimeError):
    """The Bot API did not take the message (the text says why, never the token)."""


class RateLimited(DeliveryFailed):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Bot API rate limit: retry after {retry_after:g} s")
        self.retry_after = retry_after


class BotApi:
    """sendMessage over HTTP (httpx, already in the layer as python-telegram-bot's transport):
    one request, no getMe round trip, and the 429's retry_after at hand."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        self._timeout = timeout

    def send_message(self, chat_id: int, text: str) -> None:
        import httpx  # lazy: only when there is something to send

        payload = {"chat_id": chat_id, "text": text, "link_preview_options": {"is_disabled": True}}
        try:
            response = httpx.post(self._url, json=payload, timeout=self._timeout)
        except httpx.HTTPError as exc:  # its message holds the URL, hence the token: not shown
            raise DeliveryFailed(f"Bot API unreachable ({type(exc).__name__})") from None
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 200 and answer.get("ok"):
            return
        if response.status_code == 429:
            retry_after = (answer.get("parameters") or {}).get("retry_after", 1)
            raise RateLimited(float(retry_after))
        description = str(answer.get("description") or "")[:200]
        raise DeliveryFailed(f"Bot API answered {response.status_code}: {description}")


@dataclass
class ForwardReport:
    records: int = 0
    messages: int = 0
    sent: int = 0
    waited_s: float = 0.0
    failed_record_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "messages": self.messages,
            "sent": self.sent,
            "waited_s": self.waited_s,
            "failed_records": len(self.failed_record_ids),
        }


def _deliver(
    api: BotApi,
    chat_id: int,
    text: str,
    remaining_ms: Callable[[], int],
    sleep: Callable[[float], None],
    report: ForwardReport,
) -> None:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            api.send_message(chat_id, text)
            return
        except RateLimited as exc:
            if attempt == MAX_ATTEMPTS or exc.retry_after * 1000 + SAFETY_MS > remaining_ms():
                raise
            sleep(exc.retry_after)
            report.waited_s += exc.retry_after


def forward(
    event: dict[str, Any],
    *,
    api: BotApi,
    chat_id: int,
    zone_name: str,
    lang: str,
    remaining_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
) -> ForwardReport:
    items = items_from_event(event)
    messages = render(items, zone=club_zone(zone_name), lang=lang)
    report = ForwardReport(records=len(items), messages=len(messages))
    for message in messages:
        try:
            _deliver(api, chat_id, message.text, remaining_ms, sleep, report)
            report.sent += 1
        except DeliveryFailed as exc:
            log.warning("alarm message not delivered: %s", exc)
            report.failed_record_ids.extend(message.record_ids)
    return report


def forward_from_settings(
    event: dict[str, Any], settings: Settings, *, remaining_ms: Callable[[], int]
) -> ForwardReport:
    # fpv.runtime (and with it the database driver) only when it is needed: for this error
    if not settings.ops_chat_id:  # the template's default is 0: not configured
        from fpv.runtime import ConfigurationError

        raise ConfigurationError("OPS_CHAT_ID is not set")
    if not settings.telegram_bot_token:  # unset, or still empty in a fresh secret
        from fpv.runtime import ConfigurationError

        raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    api = BotApi(settings.telegram_api_base_url, settings.telegram_bot_token.get_secret_value())
    return forward(
        event,
        api=api,
        chat_id=settings.ops_chat_id,
        zone_name=settings.ops_timezone,
        lang=settings.default_language,
        remaining_ms=remaining_ms,
    )
