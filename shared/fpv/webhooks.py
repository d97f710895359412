"""Outgoing webhooks for CRMs (issue #15): an API key subscribes URLs to event types
(`training.*`, `registration.*`, `payment.*`, or exact types); every change that queues a
"schedule changed" event also queues, in the same transaction, one outbox row per matching
subscription whose key sees the training's venue (registration and payment events also need the
key's `registrations:read` scope). The row's kind is 'event' with the webhook under
`payload["webhook"]`: migration 0013 redefines the outbox's kind CHECK after ours (0012), so a
kind of our own would not survive a fresh install. The outbox delivers them at least once with its
retries and backoff, signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
`webhook-signature`, with the `standardwebhooks` package); the `webhook-id` stays the same on
every retry and redelivery, so receivers deduplicate on it. A subscription that has failed for a
day is disabled and the platform's owners are told in the ops chat.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fpv.actors import Actor
from fpv.dal import apis as dal
from fpv.dal import outbox as outbox_dal
from fpv.db import Database, Row, Tx

log = logging.getLogger("fpv.webhooks")

KIND = "event"  # outbox rows of kind 'event' carrying the webhook under payload["webhook"]
DISABLE_AFTER = timedelta(days=1)
TIMEOUT_S = 10.0
EVENT_TYPES = (
    "training.changed",
    "training.cancelled",
    "registration.created",
    "registration.cancelled",
    "registration.expired",
    "registration.channel_changed",
    "registration.promoted",
    "payment.succeeded",
    "payment.refunded",
)
# "schedule changed" reasons → the webhook event they are; reasons not listed are no event
_BY_REASON = {
    "sign_up": "registration.created",
    "cancel": "registration.cancelled",
    "delete_me": "registration.cancelled",
    "hold_expired": "registration.expired",
    "channel_change": "registration.channel_changed",
    "rebalance": "registration.channel_changed",
    "promoted": "registration.promoted",
    "payment_confirmed": "payment.succeeded",
    "payment_reseated": "payment.succeeded",
    "payment_refunded": "payment.refunded",
    "training_cancelled": "training.cancelled",
    "training_updated": "training.changed",
    "training_created": "training.changed",
    "series": "training.changed",
}
_PRIVATE = ("registration.", "payment.")


class WebhookError(Exception):
    pass


class InvalidSubscription(WebhookError):
    pass


class NotFound(WebhookError):
    pass


def valid_pattern(pattern: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return any(t.startswith(pattern[:-1]) for t in EVENT_TYPES)
    return pattern in EVENT_TYPES


def _acceptable_url(url: str) -> bool:
    """https anywhere; plain http only to this machine (a developer's receiver)."""
    from urllib.parse import urlsplit

    if len(url) > 2000 or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if not host:
        return False
    return parts.scheme == "https" or (
        parts.scheme == "http" and host in ("127.0.0.1", "localhost", "::1")
    )


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


# --- subscriptions (a key's own) ----------------------------------------------------------------
def _public(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "event_types": list(row["event_types"]),
        "created_at": row["created_at"],
        "disabled_at": row["disabled_at"],
        "disabled_reason": row["disabled_reason"],
    }


def _key_of(actor: Actor) -> int:
    if actor.kind != "api_key" or actor.id is None:
        raise NotFound("webhooks belong to API keys")
    return actor.id


def subscribe(db: Database, actor: Actor, *, url: str, event_types: list[str]) -> dict[str, Any]:
    """A new subscription; the returned dict carries its signing `secret` (shown once)."""
    key_id = _key_of(actor)
    types = sorted(set(event_types))
    if not types or len(types) > 20 or not all(valid_pattern(p) for p in types):
        raise InvalidSubscription(f"event types must match {', '.join(EVENT_TYPES)}")
    if not _acceptable_url(url):
        raise InvalidSubscription("url must be https (plain http only to localhost)")
    secret = new_secret()
    with db.transaction() as tx:
        row = dal.insert_subscription(tx, key_id=key_id, url=url, event_types=types, secret=secret)
    if row is None:
        raise InvalidSubscription("this key already has a subscription for this url")
    return {**_public(row), "secret": secret}


def list_subscriptions(db: Database, actor: Actor) -> list[dict[str, Any]]:
    with db.transaction(readonly=True) as tx:
        return [_public(r) for r in dal.subscriptions(tx, _key_of(actor))]


def unsubscribe(db: Database, actor: Actor, subscription_id: int) -> None:
    with db.transaction() as tx:
        if not dal.delete_subscription(tx, _key_of(actor), subscription_id):
            raise NotFound("no such subscription")


def redeliver(db: Database, actor: Actor, msg_id: str) -> int:
    """Queue a delivered (or failed) webhook again, with the same webhook-id; the key's own
    deliveries only (a superadmin or the system: any). Returns the new outbox row's id."""
    key_id = None if actor.is_superadmin or actor.kind == "system" else _key_of(actor)
    with db.transaction() as tx:
        row = dal.webhook_row(tx, msg_id, key_id)
        if row is None:
            raise NotFound("no such webhook delivery")
        new_id = outbox_dal.insert(
            tx,
            kind=KIND,
            payload=row["payload"],
            telegram_id=None,
            dedupe_key=None,
        )
    assert new_id is not None
    return new_id


# --- fan-out (inside the use case's transaction) -----------------------------------------------
def _matches(patterns: Sequence[str], event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _training_data(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "venue_id": row["venue_id"],
        "title": row["title"],
        "track_type": row["track_type"],
        "starts_at": _iso(row["starts_at"]),
        "ends_at": _iso(row["ends_at"]),
        "time_zone": row["time_zone"],
        "status": row["status"],
        "capacity": row["capacity"],
        "seats_free": max(0, row["capacity"] - row["seats_taken"]),
        "price_kopecks": row["price_kopecks"],
    }


def registration_data(row: Row, *, nickname: bool = True) -> dict[str, Any]:
    """What an integration sees of a registration: nickname, channel, heat, states; never
    more personal data."""
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "training_id": row["training_id"],
        "status": row["status"],
        "nickname": row["nickname"] if nickname else None,
        "channel_mhz": row["channel_mhz"],
        "channel_label": row["channel_label"],
        "heat": row["heat"],
        "payment_status": row["payment_status"]
        or ("unpaid" if row["price_kopecks"] > 0 else "free"),
    }


def schedule_changed(
    tx: Tx, training_id: int, reason: str, registration_ids: Sequence[int] = ()
) -> list[int]:
    """Queue the webhooks a "schedule changed" means (called by `fpv.outbox.event`)."""
    event_type = _BY_REASON.get(reason)
    if event_type is None:
        return []
    subscriptions = dal.active_subscriptions(tx)
    if not subscriptions:
        return []
    training = dal.training(tx, training_id)
    if training is None:
        return []
    wanted = [
        s
        for s in subscriptions
        if training["venue_id"] in (s["venue_ids"] or [])
        and _matches(s["event_types"], event_type)
        and (not event_type.startswith(_PRIVATE) or "registrations:read" in (s["scopes"] or []))
    ]
    if not wanted:
        return []
    now = datetime.now(UTC).isoformat()
    bodies: list[dict[str, Any]] = []
    if event_type.startswith(_PRIVATE) and registration_ids:
        for reg_id in registration_ids:
            reg = dal.registration_view(tx, reg_id)
            if reg is not None:
                data = registration_data(reg, nickname=reason != "delete_me")
                bodies.append({"registration": data, "training": _training_data(training)})
    else:
        bodies.append({"training": _training_data(training)})
    ids = []
    for sub in wanted:
        for data in bodies:
            payload = {
                "subscription_id": sub["id"],
                "msg_id": f"msg_{uuid.uuid4().hex}",
                "type": event_type,
                "timestamp": now,
                "data": {**data, "reason": reason},
            }
            outbox_id = outbox_dal.insert(
                tx,
                kind=KIND,
                payload={"webhook": payload},
                telegram_id=None,
                dedupe_key=None,
            )
            if outbox_id is not None:
                ids.append(outbox_id)
    return ids


# --- delivery (the outbox calls this for rows of kind `webhook`) --------------------------------
@dataclass
class Sender:
    """Delivers one webhook row over HTTP; tells `ops_chat_id` when a subscription is disabled."""

    ops_chat_id: int | None = None
    timeout: float = TIMEOUT_S

    def __call__(self, db: Database, row: Row) -> None:
        import httpx
        from standardwebhooks.webhooks import Webhook

        from fpv.outbox import Permanent, Skipped, Transient

        payload = row["payload"]
        with db.transaction(readonly=True) as tx:
            sub = dal.subscription_for_delivery(tx, int(payload["subscription_id"]))
        if sub is None or sub["disabled_at"] is not None or sub["revoked_at"] is not None:
            raise Skipped("subscription gone or disabled")
        body = json.dumps(
            {"type": payload["type"], "timestamp": payload["timestamp"], "data": payload["data"]},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        sent_at = datetime.now(UTC)
        signature = Webhook(sub["secret"]).sign(payload["msg_id"], sent_at, body)
        headers = {
            "content-type": "application/json",
            "webhook-id": payload["msg_id"],
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
            "user-agent": "fpv-training-webhooks/1",
        }
        try:
            response = httpx.post(
                sub["url"],
                content=body.encode(),
                headers=headers,
                timeout=self.timeout,
                follow_redirects=False,
            )
            problem = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            problem = type(exc).__name__
        if problem is None:
            with db.transaction() as tx:
                dal.subscription_ok(tx, sub["id"])
            return
        with db.transaction() as tx:
            since = dal.subscription_failed(tx, sub["id"], sent_at)
            disabled = sent_at - since >= DISABLE_AFTER and dal.disable_subscription(
                tx, sub["id"], f"failing since {since.isoformat()}: {problem}"
            )
            if disabled:
                self._tell_owner(tx, sub, problem)
        if disabled:
            raise Permanent(f"webhook {sub['id']} disabled after a day of failures")
        raise Transient(f"webhook {sub['id']}: {problem}")

    def _tell_owner(self, tx: Tx, sub: Row, problem: str) -> None:
        from fpv import outbox
        from fpv.texts import t

        log.error("webhook subscription %s disabled after a day of failures", sub["id"])
        if self.ops_chat_id is not None:
            text = t("apis.webhook.disabled", "ru", id=sub["id"], key=sub["name"], error=problem)
            outbox.message(tx, self.ops_chat_id, text)
