"""Helpers shared by the organizer use cases: venue scope, error mapping, JSON shapes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fpv.actors import Actor
from fpv.admin.errors import Conflict, Forbidden, Invalid, NotFound
from fpv.db import IntegrityViolation, Row


def scope(actor: Actor) -> list[int] | None:
    """None = every venue; else the actor's venues (a local admin, an API key)."""
    if actor.kind == "system" or actor.is_superadmin:
        return None
    if actor.kind in ("admin", "api_key"):
        return sorted(actor.venue_ids)
    raise Forbidden("not an organizer")


def require_staff(actor: Actor) -> None:
    scope(actor)


def require_super(actor: Actor) -> None:
    if not (actor.is_superadmin or actor.kind == "system"):
        raise Forbidden("superadmins only")


def visible(actor: Actor, row: Row | None, what: str, venue_key: str = "venue_id") -> Row:
    """The row if this actor may see it; else 404 (ids are not confirmed to outsiders)."""
    require_staff(actor)
    if row is None or not actor.sees_venue(row[venue_key]):
        raise NotFound(f"{what} not found")
    return row


@contextmanager
def integrity() -> Iterator[None]:
    """Constraint violations become 409 (duplicates, seats) or 422 (checks)."""
    try:
        yield
    except IntegrityViolation as exc:
        if exc.sqlstate == "23505" or exc.constraint == "trainings_seats_within_capacity":
            raise Conflict(exc.constraint or "conflict") from exc
        raise Invalid(exc.constraint or "invalid value") from exc


def only(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields actually given (PATCH semantics)."""
    return {k: v for k, v in fields.items() if v is not None}
