"""SQL of admin accounts, login challenges, sessions and rate limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fpv.db import Row, Tx

_DAY = timedelta(days=1)

_ADMIN = (
    "id, telegram_id, display_name, login, role, venue_ids, active, language, disabled_at,"
    " created_at"
)


def admin_by_login(tx: Tx, login: str) -> Row | None:
    return tx.one(
        f"SELECT {_ADMIN}, password_hash FROM admins WHERE login = :login",  # noqa: S608
        login=login,
    )


def admin(tx: Tx, admin_id: int, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(f"SELECT {_ADMIN} FROM admins WHERE id = :id{lock}", id=admin_id)  # noqa: S608


def admins(tx: Tx) -> list[Row]:
    return tx.all(f"SELECT {_ADMIN} FROM admins ORDER BY id")  # noqa: S608


def insert_admin(
    tx: Tx,
    *,
    telegram_id: int,
    login: str,
    display_name: str,
    role: str,
    venue_ids: list[int],
    password_hash: str,
    language: str,
) -> Row:
    row = tx.one(
        "INSERT INTO admins (telegram_id, display_name, login, role, venue_ids, password_hash,"  # noqa: S608
        " language) VALUES (:tg, :name, :login, :role, CAST(:venues AS bigint[]), :ph, :lang)"
        f" RETURNING {_ADMIN}",
        tg=telegram_id,
        name=display_name,
        login=login,
        role=role,
        venues=venue_ids,
        ph=password_hash,
        lang=language,
    )
    assert row is not None
    return row


def update_admin(tx: Tx, admin_id: int, **fields: Any) -> Row | None:
    allowed = {"role", "venue_ids", "language", "display_name", "active", "password_hash"}
    sets = []
    for name in fields:
        if name not in allowed:
            raise ValueError(name)
        cast = "CAST(:venue_ids AS bigint[])" if name == "venue_ids" else f":{name}"
        sets.append(f"{name} = {cast}")
    if "active" in fields:
        sets.append("disabled_at = CASE WHEN :active THEN NULL ELSE now() END")
    return tx.one(
        f"UPDATE admins SET {', '.join(sets)} WHERE id = :id RETURNING {_ADMIN}",  # noqa: S608
        id=admin_id,
        **fields,
    )


def existing_venue_ids(tx: Tx, venue_ids: list[int]) -> list[int]:
    return [
        r["id"]
        for r in tx.all(
            "SELECT id FROM venues WHERE id = ANY(CAST(:ids AS bigint[]))", ids=venue_ids
        )
    ]


# --- login challenges and sessions ------------------------------------------------------------
def insert_challenge(
    tx: Tx,
    *,
    admin_id: int,
    challenge_hash: str,
    code_hash: str,
    code_expires_at: datetime,
    client_hash: str | None,
) -> None:
    tx.execute(
        "INSERT INTO admin_2fa_sessions (admin_id, challenge_hash, code_hash, code_expires_at,"
        " client_hash) VALUES (:a, :ch, :code, :exp, :client)",
        a=admin_id,
        ch=challenge_hash,
        code=code_hash,
        exp=code_expires_at,
        client=client_hash,
    )


def revoke_challenge(tx: Tx, challenge_hash: str) -> None:
    tx.execute(
        "UPDATE admin_2fa_sessions SET revoked_at = now() WHERE challenge_hash = :ch",
        ch=challenge_hash,
    )


def challenge_for_update(tx: Tx, challenge_hash: str) -> Row | None:
    return tx.one(
        "SELECT id, admin_id, code_hash, attempts, code_expires_at, verified_at, revoked_at"
        " FROM admin_2fa_sessions WHERE challenge_hash = :ch FOR UPDATE",
        ch=challenge_hash,
    )


def count_attempt(tx: Tx, session_id: str) -> int:
    return tx.value(
        "UPDATE admin_2fa_sessions SET attempts = attempts + 1 WHERE id = :id RETURNING attempts",
        id=session_id,
    )


def open_session(
    tx: Tx,
    session_id: str,
    *,
    token_hash: str,
    csrf_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    tx.execute(
        "UPDATE admin_2fa_sessions SET token_hash = :t, csrf_hash = :c, verified_at = :now,"
        " last_seen_at = :now, expires_at = :exp WHERE id = :id",
        t=token_hash,
        c=csrf_hash,
        now=now,
        exp=expires_at,
        id=session_id,
    )


def session_by_token(tx: Tx, token_hash: str) -> Row | None:
    return tx.one(
        "SELECT s.id, s.admin_id, s.csrf_hash, s.expires_at, s.last_seen_at, s.revoked_at,"
        " a.role, a.venue_ids, a.active, a.language, a.disabled_at, a.login"
        " FROM admin_2fa_sessions s JOIN admins a ON a.id = s.admin_id"
        " WHERE s.token_hash = :t AND s.verified_at IS NOT NULL",
        t=token_hash,
    )


def touch_session(tx: Tx, session_id: str, now: datetime) -> None:
    tx.execute(
        "UPDATE admin_2fa_sessions SET last_seen_at = :now WHERE id = :id", now=now, id=session_id
    )


def revoke_session(tx: Tx, session_id: str) -> int:
    return tx.execute(
        "UPDATE admin_2fa_sessions SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL",
        id=session_id,
    )


def revoke_all_sessions(tx: Tx, admin_id: int) -> int:
    return tx.execute(
        "UPDATE admin_2fa_sessions SET revoked_at = now()"
        " WHERE admin_id = :a AND revoked_at IS NULL",
        a=admin_id,
    )


# --- rate limits --------------------------------------------------------------------------------
def hit(tx: Tx, *, bucket: str, key: str, window_start: datetime) -> int:
    """Count one attempt in this window; returns the attempts so far (this one included)."""
    return tx.value(
        "INSERT INTO admin_rate_limits (bucket, key, window_start, hits) VALUES (:b, :k, :w, 1)"
        " ON CONFLICT (bucket, key, window_start) DO UPDATE"
        " SET hits = admin_rate_limits.hits + 1 RETURNING hits",
        b=bucket,
        k=key,
        w=window_start,
    )


# --- API keys ---------------------------------------------------------------------------------
def purge_login_leftovers(tx: Tx, *, now: datetime) -> None:
    """Old rate-limit windows and challenges/sessions long over: nothing to keep them for."""
    tx.execute("DELETE FROM admin_rate_limits WHERE window_start < :t", t=now - _DAY)
    tx.execute(
        "DELETE FROM admin_2fa_sessions WHERE (verified_at IS NULL AND code_expires_at < :t)"
        " OR expires_at < :t",
        t=now - _DAY,
    )
