"""Injectable time for the scheduled jobs.

Every wait and every "now" in the jobs goes through a `Clock`, so tests and benchmarks can run
minutes of Telegram pacing in milliseconds (ScaledClock) or deterministically (ManualClock)
without sleeps or patched globals.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC (what the database compares against)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for pacing."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Virtual time running `scale` times faster than real time, starting at `start`.

    One virtual second lasts 1/scale real seconds; `to_virtual()` maps a real monotonic
    reading (e.g. the fake Bot API's arrival stamps) onto the virtual scale."""

    def __init__(self, scale: float, start: datetime | None = None) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._start = start or datetime.now(UTC)
        self._real0 = time.monotonic()

    def to_virtual(self, real_monotonic: float) -> float:
        return (real_monotonic - self._real0) * self.scale

    def monotonic(self) -> float:
        return self.to_virtual(time.monotonic())

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


class ManualClock:
    """Virtual time for deterministic tests: it moves only when every task is waiting on it,
    straight to the earliest wake-up (a small discrete-event scheduler on top of asyncio).
    Suits code whose only waits are this clock's sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2030, 1, 1, tzinfo=UTC)
        self._t = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._t)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        wake: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (self._t + seconds, next(self._seq), wake))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive())
        await wake

    async def _drive(self) -> None:
        while self._sleepers:
            for _ in range(50):  # let every runnable task reach its next sleep first
                await asyncio.sleep(0)
            target, _, wake = heapq.heappop(self._sleepers)
            self._t = max(self._t, target)
            if not wake.done():
                wake.set_result(None)
