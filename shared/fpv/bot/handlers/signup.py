"""A training's card, signing up (automatic or chosen channel), the waitlist."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Update

from fpv import registrations  # the use cases load on first use (cold start, issue #20)
from fpv.bot import keyboards, notifications, render
from fpv.bot.callbacks import Callback
from fpv.bot.deps import deps_of
from fpv.bot.handlers.card import open_training, show_training, stale_training
from fpv.bot.handlers.common import (
    Context,
    reply,
    require_pilot,
    toast,
    user_id,
)
from fpv.bot.handlers.profile import ask_nickname
from fpv.bot.keyboards import button, markup
from fpv.dal import catalog
from fpv.registrations.errors import (
    AlreadyRegistered,
    ChannelUnavailable,
    PilotNotFound,
    RegistrationError,
    TrainingClosed,
    TrainingNotFound,
)
from fpv.texts import t

MAX_CHANNEL_BUTTONS = 12


async def _error(update: Update, context: Context, exc: RegistrationError, lang: str, tid: int):
    if isinstance(exc, TrainingNotFound | TrainingClosed):
        await stale_training(update, context, lang)
    elif isinstance(exc, AlreadyRegistered):
        held = exc.status == "pending_payment"
        await reply(
            update,
            context,
            t("bot.signup.already_held" if held else "bot.signup.already", lang),
            markup([[button(t("bot.btn.my", lang), "my")]]),
        )
        if held:  # the invoice may never have arrived: send it again
            await send_invoice_again(update, context, exc.registration_id)
    elif isinstance(exc, ChannelUnavailable):
        await reply(
            update,
            context,
            t("bot.signup.channel_taken", lang),
            markup(
                [
                    [button(t("bot.btn.pick_channel", lang), "chs", tid)],
                    [button(t("bot.btn.sign_up_auto", lang), "su", tid, 0)],
                ]
            ),
        )
    elif isinstance(exc, PilotNotFound):  # deleted between checks: start over
        await reply(update, context, t("bot.signup.no_profile", lang))
    else:
        await reply(update, context, t("bot.signup.failed", lang))


async def do_sign_up(update: Update, context: Context, cb: Callback) -> None:
    training_id, mhz = cb.int_arg(0), cb.int_arg(1)
    pilot = await require_pilot(update, context, training_id)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    if not pilot["nickname"]:
        await ask_nickname(update, context, lang, training_id, True)
        return
    try:
        result = registrations.sign_up(
            deps.db,
            deps.bus,
            training_id=training_id,
            telegram_id=pilot["telegram_id"],
            channel_mhz=mhz or None,
            hold_minutes=deps.hold_minutes,
            now=deps.now(),
        )
    except RegistrationError as exc:
        await _error(update, context, exc, lang, training_id)
        return
    await announce(update, context, result, lang)


def reminders_ahead(starts_at: datetime, now: datetime) -> str:
    """Which reminders a sign-up made now will still get: 'both', '1h' or 'none' (a reminder
    goes only to pilots who signed up before its moment, see fpv.jobs.reminders)."""
    if now <= starts_at - timedelta(hours=24):
        return "both"
    if now <= starts_at - timedelta(hours=1):
        return "1h"
    return "none"


async def send_invoice_again(update: Update, context: Context, registration_id: int) -> bool:
    """Queue and send the invoice of the pilot's held seat again; False if it is not held."""
    deps = deps_of(context)
    ids = registrations.resend_invoice(
        deps.db, registration_id=registration_id, telegram_id=user_id(update)
    )
    await notifications.deliver(context, ids)
    return bool(ids)


async def announce(
    update: Update, context: Context, result: registrations.SignUpResult, lang: str
) -> None:
    deps = deps_of(context)
    with deps.db.transaction(readonly=True) as tx:
        training = catalog.training(tx, result.training_id)
    assert training is not None
    values = {
        "title": training["title"],
        "when": render.when(training["starts_at"], training["time_zone"], lang),
        "venue": training["venue_name"],
        "channel": render.channel(result.channel_label, result.channel_mhz, lang, result.heat),
        "price": render.price(result.price_kopecks, lang),
    }
    menu = markup([[button(t("bot.btn.my", lang), "my"), button(t("bot.btn.menu", lang), "menu")]])
    if result.status == "confirmed" and result.pass_credit is not None:
        left = result.pass_credit.credits_left
        values["pass_left"] = (
            t("bot.passes.unlimited", lang)
            if left is None
            else t("bot.signup.pass_left", lang, left=left)
        )
        await reply(update, context, t("bot.signup.by_pass", lang, **values), menu)
    elif result.status == "confirmed":
        ahead = reminders_ahead(training["starts_at"], deps.now())
        reminders = "" if ahead == "none" else t(f"bot.signup.reminders.{ahead}", lang)
        await reply(
            update, context, t("bot.signup.confirmed", lang, reminders=reminders, **values), menu
        )
    elif result.status == "pending_payment":
        assert result.hold_expires_at is not None
        until = render.clock(result.hold_expires_at, training["time_zone"], lang)
        await reply(update, context, t("bot.signup.held", lang, until=until, **values), menu)
        await notifications.deliver(context, result.outbox_ids)
    else:
        await reply(
            update,
            context,
            t("bot.signup.waitlisted", lang, position=result.waitlist_position or "?", **values),
            menu,
        )


async def pick_channel(update: Update, context: Context, cb: Callback) -> None:
    training_id = cb.int_arg(0)
    pilot = await require_pilot(update, context, training_id)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    training = open_training(deps, training_id)
    if training is None:
        await stale_training(update, context, lang)
        return
    if training["seats_left"] <= 0:
        await show_training(update, context, training_id, pilot=pilot, edit=True)
        return
    try:
        choices = registrations.channel_choices(
            deps.db, training_id=training_id, telegram_id=pilot["telegram_id"]
        )
    except (TrainingNotFound, PilotNotFound):
        await stale_training(update, context, lang)
        return
    rows = [
        [button(choice_label(c.label, c.mhz, c.rating, c.min_spacing), "su", training_id, c.mhz)]
        for c in choices[:MAX_CHANNEL_BUTTONS]
    ]
    text = t("bot.channels.text", lang) if choices else t("bot.channels.none", lang)
    rows.append([button(t("bot.btn.sign_up_auto", lang), "su", training_id, 0)])
    rows.append(keyboards.back(lang, "tr", training_id))
    await reply(update, context, text, markup(rows), edit=True)


def choice_label(label: str, mhz: int, rating: int, spacing: float | None) -> str:
    """'R3 5732 · ★100 · ↔37': the group's IMD rating and its smallest channel gap (MHz) if
    the pilot takes this channel."""
    gap = "—" if spacing is None else str(round(spacing))
    return f"{label} {mhz} · ★{rating} · ↔{gap}"
