"""What pilots are told without asking, queued in the outbox inside the transaction that made
it true: a waitlisted pilot got a seat (with the invoice for a paid one), a training was
moved or cancelled. Texts come from the catalogue, in the pilot's language."""

from __future__ import annotations

from typing import Any

from fpv import outbox
from fpv.bot import render  # pure formatting (dates in the venue's zone, channels, prices)
from fpv.dal import bot as bot_dal
from fpv.db import Row, Tx
from fpv.texts import t


def _brief(tx: Tx, training_id: int) -> Row | None:
    return bot_dal.trainings_brief(tx, [training_id]).get(training_id)


def promoted(tx: Tx, promotion: Any) -> list[int]:
    """A waitlisted pilot got a seat (`promotion` is a registrations.Promotion)."""
    training = _brief(tx, promotion.training_id)
    if training is None:
        return []
    lang = promotion.language
    values = {
        "title": training["title"],
        "when": render.when(training["starts_at"], training["time_zone"], lang),
        "venue": training["venue_name"],
        "channel": render.channel(
            promotion.channel_label, promotion.channel_mhz, lang, promotion.heat
        ),
    }
    ids: list[int | None] = []
    if promotion.status == "pending_payment" and promotion.hold_expires_at is not None:
        text = t(
            "bot.promoted.held",
            lang,
            until=render.clock(promotion.hold_expires_at, training["time_zone"], lang),
            price=render.price(training["price_kopecks"], lang),
            **values,
        )
        ids.append(outbox.message(tx, promotion.telegram_id, text))
        ids.append(outbox.invoice(tx, promotion.registration_id, promotion.telegram_id, lang))
    else:
        ids.append(
            outbox.message(tx, promotion.telegram_id, t("bot.promoted.confirmed", lang, **values))
        )
    return [i for i in ids if i is not None]


def training_cancelled(tx: Tx, training: Row, registration: Row, *, refund: bool) -> int | None:
    """`registration` carries telegram_id and language (None after /delete_me: nobody to tell)."""
    if registration["telegram_id"] is None:
        return None
    lang = registration["language"] or "ru"
    when = f"{render.local_time(training['starts_at'], training['time_zone']):%d.%m.%Y %H:%M}"
    text = t("payments.training_cancelled", lang, title=training["title"], when=when)
    if refund:
        text += "\n" + t("payments.training_cancelled.refund_note", lang)
    return outbox.message(
        tx,
        registration["telegram_id"],
        text,
        dedupe_key=f"training-cancelled:{training['id']}:{registration['id']}",
    )


def training_moved(tx: Tx, training: Row, registration: Row, new_starts_at: Any) -> int | None:
    """`training` is the row before the move (its old start); `registration` carries telegram_id
    and language. One message per pilot per new time (a retried move tells nobody twice)."""
    if registration["telegram_id"] is None:
        return None
    lang = registration["language"] or "ru"
    text = t(
        "bot.notice.training_moved",
        lang,
        title=training["title"],
        old=render.when(training["starts_at"], training["time_zone"], lang),
        new=render.when(new_starts_at, training["time_zone"], lang),
    )
    return outbox.message(
        tx,
        registration["telegram_id"],
        text,
        dedupe_key=(
            f"training-moved:{training['id']}:{registration['id']}:{new_starts_at.isoformat()}"
        ),
    )
