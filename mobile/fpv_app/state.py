"""The app's state without a UI: the device token, the schedule (cached on disk with its age for
offline use), the filters, sign-in through the bot, sign-ups and the notifications feed.

Screens call these methods and render what they return; every failure is an `ApiError` whose
words come from `fpv_app.texts.error_text`."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpv_app.client import (
    ApiError,
    AppApi,
    Channel,
    MyTraining,
    Notification,
    Profile,
    SignInStarted,
    SignUp,
    Training,
    TrainingCard,
)
from fpv_app.config import AppConfig


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Schedule:
    trainings: list[Training]
    cities: dict[int, dict[str, Any]]
    fetched_at: datetime
    from_cache: bool = False

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or _now()) - self.fetched_at


@dataclass
class Filters:
    city: int | None = None
    day: date | None = None
    """a day in the venue's own time zone"""
    venue: int | None = None
    free_seats: bool = False
    price: str = "any"
    """any, free or paid"""

    def match(self, t: Training) -> bool:
        if self.city is not None and t.venue.city_id != self.city:
            return False
        if self.venue is not None and t.venue.id != self.venue:
            return False
        if self.free_seats and t.seats_free <= 0:
            return False
        if self.price == "free" and t.price_kopecks > 0:
            return False
        if self.price == "paid" and t.price_kopecks == 0:
            return False
        return self.day is None or local_start(t).date() == self.day


@dataclass(frozen=True)
class Reminder:
    """A local notification a phone would schedule: 24 h and 1 h before a confirmed seat."""

    registration_id: int
    kind: str
    at: datetime
    title: str
    starts_at: datetime
    time_zone: str


REMINDERS = (("24h", timedelta(hours=24)), ("1h", timedelta(hours=1)))


def reminder_plan(trainings: list[MyTraining], now: datetime | None = None) -> list[Reminder]:
    """The reminders still ahead for my confirmed seats, soonest first (a seat awaiting payment
    or on the waitlist gets none, as in the bot)."""
    now = now or _now()
    plan = [
        Reminder(m.registration.id, kind, m.starts_at - before, m.title, m.starts_at, m.time_zone)
        for m in trainings
        if m.registration.status == "confirmed"
        for kind, before in REMINDERS
        if m.starts_at - before > now
    ]
    return sorted(plan, key=lambda r: r.at)


def local_start(t: Training) -> datetime:
    """A training's start in its venue's time zone (what the pilot reads on the venue's clock)."""
    return t.starts_at.astimezone(ZoneInfo(t.time_zone))


