"""The Bot API client the jobs use: python-telegram-bot over real HTTP (a fake server in tests)."""

from __future__ import annotations

from typing import Any

from fpv.runtime import ConfigurationError
from fpv.settings import Settings


def make_bot(settings: Settings, *, pool_size: int = 64) -> Any:
    """A `telegram.Bot` for settings.telegram_api_base_url; use it as `async with bot:` inside
    the event loop that sends (its HTTP connections belong to that loop)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    if settings.telegram_bot_token is None:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    # Enough connections for ~25 requests/s in flight; short pool wait, Telegram answers fast.
    request = HTTPXRequest(connection_pool_size=pool_size, pool_timeout=5.0)
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{settings.telegram_api_base_url.rstrip('/')}/bot",
        request=request,
    )
