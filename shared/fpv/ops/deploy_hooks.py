"""The stack's deploy hooks (CloudFormation custom resources, one function):

- `Custom::DatabaseMigrations`: `fpv migrate` inside the stack (in "create" mode the database
  is reachable only from the VPC) on Create and on every Update (its properties carry the code's
  layer version); nothing on Delete.
- `Custom::TelegramWebhook`: setWebhook on Create and Update (URL, secret header, allowed
  updates, max connections), deleteWebhook on Delete.
- `Custom::AdminPage`: the admin page's files into the site bucket under admin/
  (`fpv.ops.admin_page`).

The answer goes to CloudFormation's pre-signed ResponseURL; a failure fails the stack with a
reason that says what to do, never the token. A Create that failed answers with a marker id,
so that the Delete of its rollback does not try (and fail) again and leave the stack stuck in
ROLLBACK_FAILED.
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
MIGRATIONS_ID = "database-migrations"

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


def _webhook(kind: str, props: dict[str, Any], physical_id: str, settings: Settings):
    if kind in ("Create", "Update"):
        url = str(props.get("Url") or "")
        if not url.startswith("https://"):
            raise ValueError(f"Url must be an https:// URL, got {url!r}")
        allowed = list(props.get("AllowedUpdates") or ALLOWED_UPDATES)
        max_connections = int(props.get("MaxConnections") or 40)
        asyncio.run(
            set_webhook(settings, url, allowed_updates=allowed, max_connections=max_connections)
        )
        return PHYSICAL_ID, f"webhook set to {url}", {"Url": url}
    if physical_id == FAILED_CREATE_ID:
        return physical_id, "nothing to delete: the webhook was never set", {}
    asyncio.run(delete_webhook(settings))
    return physical_id, "webhook deleted", {}


def _migrations(kind: str, physical_id: str, settings: Settings):
    if kind == "Delete":  # the schema stays with the data
        return physical_id, "nothing to do on delete", {}
    from fpv import runtime
    from fpv.migrate import migrate

    applied = migrate(runtime.database(settings))
    done = ", ".join(map(str, applied)) if applied else "none (up to date)"
    return MIGRATIONS_ID, f"migrations applied: {done}", {"Applied": len(applied)}


def _admin_page(kind: str, props: dict[str, Any], settings: Settings):
    from fpv.ops.admin_page import publish
    from fpv.ports.storage import CloudFrontCdn, S3Storage

    endpoint = settings.aws_endpoint_url
    storage = S3Storage(str(props["Bucket"]), endpoint_url=endpoint)
    distribution = props.get("DistributionId")
    cdn = CloudFrontCdn(str(distribution), endpoint_url=endpoint) if distribution else None
    return publish(kind, props, storage, cdn)


def handle(
    event: dict[str, Any], load_settings: Callable[[], Settings], respond: Respond = put_response
) -> dict:
    kind = event["RequestType"]
    resource = event.get("ResourceType", "Custom::TelegramWebhook")
    props = event.get("ResourceProperties") or {}
    physical_id = event.get("PhysicalResourceId") or PHYSICAL_ID
    status, reason, data = "SUCCESS", "", {}
    settings: Settings | None = None
    try:
        if kind not in ("Create", "Update", "Delete"):
            raise ValueError(f"unknown RequestType {kind!r}")
        settings = load_settings()  # inside: an unreadable secret must still get an answer
        if resource == "Custom::DatabaseMigrations":
            physical_id, reason, data = _migrations(kind, physical_id, settings)
        elif resource == "Custom::TelegramWebhook":
            physical_id, reason, data = _webhook(kind, props, physical_id, settings)
        elif resource == "Custom::AdminPage":
            physical_id, reason, data = _admin_page(kind, props, settings)
        else:
            raise ValueError(f"unknown ResourceType {resource!r}")
    except Exception as exc:
        status = "FAILED"
        if resource == "Custom::DatabaseMigrations":
            reason = (
                f"database migrations failed: {_reason(exc, settings)}. Check the database"
                " (DatabaseUnreachable alarm) and the DeployHooks log group."
            )
        elif resource == "Custom::AdminPage":
            reason = (
                f"uploading the admin page failed: {_reason(exc, settings)}. See the"
                " DeployHooks log group; `sam build` must have built AdminPageLayer (node, npm)."
            )
        else:
            reason = (
                f"Telegram {('deleteWebhook' if kind == 'Delete' else 'setWebhook')} failed:"
                f" {_reason(exc, settings)}. Check TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET"
                " in the stack's secret (or deploy with RegisterWebhook=false)."
            )
        if kind == "Create":
            physical_id = FAILED_CREATE_ID
        log.error("deploy hook failed: %s", reason)
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