class ScheduleCache:
    """The last schedule the server gave, as JSON on disk: shown when the server is out of reach."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, items: list[dict[str, Any]], cities: list[dict[str, Any]], at: datetime) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"fetched_at": at.isoformat(), "items": items, "cities": cities}
        # write-then-rename: a crash never leaves half a file behind
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".schedule-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False)
        os.replace(tmp, self.path)

    def load(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], datetime] | None:
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
            return body["items"], body.get("cities", []), datetime.fromisoformat(body["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # none yet, or unreadable: as good as none


def _schedule(
    items: list[dict[str, Any]], cities: list[dict[str, Any]], at: datetime, cached: bool
) -> Schedule:
    return Schedule(
        trainings=sorted((Training.of(d) for d in items), key=lambda t: t.starts_at),
        cities={c["id"]: c for c in cities},
        fetched_at=at,
        from_cache=cached,
    )


@dataclass
class AppState:
    config: AppConfig
    token: str | None = None
    on_token: Callable[[str | None], None] | None = None
    """called when the token changes (the UI keeps it in the client's storage)"""
    language: str = "ru"
    filters: Filters = field(default_factory=Filters)
    schedule: Schedule | None = None
    sign_in: SignInStarted | None = None
    profile: Profile | None = None
    equipment: tuple[list[str], dict[str, str]] | None = None  # the platform's choices, once
    notifications: list[Notification] = field(default_factory=list)
    _seen_until: datetime | None = None
    _api: AppApi | None = None

    # --- plumbing -------------------------------------------------------------------------------
    @property
    def api(self) -> AppApi:
        if self._api is None:
            self._api = AppApi(self.config.api_url, self.token, timeout=self.config.timeout_seconds)
        return self._api

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    def _set_token(self, token: str | None) -> None:
        self.token = token
        self.api.token = token
        if token is None:
            self.profile = None
            self.notifications = []
            self._seen_until = None
        if self.on_token is not None:
            self.on_token(token)

    def _authed(self, call: Callable[[], Any]) -> Any:
        """Run a call that needs the token; a 401 means this device was signed out elsewhere."""
        try:
            return call()
        except ApiError as exc:
            if exc.code == "unauthorized" and self.token is not None:
                self._set_token(None)
            raise

    @property
    def cache(self) -> ScheduleCache:
        return ScheduleCache(self.config.data_dir / "schedule.json")

    # --- schedule -------------------------------------------------------------------------------
    def load_schedule(self) -> Schedule:
        """Fresh from the server (and cached), or the cached one with its age when the server
        cannot be reached; ApiError when neither."""
        try:
            items = self.api.schedule_raw()
            cities = self.api.cities_raw()
        except ApiError as exc:
            if not exc.is_network and exc.code != "server":
                raise
            cached = self.cache.load()
            if cached is None:
                raise
            self.schedule = _schedule(*cached, cached=True)
            return self.schedule
        at = _now()
        self.cache.save(items, cities, at)
        self.schedule = _schedule(items, cities, at, cached=False)
        return self.schedule

    def visible(self) -> list[Training]:
        if self.schedule is None:
            return []
        return [t for t in self.schedule.trainings if self.filters.match(t)]

    def venues(self) -> dict[int, Any]:
        """Venues of the schedule (respecting the city filter), with their next training."""
        found: dict[int, Any] = {}
        for t in self.schedule.trainings if self.schedule else []:
            if self.filters.city is not None and t.venue.city_id != self.filters.city:
                continue
            if t.venue.id not in found:
                found[t.venue.id] = (t.venue, t)
        return found

    def days(self) -> list[date]:
        return sorted(
            {local_start(t).date() for t in self.schedule.trainings} if self.schedule else set()
        )

    # --- sign-in through the bot ----------------------------------------------------------------
    def start_sign_in(self) -> SignInStarted:
        self.sign_in = self.api.start_sign_in(self.config.device_name)
        return self.sign_in

    def poll_sign_in(self) -> bool:
        """True once the pilot confirmed in Telegram (the token is kept); False while waiting;
        ApiError sign_in_over when the link expired (start again)."""
        if self.sign_in is None:
            raise ApiError("sign_in_over", None, "no sign-in started")
        try:
            token = self.api.exchange(self.sign_in)
        except ApiError as exc:
            if exc.code == "pending":
                return False
            if exc.code in ("sign_in_over", "not_found"):
                self.sign_in = None
                raise ApiError("sign_in_over", exc.status, exc.detail) from None
            raise
        self.sign_in = None
        self._set_token(token)
        self.load_profile()
        return True

    def sign_out(self) -> None:
        try:
            if self.token:
                self.api.sign_out()
        except ApiError as exc:
            if not exc.is_network and exc.code != "unauthorized":
                raise
        finally:
            self._set_token(None)

    # --- profile --------------------------------------------------------------------------------
    def load_profile(self) -> Profile:
        self.profile = self._authed(self.api.me)
        if self.profile.language in ("ru", "en"):
            self.language = self.profile.language
        return self.profile

    def equipment_choices(self) -> tuple[list[str], dict[str, str]]:
        """(analog band codes, digital system id → name) for the profile, asked once."""
        if self.equipment is None:
            self.equipment = self.api.equipment_choices()
        return self.equipment

    def update_profile(self, **changes: Any) -> Profile:
        self.profile = self._authed(lambda: self.api.update_me(**changes))
        if self.profile.language in ("ru", "en"):
            self.language = self.profile.language
        return self.profile

    def delete_account(self) -> None:
        self._authed(self.api.delete_me)
        self._set_token(None)

    def devices(self) -> list[Any]:
        return self._authed(self.api.devices)

    def revoke_device(self, device_id: int, current: bool) -> None:
        self._authed(lambda: self.api.revoke_device(device_id))
        if current:
            self._set_token(None)

    # --- trainings ------------------------------------------------------------------------------
    def training(self, training_id: int) -> TrainingCard:
        return self._authed(lambda: self.api.training(training_id))

    def sign_up(self, training_id: int, channel_mhz: int | None = None) -> SignUp:
        """A seat, automatic channel or the one chosen; a paid seat carries the Telegram invoice
        link to open."""
        return self._authed(lambda: self.api.sign_up(training_id, channel_mhz))

    def my_trainings(self) -> list[MyTraining]:
        return self._authed(self.api.my_trainings)

    def reminders(self) -> list[Reminder]:
        """What a phone schedules as local notifications (see README "Mobile app")."""
        return reminder_plan(self.my_trainings())

    def cancel(self, registration_id: int) -> bool:
        return self._authed(lambda: self.api.cancel(registration_id))

    def change_channel(self, registration_id: int, channel_mhz: int) -> Channel:
        return self._authed(lambda: self.api.change_channel(registration_id, channel_mhz))

    # --- notifications --------------------------------------------------------------------------
    def poll_notifications(self) -> list[Notification]:
        """The feed (newest first) kept in `notifications`; returns those not seen before (none on
        the first poll: what happened before the app opened is not news)."""
        items = self._authed(self.api.notifications)
        first = self._seen_until is None
        fresh = [n for n in items if self._seen_until is None or n.at > self._seen_until]
        if items:
            self._seen_until = max(n.at for n in items)
        elif first:
            self._seen_until = datetime.min.replace(tzinfo=UTC)
        self.notifications = items
        return [] if first else fresh
