"""Integration API keys in the admin API: the superadmin's door to `fpv.apikeys`, which owns
the rules (scopes, venues, hashing, shown once, revocation that also stops the key's webhooks,
the audit entry). Here its refusals become the admin API's errors."""

from __future__ import annotations

from typing import Any

from fpv import apikeys, audit
from fpv.actors import Actor
from fpv.admin.common import require_super
from fpv.admin.errors import Invalid, NotFound
from fpv.db import Database

SCOPES = apikeys.SCOPES


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
    try:
        return apikeys.create(
            db, actor, name=name, scopes=scopes, venue_ids=venue_ids, client=client
        )
    except apikeys.InvalidKeyRequest as exc:
        raise Invalid(str(exc)) from None


def list_keys(db: Database, actor: Actor) -> list[dict[str, Any]]:
    require_super(actor)
    return apikeys.list_keys(db, actor)


def revoke(db: Database, actor: Actor, key_id: int, client: audit.Client) -> dict[str, Any]:
    require_super(actor)
    revoked = apikeys.revoke(db, actor, key_id, client)
    if revoked is None:
        raise NotFound("api key not found")
    return revoked
