"""Admins' voice (and text) messages: handed to the voice_assistant function asynchronously,
so the webhook answers Telegram at once; Confirm / Cancel of the assistant's proposals.

Who is an admin is decided from the `admins` table (active, by Telegram id): anybody else's
voice message gets a polite "this is for organizers" and reaches no model.
"""

from __future__ import annotations

import logging
import uuid

from telegram import Update

from fpv.bot.callbacks import Callback
from fpv.bot.deps import BotDeps, deps_of
from fpv.bot.handlers.common import Context, reply, telegram_language, toast, user_id
from fpv.dal import voice as voice_dal
from fpv.texts import t

log = logging.getLogger("fpv.bot.voice")
FUNCTION = "VoiceAssistantFunction"  # the template's logical id (the local runner's name)


def _is_admin(deps: BotDeps, telegram_id: int) -> bool:
    with deps.db.transaction(readonly=True) as tx:
        return voice_dal.active_admin_by_telegram(tx, telegram_id) is not None


def _hand_over(deps: BotDeps, event: dict) -> bool:
    """Lambda async invoke (AWS) or the local runner's background thread; False when there is
    nothing to hand the message to."""
    from fpv import runtime
    from fpv.ports.functions import InvokeFailed

    functions = deps.extras.get("functions")
    name = deps.extras.get("voice_function")
    if functions is None:
        from fpv.settings import get_settings

        settings = get_settings()
        functions = runtime.async_functions(settings)
        name = name or settings.voice_assistant_function
    if functions is None:
        return False
    try:
        functions.invoke_async(name or FUNCTION, event)
    except InvokeFailed as exc:
        log.warning("voice message not handed over: %s", exc)
        return False
    return True


async def _dispatch(update: Update, context: Context, **what: object) -> None:
    deps = deps_of(context)
    lang = telegram_language(update, deps)
    chat = update.effective_chat
    event = {
        "source": "fpv.voice",
        "chat_id": chat.id if chat is not None else user_id(update),
        "telegram_id": user_id(update),
        "language": lang,
        **what,
    }
    if not _hand_over(deps, event):
        await reply(update, context, t("voice.unavailable", lang))


async def voice_message(update: Update, context: Context) -> None:
    deps = deps_of(context)
    message = update.effective_message
    assert message is not None
    if not _is_admin(deps, user_id(update)):
        await reply(update, context, t("voice.for_organizers", telegram_language(update, deps)))
        return
    audio = message.voice or message.audio
    assert audio is not None
    # the raw seconds (PTB's `duration` property is turning into a timedelta)
    await _dispatch(
        update, context, file_id=audio.file_id, duration=audio.to_dict().get("duration")
    )


async def admin_text(update: Update, context: Context) -> bool:
    """A typed request from an admin goes to the assistant too; False: not an admin."""
    deps = deps_of(context)
    message = update.effective_message
    if message is None or not message.text or not _is_admin(deps, user_id(update)):
        return False
    await _dispatch(update, context, text=message.text)
    return True


def _proposal_id(cb: Callback) -> str | None:
    try:
        return str(uuid.UUID(hex=cb.args[0]))
    except (ValueError, IndexError):
        return None


async def confirm(update: Update, context: Context, cb: Callback) -> None:
    from fpv.bot import payments_seam
    from fpv.voice import proposals
    from fpv.voice.tools import ToolContext, registry

    deps = deps_of(context)
    lang = telegram_language(update, deps)
    proposal_id = _proposal_id(cb)
    if proposal_id is None:
        await toast(update, t("voice.confirm.expired", lang), alert=True)
        return
    ctx = ToolContext(
        deps.db,
        deps.bus,
        lang,
        deps.now(),
        payment_ports=lambda: payments_seam._ports(deps),
        deliverers=_deliverers(deps),
        hold_minutes=deps.hold_minutes,
    )
    decision = proposals.confirm(
        deps.db, registry(), ctx, telegram_id=user_id(update), proposal_id=proposal_id
    )
    if decision.outcome in ("done", "failed"):
        await toast(update)
        await reply(update, context, decision.text, edit=True)
    else:
        await toast(update, decision.text, alert=True)


async def cancel(update: Update, context: Context, cb: Callback) -> None:
    from fpv.voice import proposals

    deps = deps_of(context)
    lang = telegram_language(update, deps)
    proposal_id = _proposal_id(cb)
    decision = (
        proposals.cancel(
            deps.db, telegram_id=user_id(update), proposal_id=proposal_id, now=deps.now(), lang=lang
        )
        if proposal_id is not None
        else None
    )
    if decision is not None and decision.outcome == "cancelled":
        await toast(update)
        await reply(update, context, decision.text, edit=True)
    else:
        await toast(update, t("voice.confirm.expired", lang), alert=True)


def _deliverers(deps: BotDeps) -> object:
    found = deps.extras.get("deliverers")
    if found is not None:
        return found
    from fpv import delivery
    from fpv.settings import get_settings

    return delivery.from_settings(get_settings(), deps.bus)
