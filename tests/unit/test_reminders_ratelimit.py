"""Telegram pacing: 25 messages/s overall, 1/s per chat, 429 pauses (virtual time, no sleeps)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from fpv.jobs.clock import ManualClock, ScaledClock
from fpv.jobs.ratelimit import TelegramRateLimiter


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window - 1e-9:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def _acquire_all(limiter: TelegramRateLimiter, chats: list[int]) -> list[tuple[int, float]]:
    async def one(chat: int) -> tuple[int, float]:
        return chat, await limiter.acquire(chat)

    return await asyncio.gather(*(one(c) for c in chats))


def test_overall_rate_never_exceeds_25_per_second():
    clock = ManualClock()
    limiter = TelegramRateLimiter(clock, per_second=25)
    grants = asyncio.run(_acquire_all(limiter, list(range(200))))
    slots = sorted(s for _, s in grants)
    assert _max_in_window(slots) == 25
    assert min(b - a for a, b in itertools.pairwise(slots)) >= 0.04 - 1e-9
    # and it is not needlessly slow: 200 messages take 8 s, not more
    assert slots[-1] == pytest.approx(199 * 0.04)


def test_one_message_per_second_per_chat_without_holding_up_other_chats():
    clock = ManualClock()
    limiter = TelegramRateLimiter(clock, per_second=25, per_chat_interval=1.0)
    grants = asyncio.run(_acquire_all(limiter, [7, 7, 7, *range(100, 110)]))
    same_chat = sorted(s for c, s in grants if c == 7)
    others = [s for c, s in grants if c != 7]
    assert [round(b - a, 6) for a, b in itertools.pairwise(same_chat)] == [1.0, 1.0]
    assert max(others) < 0.5  # the other chats filled the gaps
    assert _max_in_window([s for _, s in grants]) <= 25


def test_a_429_pauses_everyone_and_rebooks_slots_inside_the_pause():
    clock = ManualClock()
    limiter = TelegramRateLimiter(clock, per_second=25)

    async def scenario() -> list[float]:
        first = await limiter.acquire(1)
        limiter.pause(3.0)  # Telegram: retry_after = 3
        rest = await _acquire_all(limiter, [2, 3, 4])
        return [first, *(s for _, s in rest)]

    first, *rest = asyncio.run(scenario())
    assert first == 0.0
    assert min(rest) >= 3.0
    assert limiter.pauses == 1


def test_slots_booked_before_a_pause_are_moved_after_it():
    clock = ManualClock()
    limiter = TelegramRateLimiter(clock, per_second=1)  # slots at 0, 1, 2, ...

    async def scenario() -> list[tuple[int, float]]:
        waiting = [asyncio.create_task(limiter.acquire(c)) for c in (1, 2, 3)]
        await asyncio.sleep(0)  # all three have booked (0, 1, 2) and sleep
        limiter.pause(5.0)
        return [(c, await w) for c, w in zip((1, 2, 3), waiting, strict=True)]

    slots = sorted(s for _, s in asyncio.run(scenario()))
    assert slots[0] >= 5.0  # none of the three went out inside the pause
    assert [b - a for a, b in itertools.pairwise(slots)] == [1.0, 1.0]


def test_reserve_is_plain_arithmetic():
    limiter = TelegramRateLimiter(ManualClock(), per_second=25, per_chat_interval=1.0)
    assert limiter.reserve(1, 10.0) == 10.0
    assert limiter.reserve(2, 10.0) == pytest.approx(10.04)
    assert limiter.reserve(1, 10.0) == pytest.approx(11.0)  # same chat: one second later
    assert limiter.reserve(3, 10.0) == pytest.approx(10.08)  # gap filled before it


def test_bad_limits_are_refused():
    with pytest.raises(ValueError):
        TelegramRateLimiter(ManualClock(), per_second=0)
    with pytest.raises(ValueError):
        ScaledClock(scale=0)


def test_scaled_clock_maps_real_time_onto_virtual_time():
    clock = ScaledClock(scale=100)
    before = clock.now()
    asyncio.run(clock.sleep(5))  # 5 virtual seconds = 50 ms
    assert (clock.now() - before).total_seconds() >= 5


def test_late_senders_do_not_slow_everyone_after_them():
    """Between its slot and its request each sender marks its reminder 'sending' in the
    database, one write at a time (one database thread): usually 30 ms, every tenth 100 ms.
    That is 37 ms a message on average, within the 40 ms a slot lasts, so 25/s must hold while
    the senders behind a slow write catch up (never more than 25 in a second, never closer than
    30 ms)."""
    clock = ManualClock()
    limiter = TelegramRateLimiter(clock, per_second=25)
    writes = itertools.cycle([0.03] * 9 + [0.1])
    database = asyncio.Lock()

    async def one(chat: int) -> float:
        await limiter.wait_turn(chat)
        async with database:
            await clock.sleep(next(writes))
        return await limiter.gate(chat)

    async def scenario() -> list[float]:
        return await asyncio.gather(*(one(c) for c in range(500)))

    grants = sorted(asyncio.run(scenario()))
    assert _max_in_window(grants) <= 25
    assert min(b - a for a, b in itertools.pairwise(grants)) >= 0.03 - 1e-9
    assert grants[-1] - grants[0] < 500 / 25 + 0.5
