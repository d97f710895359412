"""Pointing Telegram at the webhook (and back off it): used by `fpv set-webhook` and by the
stack's custom resource on deploy."""

from __future__ import annotations

from collections.abc import Sequence

from fpv.runtime import ConfigurationError
from fpv.settings import Settings

ALLOWED_UPDATES = ("message", "callback_query", "pre_checkout_query")
WEBHOOK_PATH = "/telegram/webhook"


def webhook_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


def _bot(settings: Settings):
    from fpv.bot.application import make_bot

    if not settings.telegram_bot_token:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    return make_bot(
        settings.telegram_bot_token.get_secret_value(),
        settings.telegram_api_base_url,
        settings.telegram_bot_username,
    )


async def set_webhook(
    settings: Settings,
    url: str,
    *,
    allowed_updates: Sequence[str] = ALLOWED_UPDATES,
    max_connections: int = 40,
    drop_pending: bool = False,
) -> None:
    """setWebhook with the secret header, then the command menu in every language."""
    from telegram import BotCommand

    from fpv.bot.application import COMMANDS
    from fpv.texts import LANGUAGES, t

    if not settings.telegram_webhook_secret:
        raise ConfigurationError("TELEGRAM_WEBHOOK_SECRET is not set")
    bot = _bot(settings)
    async with bot:
        await bot.set_webhook(
            url,
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=list(allowed_updates),
            max_connections=max_connections,
            drop_pending_updates=drop_pending,
        )
        for lang in LANGUAGES:
            commands = [BotCommand(c, t(f"bot.cmd.{c}", lang)) for c in COMMANDS]
            await bot.set_my_commands(
                commands, language_code=None if lang == settings.default_language else lang
            )


async def delete_webhook(settings: Settings) -> None:
    bot = _bot(settings)
    async with bot:
        await bot.delete_webhook()
