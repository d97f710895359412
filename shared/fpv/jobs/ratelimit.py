"""Pacing for the Bot API: ~25 messages/s overall, one per second per chat, 429 pauses.

Sends are booked as time slots: a slot is at least 1/per_second away from every other booked
slot and at least `per_chat_interval` away from the same chat's other slots. Booking is plain
arithmetic without an await in between, so concurrent senders cannot both take a slot, and a
chat that must wait does not hold up the other chats (their slots fill the gaps). A 429 pauses
everyone: slots inside the pause are re-booked after it.

The gate right before each request checks the grants actually made: at most `per_second` in
any one-second window, at least 3/4 of a slot after the previous grant, `per_chat_interval`
since the chat's last one. A window, not a full slot's gap after the previous grant: with such
a gap every sender that woke a little late (a busy event loop, a slow database write) pushed
all later ones back by as much, and time lost was never made up (21 instead of 25 messages/s
over 10,000 reminders). Now the senders after a late one catch up, at most a third faster
than the slots and never past the window.
"""

from __future__ import annotations

import bisect
import math
from collections import deque

from fpv.jobs.clock import Clock

_EPS = 1e-9
CATCH_UP = 0.75  # least gap between two grants, in slots (catching up after a late sender)


class TelegramRateLimiter:
    def __init__(
        self, clock: Clock, *, per_second: float = 25.0, per_chat_interval: float = 1.0
    ) -> None:
        if per_second <= 0 or per_chat_interval < 0:
            raise ValueError("rates must be positive")
        self.clock = clock
        self.spacing = 1.0 / per_second
        self.per_chat_interval = per_chat_interval
        self._slots: list[float] = []  # booked global slots, sorted
        self._chat_slots: dict[int, list[float]] = {}
        self._paused_until = -math.inf
        self.per_window = max(1, math.floor(per_second + _EPS))  # grants in any 1 s window
        self._grants: deque[float] = deque([-math.inf])  # the last second's grants, in order
        self._chat_grants: dict[int, float] = {}
        self.pauses = 0

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> None:
        """Telegram said 429 retry_after=seconds: nobody sends before then."""
        self.pauses += 1
        self._paused_until = max(self._paused_until, self.clock.monotonic() + seconds)

    def _prune(self, now: float) -> None:
        keep = bisect.bisect_left(self._slots, now - self.spacing)
        del self._slots[:keep]
        horizon = now - self.per_chat_interval
        for chat in [c for c, s in self._chat_slots.items() if not s or s[-1] < horizon]:
            del self._chat_slots[chat]
            self._chat_grants.pop(chat, None)

    @staticmethod
    def _conflict(slots: list[float], t: float, gap: float) -> float | None:
        """The latest booked slot closer than `gap` to t, if any."""
        i = bisect.bisect_right(slots, t + gap - _EPS)
        if i and slots[i - 1] > t - gap + _EPS:
            return slots[i - 1]
        return None

    def reserve(self, chat_id: int, now: float) -> float:
        """Book the earliest slot allowed for this chat at or after `now`."""
        self._prune(now)
        chat = self._chat_slots.setdefault(chat_id, [])
        t = max(now, self._paused_until)
        while True:
            clash = self._conflict(self._slots, t, self.spacing)
            if clash is not None:
                t = clash + self.spacing
                continue
            clash = self._conflict(chat, t, self.per_chat_interval)
            if clash is not None:
                t = clash + self.per_chat_interval
                continue
            break
        bisect.insort(self._slots, t)
        bisect.insort(chat, t)
        return t

    def _release(self, chat_id: int, slot: float) -> None:
        for slots in (self._slots, self._chat_slots.get(chat_id, [])):
            i = bisect.bisect_left(slots, slot)
            if i < len(slots) and slots[i] == slot:
                del slots[i]

    async def wait_turn(self, chat_id: int) -> float:
        """Book a slot for this chat and sleep until it (booked again if a 429 pause started
        meanwhile). Returns the slot. Spreads senders out; `gate` has the final word."""
        while True:
            now = self.clock.monotonic()
            slot = self.reserve(chat_id, now)
            await self.clock.sleep(slot - now)
            if slot >= self._paused_until:
                return slot
            self._release(chat_id, slot)

    async def gate(self, chat_id: int) -> float:
        """Right before the request: wait until the limits hold against the grants actually
        made (fewer than `per_window` in the last second, the chat's interval, no pause),
        record the grant and return its time."""
        while True:
            t = self.clock.monotonic()
            grants = self._grants
            while len(grants) > 1 and t - grants[0] >= 1.0 - _EPS:
                grants.popleft()  # (the latest grant stays: the catch-up gap counts from it)
            wait = max(
                grants[0] + 1.0 - t if len(grants) >= self.per_window else 0.0,
                grants[-1] + CATCH_UP * self.spacing - t,
                self._chat_grants.get(chat_id, -math.inf) + self.per_chat_interval - t,
                self._paused_until - t,
            )
            if wait <= _EPS:
                grants.append(t)
                self._chat_grants[chat_id] = t
                return t
            await self.clock.sleep(wait)

    async def acquire(self, chat_id: int) -> float:
        """wait_turn + gate: returns the grant time (on the clock's monotonic scale)."""
        await self.wait_turn(chat_id)
        return await self.gate(chat_id)
