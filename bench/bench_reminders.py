"""10,000 reminders due at once: all delivered exactly once, never faster than Telegram allows.

Real PostgreSQL, python-telegram-bot over real HTTP to the fake Bot API, the production
delivery code (claims, rate limiter, outcomes). Time is a ScaledClock: one virtual second lasts
1/scale real seconds, so the ~400 virtual seconds that 10,000 messages need at 25/s take a few
real seconds. The scale is chosen from the unthrottled pipeline's own speed, measured first
(the baseline), with room to spare (a busy machine slows the pipeline during the run), so the
limiter and not the machine sets the pace.

Figures: virtual duration vs. the ideal 10,000 / 25 = 400 s; the most messages in any one
virtual second (by the limiter's grants and by arrival at the fake server); the smallest gap
between two messages to the same chat (200 pilots get two reminders each); duplicates and
losses (both must be 0).

Database: TEST_DATABASE_URL or DATABASE_URL (a temporary database is created on that server),
else the embedded PostgreSQL under .fpv/bench-pgdata.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bench.support import temporary_database

PILOTS = 9_800
TWICE = 200  # pilots with two trainings that day: two reminders to one chat
REMINDERS = PILOTS + TWICE
PER_SECOND = 25.0
HEADROOM = 0.5  # virtual 25/s may need at most half of what the whole delivery can do


def _seed(db, starts_at: datetime, pilots: int = PILOTS, twice: int = TWICE) -> int:
    """Set-based: one confirmed seat per pilot in 200-seat trainings starting at `starts_at`,
    booked days ago, plus a second training for the first `twice` pilots. Channels: 8 per
    heat, 25 heats of 8 in a 200-seat training. Returns the number of reminders due."""
    groups = -(-pilots // 200)
    with db.transaction() as tx:
        tx.execute("INSERT INTO cities (slug, name_ru, name_en) VALUES ('msk', 'Москва', 'Moscow')")
        tx.execute(
            "INSERT INTO venues (city_id, slug, name, address, time_zone, latitude, longitude)"
            " SELECT id, 'hall', 'Манеж', 'Лужнецкая наб., 24', 'Europe/Moscow', 55.7, 37.5"
            " FROM cities"
        )
        tx.execute(
            "INSERT INTO trainings (venue_id, title, starts_at, ends_at, capacity)"
            " SELECT v.id, 'Гонка ' || g, :s, CAST(:s AS timestamptz) + interval '3 hours', 200"
            " FROM venues v, generate_series(1, :n) g",
            s=starts_at,
            n=groups + 1,
        )
        tx.execute(
            "INSERT INTO pilots (telegram_id, nickname, language, created_at)"
            " SELECT 700000000 + g, 'pilot' || g, CASE WHEN g % 3 = 0 THEN 'en' ELSE 'ru' END,"
            " now() - interval '30 days' FROM generate_series(1, :n) g",
            n=pilots,
        )
        # pilot k sits in training k % groups (200 each at most); the first `twice` pilots are
        # also in the last training: those chats get two reminders
        tx.execute(
            "WITH seats AS ("
            "  SELECT p.id AS pilot_id, t.id AS training_id,"
            "   row_number() OVER (PARTITION BY t.id ORDER BY p.id) - 1 AS rn"
            "  FROM pilots p JOIN LATERAL (SELECT id FROM trainings ORDER BY id"
            "   OFFSET (p.id % :groups) LIMIT 1) t ON true"
            "  UNION ALL"
            "  SELECT p.id, (SELECT id FROM trainings ORDER BY id OFFSET :groups LIMIT 1),"
            "   row_number() OVER (ORDER BY p.id) - 1"
            "  FROM (SELECT id FROM pilots ORDER BY id LIMIT :twice) p)"
            " INSERT INTO registrations (training_id, pilot_id, status, channel_mhz,"
            "  channel_label, heat, created_at)"
            " SELECT training_id, pilot_id, 'confirmed',"
            "  (ARRAY[5658,5695,5732,5769,5806,5843,5880,5917])[rn % 8 + 1],"
            "  'R' || (rn % 8 + 1), rn / 8 + 1, now() - interval '3 days' FROM seats",
            twice=twice,
            groups=groups,
        )
        total = tx.value("SELECT count(*) FROM registrations")
    assert total == pilots + twice, total
    return total


async def _raw_rate(base_url: str, token: str, count: int = 1000, in_flight: int = 16) -> float:
    """Baseline: unthrottled sendMessage throughput of this machine (PTB -> fake server)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    bot = Bot(token, base_url=f"{base_url}/bot", request=HTTPXRequest(64))
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with gate:
            await bot.send_message(chat_id=1 + i, text="baseline")

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    elapsed = time.perf_counter() - started
    await bot.shutdown()
    return count / elapsed


