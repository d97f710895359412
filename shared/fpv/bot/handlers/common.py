"""Helpers every handler uses: who is talking, in which language, and how to answer."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from fpv.bot import keyboards
from fpv.bot.deps import BotDeps, deps_of
from fpv.dal import people
from fpv.db import Row
from fpv.texts import language_for, t

log = logging.getLogger("fpv.bot")

Context = ContextTypes.DEFAULT_TYPE


def user_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def telegram_language(update: Update, deps: BotDeps) -> str:
    code = update.effective_user.language_code if update.effective_user else None
    return language_for(code) if code else deps.default_language


def load_pilot(deps: BotDeps, telegram_id: int) -> Row | None:
    """The pilot with consent in force (None: we know nothing about this person)."""
    with deps.db.transaction(readonly=True) as tx:
        return people.pilot(tx, telegram_id)


def lang_of(update: Update, deps: BotDeps, pilot: Row | None) -> str:
    return pilot["language"] if pilot else telegram_language(update, deps)


async def reply(
    update: Update,
    context: Context,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
) -> None:
    """Answer in the chat: edit the message whose button was pressed (`edit`) or send anew."""
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=keyboard)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            # the message is too old or gone: fall through and send a new one
            log.info("edit failed (%s); sending a new message", type(exc).__name__)
    # a button of an inline message has no chat: the person's private chat has their id
    chat = update.effective_chat
    chat_id = chat.id if chat is not None else user_id(update)
    await context.bot.send_message(chat_id, text, reply_markup=keyboard)


async def toast(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the pressed button (stops its spinner), optionally with a short notice."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest:  # too old to answer: harmless
            log.info("callback query too old to answer")


async def consent_prompt(update: Update, context: Context, training_id: int = 0) -> None:
    deps = deps_of(context)
    lang = telegram_language(update, deps)
    await reply(
        update,
        context,
        t("bot.consent.text", lang, policy_version=deps.policy_version),
        keyboards.consent(lang, training_id),
    )


async def require_pilot(update: Update, context: Context, training_id: int = 0) -> Row | None:
    """The pilot, or None after asking for consent (nothing is stored before it)."""
    deps = deps_of(context)
    pilot = load_pilot(deps, user_id(update))
    if pilot is None:
        await toast(update)
        await consent_prompt(update, context, training_id)
    return pilot
