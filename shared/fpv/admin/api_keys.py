"""Integration API keys: a superadmin creates a key with scopes for some venues; the key is
shown once and stored as a sha256 hash; revoking is final. `authenticate` turns a bearer key into
an `Actor` for the integration API (DESIGN §9)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from fpv import audit
from fpv.actors import Actor
from fpv.admin.common import require_super
from fpv.admin.errors import Invalid, NotFound, Unauthorized
from fpv.dal import admin_auth as dal
from fpv.db import Database, Row

SCOPES = (
    "schedule:read",
    "trainings:write",
    "registrations:read",
    "registrations:write",
    "stats:read",
)
PREFIX = "fpv_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def public(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "prefix": row["prefix"],
        "scopes": list(row["scopes"] or []),
        "venue_ids": sorted(row["venue_ids"] or []),
        "created_at": row["created_at"],
        "revoked_at": row["revoked_at"],
    }


def create(
    db: Database,
    actor: Actor,
    *,
    name: str,
    scopes: list[str],
    venue_ids: list[int],
    client: audit.Client,
) -> dict[str, Any]:
    require_super(actor)
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise Invalid(f"scopes must be among {', '.join(SCOPES)}")
    key = PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as tx:
        venues = sorted(set(venue_ids))
        if not venues:
            raise Invalid("a key acts for at least one venue")
        if set(venues) - set(dal.existing_venue_ids(tx, venues)):
            raise Invalid("no such venue")
        row = dal.insert_api_key(
            tx,
            name=name,
            key_hash=_hash(key),
            prefix=key[:10],
            scopes=sorted(set(scopes)),
            venue_ids=venues,
            created_by=actor.id if actor.kind == "admin" else None,
        )
        audit.record(
            tx, actor, "api_key.create", f"api_key:{row['id']}", after=public(row), client=client
        )
    return {**public(row), "key": key}


def list_keys(db: Database, actor: Actor) -> list[dict[str, Any]]:
    require_super(actor)
    with db.transaction(readonly=True) as tx:
        return [public(r) for r in dal.api_keys(tx)]


def revoke(db: Database, actor: Actor, key_id: int, client: audit.Client) -> dict[str, Any]:
    require_super(actor)
    with db.transaction() as tx:
        before = dal.api_key(tx, key_id)
        if before is None:
            raise NotFound("api key not found")
        after = dal.revoke_api_key(tx, key_id)
        assert after is not None
        audit.record(
            tx, actor, "api_key.revoke", f"api_key:{key_id}", public(before), public(after), client
        )
    return public(after)


def authenticate(db: Database, bearer: str | None, *, via: str = "integration_api") -> Actor:
    if not bearer or not bearer.startswith(PREFIX):
        raise Unauthorized("no API key")
    with db.transaction(readonly=True) as tx:
        row = dal.api_key_by_hash(tx, _hash(bearer))
    if row is None or row["revoked_at"] is not None:
        raise Unauthorized("unknown or revoked API key")
    return Actor(
        kind="api_key",
        id=row["id"],
        venue_ids=frozenset(row["venue_ids"] or []),
        scopes=frozenset(row["scopes"] or []),
        via=via,  # type: ignore[arg-type]
    )
