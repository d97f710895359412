"""/delete_me: first what happens to each upcoming seat and its money, then, confirmed, every
trace of the person is removed (152-FZ)."""

from __future__ import annotations

import logging

from telegram import Update

from fpv import registrations  # the use cases load on first use (cold start, issue #20)
from fpv.bot import notifications, render
from fpv.bot.callbacks import Callback
from fpv.bot.deps import BotDeps, deps_of
from fpv.bot.handlers.common import Context, lang_of, load_pilot, reply, toast, user_id
from fpv.bot.keyboards import button, markup
from fpv.dal import people
from fpv.payments.money import format_amount
from fpv.texts import t

log = logging.getLogger("fpv.bot.privacy")


def _fate_line(fate: registrations.SeatFate, lang: str) -> str:
    values = {"title": fate.title, "when": render.when(fate.starts_at, fate.time_zone, lang)}
    if not fate.paid_kopecks:
        return t("bot.delete.fate.free", lang, **values)
    amount = format_amount(fate.paid_kopecks, fate.currency, lang)
    key = "bot.delete.fate.refund" if fate.refund else "bot.delete.fate.keep"
    return t(key, lang, amount=amount, why=t(f"bot.refund_rule.{fate.rule}", lang), **values)


def _pass_line(fate, lang: str) -> str:  # a passes.PassFate
    values = {"title": fate.title}
    if fate.refund:
        return t(
            "bot.delete.pass.refund",
            lang,
            amount=format_amount(fate.paid_kopecks, "RUB", lang),
            **values,
        )
    if fate.credits_total is None:
        return t("bot.delete.pass.lost_unlimited", lang, **values)
    left = fate.credits_total - fate.credits_used
    return t("bot.delete.pass.lost", lang, left=left, total=fate.credits_total, **values)


async def delete_me(update: Update, context: Context) -> None:
    deps = deps_of(context)
    telegram_id = user_id(update)
    with deps.db.transaction(readonly=True) as tx:
        pilot = people.pilot(tx, telegram_id)
        known = pilot is not None or people.consent(tx, telegram_id) is not None
    lang = lang_of(update, deps, pilot)
    if not known:
        await reply(update, context, t("bot.delete.nothing", lang))
        return
    text = t("bot.delete.confirm", lang)
    fates = registrations.deletion_preview(deps.db, telegram_id=telegram_id, now=deps.now())
    if fates:
        text += "\n\n" + t("bot.delete.fates_title", lang) + "\n"
        text += "\n".join(_fate_line(f, lang) for f in fates)
    held = registrations.deletion_passes(deps.db, telegram_id=telegram_id, now=deps.now())
    if held:
        text += "\n\n" + t("bot.delete.passes_title", lang) + "\n"
        text += "\n".join(_pass_line(f, lang) for f in held)
    await reply(
        update,
        context,
        text,
        markup(
            [
                [button(t("bot.btn.delete_yes", lang), "del")],
                [button(t("bot.btn.delete_no", lang), "delno")],
            ]
        ),
    )


def _ledger_recorder(deps: BotDeps):
    """Writes the deletion next to the backups before the database forgets the person."""
    store = deps.extras.get("deletion_store")
    if store is None:
        from fpv.jobs.backup_job import backup_store
        from fpv.settings import get_settings

        store = backup_store(get_settings())
    from fpv.jobs.restore import record_deletion

    return lambda telegram_id, at: record_deletion(store, telegram_id, at)


async def delete_confirmed(update: Update, context: Context, _cb: Callback) -> None:
    deps = deps_of(context)
    telegram_id = user_id(update)
    lang = lang_of(update, deps, load_pilot(deps, telegram_id))  # before it is gone
    await toast(update)
    deletion = registrations.delete_person(
        deps.db,
        deps.bus,
        telegram_id=telegram_id,
        now=deps.now(),
        hold_minutes=deps.hold_minutes,
        record_outside=_ledger_recorder(deps),
    )
    text = t("bot.delete.done", lang)
    if deletion.refund_payment_ids:
        text += "\n" + t("bot.cancel.refund_note", lang)
    await reply(update, context, text, edit=True)
    await notifications.deliver(context, deletion.outbox_ids)
    if deletion.refund_payment_ids:
        from fpv.bot import payments_seam

        payments_seam.work_refunds(deps, deletion.refund_payment_ids)


async def delete_cancelled(update: Update, context: Context, _cb: Callback) -> None:
    deps = deps_of(context)
    lang = lang_of(update, deps, load_pilot(deps, user_id(update)))
    await toast(update)
    await reply(update, context, t("bot.delete.kept", lang), edit=True)
