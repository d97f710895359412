"""My trainings: the list, cancelling (venue's cut-off), changing the channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Update

from fpv import registrations  # the use cases load on first use (cold start, issue #20)
from fpv.bot import keyboards, notifications, payments_seam, render
from fpv.bot.callbacks import Callback
from fpv.bot.deps import deps_of
from fpv.bot.handlers.common import Context, reply, require_pilot, toast
from fpv.bot.handlers.signup import MAX_CHANNEL_BUTTONS, choice_label, send_invoice_again
from fpv.bot.keyboards import button, markup
from fpv.db import Row
from fpv.registrations.errors import (
    CancelTooLate,
    ChannelUnavailable,
    RegistrationError,
    RegistrationNotFound,
    TrainingClosed,
)
from fpv.texts import t

SEATED = ("pending_payment", "confirmed")


def _registration_line(n: int, reg: Row, lang: str) -> str:
    return t(
        "bot.my.item",
        lang,
        n=n,
        title=reg["title"],
        when=render.when(reg["starts_at"], reg["time_zone"], lang),
        venue=reg["venue_name"],
        status=t(f"bot.status.{reg['status']}", lang),
        channel=render.channel(reg["channel_label"], reg["channel_mhz"], lang, reg.get("heat")),
    )


async def my_trainings(update: Update, context: Context, cb: Callback | None = None) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    regs = registrations.my_registrations(deps.db, telegram_id=pilot["telegram_id"], now=deps.now())
    if not regs:
        await reply(
            update,
            context,
            t("bot.my.empty", lang),
            markup([[button(t("bot.btn.trainings", lang), "cities", 0)]]),
            edit=cb is not None,
        )
        return
    lines = [t("bot.my.title", lang)]
    rows = []
    now = deps.now()
    for n, reg in enumerate(regs, start=1):
        lines.append(_registration_line(n, reg, lang))
        row = []
        if reg["status"] == "pending_payment":
            row.append(button(t("bot.btn.pay_n", lang, n=n), "pay", reg["id"]))
        if _can_cancel(reg, now):
            row.append(button(t("bot.btn.cancel_n", lang, n=n), "cx", reg["id"]))
        if reg["status"] in SEATED and reg["starts_at"] > now:
            row.append(button(t("bot.btn.change_channel_n", lang, n=n), "chg", reg["id"]))
        if row:
            rows.append(row)
    rows.append([button(t("bot.btn.menu", lang), "menu")])
    await reply(update, context, "\n\n".join(lines), markup(rows), edit=cb is not None)


def _can_cancel(reg: Row, now: datetime) -> bool:
    """The pilot may still cancel: a waitlist place or an unpaid hold any time before the start,
    a confirmed seat until the venue's cut-off (the use case enforces the same rule)."""
    if reg["starts_at"] <= now:
        return False
    if reg["status"] != "confirmed":
        return True
    return now <= reg["starts_at"] - timedelta(hours=reg["cancel_cutoff_hours"])


async def pay(update: Update, context: Context, cb: Callback) -> None:
    """The Pay button of a held seat: the invoice again."""
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    lang = pilot["language"]
    await toast(update)
    if not await send_invoice_again(update, context, cb.int_arg(0)):
        await _gone(update, context, lang)


def _find(deps, telegram_id: int, registration_id: int) -> Row | None:
    for reg in registrations.my_registrations(deps.db, telegram_id=telegram_id, now=deps.now()):
        if reg["id"] == registration_id:
            return reg
    return None


async def _gone(update: Update, context: Context, lang: str) -> None:
    await reply(
        update,
        context,
        t("bot.my.gone", lang),
        markup([[button(t("bot.btn.my", lang), "my")]]),
    )


