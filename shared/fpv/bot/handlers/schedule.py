"""Browsing: city → venue → upcoming trainings (paginated), and /schedule (site link + QR)."""

from __future__ import annotations

import io

from telegram import Update

from fpv.bot import keyboards, render
from fpv.bot.callbacks import Callback
from fpv.bot.deps import deps_of
from fpv.bot.handlers.common import Context, lang_of, load_pilot, reply, toast, user_id
from fpv.bot.keyboards import button, markup
from fpv.dal import bot as bot_dal
from fpv.texts import t

CITIES_PER_PAGE = 6
VENUES_PER_PAGE = 6
TRAININGS_PER_PAGE = 5


def _lang(update: Update, context: Context) -> str:
    deps = deps_of(context)
    return lang_of(update, deps, load_pilot(deps, user_id(update)))


async def cities(update: Update, context: Context, cb: Callback | None = None) -> None:
    """Browsing stores nothing about the person, so it works before consent too."""
    deps = deps_of(context)
    lang = _lang(update, context)
    page = cb.int_arg(0) if cb else 0
    with deps.db.transaction(readonly=True) as tx:
        rows = bot_dal.cities_with_trainings(tx, now=deps.now())
    await toast(update)
    if not rows:
        await reply(update, context, t("bot.schedule.empty", lang), edit=cb is not None)
        return
    chunk = rows[page * CITIES_PER_PAGE : (page + 1) * CITIES_PER_PAGE]
    if not chunk:  # an old "next page" button: show the first page
        page, chunk = 0, rows[:CITIES_PER_PAGE]
    buttons = [
        [button(f"{render.city_name(r, lang)} ({r['upcoming']})", "city", r["id"], 0)]
        for r in chunk
    ]
    nav = keyboards.pager(lang, "cities", (), page, len(rows) > (page + 1) * CITIES_PER_PAGE)
    await reply(
        update,
        context,
        t("bot.schedule.pick_city", lang),
        markup([*buttons, nav, [button(t("bot.btn.menu", lang), "menu")]]),
        edit=cb is not None,
    )


async def city(update: Update, context: Context, cb: Callback) -> None:
    deps = deps_of(context)
    lang = _lang(update, context)
    city_id, page = cb.int_arg(0), cb.int_arg(1)
    with deps.db.transaction(readonly=True) as tx:
        found = bot_dal.city(tx, city_id)
        rows = bot_dal.venues_with_trainings(tx, city_id, now=deps.now()) if found else []
    await toast(update)
    if found is None or not rows:
        await reply(
            update,
            context,
            t("bot.schedule.city_empty", lang),
            markup([keyboards.back(lang, "cities", 0)]),
            edit=True,
        )
        return
    chunk = rows[page * VENUES_PER_PAGE : (page + 1) * VENUES_PER_PAGE]
    if not chunk:  # an old "next page" button: show the first page
        page, chunk = 0, rows[:VENUES_PER_PAGE]
    buttons = [[button(f"{r['name']} ({r['upcoming']})", "venue", r["id"], 0)] for r in chunk]
    nav = keyboards.pager(lang, "city", (city_id,), page, len(rows) > (page + 1) * VENUES_PER_PAGE)
    await reply(
        update,
        context,
        t("bot.schedule.pick_venue", lang, city=render.city_name(found, lang)),
        markup([*buttons, nav, keyboards.back(lang, "cities", 0)]),
        edit=True,
    )


async def venue(update: Update, context: Context, cb: Callback) -> None:
    deps = deps_of(context)
    lang = _lang(update, context)
    venue_id, page = cb.int_arg(0), cb.int_arg(1)
    with deps.db.transaction(readonly=True) as tx:
        found = bot_dal.venue(tx, venue_id)
        rows = (
            bot_dal.venue_trainings(
                tx,
                venue_id,
                now=deps.now(),
                offset=page * TRAININGS_PER_PAGE,
                limit=TRAININGS_PER_PAGE + 1,
            )
            if found
            else []
        )
        if found and not rows and page > 0:  # an old page button: back to the first page
            page = 0
            rows = bot_dal.venue_trainings(
                tx, venue_id, now=deps.now(), offset=0, limit=TRAININGS_PER_PAGE + 1
            )
    await toast(update)
    if found is None or not rows:
        back = (
            keyboards.back(lang, "city", found["city_id"], 0)
            if found
            else keyboards.back(lang, "cities", 0)
        )
        await reply(update, context, t("bot.schedule.venue_empty", lang), markup([back]), edit=True)
        return
    buttons = []
    for r in rows[:TRAININGS_PER_PAGE]:
        seats = (
            t("bot.schedule.seats_short", lang, left=r["seats_left"])
            if r["seats_left"] > 0
            else t("bot.schedule.full_short", lang)
        )
        label = " · ".join(
            [
                render.short_when(r["starts_at"], r["time_zone"], lang),
                render.track(r["track_type"], lang),
                seats,
                render.price(r["price_kopecks"], lang),
            ]
        )
        buttons.append([button(label, "tr", r["id"])])
    nav = keyboards.pager(lang, "venue", (venue_id,), page, len(rows) > TRAININGS_PER_PAGE)
    await reply(
        update,
        context,
        t(
            "bot.schedule.pick_training",
            lang,
            venue=found["name"],
            address=found["address"] or "—",
            zone=render.zone(found["time_zone"], deps_of(context).now(), lang),
        ),
        markup([*buttons, nav, keyboards.back(lang, "city", found["city_id"], 0)]),
        edit=True,
    )


def qr_png(url: str) -> bytes:
    import segno  # only /schedule needs it

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


async def schedule_qr(update: Update, context: Context) -> None:
    """/schedule: the public site's link and a QR code to open it on another phone."""
    deps = deps_of(context)
    lang = _lang(update, context)
    chat = update.effective_chat
    assert chat is not None
    url = deps.public_base_url
    await context.bot.send_photo(
        chat.id,
        photo=qr_png(url),
        caption=t("bot.schedule.qr_caption", lang, url=url),
        reply_markup=markup([[button(t("bot.btn.trainings", lang), "cities", 0)]]),
    )
