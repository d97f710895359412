"""The stack's `Custom::TelegramWebhook`: setWebhook on Create and Update (URL, secret header,
allowed updates, max connections), deleteWebhook on Delete. The answer goes to CloudFormation's
pre-signed ResponseURL; a failure fails the stack with a reason that says what to do, never
the token.

A Create that failed answers with a marker id, so that the Delete of its rollback does not try
(and fail) again and leave the stack stuck in ROLLBACK_FAILED.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from fpv.bot.registration import ALLOWED_UPDATES, delete_webhook, set_webhook
from fpv.settings import Settings

log = logging.getLogger("fpv.ops.webhook_resource")

PHYSICAL_ID = "telegram-webhook"
FAILED_CREATE_ID = "telegram-webhook-not-created"

Respond = Callable[[str, dict[str, Any]], None]


def put_response(url: str, body: dict[str, Any]) -> None:
    """CloudFormation's pre-signed S3 URL takes a PUT with no content type."""
    import httpx

    data = json.dumps(body).encode()
    response = httpx.put(url, content=data, headers={"Content-Type": ""}, timeout=15)
    response.raise_for_status()


def _reason(exc: BaseException, settings: Settings | None) -> str:
    text = f"{type(exc).__name__}: {exc}"
    secret = settings.telegram_bot_token if settings else None
    token = secret.get_secret_value() if secret else ""
    if token:
        text = text.replace(token, "<token>")
    return text[:600]


def handle(
    event: dict[str, Any], load_settings: Callable[[], Settings], respond: Respond = put_response
) -> dict:
    kind = event["RequestType"]
    props = event.get("ResourceProperties") or {}
    physical_id = event.get("PhysicalResourceId") or PHYSICAL_ID
    status, reason, data = "SUCCESS", "", {}
    settings: Settings | None = None
    try:
        settings = load_settings()  # inside: an unreadable secret must still get an answer
        if kind in ("Create", "Update"):
            url = str(props.get("Url") or "")
            if not url.startswith("https://"):
                raise ValueError(f"Url must be an https:// URL, got {url!r}")
            allowed = list(props.get("AllowedUpdates") or ALLOWED_UPDATES)
            max_connections = int(props.get("MaxConnections") or 40)
            asyncio.run(
                set_webhook(settings, url, allowed_updates=allowed, max_connections=max_connections)
            )
            physical_id, data = PHYSICAL_ID, {"Url": url}
            reason = f"webhook set to {url}"
        elif kind == "Delete":
            if physical_id == FAILED_CREATE_ID:
                reason = "nothing to delete: the webhook was never set"
            else:
                asyncio.run(delete_webhook(settings))
                reason = "webhook deleted"
        else:
            raise ValueError(f"unknown RequestType {kind!r}")
    except Exception as exc:
        status = "FAILED"
        reason = (
            f"Telegram {('deleteWebhook' if kind == 'Delete' else 'setWebhook')} failed:"
            f" {_reason(exc, settings)}. Check TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET"
            " in the stack's secret (or deploy with RegisterWebhook=false)."
        )
        if kind == "Create":
            physical_id = FAILED_CREATE_ID
        log.error("webhook custom resource failed: %s", reason)
    body = {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "NoEcho": False,
        "Data": data,
    }
    respond(event["ResponseURL"], body)
    return body
