"""What handlers need from the outside world, passed in once when the application is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fpv.db import Database
from fpv.ports.events import EventBus

# Version of the personal-data policy the consent text describes (recorded with each consent).
POLICY_VERSION = "2025-01"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BotDeps:
    db: Database
    bus: EventBus
    public_base_url: str = "http://127.0.0.1:8000"
    hold_minutes: int = 15
    default_language: str = "ru"
    bot_username: str = "fpv_training_bot"
    clock: Callable[[], datetime] = _utc_now
    policy_version: str = POLICY_VERSION
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()


def deps_of(context: Any) -> BotDeps:
    """The BotDeps stored in the application's bot_data by `build_application`."""
    return context.application.bot_data["deps"]
