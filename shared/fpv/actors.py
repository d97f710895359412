"""Who asks: every use case takes an actor and decides from it what the request may do.

Front doors (the bot, the admin API, the app API, the integration API, the voice assistant, the
scheduled jobs) build an actor from what they authenticated and pass it in; they never decide
authorization themselves (DESIGN §8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ActorKind = Literal["pilot", "admin", "api_key", "system"]
Via = Literal["bot", "admin_api", "app_api", "integration_api", "voice", "job", "cli"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None = None  # pilots.telegram_id, admins.id or api_keys.id; None for the system
    role: str | None = None  # admins: 'superadmin' | 'local'
    venue_ids: frozenset[int] = field(default_factory=frozenset)  # a local admin's / key's venues
    scopes: frozenset[str] = field(default_factory=frozenset)  # api keys
    via: Via = "bot"

    @property
    def is_superadmin(self) -> bool:
        return self.kind == "admin" and self.role == "superadmin"

    @property
    def is_staff(self) -> bool:
        """An organizer or the platform itself: may act on any pilot's registration."""
        return self.kind in ("admin", "system")

    def sees_venue(self, venue_id: int) -> bool:
        """Superadmins and the system see every venue; local admins and keys only theirs."""
        if self.kind == "system" or self.is_superadmin:
            return True
        if self.kind in ("admin", "api_key"):
            return venue_id in self.venue_ids
        return False

    def audit_label(self) -> str:
        """How the audit log names this actor: 'admin:3 via voice', 'system via job'."""
        who = self.kind if self.id is None else f"{self.kind}:{self.id}"
        return f"{who} via {self.via}"


SYSTEM = Actor(kind="system", via="job")


def pilot(telegram_id: int, via: Via = "bot") -> Actor:
    return Actor(kind="pilot", id=telegram_id, via=via)


def admin(admin_id: int, role: str, venue_ids: frozenset[int] | set[int], via: Via) -> Actor:
    return Actor(kind="admin", id=admin_id, role=role, venue_ids=frozenset(venue_ids), via=via)
