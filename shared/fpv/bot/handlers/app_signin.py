"""The pilots' app in the bot: `/start app_<nonce>` asks the pilot to confirm "sign in on this
device"; the profile lists signed-in devices (each can be signed out) and hands out the private
calendar link (a new link turns the old one off)."""

from __future__ import annotations

import re

from telegram import Update

from fpv import actors, app_auth
from fpv.bot.callbacks import Callback
from fpv.bot.deps import deps_of
from fpv.bot.handlers.common import (
    Context,
    consent_prompt,
    load_pilot,
    reply,
    require_pilot,
    toast,
    user_id,
)
from fpv.bot.keyboards import button, markup
from fpv.db import Row
from fpv.texts import t

_NONCE = re.compile(r"^[A-Za-z0-9_\-]{16,40}$")


def app_nonce(payload: str) -> str | None:
    """`app_<nonce>` → the nonce (None for any other payload)."""
    if not payload.startswith(app_auth.DEEP_LINK_PREFIX):
        return None
    nonce = payload[len(app_auth.DEEP_LINK_PREFIX) :]
    return nonce if _NONCE.match(nonce) else ""


async def ask_confirm(update: Update, context: Context, nonce: str) -> None:
    deps = deps_of(context)
    pilot = load_pilot(deps, user_id(update))
    if pilot is None:  # only a pilot who gave consent can sign in
        await consent_prompt(update, context)
        return
    lang = pilot["language"]
    device = app_auth.sign_in_device(deps.db, nonce) if nonce else None
    if device is None:
        await reply(update, context, t("apis.signin.expired", lang))
        return
    keyboard = markup(
        [
            [button(t("apis.btn.signin_confirm", lang), "app", nonce)],
            [button(t("apis.btn.signin_cancel", lang), "appno", nonce)],
        ]
    )
    name = device or t("apis.signin.unnamed_device", lang)
    await reply(update, context, t("apis.signin.ask", lang, device=name), keyboard)


async def confirm(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    lang = pilot["language"]
    try:
        app_auth.confirm_sign_in(
            deps_of(context).db, actors.pilot(pilot["telegram_id"]), cb.args[0]
        )
    except (app_auth.UnknownNonce, app_auth.NonceExpired):
        await toast(update)
        await reply(update, context, t("apis.signin.expired", lang), edit=True)
        return
    except app_auth.NonceUsed:
        await toast(update)
        await reply(update, context, t("apis.signin.used", lang), edit=True)
        return
    except app_auth.NoConsent:
        await toast(update)
        await consent_prompt(update, context)
        return
    await toast(update)
    await reply(update, context, t("apis.signin.done", lang), edit=True)


async def decline(update: Update, context: Context, _cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    await toast(update)
    await reply(update, context, t("apis.signin.declined", pilot["language"]), edit=True)


def _devices_view(pilot: Row, devices: list[Row]) -> tuple[str, object]:
    lang = pilot["language"]
    if not devices:
        text = t("apis.devices.none", lang)
    else:
        lines = "\n".join(
            t(
                "apis.devices.line",
                lang,
                name=d["name"] or t("apis.signin.unnamed_device", lang),
                since=f"{d['created_at']:%d.%m.%Y}",
            )
            for d in devices
        )
        text = t("apis.devices.text", lang, devices=lines)
    rows = [
        [
            button(
                t(
                    "apis.btn.revoke_device",
                    lang,
                    name=(d["name"] or t("apis.signin.unnamed_device", lang))[:24],
                ),
                "devx",
                d["id"],
            )
        ]
        for d in devices
    ]
    rows.append([button(t("bot.btn.back", lang), "prof")])
    return text, markup(rows)


async def devices_menu(update: Update, context: Context, cb: Callback | None = None) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    devices = app_auth.devices(deps_of(context).db, actors.pilot(pilot["telegram_id"]))
    text, keyboard = _devices_view(pilot, devices)
    await toast(update)
    await reply(update, context, text, keyboard, edit=True)  # type: ignore[arg-type]


async def revoke_device(update: Update, context: Context, cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    lang = pilot["language"]
    actor = actors.pilot(pilot["telegram_id"])
    db = deps_of(context).db
    revoked = app_auth.revoke_device(db, actor, cb.int_arg(0))
    await toast(update, t("apis.devices.revoked" if revoked else "bot.stale_button", lang))
    text, keyboard = _devices_view(pilot, app_auth.devices(db, actor))
    await reply(update, context, text, keyboard, edit=True)  # type: ignore[arg-type]


async def calendar_menu(update: Update, context: Context, _cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    lang = pilot["language"]
    keyboard = markup(
        [
            [button(t("apis.btn.calendar_new", lang), "calnew")],
            [button(t("bot.btn.back", lang), "prof")],
        ]
    )
    await toast(update)
    await reply(update, context, t("apis.calendar.text", lang), keyboard, edit=True)


async def calendar_new(update: Update, context: Context, _cb: Callback) -> None:
    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    try:
        secret = app_auth.rotate_feed(deps.db, actors.pilot(pilot["telegram_id"]))
    except app_auth.NoConsent:
        await toast(update)
        await consent_prompt(update, context)
        return
    url = deps.public_base_url.rstrip("/") + app_auth.feed_path(secret)
    await toast(update)
    await reply(update, context, t("apis.calendar.link", pilot["language"], url=url))
