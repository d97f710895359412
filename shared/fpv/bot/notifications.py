"""Delivering what use cases queued in the outbox, from inside the bot: right after the commit
that queued it, through the same Bot API the bot talks to. Whatever fails here stays in the
outbox and the outbox worker's schedule delivers it (DESIGN §8)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpv import delivery
from fpv.db import Database
from fpv.outbox import Deliverers


def deliverers_for(bot: Any, *, bus: Any = None, payment_config: Any = None) -> Deliverers:
    """Outbox deliverers over the Bot API at `bot.base_url` (a `telegram.Bot`)."""
    from fpv.payments.botapi import BotApi

    if payment_config is None:
        from fpv.payments.config import PaymentConfig
        from fpv.settings import get_settings

        payment_config = PaymentConfig.from_settings(get_settings())
    return delivery.deliverers(
        bus=bus, bot_api=BotApi.at(bot.base_url), payment_config=payment_config
    )


def _cached(context: Any) -> Deliverers:
    deps = context.application.bot_data["deps"]
    made = deps.extras.get("deliverers")
    if made is None:
        made = deliverers_for(
            context.bot, bus=deps.bus, payment_config=deps.extras.get("payment_config")
        )
        deps.extras["deliverers"] = made
    return made


async def deliver(context: Any, ids: Sequence[int]) -> None:
    """Send these outbox rows now (a sign-up's invoice, promotions' notices)."""
    if ids:
        deps = context.application.bot_data["deps"]
        delivery.send(deps.db, _cached(context), list(ids))


async def notify_promotions(
    bot: Any, promotions: Sequence[Any], *, db: Database | None = None
) -> list[int]:
    """Deliver the notices queued with these promotions (`fpv.registrations.Promotion`);
    returns the Telegram ids reached."""
    ids = [i for p in promotions for i in p.outbox_ids]
    if not ids:
        return []
    if db is None:
        from fpv import runtime

        db = runtime.database()
    report = delivery.send(db, deliverers_for(bot), ids)
    delivered = set(report.delivered_ids)
    return sorted({p.telegram_id for p in promotions if delivered & set(p.outbox_ids)})
