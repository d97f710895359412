"""Admins: add, assign venues, change role or language, disable. Superadmins only (the CLI's
system actor creates the first one)."""

from __future__ import annotations

import re
from typing import Any

from fpv import audit
from fpv.actors import Actor
from fpv.admin.auth import hash_password
from fpv.admin.errors import Conflict, Forbidden, Invalid, NotFound
from fpv.dal import admin_auth as dal
from fpv.db import Database, IntegrityViolation, Row, Tx

LOGIN = re.compile(r"^[a-z0-9_.-]{3,64}$")
ROLES = ("superadmin", "local")
MIN_PASSWORD = 12


def _require_super(actor: Actor) -> None:
    if not (actor.is_superadmin or actor.kind == "system"):
        raise Forbidden("superadmins only")


def public(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "login": row["login"],
        "display_name": row["display_name"],
        "telegram_id": row["telegram_id"],
        "role": row["role"],
        "venue_ids": sorted(row["venue_ids"] or []),
        "language": row["language"],
        "active": bool(row["active"] and row["disabled_at"] is None),
    }


def _check_venues(tx: Tx, role: str, venue_ids: list[int]) -> list[int]:
    venue_ids = sorted(set(venue_ids))
    if role == "local" and not venue_ids:
        raise Invalid("a local admin needs at least one venue")
    missing = set(venue_ids) - set(dal.existing_venue_ids(tx, venue_ids))
    if missing:
        raise Invalid(f"no such venue: {sorted(missing)}")
    return venue_ids


def add_admin(
    db: Database,
    actor: Actor,
    *,
    telegram_id: int,
    login: str,
    password: str,
    role: str,
    venue_ids: list[int] | None = None,
    display_name: str | None = None,
    language: str = "ru",
    client: audit.Client | None = None,
) -> dict[str, Any]:
    _require_super(actor)
    login = login.strip().lower()
    if not LOGIN.match(login):
        raise Invalid("login: 3-64 of a-z 0-9 _ . -")
    if role not in ROLES:
        raise Invalid("role must be superadmin or local")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password: at least {MIN_PASSWORD} characters")
    if language not in ("ru", "en"):
        raise Invalid("language must be ru or en")
    password_hash = hash_password(password)
    try:
        with db.transaction() as tx:
            venues = _check_venues(tx, role, venue_ids or [])
            row = dal.insert_admin(
                tx,
                telegram_id=telegram_id,
                login=login,
                display_name=display_name or login,
                role=role,
                venue_ids=venues if role == "local" else [],
                password_hash=password_hash,
                language=language,
            )
            audit.record(
                tx, actor, "admin.create", f"admin:{row['id']}", after=public(row), client=client
            )
    except IntegrityViolation as exc:
        raise Conflict("login or Telegram id already used by an admin") from exc
    return public(row)


def list_admins(db: Database, actor: Actor) -> list[dict[str, Any]]:
    _require_super(actor)
    with db.transaction(readonly=True) as tx:
        return [public(r) for r in dal.admins(tx)]


def update_admin(
    db: Database,
    actor: Actor,
    admin_id: int,
    *,
    role: str | None = None,
    venue_ids: list[int] | None = None,
    language: str | None = None,
    display_name: str | None = None,
    active: bool | None = None,
    client: audit.Client | None = None,
) -> dict[str, Any]:
    _require_super(actor)
    with db.transaction() as tx:
        before = dal.admin(tx, admin_id, for_update=True)
        if before is None:
            raise NotFound(f"admin {admin_id}")
        if actor.id == admin_id and (active is False or (role and role != before["role"])):
            raise Conflict("you cannot disable or demote yourself")
        fields: dict[str, Any] = {}
        new_role = role or before["role"]
        if role is not None:
            if role not in ROLES:
                raise Invalid("role must be superadmin or local")
            fields["role"] = role
        if venue_ids is not None or role is not None:
            venues = venue_ids if venue_ids is not None else list(before["venue_ids"] or [])
            fields["venue_ids"] = _check_venues(tx, new_role, venues) if new_role == "local" else []
        if language is not None:
            if language not in ("ru", "en"):
                raise Invalid("language must be ru or en")
            fields["language"] = language
        if display_name is not None:
            if not 1 <= len(display_name) <= 100:
                raise Invalid("display name: 1-100 characters")
            fields["display_name"] = display_name
        if active is not None:
            fields["active"] = active
        after = dal.update_admin(tx, admin_id, **fields) if fields else before
        assert after is not None
        if active is False:
            dal.revoke_all_sessions(tx, admin_id)
        action = "admin.disable" if active is False else "admin.update"
        audit.record(tx, actor, action, f"admin:{admin_id}", public(before), public(after), client)
    return public(after)
