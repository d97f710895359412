"""The phone's local reminders (mobile/fpv_app/reminders.py) kept equal to the reminder plan.

No Android or iOS device (nor the extension's Dart half, which only exists in a `flet build`
app) can exist on this machine, so the scheduler runs against a recording fake of
`flet_notifications.LocalNotifications` with the same method signatures (checked against the
installed extension below). Whether the OS really fires them needs a phone (README "Mobile app").
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from fpv_app.client import MyTraining
from fpv_app.reminders import PAYLOAD_PREFIX, ReminderScheduler, notification_id
from fpv_app.state import reminder_plan

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
FOREIGN = 999_999  # another notification on the phone, not one of ours


@dataclass
class Pending:
    """flet_notifications.PendingNotification's fields."""

    id: int
    title: str
    body: str
    payload: str


class FakeNotifications:
    """Records calls; holds what a phone would have pending (like the OS: same id replaces)."""

    def __init__(self, *, can_list: bool = True, exact: bool = True) -> None:
        self.pending: dict[int, tuple[datetime, Pending]] = {}
        self.calls: list[tuple[str, object]] = []
        self.can_list = can_list
        self.exact = exact
        self.schedule_modes: list[object] = []

    async def schedule(
        self,
        id: int,
        when: datetime | timedelta,
        title: str | None = None,
        body: str | None = None,
        payload: str = "",
        actions=None,
        match_components=None,
        options=None,
        schedule_mode=None,
        time_zone: str | None = None,
        **details: object,
    ) -> None:
        assert isinstance(when, datetime) and when.utcoffset() is not None  # an exact instant
        self.calls.append(("schedule", id))
        self.schedule_modes.append(schedule_mode)
        self.pending[id] = (when, Pending(id, title or "", body or "", payload))

    async def cancel(self, id: int, tag: str | None = None) -> None:
        self.calls.append(("cancel", id))
        self.pending.pop(id, None)

    async def get_pending_notifications(self) -> list[Pending]:
        if not self.can_list:
            raise RuntimeError("not supported on this platform")
        return [p for _, p in self.pending.values()]

    async def request_permissions(self) -> bool:
        self.calls.append(("request_permissions", None))
        return True

    async def can_schedule_exact_notifications(self) -> bool:
        return self.exact

    def at(self, registration_id: int, kind: str) -> datetime:
        return self.pending[notification_id(registration_id, kind)][0]

    def held(self) -> set[tuple[int, str]]:
        return {
            (reg, kind)
            for reg in range(1, 10)
            for kind in ("24h", "1h")
            if notification_id(reg, kind) in self.pending
        }


def mine(reg_id: int, starts: datetime, status: str = "confirmed") -> MyTraining:
    return MyTraining.of(
        {
            "id": reg_id,
            "training_id": 100 + reg_id,
            "status": status,
            "heat": 1,
            "title": f"Whoop {reg_id}",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "venue_name": "Hangar",
            "time_zone": "Europe/Moscow",
            "price_kopecks": 0,
        }
    )


def trainings() -> list[MyTraining]:
    return [
        mine(1, NOW + timedelta(days=2)),
        mine(2, NOW + timedelta(hours=5)),  # only the 1 h reminder is ahead
        mine(3, NOW + timedelta(days=3), status="pending_payment"),  # unpaid: none
    ]


def sync(scheduler: ReminderScheduler, items: list[MyTraining], lang: str = "ru") -> tuple:
    return asyncio.run(scheduler.sync(reminder_plan(items, NOW), lang))


def make(fake: FakeNotifications, now: datetime = NOW) -> ReminderScheduler:
    return ReminderScheduler(
        fake,
        now=lambda: now,
        schedule_options={"schedule_mode": "exact"},
        inexact_options={"schedule_mode": "inexact"},
    )


def test_schedules_exactly_the_plan_with_stable_ids():
    fake = FakeNotifications()
    assert sync(make(fake), trainings()) == (3, 0)
    assert fake.held() == {(1, "24h"), (1, "1h"), (2, "1h")}
    assert fake.at(1, "24h") == NOW + timedelta(days=1)
    assert fake.at(1, "1h") == NOW + timedelta(days=2, hours=-1)
    assert fake.at(2, "1h") == NOW + timedelta(hours=4)
    # one id per (registration, kind), never shared
    ids = {notification_id(r, k) for r in range(1, 1000) for k in ("24h", "1h")}
    assert len(ids) == 2 * 999 and all(0 <= i < 2**31 for i in ids)
    assert all(p.payload.startswith(PAYLOAD_PREFIX) for _, p in fake.pending.values())


def test_a_second_sync_with_the_same_plan_changes_nothing():
    fake = FakeNotifications()
    sync(make(fake), trainings())
    fake.calls.clear()
    # a fresh scheduler (the app restarted) reads what the phone holds: still nothing to do
    assert sync(make(fake), trainings()) == (0, 0)
    assert fake.calls == []


def test_a_cancelled_seat_loses_its_reminders_and_nothing_else_changes():
    fake = FakeNotifications()
    scheduler = make(fake)
    sync(scheduler, trainings())
    fake.calls.clear()
    assert sync(scheduler, trainings()[1:]) == (0, 2)
    assert sorted(fake.calls) == sorted(
        [("cancel", notification_id(1, "24h")), ("cancel", notification_id(1, "1h"))]
    )
    assert fake.held() == {(2, "1h")}


