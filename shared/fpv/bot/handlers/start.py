"""/start with consent first (152-FZ), deep links, /help, the menu, unknown commands."""

from __future__ import annotations

import re

from telegram import Update

from fpv import actors, pilots
from fpv.bot import keyboards
from fpv.bot.callbacks import Callback
from fpv.bot.deps import deps_of
from fpv.bot.handlers import app_signin, passes, profile, voice
from fpv.bot.handlers.card import show_training
from fpv.bot.handlers.common import (
    Context,
    consent_prompt,
    lang_of,
    load_pilot,
    reply,
    telegram_language,
    toast,
    user_id,
)
from fpv.dal import bot as bot_dal
from fpv.texts import t

_DEEP_LINK = re.compile(
    r"^training_(?:(?P<id>\d{1,19})|(?P<uuid>[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}))$"
)

_PASS_LINK = re.compile(r"^pass_(?P<id>\d{1,18})$")


def deep_link_pass(context: Context) -> bool:
    """`/start pass_<product id>` (the public site's "buy in the bot"): show the passes."""
    return bool(_PASS_LINK.match(context.args[0] if context.args else ""))


def deep_link_training(context: Context) -> int:
    """`/start training_<id or public uuid>` → the training id (0 when absent or unknown)."""
    payload = context.args[0] if context.args else ""
    match = _DEEP_LINK.match(payload)
    if not match:
        return 0
    if match["id"]:
        training_id = int(match["id"])
        return training_id if training_id < 2**63 else 0
    with deps_of(context).db.transaction(readonly=True) as tx:
        return bot_dal.training_by_public_id(tx, match["uuid"].lower()) or 0


async def start(update: Update, context: Context) -> None:
    deps = deps_of(context)
    nonce = app_signin.app_nonce(context.args[0] if context.args else "")
    if nonce is not None:  # `app_<nonce>`: the pilots' app asks to sign in
        await app_signin.ask_confirm(update, context, nonce)
        return
    training_id = deep_link_training(context)
    pilot = load_pilot(deps, user_id(update))
    if pilot is None:
        await consent_prompt(update, context, training_id)
        return
    if not pilot["nickname"]:
        await profile.ask_nickname(update, context, pilot["language"], training_id, True)
        return
    if training_id:
        await show_training(update, context, training_id, pilot=pilot)
        return
    if deep_link_pass(context):  # the products on sale, each with its buy button
        await passes.passes_menu(update, context)
        return
    await reply(
        update,
        context,
        t("bot.start.welcome_back", pilot["language"], nickname=pilot["nickname"]),
        keyboards.main_menu(pilot["language"]),
    )


async def consent_given(update: Update, context: Context, cb: Callback) -> None:
    deps = deps_of(context)
    telegram_id = user_id(update)
    training_id = cb.int_arg(0)
    lang = telegram_language(update, deps)
    given = pilots.give_consent(
        deps.db, actors.pilot(telegram_id), language=lang, policy_version=deps.policy_version
    )
    if not given:  # a double tap, or an old consent message
        await toast(update, t("bot.consent.already", lang))
        return
    await toast(update)
    await reply(update, context, t("bot.consent.thanks", lang), edit=True)
    pilot = load_pilot(deps, telegram_id)
    if pilot is not None and pilot["nickname"]:  # a returning pilot whose row was kept
        if training_id:
            await show_training(update, context, training_id, pilot=pilot)
        else:
            menu_text = t("bot.menu.text", pilot["language"])
            await reply(update, context, menu_text, keyboards.main_menu(pilot["language"]))
        return
    await profile.ask_nickname(update, context, lang, training_id, True)


async def consent_refused(update: Update, context: Context, _cb: Callback) -> None:
    lang = telegram_language(update, deps_of(context))
    await toast(update)
    await reply(
        update,
        context,
        t("bot.consent.refused", lang, url=deps_of(context).public_base_url),
        edit=True,
    )


async def menu(update: Update, context: Context, cb: Callback | None = None) -> None:
    deps = deps_of(context)
    pilot = load_pilot(deps, user_id(update))
    if pilot is None:
        await toast(update)
        await consent_prompt(update, context)
        return
    await toast(update)
    await reply(
        update,
        context,
        t("bot.menu.text", pilot["language"]),
        keyboards.main_menu(pilot["language"]),
        edit=cb is not None,
    )


async def help_command(update: Update, context: Context) -> None:
    deps = deps_of(context)
    pilot = load_pilot(deps, user_id(update))
    lang = lang_of(update, deps, pilot)
    await reply(update, context, t("bot.help", lang))


async def unknown_command(update: Update, context: Context) -> None:
    deps = deps_of(context)
    pilot = load_pilot(deps, user_id(update))
    await reply(update, context, t("bot.unknown_command", lang_of(update, deps, pilot)))


async def text_message(update: Update, context: Context) -> None:
    """Plain text: what it means depends on the stored conversation state."""
    deps = deps_of(context)
    telegram_id = user_id(update)
    pilot = load_pilot(deps, telegram_id)
    state = None
    if pilot is not None:
        with deps.db.transaction(readonly=True) as tx:
            state = bot_dal.get_state(tx, telegram_id)
    if state is not None and state["state"] == "nickname":
        await profile.nickname_received(update, context, pilot, state["data"])
        return
    if await voice.admin_text(update, context):  # an organizer's request: the assistant
        return
    if pilot is None:
        await consent_prompt(update, context)
        return
    await reply(
        update,
        context,
        t("bot.text.not_understood", pilot["language"]),
        keyboards.main_menu(pilot["language"]),
    )
