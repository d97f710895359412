"""Profile: nickname (validated, unique), equipment (analog bands or a digital system),
language, and whether the nickname shows on the public schedule."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from fpv import actors, pilots
from fpv.bot import keyboards, render
from fpv.bot.callbacks import Callback
from fpv.bot.deps import BotDeps, deps_of
from fpv.bot.handlers.card import show_training
from fpv.bot.handlers.common import Context, reply, require_pilot, toast, user_id
from fpv.bot.keyboards import button, markup
from fpv.dal import bot as bot_dal
from fpv.dal import people
from fpv.db import Row
from fpv.pilots import valid_nickname
from fpv.texts import LANGUAGES, t

__all__ = ["ask_nickname", "valid_nickname"]


async def ask_nickname(
    update: Update, context: Context, lang: str, training_id: int, onboarding: bool
) -> None:
    deps = deps_of(context)
    with deps.db.transaction() as tx:
        bot_dal.set_state(
            tx, user_id(update), "nickname", {"training": training_id, "onboarding": onboarding}
        )
    key = "bot.profile.ask_nickname_first" if onboarding else "bot.profile.ask_nickname"
    await reply(update, context, t(key, lang))


async def nickname_received(
    update: Update, context: Context, pilot: Row, data: dict[str, Any]
) -> None:
    deps = deps_of(context)
    lang = pilot["language"]
    telegram_id = pilot["telegram_id"]
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    try:
        pilots.set_nickname(deps.db, deps.bus, actors.pilot(telegram_id), text)
    except pilots.NicknameInvalid:
        await reply(update, context, t("bot.profile.nickname_invalid", lang))
        return
    except pilots.NicknameTaken:
        await reply(update, context, t("bot.profile.nickname_taken", lang, nickname=text))
        return
    with deps.db.transaction() as tx:
        bot_dal.clear_state(tx, telegram_id)
    if data.get("onboarding"):
        await reply(
            update, context, t("bot.profile.nickname_saved_onboarding", lang, nickname=text)
        )
        await show_equipment(
            update, context, lang, onboarding_training=int(data.get("training") or 0)
        )
        return
    await reply(update, context, t("bot.profile.nickname_saved", lang, nickname=text))
    await show_profile(update, context)


def profile_text(pilot: Row) -> str:
    lang = pilot["language"]
    return t(
        "bot.profile.text",
        lang,
        nickname=pilot["nickname"] or "—",
        equipment=render.equipment(pilot["equipment"], lang),
        language=t("bot.language.name", lang),
        show=t("bot.yes" if pilot["show_on_site"] else "bot.no", lang),
    )


def profile_keyboard(pilot: Row) -> InlineKeyboardMarkup:
    lang = pilot["language"]
    other = "en" if lang == "ru" else "ru"
    show = pilot["show_on_site"]
    return markup(
        [
            [
                button(t("bot.btn.nickname", lang), "nick"),
                button(t("bot.btn.equipment", lang), "eq"),
            ],
            [button(t("bot.btn.switch_language", other), "lang", other)],
            [
                button(
                    t("bot.btn.hide_nick" if show else "bot.btn.show_nick", lang),
                    "show",
                    int(not show),
                )
            ],
            [
                button(t("apis.btn.devices", lang), "devs"),
                button(t("apis.btn.calendar", lang), "cal"),
            ],
            [button(t("bot.btn.menu", lang), "menu")],
        ]
    )


async def show_profile(update: Update, context: Context, cb: Callback | None = None) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    await toast(update)
    await reply(update, context, profile_text(pilot), profile_keyboard(pilot), edit=cb is not None)


async def change_nickname(update: Update, context: Context, _cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    await toast(update)
    await ask_nickname(update, context, pilot["language"], 0, False)


def equipment_keyboard(equipment: str, lang: str, onboarding: bool) -> InlineKeyboardMarkup:
    from fpv.channels.bands import ANALOG_BAND_CODES, DIGITAL_SYSTEM_IDS

    bands, digital = render.split_equipment(equipment)
    band_row = [
        button(("✅ " if code in bands else "▫️ ") + code, "eqb", code) for code in ANALOG_BAND_CODES
    ]
    digital_buttons = [
        button(
            ("✅ " if system == digital else "") + render.DIGITAL_SHORT_NAMES.get(system, system),
            "eqd",
            system,
        )
        for system in DIGITAL_SYSTEM_IDS
    ]
    digital_rows = [digital_buttons[i : i + 2] for i in range(0, len(digital_buttons), 2)]
    done = t("bot.btn.continue" if onboarding else "bot.btn.done", lang)
    return markup([band_row, *digital_rows, [button(done, "eqok")]])


async def show_equipment(
    update: Update,
    context: Context,
    lang: str | None = None,
    *,
    onboarding_training: int | None = None,
    edit: bool = False,
) -> None:
    deps = deps_of(context)
    telegram_id = user_id(update)
    with deps.db.transaction() as tx:
        pilot = people.pilot(tx, telegram_id)
        if pilot is None:
            return
        if onboarding_training is not None:
            bot_dal.set_state(tx, telegram_id, "equipment", {"training": onboarding_training})
        state = bot_dal.get_state(tx, telegram_id)
    lang = pilot["language"]
    onboarding = state is not None and state["state"] == "equipment"
    text = t(
        "bot.equipment.text",
        lang,
        equipment=render.equipment(pilot["equipment"], lang),
    )
    await reply(
        update, context, text, equipment_keyboard(pilot["equipment"], lang, onboarding), edit=edit
    )


async def equipment_menu(update: Update, context: Context, _cb: Callback) -> None:
    if await require_pilot(update, context) is None:
        return
    await toast(update)
    await show_equipment(update, context, edit=True)


async def toggle_band(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    from fpv.channels.bands import ANALOG_BAND_CODES

    code = cb.args[0].upper()
    if code not in ANALOG_BAND_CODES:
        await toast(update, t("bot.stale_button", pilot["language"]))
        return
    new = render.toggle_band(pilot["equipment"], code)
    if new is None:
        await toast(update, t("bot.equipment.need_one_band", pilot["language"]), alert=True)
        return
    _save(deps_of(context), pilot["telegram_id"], equipment=new)
    await toast(update)
    await show_equipment(update, context, edit=True)


async def choose_digital(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    from fpv.channels.bands import DIGITAL_SYSTEM_IDS

    system = cb.args[0].lower()
    if system not in DIGITAL_SYSTEM_IDS:
        await toast(update, t("bot.stale_button", pilot["language"]))
        return
    _save(deps_of(context), pilot["telegram_id"], equipment=system)
    await toast(update)
    await show_equipment(update, context, edit=True)


async def equipment_done(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    with deps.db.transaction() as tx:
        state = bot_dal.get_state(tx, pilot["telegram_id"])
        if state is not None and state["state"] == "equipment":
            bot_dal.clear_state(tx, pilot["telegram_id"])
    await toast(update, t("bot.saved", lang))
    if state is None or state["state"] != "equipment":
        await show_profile(update, context, cb)
        return
    await reply(
        update,
        context,
        t("bot.equipment.saved", lang, equipment=render.equipment(pilot["equipment"], lang)),
        edit=True,
    )
    training_id = int(state["data"].get("training") or 0)
    if training_id:
        await show_training(update, context, training_id, pilot=pilot)
    else:
        await reply(update, context, t("bot.onboarding.done", lang), keyboards.main_menu(lang))


async def set_language(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    lang = cb.args[0]
    if lang not in LANGUAGES:
        await toast(update, t("bot.stale_button", pilot["language"]))
        return
    _save(deps_of(context), pilot["telegram_id"], language=lang)
    await show_profile(update, context, cb)


async def set_show_on_site(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    if cb.args[0] not in ("0", "1"):
        await toast(update, t("bot.stale_button", pilot["language"]))
        return
    _save(deps_of(context), pilot["telegram_id"], show_on_site=cb.args[0] == "1")
    await show_profile(update, context, cb)


def _save(deps: BotDeps, telegram_id: int, **fields: Any) -> None:
    pilots.update_profile(deps.db, deps.bus, actors.pilot(telegram_id), **fields)