def test_a_moved_training_is_rescheduled_under_the_same_ids():
    fake = FakeNotifications()
    scheduler = make(fake)
    sync(scheduler, trainings())
    fake.calls.clear()
    moved = [mine(1, NOW + timedelta(days=2, hours=3)), *trainings()[1:]]
    assert sync(scheduler, moved) == (2, 0)
    assert sorted(fake.calls) == sorted(
        [("schedule", notification_id(1, "24h")), ("schedule", notification_id(1, "1h"))]
    )
    assert fake.at(1, "24h") == NOW + timedelta(days=1, hours=3)
    assert fake.held() == {(1, "24h"), (1, "1h"), (2, "1h")}


def test_nothing_is_scheduled_in_the_past_even_from_a_stale_plan():
    fake = FakeNotifications()
    plan = reminder_plan(trainings(), NOW)  # computed now, synced 5 hours later
    later = make(fake, now=NOW + timedelta(hours=5))
    assert asyncio.run(later.sync(plan, "ru")) == (2, 0)
    assert fake.held() == {(1, "24h"), (1, "1h")}  # 2's 1 h reminder was due an hour ago
    assert all(when > NOW + timedelta(hours=5) for when, _ in fake.pending.values())


def test_a_fired_reminder_is_left_alone_and_a_foreign_notification_is_never_touched():
    fake = FakeNotifications(can_list=False)  # the phone cannot list: the scheduler's memory
    scheduler = make(fake)
    sync(scheduler, trainings())
    fake.pending[FOREIGN] = (
        NOW + timedelta(days=9),
        Pending(FOREIGN, "other", "other", "not ours"),
    )
    fake.calls.clear()
    scheduler._now = lambda: NOW + timedelta(hours=4, minutes=1)  # 2's 1 h reminder fired
    plan = reminder_plan(trainings(), NOW + timedelta(hours=4, minutes=1))
    assert asyncio.run(scheduler.sync(plan, "ru")) == (0, 0)
    assert fake.calls == []
    assert asyncio.run(scheduler.clear()) == 2  # sign-out: 1's two reminders
    assert FOREIGN in fake.pending
    assert fake.held() == {(2, "1h")}  # (already delivered; the fake never drops it)


def test_sign_out_clears_every_reminder_read_back_from_the_phone():
    fake = FakeNotifications()
    sync(make(fake), trainings())
    fake.pending[FOREIGN] = (
        NOW + timedelta(days=9),
        Pending(FOREIGN, "other", "other", "not ours"),
    )
    assert asyncio.run(make(fake).clear()) == 3  # a new app session still finds them
    assert set(fake.pending) == {FOREIGN}


def test_russian_and_english_texts_and_a_language_switch_retexts():
    fake = FakeNotifications()
    scheduler = make(fake)
    sync(scheduler, trainings(), "ru")
    title = {k: fake.pending[notification_id(1, k)][1] for k in ("24h", "1h")}
    assert title["24h"].title == "Завтра тренировка: Whoop 1"
    assert title["1h"].title == "Через час тренировка: Whoop 1"
    # the venue's clock: 12:00 UTC + 2 days is 15:00 in Moscow
    assert title["24h"].body == "Начало 04.12 15:00 (по времени площадки)"
    fake.calls.clear()
    assert sync(scheduler, trainings(), "en") == (3, 0)
    en = fake.pending[notification_id(1, "24h")][1]
    assert (en.title, en.body) == ("Training tomorrow: Whoop 1", "Starts 04.12 15:00 (venue time)")
    assert fake.held() == {(1, "24h"), (1, "1h"), (2, "1h")}


def test_without_exact_alarm_consent_reminders_are_scheduled_inexact():
    fake = FakeNotifications(exact=False)
    scheduler = make(fake)
    assert asyncio.run(scheduler.check_exact_alarms()) is False
    sync(scheduler, trainings())
    assert set(fake.schedule_modes) == {"inexact"}
    allowed = FakeNotifications()
    scheduler = make(allowed)
    assert asyncio.run(scheduler.check_exact_alarms()) is True
    sync(scheduler, trainings())
    assert set(allowed.schedule_modes) == {"exact"}


def test_the_permission_is_asked_once():
    fake = FakeNotifications()
    scheduler = make(fake)
    assert asyncio.run(scheduler.ask_permission()) is True
    asyncio.run(scheduler.ask_permission())
    assert fake.calls.count(("request_permissions", None)) == 1


def test_the_fake_has_the_extensions_signatures():
    ext = pytest.importorskip("flet_notifications")
    real = ext.LocalNotifications
    for name in ("schedule", "cancel", "get_pending_notifications", "request_permissions"):
        wanted = [p for p in inspect.signature(getattr(real, name)).parameters if p != "self"]
        ours = [
            p
            for p, v in inspect.signature(getattr(FakeNotifications, name)).parameters.items()
            if p != "self" and v.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        assert wanted[: len(ours)] == ours, name
        assert inspect.iscoroutinefunction(getattr(real, name)), name
    assert {f for f in ext.PendingNotification.__dataclass_fields__} >= {
        "id",
        "title",
        "body",
        "payload",
    }
    modes = {m.name for m in ext.AndroidScheduleMode}
    assert {"EXACT_ALLOW_WHILE_IDLE", "INEXACT_ALLOW_WHILE_IDLE"} <= modes


def test_no_local_notifications_in_a_browser_or_on_a_desktop():
    import flet as ft

    from fpv_app.ui.app import local_notifications

    @dataclass
    class Page:
        web: bool
        platform: object

    assert local_notifications(Page(True, ft.PagePlatform.ANDROID)) is None
    assert local_notifications(Page(False, ft.PagePlatform.LINUX)) is None
