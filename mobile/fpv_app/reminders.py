"""The phone's local reminder notifications kept equal to `AppState.reminders()`.

`ReminderScheduler` works with the `flet-notifications` extension's `LocalNotifications` (or
anything with the same async methods: `schedule`, `cancel`, `get_pending_notifications`,
`request_permissions`). It never imports the extension itself: the screens create it on
Android/iOS only (`ui/app.py`), the web build never loads it.

Each reminder has a stable notification id per (registration id, kind), so a second sync with
the same plan changes nothing, a moved training replaces its reminder under the same id, and a
cancelled seat's reminders are cancelled. What is already on the phone is read back from the
extension's pending list (it survives app restarts) and recognised by our payload prefix; where
the platform cannot list them, what this scheduler scheduled itself is used instead."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpv_app.state import REMINDERS, Reminder
from fpv_app.texts import t

PAYLOAD_PREFIX = "fpv-reminder:"
KINDS = tuple(kind for kind, _ in REMINDERS)
ID_SPACE = 2**31 - 1
"""Android notification ids are 32-bit signed ints."""


def notification_id(registration_id: int, kind: str) -> int:
    """Stable per (registration, kind): 24 h → 2·id, 1 h → 2·id + 1 (kept positive in 31 bits)."""
    return (registration_id * len(KINDS) + KINDS.index(kind)) % ID_SPACE


@dataclass(frozen=True)
class Planned:
    """One notification as the phone should hold it."""

    id: int
    at: datetime
    title: str
    body: str
    payload: str


def planned(reminder: Reminder, lang: str) -> Planned:
    local = reminder.starts_at.astimezone(ZoneInfo(reminder.time_zone))
    payload = PAYLOAD_PREFIX + json.dumps(
        {
            "registration_id": reminder.registration_id,
            "kind": reminder.kind,
            "at": reminder.at.astimezone(UTC).isoformat(),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    return Planned(
        id=notification_id(reminder.registration_id, reminder.kind),
        at=reminder.at.astimezone(UTC),
        title=t(f"reminder.{reminder.kind}.title", lang, title=reminder.title),
        body=t(f"reminder.{reminder.kind}.body", lang, time=local.strftime("%d.%m %H:%M")),
        payload=payload,
    )


def _due(payload: str) -> datetime:
    """When a reminder we scheduled fires (from its payload; unreadable = still ahead)."""
    try:
        return datetime.fromisoformat(json.loads(payload[len(PAYLOAD_PREFIX) :])["at"])
    except (ValueError, KeyError, TypeError):
        return datetime.max.replace(tzinfo=UTC)


class ReminderScheduler:
    def __init__(
        self,
        notifications: Any,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        schedule_options: dict[str, Any] | None = None,
        inexact_options: dict[str, Any] | None = None,
    ) -> None:
        self.notifications = notifications
        self._now = now
        self.schedule_options = dict(schedule_options or {})
        """extra keyword arguments for `schedule` (the Android schedule mode: exact)"""
        self.inexact_options = dict(inexact_options or self.schedule_options)
        """used instead where exact alarms are not allowed (Android 12+ without the consent)"""
        self._exact_checked = False
        self.exact = True
        self._known: dict[int, tuple[str, str, str]] = {}
        """what this scheduler holds on the phone: id → (title, body, payload)"""
        self._asked = False
        self._lock: asyncio.Lock | None = None

    async def ask_permission(self) -> bool:
        """The OS permission prompt, once per scheduler (the screens also keep a flag on disk)."""
        if self._asked:
            return True
        self._asked = True
        try:
            return bool(await self.notifications.request_permissions())
        except Exception:  # no prompt on this platform: scheduling still works or is dropped
            return False

    async def check_exact_alarms(self) -> bool:
        """Once: may this app set exact alarms? If not, reminders are scheduled inexact (they may
        come some minutes late) rather than refused. Returns whether exact ones are used."""
        if not self._exact_checked:
            self._exact_checked = True
            try:
                allowed = bool(await self.notifications.can_schedule_exact_notifications())
            except Exception:  # no such notion here (iOS): keep the options as they are
                allowed = True
            if not allowed:
                self.schedule_options = dict(self.inexact_options)
                self.exact = False
        return self.exact

    async def _on_phone(self) -> dict[int, tuple[str, str, str]]:
        """Our reminders pending on the phone (ids with our payload prefix)."""
        try:
            pending = await self.notifications.get_pending_notifications()
        except Exception:  # the platform cannot list them: trust what we did ourselves
            return dict(self._known)
        return {
            int(p.id): (p.title, p.body, p.payload)
            for p in pending
            if str(p.payload or "").startswith(PAYLOAD_PREFIX)
        }

    async def sync(self, plan: Iterable[Reminder], lang: str = "ru") -> tuple[int, int]:
        """Make the phone hold exactly `plan`'s future reminders; returns (scheduled, cancelled).
        One sync at a time (a resume and a refresh may ask together)."""
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            return await self._sync(list(plan), lang)

    async def _sync(self, plan: list[Reminder], lang: str) -> tuple[int, int]:
        now = self._now()
        wanted = {p.id: p for r in plan if r.at > now for p in [planned(r, lang)]}
        held = await self._on_phone()
        scheduled = cancelled = 0
        for nid in sorted(set(held) - set(wanted)):
            self._known.pop(nid, None)
            if _due(held[nid][2]) <= now:
                continue  # fired already: leave it in the tray, nothing pending to cancel
            with contextlib.suppress(Exception):  # gone meanwhile: nothing to cancel
                await self.notifications.cancel(nid)
            cancelled += 1
        for nid, p in sorted(wanted.items(), key=lambda kv: kv[1].at):
            if held.get(nid) == (p.title, p.body, p.payload):
                self._known[nid] = held[nid]
                continue
            # the same id replaces a changed reminder (a moved training, another language)
            await self.notifications.schedule(
                id=nid,
                when=p.at,
                title=p.title,
                body=p.body,
                payload=p.payload,
                **self.schedule_options,
            )
            self._known[nid] = (p.title, p.body, p.payload)
            scheduled += 1
        return scheduled, cancelled

    async def clear(self) -> int:
        """Sign-out or a deleted account: no reminder of this pilot stays on the phone."""
        return (await self.sync([], "ru"))[1]


__all__ = ["PAYLOAD_PREFIX", "ReminderScheduler", "notification_id", "planned"]
