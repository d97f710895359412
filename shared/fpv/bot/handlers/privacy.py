"""/delete_me: confirmation, then every trace of the person is removed (152-FZ)."""

from __future__ import annotations

from telegram import Update

from fpv.bot.callbacks import Callback
from fpv.bot.deps import deps_of
from fpv.bot.handlers.common import Context, lang_of, load_pilot, reply, toast, user_id
from fpv.bot.keyboards import button, markup
from fpv.bot.notifications import notify_promotions
from fpv.dal import people
from fpv.registrations import delete_person
from fpv.texts import t


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
    await reply(
        update,
        context,
        t("bot.delete.confirm", lang),
        markup(
            [
                [button(t("bot.btn.delete_yes", lang), "del")],
                [button(t("bot.btn.delete_no", lang), "delno")],
            ]
        ),
    )


async def delete_confirmed(update: Update, context: Context, _cb: Callback) -> None:
    deps = deps_of(context)
    telegram_id = user_id(update)
    lang = lang_of(update, deps, load_pilot(deps, telegram_id))  # before it is gone
    await toast(update)
    promotions = delete_person(
        deps.db, deps.bus, telegram_id=telegram_id, now=deps.now(), hold_minutes=deps.hold_minutes
    )
    await reply(update, context, t("bot.delete.done", lang), edit=True)
    await notify_promotions(context.bot, promotions, db=deps.db)


async def delete_cancelled(update: Update, context: Context, _cb: Callback) -> None:
    deps = deps_of(context)
    lang = lang_of(update, deps, load_pilot(deps, user_id(update)))
    await toast(update)
    await reply(update, context, t("bot.delete.kept", lang), edit=True)
