"""Fires the template's schedules (rate(...) and cron(...)) in-process, as EventBridge would."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fpv.local.template import Schedule

log = logging.getLogger("fpv.local.scheduler")
_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    m = _RATE.fullmatch(expression.strip())
    return int(m[1]) * _UNITS[m[2].rstrip("s")] if m else None


def _field_matches(spec: str, value: int, names: dict[str, int] | None = None) -> bool:
    if spec in ("*", "?"):
        return True
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step_s = part.split("/", 1)
            step = int(step_s)
        if part in ("*", ""):
            lo, hi = 0, 10_000
        elif "-" in part:
            a, b = part.split("-", 1)
            lo, hi = _num(a, names), _num(b, names)
        else:
            lo = hi = _num(part, names)
            if step != 1:
                hi = 10_000
        if lo <= value <= hi and (value - lo) % step == 0:
            return True
    return False


def _num(token: str, names: dict[str, int] | None) -> int:
    if names and token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise ValueError(
            f"unsupported cron token {token!r} (the local runner knows *, ?, lists, ranges, steps)"
        )
    return int(token)


_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MON = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}


def cron_matches(expression: str, at: datetime) -> bool:
    """AWS cron: minutes hours day-of-month month day-of-week(1=SUN) year, in UTC."""
    body = expression.strip()[len("cron(") : -1].split()
    if len(body) != 6:
        raise ValueError(f"{expression}: AWS cron has 6 fields")
    minute, hour, dom, month, dow, year = body
    aws_dow = (at.isoweekday() % 7) + 1
    # Every field is evaluated (no short-circuit) so an unsupported token is reported at once.
    checks = [
        _field_matches(minute, at.minute),
        _field_matches(hour, at.hour),
        _field_matches(dom, at.day),
        _field_matches(month, at.month, _MON),
        _field_matches(dow, aws_dow, _DOW),
        _field_matches(year, at.year),
    ]
    return all(checks)


def validate(schedule: Schedule) -> None:
    if rate_seconds(schedule.expression) is None:
        cron_matches(schedule.expression, datetime.now(UTC))  # raises on what we cannot run


class LocalScheduler:
    def __init__(
        self, schedules: list[Schedule], fire: Callable[[Schedule, dict[str, Any]], Any]
    ) -> None:
        self._schedules = [s for s in schedules if s.enabled]
        for s in self._schedules:
            validate(s)
        self._fire = fire
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run_one(self, schedule: Schedule) -> None:
        try:
            self._fire(schedule, dict(schedule.event))
        except Exception:  # a failing job must not stop the others (EventBridge would retry)
            log.exception("scheduled %s failed", schedule.name)

    def _loop(self) -> None:
        start = datetime.now(UTC)
        next_rate = {
            s.name: start + timedelta(seconds=rate_seconds(s.expression) or 0)
            for s in self._schedules
            if rate_seconds(s.expression)
        }
        last_minute = None
        while not self._stop.wait(1.0):
            now = datetime.now(UTC)
            minute = now.replace(second=0, microsecond=0)
            for s in self._schedules:
                period = rate_seconds(s.expression)
                if period:
                    if now >= next_rate[s.name]:
                        next_rate[s.name] = now + timedelta(seconds=period)
                        self._run_one(s)
                elif minute != last_minute and cron_matches(s.expression, minute):
                    self._run_one(s)
            last_minute = minute

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fpv-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