def _max_per_window(times: list[float], window: float = 1.0) -> int:
    """Most events in any half-open window [t, t + window) (1 µs tolerance for float sums)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window - 1e-6:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _fake_server_process(conn) -> None:
    """The fake Bot API in its own process: in ours it would compete for the GIL with the code
    under test and distort both its speed and the arrival times. Sends back (chat_id, arrival)
    of every sendMessage when told to stop (time.monotonic is system-wide on Linux)."""
    from fpv.local.fake_telegram import FakeTelegram

    with FakeTelegram() as fake:
        conn.send((fake.base_url, fake.token))
        while True:
            command = conn.recv()
            calls = [(c.chat_id, c.at) for c in fake.calls_to("sendMessage")]
            if command == "clear":
                fake.clear()
                conn.send(len(calls))
            else:
                conn.send(calls)
                return


@contextlib.contextmanager
def _fake_telegram() -> Iterator[tuple[str, str, object]]:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(target=_fake_server_process, args=(theirs,), daemon=True)
    process.start()
    try:
        base_url, token = ours.recv()
        yield base_url, token, ours
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


async def _deliver(db, base_url: str, token: str, clock, policy=None):
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from fpv.jobs.reminders import deliver_due_reminders

    bot = Bot(token, base_url=f"{base_url}/bot", request=HTTPXRequest(64))
    try:
        return await deliver_due_reminders(db, bot, clock=clock, policy=policy, record_grants=True)
    finally:
        await bot.shutdown()


def _pipeline_rate(base_url: str, token: str, virtual_start: datetime) -> float:
    """Baseline: the whole delivery (claims, database writes, HTTP) with the overall limit
    lifted, on 1,000 reminders in a database of its own; messages per real second."""
    from fpv.db import Database
    from fpv.jobs.clock import ScaledClock
    from fpv.jobs.reminders import DeliveryPolicy
    from fpv.migrate import migrate

    with temporary_database("fpv_bench_rem") as url:
        db = Database(url)
        migrate(db)
        n = _seed(db, virtual_start + timedelta(hours=24) - timedelta(minutes=1), 1000, 0)
        started = time.perf_counter()
        report = asyncio.run(
            _deliver(
                db, base_url, token, ScaledClock(1, virtual_start), DeliveryPolicy(per_second=1e6)
            )
        )
        elapsed = time.perf_counter() - started
        db.close()
    assert report.sent == n
    return n / elapsed


def main() -> None:
    from fpv.db import Database
    from fpv.jobs.clock import ScaledClock
    from fpv.migrate import migrate

    virtual_start = datetime(2030, 6, 14, 16, 0, tzinfo=UTC)
    with temporary_database("fpv_bench_rem") as url, _fake_telegram() as (base_url, token, fake):
        raw = asyncio.run(_raw_rate(base_url, token))
        pipeline = _pipeline_rate(base_url, token, virtual_start)
        fake.send("clear")
        fake.recv()
        # below what the machine can do, so the limiter, not the machine, sets the pace
        scale = max(1.0, min(40.0, HEADROOM * pipeline / PER_SECOND))
        print(
            f"baselines (real time, no overall limit): HTTP alone {raw:.0f} msg/s,"
            f" whole delivery {pipeline:.0f} msg/s -> clock scale {scale:.1f}x"
        )

        db = Database(url)
        migrate(db)
        t0 = time.perf_counter()
        _seed(db, virtual_start + timedelta(hours=24) - timedelta(minutes=1))
        print(f"seeded {REMINDERS} confirmed seats in {time.perf_counter() - t0:.1f} s")
        clock = ScaledClock(scale, start=virtual_start)
        real_started = time.perf_counter()
        report = asyncio.run(_deliver(db, base_url, token, clock))
        real = time.perf_counter() - real_started

        fake.send("stop")
        calls = fake.recv()
        per_chat = Counter(chat for chat, _ in calls)
        grants = sorted(s for s, _ in report.grants)
        virtual = grants[-1] - grants[0]
        arrivals = sorted(clock.to_virtual(at) for _, at in calls)
        by_chat: dict[int, list[float]] = {}
        for chat, at in calls:
            by_chat.setdefault(chat or 0, []).append(clock.to_virtual(at))
        gaps = [b - a for times in by_chat.values() if len(times) > 1 for a, b in [sorted(times)]]
        with db.transaction() as tx:
            outcomes = {
                r["outcome"]: r["n"]
                for r in tx.all("SELECT outcome, count(*) AS n FROM reminders_sent GROUP BY 1")
            }
            expected = Counter(
                {
                    r["telegram_id"]: r["n"]
                    for r in tx.all(
                        "SELECT p.telegram_id, count(*) AS n FROM registrations r"
                        " JOIN pilots p ON p.id = r.pilot_id GROUP BY 1"
                    )
                }
            )
        ideal = (REMINDERS - 1) / PER_SECOND
        duplicates = sum(max(0, n - expected[c]) for c, n in per_chat.items())
        lost = sum(max(0, n - per_chat[c]) for c, n in expected.items())
        print(f"reminders due: {REMINDERS} ({TWICE} chats get two)")
        print(f"delivered: {len(calls)} messages, {report.sent} recorded sent; outcomes {outcomes}")
        print(f"exactly once: {duplicates} duplicates, {lost} lost")
        print(
            f"virtual duration {virtual:.1f} s vs ideal at 25/s {ideal:.1f} s"
            f" (ratio {virtual / ideal:.3f}); real {real:.1f} s"
        )
        print(
            f"max messages in any virtual second: grants {_max_per_window(grants)},"
            f" arrivals at the server {_max_per_window(arrivals)} (limit 25; Telegram's ~30)"
        )
        print(
            f"same-chat gaps: {len(gaps)} chats, smallest {min(gaps):.3f} virtual s"
            " (limit 1.0, by arrival)"
        )
        print(f"429s: {report.rate_limited}; released {report.released}; unknown {report.unknown}")
        db.close()


if __name__ == "__main__":
    main()
