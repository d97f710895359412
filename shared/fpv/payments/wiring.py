"""Real ports from settings: built once per process (warm Lambda containers reuse the HTTP
clients), rebuilt only when the settings object changes."""

from __future__ import annotations

import threading

from fpv.payments.botapi import BotApi
from fpv.payments.config import PaymentConfig
from fpv.payments.ports import EmfMetrics, PaymentPorts, Refunder
from fpv.payments.stars import StarsRefunder
from fpv.payments.stripe import StripeClient
from fpv.payments.yookassa import YooKassaClient
from fpv.settings import Settings

_lock = threading.Lock()
_cached: tuple[Settings, PaymentPorts, PaymentConfig] | None = None


def build_ports(settings: Settings) -> PaymentPorts:
    refunders: dict[str, Refunder] = {}
    yookassa = None
    if settings.yookassa_shop_id and settings.yookassa_secret_key:
        yookassa = YooKassaClient(
            settings.yookassa_shop_id,
            settings.yookassa_secret_key.get_secret_value(),
            settings.yookassa_api_base_url,
        )
        refunders["yookassa"] = yookassa
    if settings.stripe_api_key:
        refunders["stripe"] = StripeClient(
            settings.stripe_api_key.get_secret_value(), settings.stripe_api_base_url
        )
    deliverers = None
    if settings.telegram_bot_token:
        api = BotApi(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
        refunders["stars"] = StarsRefunder(api)
        from fpv.delivery import deliverers as make_deliverers

        deliverers = make_deliverers(
            bus=None, bot_api=api, payment_config=PaymentConfig.from_settings(settings)
        )
    return PaymentPorts(
        refunders=refunders,
        metrics=EmfMetrics(),
        yookassa=yookassa,
        deliverers=deliverers,
    )


def from_settings(settings: Settings) -> tuple[PaymentPorts, PaymentConfig]:
    global _cached
    with _lock:
        if _cached is None or _cached[0] is not settings:
            _cached = (settings, build_ports(settings), PaymentConfig.from_settings(settings))
        return _cached[1], _cached[2]
