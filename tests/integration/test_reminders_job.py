"""The every-few-minutes job: hold expiry (seats back, waitlist up, schedule-changed event),
promotion notices, idempotency purge, reminders; and its Lambda handler as the template wires
it (real PostgreSQL, fake Bot API)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot

from fpv.jobs.clock import ScaledClock
from fpv.jobs.reminders_job import JobFailed, run_reminders_job
from fpv.local.fake_telegram import FakeTelegram
from fpv.ports.events import SCHEDULE_CHANGED, InProcessEventBus
from fpv.registrations import sign_up
from tests.support.factories import make_pilot, make_training

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def bus() -> InProcessEventBus:
    return InProcessEventBus()


def run_job(db, bus, fake, at: datetime, **kw):
    async def main():
        bot = Bot(fake.token, base_url=f"{fake.base_url}/bot") if fake else None
        try:
            return await run_reminders_job(
                db, bus, clock=ScaledClock(20, start=at), sender=bot, **kw
            )
        finally:
            if bot:
                await bot.shutdown()

    return asyncio.run(main())


def _status(db, registration_id: int) -> str:
    with db.transaction() as tx:
        return tx.value("SELECT status FROM registrations WHERE id = :id", id=registration_id)


def test_expired_hold_frees_the_seat_promotes_the_waitlist_and_announces_it(db, bus, telegram):
    training = make_training(db, capacity=1, price_kopecks=90_000, starts_in=timedelta(days=3))
    make_pilot(db, 301)
    make_pilot(db, 302)
    held = sign_up(db, bus, training_id=training, telegram_id=301, hold_minutes=15)
    waiting = sign_up(db, bus, training_id=training, telegram_id=302)
    assert (held.status, waiting.status) == ("pending_payment", "waitlisted")
    bus.published.clear()
    told: list = []

    def notify(bot, promotions):
        told.append((bot, [p.telegram_id for p in promotions]))

    # ten minutes in: the hold stands
    report = run_job(
        db, bus, telegram, datetime.now(UTC) + timedelta(minutes=10), notify_promotions=notify
    )
    assert report.holds_expired == 0 and _status(db, held.registration_id) == "pending_payment"

    report = run_job(
        db, bus, telegram, datetime.now(UTC) + timedelta(minutes=16), notify_promotions=notify
    )
    assert report.holds_expired == 1 and report.promotions == 1 and report.promotions_notified
    assert _status(db, held.registration_id) == "expired"
    assert _status(db, waiting.registration_id) == "pending_payment"
    assert [e["detail-type"] for e in bus.published] == [SCHEDULE_CHANGED]
    assert bus.published[0]["detail"]["training_id"] == training
    assert told and told[0][1] == [302] and isinstance(told[0][0], Bot)
    with db.transaction() as tx:
        assert tx.value("SELECT seats_taken FROM trainings WHERE id = :id", id=training) == 1


def test_promoted_pilots_hear_it_from_the_bot(app_env, db, bus, telegram):
    from fpv.jobs.reminders_job import default_promotion_notifier

    notifier = default_promotion_notifier()
    assert notifier is not None, "fpv.bot.notifications.notify_promotions is the seam"
    training = make_training(db, capacity=1, price_kopecks=90_000, starts_in=timedelta(days=3))
    make_pilot(db, 321)
    make_pilot(db, 322, language="en")
    sign_up(db, bus, training_id=training, telegram_id=321, hold_minutes=15)
    sign_up(db, bus, training_id=training, telegram_id=322)

    report = run_job(
        db,
        bus,
        telegram,
        datetime.now(UTC) + timedelta(minutes=16),
        notify_promotions=lambda bot, promotions: notifier(bot, promotions, db=db),
    )
    assert report.promotions_notified
    assert telegram.sent_to(322) and telegram.sent_to(321) == []  # the seat went to 322


def test_expired_idempotency_records_are_purged_live_ones_kept(db, bus):
    now = datetime.now(UTC)
    with db.transaction() as tx:
        for i in range(7):
            tx.execute(
                "INSERT INTO processed_updates (scope, key, expires_at) VALUES ('t', :k, :e)",
                k=f"old{i}",
                e=now - timedelta(minutes=1),
            )
        tx.execute(
            "INSERT INTO processed_updates (scope, key, expires_at) VALUES ('t', 'live', :e)",
            e=now + timedelta(days=1),
        )
    report = run_job(db, bus, None, now)
    assert report.idempotency_purged == 7 and report.reminders is None
    with db.transaction() as tx:
        assert [r["key"] for r in tx.all("SELECT key FROM processed_updates")] == ["live"]


def test_a_failing_step_does_not_stop_the_others_but_fails_the_job(db, bus, telegram):
    training = make_training(db, capacity=1, price_kopecks=90_000, starts_in=timedelta(days=3))
    make_pilot(db, 311)
    make_pilot(db, 312)
    sign_up(db, bus, training_id=training, telegram_id=311, hold_minutes=15)
    sign_up(db, bus, training_id=training, telegram_id=312)
    # and a reminder that is due
    soon = make_training(db, starts_in=timedelta(hours=23, minutes=58))
    make_pilot(db, 313)
    reg = sign_up(db, bus, training_id=soon, telegram_id=313).registration_id
    with db.transaction() as tx:  # signed up two days ago
        tx.execute(
            "UPDATE registrations SET created_at = now() - interval '2 days' WHERE id = :id",
            id=reg,
        )

    def broken_notifier(bot, promotions):
        raise RuntimeError("notifier is broken")

    with pytest.raises(JobFailed, match="promotion notices: RuntimeError") as failed:
        run_job(
            db,
            bus,
            telegram,
            datetime.now(UTC) + timedelta(minutes=16),
            notify_promotions=broken_notifier,
        )
    assert failed.value.report.holds_expired == 1
    assert failed.value.report.reminders.sent == 1
    assert len(telegram.calls_to("sendMessage", 313)) == 1


def _reminders_function():
    from fpv.local.invoker import FunctionInvoker
    from fpv.local.template import load_template

    template = load_template(ROOT / "template.yaml")
    fn = template.functions["RemindersFunction"]
    [schedule] = [s for s in template.schedules if s.function == fn]
    return FunctionInvoker(), fn, schedule


def test_the_handler_as_the_template_schedules_it(app_env, db, bus, telegram, monkeypatch, capsys):
    from fpv.settings import get_settings

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram.base_url)
    get_settings.cache_clear()
    training = make_training(db, starts_in=timedelta(hours=23, minutes=57))
    make_pilot(db, 401, language="en")
    reg = sign_up(db, bus, training_id=training, telegram_id=401).registration_id
    with db.transaction() as tx:
        tx.execute(
            "UPDATE registrations SET created_at = now() - interval '3 days' WHERE id = :id",
            id=reg,
        )

    invoker, fn, schedule = _reminders_function()
    assert schedule.expression == "rate(5 minutes)"
    result = invoker.invoke(fn, schedule.event)
    assert result["reminders"]["sent"] == 1
    [call] = telegram.calls_to("sendMessage", 401)
    assert "is tomorrow" in call.text
    emf = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert any("RemindersSent" in m for m in emf)

    # the next run five minutes later has nothing to send
    assert invoker.invoke(fn, schedule.event)["reminders"]["sent"] == 0


def test_the_handler_without_a_bot_token_still_expires_holds(app_env, db, bus, monkeypatch):
    from fpv.settings import get_settings

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    invoker, fn, schedule = _reminders_function()
    result = invoker.invoke(fn, schedule.event)
    assert result["reminders"] is None and result["errors"] == []
