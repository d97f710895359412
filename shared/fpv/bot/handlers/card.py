"""A training's card in the chat: what, when, where, price, seats, the channels taken and the
pilot's own seat, with what they can do next. Shown by sign-up, onboarding and deep links."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, Update

from fpv.bot import keyboards, render
from fpv.bot.callbacks import Callback
from fpv.bot.deps import BotDeps, deps_of
from fpv.bot.handlers.common import Context, lang_of, load_pilot, reply, toast, user_id
from fpv.bot.keyboards import button, markup
from fpv.dal import bot as bot_dal
from fpv.dal import catalog
from fpv.db import Row
from fpv.texts import t


def open_training(deps: BotDeps, training_id: int) -> Row | None:
    """The training if pilots can still sign up for it (scheduled, not started)."""
    with deps.db.transaction(readonly=True) as tx:
        row = catalog.training(tx, training_id)
    if row is None or row["status"] != "scheduled" or row["starts_at"] <= deps.now():
        return None
    return row


async def stale_training(update: Update, context: Context, lang: str) -> None:
    await reply(
        update,
        context,
        t("bot.training.gone", lang),
        markup([[button(t("bot.btn.trainings", lang), "cities", 0)]]),
        edit=update.callback_query is not None,
    )


def _channels_line(taken: list[dict[str, Any]], lang: str) -> str:
    if not taken:
        return t("bot.training.no_channels_taken", lang)
    heats: dict[int, list[str]] = {}
    for ch in taken:
        part = f"{ch['channel_label'] or '?'} {ch['channel_mhz']}"
        if ch.get("public_nickname"):
            part += f" ({ch['public_nickname']})"
        heats.setdefault(ch.get("heat") or 1, []).append(part)
    if len(heats) == 1:
        return ", ".join(next(iter(heats.values())))
    return "; ".join(
        t("bot.training.heat_channels", lang, heat=heat, channels=", ".join(parts))
        for heat, parts in sorted(heats.items())
    )


def _status_line(reg: Row, training: Row, lang: str) -> str:
    if reg["status"] == "waitlisted":
        return t("bot.training.you_waitlisted", lang)
    if reg["status"] == "pending_payment":
        return t(
            "bot.training.you_held",
            lang,
            channel=render.channel(reg["channel_label"], reg["channel_mhz"], lang, reg.get("heat")),
            until=render.clock(reg["hold_expires_at"], training["time_zone"], lang),
        )
    return t(
        "bot.training.you_confirmed",
        lang,
        channel=render.channel(reg["channel_label"], reg["channel_mhz"], lang, reg.get("heat")),
    )


async def show_training(
    update: Update,
    context: Context,
    training_id: int,
    *,
    pilot: Row | None = None,
    edit: bool = False,
) -> None:
    deps = deps_of(context)
    telegram_id = user_id(update)
    pilot = pilot or load_pilot(deps, telegram_id)
    lang = lang_of(update, deps, pilot)
    training = open_training(deps, training_id)
    if training is None:
        await stale_training(update, context, lang)
        return
    with deps.db.transaction(readonly=True) as tx:
        taken = catalog.taken_channels(tx, [training_id])[training_id]
        reg = bot_dal.pilot_registration(tx, telegram_id, training_id) if pilot else None
        waiting = bot_dal.waitlist_length(tx, training_id)
    text = t(
        "bot.training.card",
        lang,
        title=training["title"],
        venue=training["venue_name"],
        address=training["venue_address"] or "—",
        city=render.city_name(
            {"name_ru": training["city_name_ru"], "name_en": training["city_name_en"]}, lang
        ),
        when=render.when(training["starts_at"], training["time_zone"], lang),
        zone=render.zone(training["time_zone"], training["starts_at"], lang),
        track=render.track(training["track_type"], lang),
        price=render.price(training["price_kopecks"], lang),
        left=training["seats_left"],
        capacity=training["capacity"],
        channels=_channels_line(taken, lang),
    )
    if waiting:
        text += "\n" + t("bot.training.waitlist_size", lang, count=waiting)
    rows = []
    if reg is not None:
        text += "\n\n" + _status_line(reg, training, lang)
        rows.append([button(t("bot.btn.my", lang), "my")])
    elif training["seats_left"] > 0:
        rows.append([button(t("bot.btn.sign_up_auto", lang), "su", training_id, 0)])
        rows.append([button(t("bot.btn.pick_channel", lang), "chs", training_id)])
    else:
        rows.append([button(t("bot.btn.join_waitlist", lang), "su", training_id, 0)])
    rows.append(calendar_buttons(training, deps.public_base_url, lang))
    rows.append(keyboards.back(lang, "venue", training["venue_id"], 0))
    await reply(update, context, text, markup(rows), edit=edit)


def calendar_buttons(training: Row, public_base_url: str, lang: str) -> list[InlineKeyboardButton]:
    """ "Add to Google Calendar" and, on a public https address, the training's .ics file."""
    from fpv.pilot_calendar import google_calendar_url

    row = [
        InlineKeyboardButton(t("apis.btn.google_calendar", lang), url=google_calendar_url(training))
    ]
    if public_base_url.startswith("https://"):  # Telegram refuses buttons to local addresses
        ics = f"{public_base_url.rstrip('/')}/api/v1/trainings/{training['id']}.ics"
        row.append(InlineKeyboardButton(t("apis.btn.ics", lang), url=ics))
    return row


async def training_card(update: Update, context: Context, cb: Callback) -> None:
    await toast(update)
    await show_training(update, context, cb.int_arg(0), edit=True)
