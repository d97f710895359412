"""Two-factor admin login (DESIGN §9): password (Argon2id), then a 6-digit code sent to the
admin's Telegram chat; sessions with idle and absolute timeouts; CSRF tokens; rate limits kept
in PostgreSQL so they hold across Lambda containers. Every attempt is audited.

Unknown login and wrong password take the same code path (an Argon2 verification against a
dummy hash when there is no admin) and give the same answer: a challenge that leads nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from fpv import audit
from fpv.actors import Actor
from fpv.actors import admin as admin_actor
from fpv.admin.errors import (
    CodeExpired,
    CodeUndeliverable,
    CsrfRejected,
    InvalidCode,
    RateLimited,
    TooManyAttempts,
    Unauthorized,
)
from fpv.dal import admin_auth as dal
from fpv.db import Database
from fpv.texts import t

CODE_TTL = timedelta(minutes=5)
MAX_CODE_ATTEMPTS = 5
IDLE_TIMEOUT = timedelta(hours=2)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
RATE_WINDOW = timedelta(minutes=15)
# attempts allowed per window; the next one is refused whatever it carries
LOGINS_PER_IP = 10
LOGINS_PER_NAME = 10
CODES_PER_ADMIN = 5
VERIFIES_PER_IP = 30
COOKIE_NAME = "fpv_admin_session"
CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS = Actor(kind="system", via="admin_api")


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher  # Argon2id with the library's (RFC 9106) defaults

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def _password_ok(stored: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


class CodeSender(Protocol):
    def send(self, telegram_id: int, text: str) -> None:
        """Deliver or raise CodeUndeliverable."""


class BotApiCodeSender:
    """Sends the code through the Bot API (TELEGRAM_API_BASE_URL; a fake server in tests)."""

    def __init__(self, token: str | None, base_url: str) -> None:
        self._token = token
        self._base_url = base_url
        self._api = None

    def send(self, telegram_id: int, text: str) -> None:
        from fpv.payments.botapi import BotApi, BotApiError, BotApiUnavailable

        if not self._token:
            raise CodeUndeliverable("TELEGRAM_BOT_TOKEN is not set")
        if self._api is None:
            self._api = BotApi(self._token, self._base_url, timeout=10)
        try:
            self._api.call("sendMessage", chat_id=telegram_id, text=text)
        except (BotApiUnavailable, BotApiError) as exc:
            raise CodeUndeliverable(type(exc).__name__) from None


def _window(now: datetime) -> datetime:
    seconds = int(RATE_WINDOW.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def _limit(db: Database, bucket: str, key: str, limit: int, now: datetime) -> None:
    """Counts the attempt (committed even when refused), then refuses past the limit."""
    with db.transaction() as tx:
        hits = dal.hit(tx, bucket=bucket, key=key, window_start=_window(now))
    if hits > limit:
        raise RateLimited(f"{bucket} limit reached")


def _client_key(client: audit.Client) -> str:
    return client.ip_hash or "unknown"


def start_login(
    db: Database,
    sender: CodeSender,
    *,
    login: str,
    password: str,
    client: audit.Client,
    now: datetime | None = None,
) -> str:
    """Step 1. Returns a challenge token whatever the outcome (nothing leaks); only a right
    password makes a real challenge and sends the code."""
    now = now or datetime.now(UTC)
    login = login.strip().lower()
    _limit(db, "login_ip", _client_key(client), LOGINS_PER_IP, now)
    _limit(db, "login_name", _sha(login)[:32], LOGINS_PER_NAME, now)
    challenge = secrets.token_urlsafe(32)
    with db.transaction() as tx:
        dal.purge_login_leftovers(tx, now=now)
        row = dal.admin_by_login(tx, login)
        ok = _password_ok(row["password_hash"] if row else None, password)
        usable = bool(row and ok and row["active"] and row["disabled_at"] is None)
        actor = (
            admin_actor(row["id"], row["role"], row["venue_ids"], via="admin_api")
            if row
            else ANONYMOUS
        )
        target = f"admin:{row['id']}" if row else None
        if not usable:
            audit.record(
                tx, actor, "admin.login.password_rejected", target, client=client,
                details={"reason": "disabled" if row and ok else "bad_credentials"},
            )  # fmt: skip
    if not usable:
        return challenge
    assert row is not None
    _limit(db, "codes_admin", str(row["id"]), CODES_PER_ADMIN, now)
    code = f"{secrets.randbelow(10**6):06d}"
    with db.transaction() as tx:
        dal.insert_challenge(
            tx,
            admin_id=row["id"],
            challenge_hash=_sha(challenge),
            code_hash=_sha(challenge + code),
            code_expires_at=now + CODE_TTL,
            client_hash=client.ip_hash,
        )
        audit.record(tx, actor, "admin.login.code_sent", target, client=client)
    try:
        sender.send(row["telegram_id"], t("admin.login.code", row["language"], code=code))
    except CodeUndeliverable:
        with db.transaction() as tx:
            dal.revoke_challenge(tx, _sha(challenge))
            audit.record(tx, actor, "admin.login.code_undeliverable", target, client=client)
        raise
    return challenge


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf: str
    admin_id: int
    language: str


def verify_code(
    db: Database,
    *,
    challenge: str,
    code: str,
    client: audit.Client,
    now: datetime | None = None,
) -> NewSession:
    """Step 2. The code must be right, fresh, and among the first MAX_CODE_ATTEMPTS tries of
    this challenge; a later try is refused even with the right code."""
    now = now or datetime.now(UTC)
    _limit(db, "verify_ip", _client_key(client), VERIFIES_PER_IP, now)
    refusal: Exception | None = None
    with db.transaction() as tx:
        row = dal.challenge_for_update(tx, _sha(challenge))
        if row is None or row["verified_at"] is not None or row["revoked_at"] is not None:
            audit.record(
                tx, ANONYMOUS, "admin.login.code_rejected", None, client=client,
                details={"reason": "unknown_challenge"},
            )  # fmt: skip
            refusal = InvalidCode("unknown challenge")
        else:
            admin = dal.admin(tx, row["admin_id"])
            assert admin is not None
            actor = admin_actor(admin["id"], admin["role"], admin["venue_ids"], via="admin_api")
            target = f"admin:{admin['id']}"
            attempts = dal.count_attempt(tx, row["id"])
            if attempts > MAX_CODE_ATTEMPTS:
                reason, refusal = "too_many_attempts", TooManyAttempts("challenge locked")
            elif row["code_expires_at"] <= now:
                reason, refusal = "expired", CodeExpired("code expired")
            elif not hmac.compare_digest(_sha(challenge + code.strip()), row["code_hash"]):
                reason, refusal = "wrong_code", InvalidCode("wrong code")
            elif not admin["active"] or admin["disabled_at"] is not None:
                reason, refusal = "disabled", InvalidCode("admin disabled")
            else:
                reason = ""
            if refusal is not None:
                audit.record(
                    tx, actor, "admin.login.code_rejected", target, client=client,
                    details={"reason": reason, "attempt": attempts},
                )  # fmt: skip
            else:
                token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                dal.open_session(
                    tx,
                    row["id"],
                    token_hash=_sha(token),
                    csrf_hash=_sha(csrf),
                    now=now,
                    expires_at=now + ABSOLUTE_TIMEOUT,
                )
                audit.record(tx, actor, "admin.login", target, client=client)
                session = NewSession(token, csrf, admin["id"], admin["language"])
    if refusal is not None:
        raise refusal
    return session


@dataclass(frozen=True)
class AdminSession:
    actor: Actor
    session_id: str
    csrf_hash: str
    language: str
    login: str | None

    def check_csrf(self, header: str | None) -> None:
        if not header or not hmac.compare_digest(_sha(header), self.csrf_hash):
            raise CsrfRejected("missing or wrong CSRF token")


def authenticate(
    db: Database, token: str | None, *, now: datetime | None = None, via: str = "admin_api"
) -> AdminSession:
    """The session behind a cookie, or Unauthorized (none, revoked, idle 2 h, older than 12 h,
    admin disabled). A valid use moves the idle deadline."""
    now = now or datetime.now(UTC)
    if not token:
        raise Unauthorized("no session")
    with db.transaction() as tx:
        row = dal.session_by_token(tx, _sha(token))
        if (
            row is None
            or row["revoked_at"] is not None
            or row["expires_at"] <= now
            or row["last_seen_at"] + IDLE_TIMEOUT <= now
            or not row["active"]
            or row["disabled_at"] is not None
        ):
            raise Unauthorized("session expired")
        if now - row["last_seen_at"] > timedelta(seconds=30):
            dal.touch_session(tx, row["id"], now)
    actor = admin_actor(row["admin_id"], row["role"], row["venue_ids"], via=via)  # type: ignore[arg-type]
    return AdminSession(actor, str(row["id"]), row["csrf_hash"], row["language"], row["login"])


def logout(db: Database, session: AdminSession, *, everywhere: bool, client: audit.Client) -> int:
    with db.transaction() as tx:
        if everywhere:
            count = dal.revoke_all_sessions(tx, session.actor.id or 0)
        else:
            count = dal.revoke_session(tx, session.session_id)
        audit.record(
            tx, session.actor, "admin.logout_everywhere" if everywhere else "admin.logout",
            f"admin:{session.actor.id}", client=client, details={"sessions": count},
        )  # fmt: skip
    return count
