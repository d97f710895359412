"""`fpv set-webhook` and `fpv poll`."""

from __future__ import annotations

import argparse
import logging
import os
from contextlib import ExitStack

from fpv.bot.registration import webhook_url

log = logging.getLogger("fpv.bot.cli")


def register(sub: argparse._SubParsersAction) -> None:
    hook = sub.add_parser(
        "set-webhook", help="point Telegram at POST /telegram/webhook (with the secret)"
    )
    hook.add_argument("--url", required=True, help="the API base URL (stack output ApiUrl)")
    hook.add_argument("--drop-pending", action="store_true", help="drop queued updates")
    hook.add_argument(
        "--max-connections", type=int, default=40, help="parallel deliveries Telegram may open"
    )
    hook.set_defaults(func=_set_webhook)

    poll = sub.add_parser(
        "poll", help="long-polling bridge: talk to the bot with a real token, no public URL"
    )
    poll.add_argument(
        "--gateway",
        default=None,
        help="forward to a running `fpv dev` (e.g. http://127.0.0.1:8000) instead of in-process",
    )
    poll.add_argument("--timeout", type=int, default=25, help="getUpdates long-poll seconds")
    poll.set_defaults(func=_poll)


def _require(value: object, name: str) -> None:
    from fpv.runtime import ConfigurationError

    if not value:
        raise ConfigurationError(f"{name} is not set")


def _set_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from fpv.bot.registration import set_webhook
    from fpv.settings import get_settings

    settings = get_settings()
    _require(settings.telegram_bot_token, "TELEGRAM_BOT_TOKEN")
    _require(settings.telegram_webhook_secret, "TELEGRAM_WEBHOOK_SECRET")
    url = webhook_url(args.url)
    asyncio.run(
        set_webhook(
            settings, url, max_connections=args.max_connections, drop_pending=args.drop_pending
        )
    )
    print(f"webhook set: {url}")
    return 0


def _poll(args: argparse.Namespace) -> int:
    from fpv.bot.poll import Poller, deliver_in_process, deliver_over_http
    from fpv.settings import get_settings

    with ExitStack() as stack:
        settings = get_settings()
        _require(settings.telegram_bot_token, "TELEGRAM_BOT_TOKEN")
        assert settings.telegram_bot_token
        if args.gateway:
            _require(settings.telegram_webhook_secret, "TELEGRAM_WEBHOOK_SECRET")
            assert settings.telegram_webhook_secret
            deliver = deliver_over_http(
                webhook_url(args.gateway), settings.telegram_webhook_secret.get_secret_value()
            )
        else:
            settings = _local_database(stack, settings)
            from fpv.bot.webhook import service_from_settings

            service = service_from_settings(settings)
            stack.callback(service.close)
            deliver = deliver_in_process(service)
        poller = Poller(
            settings.telegram_api_base_url,
            settings.telegram_bot_token.get_secret_value(),
            deliver,
            timeout=args.timeout,
        )
        stack.callback(poller.close)
        print("polling Telegram for updates (Ctrl-C to stop)", flush=True)
        poller.run()
    return 0


def _local_database(stack: ExitStack, settings):  # type: ignore[no-untyped-def]
    """No DATABASE_URL: the same embedded PostgreSQL `fpv dev` uses (migrated, demo-seeded)."""
    from fpv import runtime
    from fpv.demo import seed_demo
    from fpv.migrate import migrate
    from fpv.settings import get_settings

    if not settings.database_url_value():
        from fpv.local.embedded import embedded_postgres
        from fpv.local.runner import project_root

        os.environ["DATABASE_URL"] = stack.enter_context(
            embedded_postgres(project_root() / ".fpv" / "pgdata")
        )
        get_settings.cache_clear()
        settings = get_settings()
    db = runtime.database(settings)
    migrate(db)
    seed_demo(db)
    return settings
