"""Integration API keys (DESIGN §9): created by a superadmin (the CLI today, the admin API's
superadmin routes call the same functions), scoped and limited to venues, shown once and stored
as a sha256 hash, revocable for good; each use is counted in a per-key, per-minute window in
PostgreSQL (the rate limit) and records the key's last use.

Keys look like `fpv_<43 url-safe characters>` (the same format the admin API issues), so a key
is recognised by its prefix and never confused with an app token (`fpva_...`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fpv import audit
from fpv.actors import Actor
from fpv.dal import apis as dal
from fpv.db import Database, Row

SCOPES = (
    "schedule:read",
    "trainings:write",
    "registrations:read",
    "registrations:write",
    "stats:read",
)
PREFIX = "fpv_"
DEFAULT_RATE = 120  # requests per minute


class KeyError_(Exception):
    """Base of the refusals below."""


class InvalidKeyRequest(KeyError_):
    """A key cannot be made like this (unknown scope, no venue, unknown venue)."""


class Unauthenticated(KeyError_):
    """No key, an unknown key or a revoked key."""


@dataclass(frozen=True)
class RateLimited(KeyError_):
    retry_after: int

    def __str__(self) -> str:
        return f"rate limit reached, retry after {self.retry_after} s"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def public(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "prefix": row["prefix"],
        "scopes": sorted(row["scopes"] or []),
        "venue_ids": sorted(row["venue_ids"] or []),
        "rate_per_minute": row["rate_per_minute"],
        "created_at": row["created_at"],
        "last_used_at": row["last_used_at"],
        "revoked_at": row["revoked_at"],
    }


def _require_super(actor: Actor) -> None:
    if not (actor.is_superadmin or (actor.kind == "system" and actor.via == "cli")):
        raise InvalidKeyRequest("only a superadmin manages API keys")


def create(
    db: Database,
    actor: Actor,
    *,
    name: str,
    scopes: list[str],
    venue_ids: list[int],
    rate_per_minute: int = DEFAULT_RATE,
    client: audit.Client | None = None,
) -> dict[str, Any]:
    """A new key; the returned dict holds the key itself (`key`): shown once, never again.
    Audited in the same transaction, whichever front door asked (admin API or CLI)."""
    _require_super(actor)
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidKeyRequest("a key needs a name (1-100 characters)")
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise InvalidKeyRequest(f"scopes must be among {', '.join(SCOPES)}")
    venues = sorted(set(venue_ids))
    if not venues:
        raise InvalidKeyRequest("a key acts for at least one venue")
    if not 1 <= rate_per_minute <= 100_000:
        raise InvalidKeyRequest("rate per minute must be 1..100000")
    key = PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as tx:
        if set(venues) - set(dal.existing_venue_ids(tx, venues)):
            raise InvalidKeyRequest("no such venue")
        row = dal.insert_api_key(
            tx,
            name=name,
            key_hash=key_hash(key),
            prefix=key[:10],
            scopes=sorted(set(scopes)),
            venue_ids=venues,
            rate_per_minute=rate_per_minute,
            created_by=actor.id if actor.kind == "admin" else None,
        )
        audit.record(
            tx, actor, "api_key.create", f"api_key:{row['id']}", after=public(row), client=client
        )
    return {**public(row), "key": key}


def list_keys(db: Database, actor: Actor) -> list[dict[str, Any]]:
    _require_super(actor)
    with db.transaction(readonly=True) as tx:
        return [public(r) for r in dal.api_keys(tx)]


def revoke(
    db: Database, actor: Actor, key_id: int, client: audit.Client | None = None
) -> dict[str, Any] | None:
    """Revoke for good (its webhook subscriptions stop too); None for an unknown id."""
    _require_super(actor)
    with db.transaction() as tx:
        before = dal.api_key(tx, key_id)
        if before is None:
            return None
        row = dal.revoke_api_key(tx, key_id)
        assert row is not None
        audit.record(
            tx, actor, "api_key.revoke", f"api_key:{key_id}", public(before), public(row), client
        )
    return public(row)


def authenticate(
    db: Database, bearer: str | None, *, now: datetime | None = None, via: str = "integration_api"
) -> Actor:
    """The actor for a bearer key, counting the request against the key's rate limit."""
    if not bearer or not bearer.startswith(PREFIX) or len(bearer) > 200:
        raise Unauthenticated("no API key")
    now = now or datetime.now(UTC)
    window = now.replace(second=0, microsecond=0)
    with db.transaction() as tx:
        row = dal.api_key_by_hash(tx, key_hash(bearer))
        if row is None or row["revoked_at"] is not None:
            raise Unauthenticated("unknown or revoked API key")
        hits = dal.hit(tx, row["id"], window, now)
    if hits > row["rate_per_minute"]:
        raise RateLimited(max(1, int((window + timedelta(minutes=1) - now).total_seconds())))
    return Actor(
        kind="api_key",
        id=row["id"],
        venue_ids=frozenset(row["venue_ids"] or []),
        scopes=frozenset(row["scopes"] or []),
        via=via,  # type: ignore[arg-type]
    )


def purge(db: Database, *, now: datetime | None = None) -> int:
    """Rate windows older than an hour: nothing reads them."""
    with db.transaction() as tx:
        return dal.purge_hits(tx, before=(now or datetime.now(UTC)) - timedelta(hours=1))