async def ask_cancel(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    reg = _find(deps, pilot["telegram_id"], cb.int_arg(0))
    if reg is None:
        await _gone(update, context, lang)
        return
    text = t(
        "bot.cancel.confirm",
        lang,
        title=reg["title"],
        when=render.when(reg["starts_at"], reg["time_zone"], lang),
    )
    if reg["status"] == "confirmed":
        deadline = reg["starts_at"] - timedelta(hours=reg["cancel_cutoff_hours"])
        text += "\n" + t(
            "bot.cancel.cutoff_note" if deadline > deps.now() else "bot.cancel.cutoff_passed",
            lang,
            deadline=render.when(deadline, reg["time_zone"], lang),
            hours=reg["cancel_cutoff_hours"],
        )
    await reply(
        update,
        context,
        text,
        markup(
            [
                [button(t("bot.btn.cancel_yes", lang), "cxy", reg["id"])],
                [button(t("bot.btn.cancel_no", lang), "my")],
            ]
        ),
        edit=True,
    )


async def confirm_cancel(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    try:
        result = payments_seam.cancel_registration(
            deps, registration_id=cb.int_arg(0), telegram_id=pilot["telegram_id"], now=deps.now()
        )
    except CancelTooLate:
        reg = _find(deps, pilot["telegram_id"], cb.int_arg(0))
        hours = reg["cancel_cutoff_hours"] if reg else "?"
        await reply(update, context, t("bot.cancel.too_late", lang, hours=hours), edit=True)
        return
    except TrainingClosed:
        await reply(update, context, t("bot.cancel.started", lang), edit=True)
        return
    except RegistrationNotFound:
        await _gone(update, context, lang)
        return
    text = t("bot.cancel.done", lang)
    if result.refund_due:
        text += "\n" + t("bot.cancel.refund_note", lang)
    elif result.credit_returned:
        text += "\n" + t("bot.cancel.credit_note", lang)
    elif result.refund_rule is not None:  # paid, and the venue's rule keeps the money
        text += "\n" + t(f"bot.refund_rule.{result.refund_rule}", lang)
    await reply(
        update,
        context,
        text,
        markup([[button(t("bot.btn.my", lang), "my"), button(t("bot.btn.menu", lang), "menu")]]),
        edit=True,
    )
    await notifications.deliver(context, result.outbox_ids)


async def channel_options(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    reg = _find(deps, pilot["telegram_id"], cb.int_arg(0))
    if reg is None or reg["status"] not in SEATED:
        await _gone(update, context, lang)
        return
    try:
        choices = registrations.channel_choices(
            deps.db, training_id=reg["training_id"], telegram_id=pilot["telegram_id"]
        )
    except RegistrationError:
        await _gone(update, context, lang)
        return
    rows = [
        [
            button(
                ("• " if c.mhz == reg["channel_mhz"] else "")
                + choice_label(c.label, c.mhz, c.rating, c.min_spacing),
                "chgy",
                reg["id"],
                c.mhz,
            )
        ]
        for c in choices[:MAX_CHANNEL_BUTTONS]
    ]
    rows.append(keyboards.back(lang, "my"))
    text = t(
        "bot.change.text",
        lang,
        channel=render.channel(reg["channel_label"], reg["channel_mhz"], lang, reg.get("heat")),
    )
    await reply(update, context, text, markup(rows), edit=True)


async def confirm_channel(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    registration_id, mhz = cb.int_arg(0), cb.int_arg(1)
    try:
        chosen = registrations.change_channel(
            deps.db,
            deps.bus,
            registration_id=registration_id,
            telegram_id=pilot["telegram_id"],
            channel_mhz=mhz,
            now=deps.now(),
        )
    except ChannelUnavailable:
        await reply(
            update,
            context,
            t("bot.change.taken", lang),
            markup([[button(t("bot.btn.pick_channel", lang), "chg", registration_id)]]),
        )
        return
    except (RegistrationNotFound, TrainingClosed):
        await _gone(update, context, lang)
        return
    await reply(
        update,
        context,
        t(
            "bot.change.done",
            lang,
            channel=render.channel(chosen.label, chosen.mhz, lang, chosen.heat),
        ),
        markup([[button(t("bot.btn.my", lang), "my")]]),
        edit=True,
    )
