"""How outbox rows reach the world in this process: the Bot API (a small synchronous client,
Telegram or the fake server), the event bus, and the payment configuration for invoices."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fpv.dal import people
from fpv.db import Database, Tx
from fpv.outbox import Blocked, Deliverers, DeliveryReport, Permanent, Transient, deliver
from fpv.payments.botapi import BotApi, BotApiError, BotApiUnavailable
from fpv.payments.config import PaymentConfig
from fpv.ports.events import EventBus
from fpv.settings import Settings


def telegram_caller(api: BotApi) -> Callable[[str, dict[str, Any]], Any]:
    """Bot API calls with errors in the outbox's terms: 5xx/429/network → Transient, a blocked
    chat (403) → Blocked, any other refusal → Permanent."""

    def call(method: str, params: dict[str, Any]) -> Any:
        try:
            return api.call(method, **params)
        except BotApiUnavailable as exc:
            raise Transient(str(exc)) from None
        except BotApiError as exc:
            if exc.error_code == 403:
                raise Blocked(exc.description) from None
            raise Permanent(f"{method}: {exc}") from None

    return call


def deliverers(
    *,
    bus: EventBus | None,
    bot_api: BotApi | None,
    payment_config: PaymentConfig | None,
    ops_chat_id: int | None = None,
) -> Deliverers:
    from fpv import passes
    from fpv.payments.invoice import invoice_params
    from fpv.webhooks import Sender

    config = payment_config
    return Deliverers(
        bus=bus,
        telegram=telegram_caller(bot_api) if bot_api is not None else None,
        invoice_params=(
            (lambda db, reg_id, lang: invoice_params(db, reg_id, lang, config))
            if config is not None
            else None
        ),
        pass_invoice_params=(
            (lambda db, pass_id, lang: passes.invoice_params(db, pass_id, lang, config))
            if config is not None
            else None
        ),
        webhook=Sender(ops_chat_id=ops_chat_id),
    )


_lock = threading.Lock()
_cached: tuple[Settings, int, Deliverers] | None = None


def from_settings(settings: Settings, bus: EventBus | None) -> Deliverers:
    """Built once per process (warm Lambda containers reuse the HTTP client)."""
    global _cached
    with _lock:
        if _cached is None or _cached[0] is not settings or _cached[1] != id(bus):
            api = (
                BotApi(
                    settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url
                )
                if settings.telegram_bot_token
                else None
            )
            made = deliverers(
                bus=bus,
                bot_api=api,
                payment_config=PaymentConfig.from_settings(settings),
                ops_chat_id=settings.ops_chat_id,
            )
            _cached = (settings, id(bus), made)
        return _cached[2]


def mark_unreachable(tx: Tx, telegram_id: int) -> None:
    people.update_pilot(tx, telegram_id, reachable=False)


def send(db: Database, ports: Deliverers, ids: list[int] | None = None) -> DeliveryReport:
    """Deliver (these) outbox rows now; a pilot who blocked the bot is marked unreachable."""
    return deliver(db, ports, ids, on_blocked=mark_unreachable)
