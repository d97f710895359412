"""60 pilots race for the last 8 seats through the real webhook handler.

Twelve "warm containers" (each its own WebhookService: event loop, PTB Application, database
connection) run in parallel threads, as Lambda scales out; each gets five pilots' sign-up
button presses at the same moment. Real PostgreSQL, real HTTP to the fake Bot API server.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

from fpv.bot.deps import BotDeps
from fpv.bot.webhook import WebhookService
from fpv.db import Database
from fpv.local.fake_telegram import FakeTelegram
from fpv.ports.events import SCHEDULE_CHANGED, InProcessEventBus
from fpv.registrations import sign_up
from tests.support.bot import WEBHOOK_SECRET, callback_update
from tests.support.factories import make_pilot, make_training

CONTAINERS = 12
PILOTS = 60
CAPACITY = 10
ALREADY_SEATED = 2  # so 8 seats are left


def test_sixty_pilots_race_for_the_last_eight_seats(db_url, db):
    training = make_training(db, capacity=CAPACITY)
    bus = InProcessEventBus()
    for i in range(ALREADY_SEATED):
        make_pilot(db, 800_000 + i)
        sign_up(db, bus, training_id=training, telegram_id=800_000 + i)
    racers = [810_000 + i for i in range(PILOTS)]
    for telegram_id in racers:
        make_pilot(db, telegram_id)

    with FakeTelegram() as fake:
        services = [
            WebhookService(
                deps=BotDeps(db=Database(db_url), bus=bus),
                token=fake.token,
                api_base_url=fake.base_url,
                secret=WEBHOOK_SECRET,
            )
            for _ in range(CONTAINERS)
        ]
        barrier = threading.Barrier(CONTAINERS)
        results: list[tuple[int, str]] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def container(index: int) -> None:
            service = services[index]
            mine = racers[index::CONTAINERS]
            try:
                barrier.wait(timeout=30)
                for telegram_id in mine:
                    update = callback_update(telegram_id, f"su:{training}:0")
                    result = service.handle(
                        {"x-telegram-bot-api-secret-token": WEBHOOK_SECRET},
                        json.dumps(update),
                    )
                    with lock:
                        results.append((result.status, result.outcome))
            except BaseException as exc:
                errors.append(exc)
            finally:
                service.close()
                service.db.close()

        threads = [threading.Thread(target=container, args=(i,)) for i in range(CONTAINERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        assert Counter(results) == {(200, "processed"): PILOTS}

        with db.transaction(readonly=True) as tx:
            rows = tx.all(
                "SELECT p.telegram_id, r.status, r.heat, r.channel_mhz FROM registrations r"
                " JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :t",
                t=training,
            )
            seats_taken = tx.value("SELECT seats_taken FROM trainings WHERE id = :t", t=training)
        raced = [r for r in rows if r["telegram_id"] in set(racers)]
        winners = [r for r in raced if r["status"] == "confirmed"]
        assert len(winners) == CAPACITY - ALREADY_SEATED  # exactly 8 win
        assert sum(r["status"] == "waitlisted" for r in raced) == PILOTS - len(winners)
        seated = [(r["heat"], r["channel_mhz"]) for r in rows if r["status"] == "confirmed"]
        assert len(seated) == CAPACITY == seats_taken
        assert len(set(seated)) == len(seated)  # no channel used twice in a heat
        per_pilot = Counter(r["telegram_id"] for r in rows)
        assert set(per_pilot.values()) == {1}  # nobody double-booked

        # every pilot was told exactly one outcome, and winners were told their channel
        for row in raced:
            told = [c.text for c in fake.sent_to(row["telegram_id"])]
            assert len(told) == 1, told
            if row["status"] == "confirmed":
                assert f"{row['channel_mhz']} МГц" in told[0]
            else:
                assert "листе ожидания" in told[0]
        changes = [e for e in bus.published if e["detail-type"] == SCHEDULE_CHANGED]
        assert len(changes) == ALREADY_SEATED + PILOTS
