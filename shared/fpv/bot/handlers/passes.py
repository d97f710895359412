"""Season passes in the chat: what the club sells, the pilot's own passes, buying one."""

from __future__ import annotations

from telegram import Update

from fpv import actors, passes
from fpv.bot import notifications, render
from fpv.bot.callbacks import Callback
from fpv.bot.deps import deps_of
from fpv.bot.handlers.common import Context, reply, require_pilot, toast
from fpv.bot.keyboards import button, markup
from fpv.db import Row
from fpv.texts import t


def credits_text(credits_total: int | None, credits_used: int, lang: str) -> str:
    if credits_total is None:
        return t("bot.passes.unlimited", lang)
    return t("bot.passes.left", lang, left=credits_total - credits_used, total=credits_total)


def _product_line(product: Row, lang: str) -> str:
    return t(
        "bot.passes.product",
        lang,
        title=product["title"],
        trainings=(
            t("bot.passes.unlimited", lang)
            if product["trainings"] is None
            else t("bot.passes.trainings", lang, count=product["trainings"])
        ),
        days=product["valid_days"],
        where=product["venue_name"] or t("bot.passes.everywhere", lang),
        price=render.price(product["price_kopecks"], lang),
    )


async def passes_menu(update: Update, context: Context, cb: Callback | None = None) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    mine = passes.my_passes(deps.db, pilot["telegram_id"], now=deps.now())
    offered = passes.products(deps.db)
    lines = [t("bot.passes.title", lang)]
    for own in mine:
        lines.append(
            t(
                "bot.passes.mine",
                lang,
                title=own["title"],
                credits=credits_text(own["credits_total"], own["credits_used"], lang),
                until=render.when(own["valid_until"], own["time_zone"], lang),
            )
        )
    lines += [_product_line(p, lang) for p in offered] or [t("bot.passes.none", lang)]
    rows = [
        [button(t("bot.btn.buy_pass", lang, title=p["title"][:24]), "pbuy", p["id"])]
        for p in offered
    ]
    rows.append([button(t("bot.btn.menu", lang), "menu")])
    await reply(update, context, "\n\n".join(lines), markup(rows), edit=cb is not None)


async def buy_pass(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    await toast(update)
    try:
        _pass_id, ids = passes.buy(deps.db, actors.pilot(pilot["telegram_id"]), cb.int_arg(0))
    except passes.PassError:
        await reply(update, context, t("bot.passes.gone", lang))
        return
    await reply(update, context, t("bot.passes.invoice_sent", lang))
    await notifications.deliver(context, ids)
