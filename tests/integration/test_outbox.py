"""The outbox (DESIGN §8): effects queued in the commit that caused them reach the world at least
once, and a failure after the commit loses nothing — tested through the real webhook, the fake
Bot API over HTTP, real PostgreSQL and the outbox worker function as the template schedules it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpv import delivery, outbox
from fpv.local.fake_telegram import FakeTelegram
from fpv.payments.botapi import BotApi
from fpv.payments.config import PaymentConfig
from fpv.ports.events import InProcessEventBus
from fpv.registrations import cancel, delete_person, sign_up
from tests.integration.test_payments_harness import successful_payment_update
from tests.support.bot import BotPlatform, bot_platform
from tests.support.factories import make_pilot, make_training

ROOT = Path(__file__).resolve().parents[2]
A, B = 880_001, 880_002
PRICE = 90_000
CONFIG = PaymentConfig(provider="yookassa", provider_token="381764678:TEST:outbox", hold_minutes=15)


@pytest.fixture
def telegram():
    with FakeTelegram() as fake:
        yield fake


def ports_for(telegram: FakeTelegram, bus=None) -> outbox.Deliverers:
    return delivery.deliverers(
        bus=bus, bot_api=BotApi(telegram.token, telegram.base_url, timeout=5), payment_config=CONFIG
    )


def rows(db) -> list[dict]:
    with db.transaction(readonly=True) as tx:
        return tx.all("SELECT id, kind, outcome, attempts, telegram_id FROM outbox ORDER BY id")


def test_a_sign_up_commits_its_invoice_with_the_seat_and_a_5xx_only_delays_it(db, telegram):
    training = make_training(db, price_kopecks=PRICE)
    make_pilot(db, A)
    bus = InProcessEventBus()
    result = sign_up(db, bus, training_id=training, telegram_id=A)
    [invoice_row] = [r for r in rows(db) if r["kind"] == "telegram.invoice"]
    assert list(result.outbox_ids) == [invoice_row["id"]]
    # the "schedule changed" event went out after the commit, through the outbox
    assert [r["outcome"] for r in rows(db) if r["kind"] == "event"] == ["delivered"]
    assert [e["detail"]["reason"] for e in bus.published] == ["sign_up"]

    telegram.fail("sendInvoice", error_code=502, description="Bad Gateway")
    ports = ports_for(telegram)
    first = delivery.send(db, ports, list(result.outbox_ids))
    assert (first.retried, first.delivered) == (1, 0)
    assert delivery.send(db, ports, list(result.outbox_ids)).delivered == 0  # not due yet
    later = datetime.now(UTC) + timedelta(minutes=1)
    report = outbox.deliver(db, ports, now=later)
    assert report.delivered == 1
    assert len(telegram.calls_to("sendInvoice", A)) == 2  # the failed try and the good one
    assert outbox.deliver(db, ports, now=later + timedelta(hours=1)).delivered == 0


def test_two_workers_deliver_each_row_once(db, telegram):
    make_pilot(db, A)
    with db.transaction() as tx:
        for n in range(40):
            outbox.message(tx, A, f"notice {n}")
    ports = ports_for(telegram)
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        while outbox.deliver(db, ports, limit=3).ids:
            pass

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    texts = sorted(c.text for c in telegram.calls_to("sendMessage", A))
    assert texts == sorted(f"notice {n}" for n in range(40))
    assert {r["outcome"] for r in rows(db)} == {"delivered"}


def test_blocked_bad_request_and_skipped(db, telegram):
    training = make_training(db, price_kopecks=PRICE)
    make_pilot(db, A)
    make_pilot(db, B)
    telegram.block(A)
    telegram.fail("sendMessage", chat_id=B, error_code=400, description="Bad Request: chat gone")
    bus = InProcessEventBus()
    held = sign_up(db, bus, training_id=training, telegram_id=B)
    cancel(db, bus, registration_id=held.registration_id, telegram_id=B)  # no longer held
    with db.transaction() as tx:
        blocked = outbox.message(tx, A, "hello")
        bad = outbox.message(tx, B, "hello")
    report = delivery.send(db, ports_for(telegram), [blocked, bad, *held.outbox_ids])
    assert (report.blocked, report.failed, report.skipped, report.retried) == (1, 1, 1, 0)
    assert telegram.calls_to("sendInvoice") == []  # a seat no longer held gets no invoice
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT reachable FROM pilots WHERE telegram_id = :t", t=A) is False


def test_an_event_the_bus_refused_is_published_by_the_worker(db):
    class FlakyBus(InProcessEventBus):
        failures = 1

        def publish(self, detail_type, detail):
            if self.failures:
                self.failures -= 1
                raise RuntimeError("ThrottlingException")
            super().publish(detail_type, detail)

    bus = FlakyBus()
    training = make_training(db)
    make_pilot(db, A)
    sign_up(db, bus, training_id=training, telegram_id=A)  # the sign-up itself succeeds
    assert bus.published == []
    report = outbox.deliver(
        db, outbox.Deliverers(bus=bus), now=datetime.now(UTC) + timedelta(minutes=1)
    )
    assert report.delivered == 1
    assert [e["detail"] for e in bus.published] == [{"training_id": training, "reason": "sign_up"}]


def test_delete_me_drops_what_was_still_to_be_sent_to_the_person(db, telegram):
    make_pilot(db, A)
    make_pilot(db, B)
    with db.transaction() as tx:
        outbox.message(tx, A, "for A")
        outbox.message(tx, B, "for B")
    delete_person(db, InProcessEventBus(), telegram_id=A)
    # what is left for people is B's; the deletion's own "schedule changed" (the site's
    # leaderboards) names nobody
    assert [r["telegram_id"] for r in rows(db) if r["kind"] != outbox.EVENT] == [B]
    assert all(r["telegram_id"] is None for r in rows(db) if r["kind"] == outbox.EVENT)


# --- through the platform: the webhook, the bot, the worker function from the template ---------


@pytest.fixture
def platform(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("PAYMENT_PROVIDER_TOKEN", "381764678:TEST:outbox")
    with bot_platform(tmp_path, monkeypatch) as p:
        yield p


def run_worker() -> dict:
    from fpv.local.invoker import FunctionInvoker
    from fpv.local.template import load_template

    template = load_template(ROOT / "template.yaml")
    fn = template.functions["OutboxWorkerFunction"]
    [schedule] = [s for s in template.schedules if s.function == fn]
    assert schedule.expression == "rate(1 minute)"
    return FunctionInvoker().invoke(fn, schedule.event)


def onboard(p: BotPlatform, telegram_id: int, training: int, nickname: str):
    chat = p.chat(telegram_id)
    chat.send(f"/start training_{training}")
    chat.press(f"ok:{training}")
    chat.send(nickname)
    chat.press("eqok")
    return chat


def test_an_invoice_whose_send_failed_reaches_the_pilot_once_without_them(platform):
    p = platform
    training = make_training(p.db, price_kopecks=PRICE, title="Ночная гонка")
    chat = onboard(p, A, training, "OutboxPilot")
    p.fake.fail("sendInvoice", error_code=500, description="Internal Server Error")
    chat.press(f"su:{training}:0")  # answered 200: the seat is held, the invoice is queued
    assert any("за вами до" in c.text for c in chat.sent())
    assert len(p.fake.calls_to("sendInvoice", A)) == 1  # the one that failed

    with p.db.transaction() as tx:  # the backoff has passed
        tx.execute("UPDATE outbox SET next_at = now() WHERE done_at IS NULL")
    assert run_worker()["delivered"] == 1
    assert len(p.fake.calls_to("sendInvoice", A)) == 2
    assert run_worker()["delivered"] == 0  # exactly once
    assert len(p.fake.calls_to("sendInvoice", A)) == 2

    # "My trainings" offers Pay for the held seat; signing up again sends the invoice again
    chat.press("my")
    [pay] = [b for b in chat.buttons() if b.startswith("pay:")]
    chat.press(pay)
    assert len(p.fake.calls_to("sendInvoice", A)) == 3
    chat.press(f"su:{training}:0")
    assert any("счёт ещё раз" in c.text for c in chat.new())
    assert len(p.fake.calls_to("sendInvoice", A)) == 4


def test_paid_seat_then_delete_me_then_restore_at_once(platform, pg_factory):
    """The crossing v1.0 got wrong: a pilot with a training flown and paid a month ago and an
    upcoming paid seat uses /delete_me; the upcoming seat is refunded by the venue's rule, the
    past payment is untouched; a backup and an immediate restore — of that backup, and of one
    taken before the deletion — never bring the pilot back."""
    from fpv.jobs.backup import create_backup
    from fpv.jobs.restore import restore_backup
    from fpv.jobs.store import LocalDirBackupStore
    from fpv.local.databases import temporary_databases
    from fpv.settings import get_settings
    from tests.integration.test_backup_roundtrip import table_contents

    p = platform
    store = LocalDirBackupStore(Path(get_settings().backup_url))
    upcoming = make_training(p.db, price_kopecks=PRICE, title="Кубок")
    past = make_training(p.db, price_kopecks=PRICE, title="Прошлая")
    make_pilot(p.db, B)
    chat = onboard(p, A, upcoming, "Leaver")
    for training, charge in ((past, "tg-past"), (upcoming, "tg-next")):
        chat.press(f"su:{training}:0")
        with p.db.transaction(readonly=True) as tx:
            public_id = tx.value(
                "SELECT public_id::text FROM registrations WHERE training_id = :t", t=training
            )
        paid = successful_payment_update(
            A, public_id, charge_id=charge, provider_charge_id=f"yk-{charge}", amount=PRICE
        )
        assert chat.post(paid).status_code == 200
    with p.db.transaction() as tx:  # the first one took place a month ago
        tx.execute(
            "UPDATE trainings SET starts_at = now() - interval '30 days',"
            " ends_at = now() - interval '30 days' + interval '2 hours' WHERE id = :id",
            id=past,
        )
    before = create_backup(p.db, store)  # the nightly backup, taken before the deletion

    chat.send("/delete_me")
    preview = chat.last().text
    assert "«Кубок»" in preview and "вернём" in preview and "Прошлая" not in preview
    chat.press("del")
    with p.db.transaction(readonly=True) as tx:
        payments = {
            r["training_id"]: r
            for r in tx.all("SELECT training_id, status, refund_reason, pilot_id FROM payments")
        }
        assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = :t", t=A) == 0
    assert payments[upcoming]["status"] in ("refund_pending", "refunded")
    assert payments[upcoming]["refund_reason"] == "account_deleted"
    assert (payments[past]["status"], payments[past]["refund_reason"]) == ("paid", None)
    assert all(r["pilot_id"] is None for r in payments.values())

    time.sleep(1.1)  # backups are keyed by the second
    after = create_backup(p.db, store)
    assert after.manifest_key != before.manifest_key
    with temporary_databases(pg_factory.server, 2, "fpv_restore") as (url_after, url_before):
        from fpv.db import Database

        for url, backup in ((url_after, after), (url_before, before)):
            target = Database(url)
            try:
                result = restore_backup(target, store, p.bus, which=backup.manifest_key)
                with target.transaction(readonly=True) as tx:
                    assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = :t", t=A) == 0
                    assert (
                        tx.value("SELECT count(*) FROM user_consent WHERE telegram_id = :t", t=A)
                        == 0
                    )
                if backup is after:
                    assert table_contents(target) == table_contents(p.db)
                else:
                    assert result.forgotten == 1  # from the entry written at the deletion
            finally:
                target.close()
