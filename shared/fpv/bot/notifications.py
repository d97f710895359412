"""Telling pilots what happened without them asking: a freed seat went to them.

Used by the bot (after a cancellation or /delete_me) and by the reminders job (after holds
expire). A pilot who blocked the bot is marked unreachable; one failed message never stops the
others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram.error import Forbidden, TelegramError

from fpv.bot import payments_seam, render
from fpv.dal import bot as bot_dal
from fpv.dal import people
from fpv.db import Database
from fpv.texts import t

log = logging.getLogger("fpv.bot.notifications")


async def notify_promotions(
    bot: Any, promotions: Sequence[Any], *, db: Database | None = None
) -> list[int]:
    """Message every promoted pilot (in their language); returns the Telegram ids reached.
    `promotions` are `fpv.registrations.Promotion`s."""
    if not promotions:
        return []
    if db is None:
        from fpv import runtime

        db = runtime.database()
    with db.transaction(readonly=True) as tx:
        trainings = bot_dal.trainings_brief(tx, sorted({p.training_id for p in promotions}))
    reached: list[int] = []
    for promotion in promotions:
        training = trainings.get(promotion.training_id)
        if training is None:
            continue
        lang = promotion.language
        values = {
            "title": training["title"],
            "when": render.when(training["starts_at"], training["time_zone"], lang),
            "venue": training["venue_name"],
            "channel": render.channel(
                promotion.channel_label, promotion.channel_mhz, lang, promotion.heat
            ),
        }
        if promotion.status == "pending_payment" and promotion.hold_expires_at is not None:
            text = t(
                "bot.promoted.held",
                lang,
                until=render.clock(promotion.hold_expires_at, training["time_zone"]),
                price=render.price(training["price_kopecks"], lang),
                **values,
            )
        else:
            text = t("bot.promoted.confirmed", lang, **values)
        try:
            await bot.send_message(promotion.telegram_id, text)
            if promotion.status == "pending_payment":
                await payments_seam.send_invoice(bot, promotion, lang)
        except Forbidden:
            with db.transaction() as tx:
                people.update_pilot(tx, promotion.telegram_id, reachable=False)
            log.info("promoted pilot unreachable (blocked the bot)")
            continue
        except TelegramError as exc:
            log.warning("promotion message failed: %s", type(exc).__name__)
            continue
        reached.append(promotion.telegram_id)
    return reached
