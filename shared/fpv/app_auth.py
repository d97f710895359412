"""The pilots' app: sign-in through the bot, signed-in devices, and each pilot's private
calendar feed (issue #15, DESIGN §9).

Sign-in: the app asks for a one-time nonce and keeps a verifier that never leaves it; it opens
`t.me/<bot>?start=app_<nonce>`; the bot asks the pilot to confirm "sign in on this device" (only
a pilot with consent in force can); the app exchanges nonce + verifier, once, within 10 minutes,
for a device token. Nonces, verifiers, tokens and feed secrets are stored as sha256 hashes only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fpv import actors
from fpv.actors import Actor
from fpv.dal import apis as dal
from fpv.dal import people
from fpv.db import Database, Row

NONCE_TTL = timedelta(minutes=10)
TOKEN_PREFIX = "fpva_"  # noqa: S105 - a prefix, not a secret
DEEP_LINK_PREFIX = "app_"


class AppAuthError(Exception):
    """Base of the refusals below (front doors word them)."""


class UnknownNonce(AppAuthError):
    pass


class NonceExpired(AppAuthError):
    pass


class NonceUsed(AppAuthError):
    """Already exchanged (or confirmed by someone else): single use."""


class Pending(AppAuthError):
    """Not confirmed in the bot yet: ask again in a moment."""


class NoConsent(AppAuthError):
    """Only a pilot who gave consent can sign in."""


class Unauthenticated(AppAuthError):
    """No token, an unknown token, a revoked device or a pilot who is gone."""


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


@dataclass(frozen=True)
class SignIn:
    nonce: str
    verifier: str
    expires_at: datetime

    def deep_link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{self.nonce}"


def start_sign_in(db: Database, *, device_name: str = "", now: datetime | None = None) -> SignIn:
    now = _now(now)
    nonce, verifier = secrets.token_urlsafe(18), secrets.token_urlsafe(32)
    expires = now + NONCE_TTL
    with db.transaction() as tx:
        dal.insert_sign_in(
            tx,
            nonce_hash=_hash(nonce),
            verifier_hash=_hash(verifier),
            device_name=device_name.strip()[:64],
            expires_at=expires,
        )
    return SignIn(nonce, verifier, expires)


def confirm_sign_in(db: Database, actor: Actor, nonce: str, *, now: datetime | None = None) -> str:
    """The pilot confirmed in the bot; returns the device name the app gave. Refuses unknown,
    expired or already confirmed nonces, and people without consent."""
    now = _now(now)
    if actor.kind != "pilot" or actor.id is None:
        raise NoConsent("only pilots sign in to the app")
    with db.transaction() as tx:
        if people.pilot(tx, actor.id) is None:
            raise NoConsent("consent first")
        row = dal.sign_in(tx, _hash(nonce), for_update=True)
        if row is None:
            raise UnknownNonce("no such sign-in")
        if row["confirmed_at"] is not None or row["used_at"] is not None:
            raise NonceUsed("this sign-in was already confirmed")
        if row["expires_at"] <= now:
            raise NonceExpired("this sign-in has expired")
        dal.confirm_sign_in(tx, _hash(nonce), actor.id, now)
    return row["device_name"]


def sign_in_device(db: Database, nonce: str) -> str | None:
    """The device name a pending sign-in was started with (None if unknown)."""
    with db.transaction(readonly=True) as tx:
        row = dal.sign_in(tx, _hash(nonce))
    return None if row is None else row["device_name"]


@dataclass(frozen=True)
class Session:
    token: str
    device_id: int
    telegram_id: int


def exchange(db: Database, nonce: str, verifier: str, *, now: datetime | None = None) -> Session:
    """Nonce + verifier → a device token, once."""
    now = _now(now)
    with db.transaction() as tx:
        row = dal.sign_in(tx, _hash(nonce), for_update=True)
        if row is None or not secrets.compare_digest(row["verifier_hash"], _hash(verifier)):
            raise UnknownNonce("no such sign-in")
        if row["used_at"] is not None:
            raise NonceUsed("this sign-in was already used")
        if row["expires_at"] <= now:
            raise NonceExpired("this sign-in has expired")
        if row["confirmed_at"] is None:
            raise Pending("not confirmed in the bot yet")
        if people.pilot(tx, row["telegram_id"]) is None:
            raise NoConsent("consent withdrawn")
        dal.use_sign_in(tx, _hash(nonce), now)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        device_id = dal.insert_device(
            tx, telegram_id=row["telegram_id"], token_hash=_hash(token), name=row["device_name"]
        )
    return Session(token, device_id, row["telegram_id"])


@dataclass(frozen=True)
class AppIdentity:
    actor: Actor
    device_id: int


def authenticate(db: Database, bearer: str | None, *, now: datetime | None = None) -> AppIdentity:
    if not bearer or not bearer.startswith(TOKEN_PREFIX) or len(bearer) > 200:
        raise Unauthenticated("no app token")
    now = _now(now)
    with db.transaction() as tx:
        device = dal.device_by_token(tx, _hash(bearer))
        if device is None or device["revoked_at"] is not None:
            raise Unauthenticated("unknown or revoked device")
        if people.pilot(tx, device["telegram_id"]) is None:
            raise Unauthenticated("no such pilot")
        last = device["last_used_at"]
        if last is None or now - last > timedelta(minutes=1):
            dal.touch_device(tx, device["id"], now)
    return AppIdentity(actors.pilot(device["telegram_id"], via="app_api"), device["id"])


def devices(db: Database, actor: Actor) -> list[Row]:
    assert actor.kind == "pilot" and actor.id is not None
    with db.transaction(readonly=True) as tx:
        return dal.devices(tx, actor.id)


def revoke_device(db: Database, actor: Actor, device_id: int) -> bool:
    """A pilot signs a device out (theirs only); False when there is no such active device."""
    assert actor.kind == "pilot" and actor.id is not None
    with db.transaction() as tx:
        return dal.revoke_device(tx, actor.id, device_id)


def purge(db: Database, *, now: datetime | None = None) -> int:
    """Sign-ins expired a day ago are of no use to anyone."""
    with db.transaction() as tx:
        return dal.purge_sign_ins(tx, before=_now(now) - timedelta(days=1))


# --- the private calendar feed ------------------------------------------------------------------
def rotate_feed(db: Database, actor: Actor) -> str:
    """A new secret for the pilot's feed (the old URL stops working); returns the secret."""
    assert actor.kind == "pilot" and actor.id is not None
    secret = secrets.token_urlsafe(24)
    with db.transaction() as tx:
        if people.pilot(tx, actor.id) is None:
            raise NoConsent("consent first")
        dal.set_feed(tx, actor.id, _hash(secret))
    return secret


def feed_path(secret: str) -> str:
    return f"/api/app/calendar/{secret}.ics"


def feed_owner(db: Database, secret: str) -> int | None:
    if not secret or len(secret) > 100:
        return None
    with db.transaction(readonly=True) as tx:
        return dal.feed_owner(tx, _hash(secret))
