"""Builds the python-telegram-bot Application: handlers, callback routing, error handler.

No Updater (updates come from the webhook or the poller) and no getMe: the bot user is known
from the token and the configured username, so a cold start makes no Bot API call at all.
"""

from __future__ import annotations

import contextvars
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update, User
from telegram.error import Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from fpv.bot import callbacks, payments_seam
from fpv.bot.deps import BotDeps
from fpv.bot.handlers import (
    app_signin,
    card,
    mine,
    passes,
    privacy,
    profile,
    rating,
    schedule,
    signup,
    start,
    voice,
)
from fpv.bot.handlers.common import Context, lang_of, load_pilot, toast
from fpv.db import DatabaseUnavailable
from fpv.texts import t

log = logging.getLogger("fpv.bot")

# httpx logs every request URL at INFO, and Bot API URLs carry the token: keep them out.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.WARNING)

TRANSIENT = (DatabaseUnavailable, NetworkError, RetryAfter)  # Telegram should redeliver


@dataclass
class Outcome:
    """How handling one update went; the webhook turns it into an HTTP status."""

    transient: BaseException | None = None
    bug: BaseException | None = None


current_outcome: contextvars.ContextVar[Outcome | None] = contextvars.ContextVar(
    "fpv_bot_outcome", default=None
)

CallbackHandler = Callable[[Update, Context, callbacks.Callback], Awaitable[None]]
ROUTES: dict[str, CallbackHandler] = {
    "ok": start.consent_given,
    "no": start.consent_refused,
    "menu": start.menu,
    "cities": schedule.cities,
    "city": schedule.city,
    "venue": schedule.venue,
    "tr": card.training_card,
    "su": signup.do_sign_up,
    "chs": signup.pick_channel,
    "my": mine.my_trainings,
    "cx": mine.ask_cancel,
    "cxy": mine.confirm_cancel,
    "chg": mine.channel_options,
    "chgy": mine.confirm_channel,
    "prof": profile.show_profile,
    "nick": profile.change_nickname,
    "eq": profile.equipment_menu,
    "eqb": profile.toggle_band,
    "eqd": profile.choose_digital,
    "eqok": profile.equipment_done,
    "lang": profile.set_language,
    "show": profile.set_show_on_site,
    "pay": mine.pay,
    "passes": passes.passes_menu,
    "pbuy": passes.buy_pass,
    "del": privacy.delete_confirmed,
    "delno": privacy.delete_cancelled,
    "vok": voice.confirm,
    "vno": voice.cancel,
    "app": app_signin.confirm,
    "appno": app_signin.decline,
    "devs": app_signin.devices_menu,
    "devx": app_signin.revoke_device,
    "cal": app_signin.calendar_menu,
    "calnew": app_signin.calendar_new,
}
# verbs whose arguments are all integers (ids, pages, MHz)
_INT_VERBS = {
    "ok",
    "cities",
    "city",
    "venue",
    "tr",
    "su",
    "chs",
    "cx",
    "cxy",
    "chg",
    "chgy",
    "pay",
    "pbuy",
    "devx",
}


async def on_callback(update: Update, context: Context) -> None:
    """One entry for every button: parse, check, route; anything stale gets a friendly answer."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.parse(query.data)
    if cb is not None and cb.verb in _INT_VERBS and callbacks.int_args(cb) is None:
        cb = None
    if cb is None or cb.verb not in ROUTES:
        deps = context.application.bot_data["deps"]
        lang = lang_of(update, deps, load_pilot(deps, query.from_user.id))
        await toast(update, t("bot.stale_button", lang), alert=True)
        return
    await ROUTES[cb.verb](update, context, cb)


async def on_error(update: object, context: Context) -> None:
    """Classify the failure for the webhook; tell the person when it is our bug."""
    error = context.error
    outcome = current_outcome.get()
    name = type(error).__name__
    if isinstance(error, TRANSIENT):
        log.warning("transient failure while handling an update: %s", name)
        if outcome is not None:
            outcome.transient = error
        return
    if isinstance(error, Forbidden):  # the person blocked the bot: nothing to retry
        log.info("bot blocked by the user; update dropped")
        return
    # the traceback without the exception's message: messages can quote data (152-FZ)
    where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("bot handler failed: %s\n%s", name, where)
    if outcome is not None:
        outcome.bug = error
    if isinstance(update, Update) and update.effective_chat is not None:
        deps = context.application.bot_data["deps"]
        try:
            lang = lang_of(update, deps, None)
            await context.bot.send_message(
                update.effective_chat.id, t("common.error.try_later", lang)
            )
        except Exception as exc:  # the apology is best effort
            log.info("could not apologise: %s", type(exc).__name__)


class KnownBot(ExtBot):
    """An ExtBot whose getMe is answered from what we already know (token + username)."""

    async def get_me(self, *args: Any, **kwargs: Any) -> User:
        if self._bot_user is not None and not args and not kwargs:
            return self._bot_user
        return await super().get_me(*args, **kwargs)


def bot_user(token: str, username: str) -> User:
    bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 0
    return User(id=bot_id, first_name=username, is_bot=True, username=username)


def make_bot(token: str, api_base_url: str, username: str, *, pool_size: int = 8) -> KnownBot:
    root = api_base_url.rstrip("/")
    request = HTTPXRequest(
        connection_pool_size=pool_size,
        connect_timeout=5.0,
        read_timeout=10.0,
        write_timeout=10.0,
        pool_timeout=5.0,
    )
    bot = KnownBot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=request,
        # this bot never calls getUpdates (the poller has its own client): sharing the request
        # saves building a second HTTP client (and its TLS context) on every cold start
        get_updates_request=request,
    )
    bot._bot_user = bot_user(token, username)  # known: initialize() need not call getMe
    return bot


def build_application(deps: BotDeps, bot: ExtBot) -> Application:
    application = Application.builder().bot(bot).updater(None).build()
    application.bot_data["deps"] = deps
    private = filters.ChatType.PRIVATE
    for handler in payments_seam.handlers():
        application.add_handler(handler)
    commands: list[tuple[str, Callable[..., Awaitable[None]]]] = [
        ("start", start.start),
        ("help", start.help_command),
        ("menu", start.menu),
        ("trainings", schedule.cities),
        ("schedule", schedule.schedule_qr),
        ("my", mine.my_trainings),
        ("profile", profile.show_profile),
        ("delete_me", privacy.delete_me),
        ("passes", passes.passes_menu),
        ("rating", rating.my_rating),
    ]
    for name, callback in commands:
        application.add_handler(CommandHandler(name, callback, filters=private))
    application.add_handler(MessageHandler(private & filters.COMMAND, start.unknown_command))
    application.add_handler(
        MessageHandler(private & (filters.VOICE | filters.AUDIO), voice.voice_message)
    )
    application.add_handler(MessageHandler(private & filters.TEXT, start.text_message))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_error_handler(on_error)
    return application


# The command menu shown by Telegram (`fpv set-webhook` registers it).
COMMANDS = ("start", "trainings", "my", "profile", "schedule", "help", "delete_me")
