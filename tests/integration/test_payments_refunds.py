"""Refunds against real PostgreSQL and the fake providers over HTTP: pilot cancels, a training
is cancelled, the provider is down or loses its answers, refuses, or finishes later."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from fpv.local.fake_yookassa import FakeYooKassa
from fpv.payments import ports as p
from fpv.payments.cancellation import cancel_training
from fpv.payments.config import PaymentConfig
from fpv.payments.refunds import (
    MAX_ATTEMPTS,
    POLL_PENDING,
    attempt_refund,
    cancel_with_refund,
    refund_registration,
    retry_failed_refund,
    retry_pending_refunds,
    work_refunds,
)
from fpv.payments.yookassa import YooKassaClient
from fpv.registrations import CancelTooLate, TrainingNotFound, cancel, delete_person
from fpv.texts import t
from tests.integration.test_payments_harness import (  # noqa: F401 - fixtures
    PRICE,
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
    successful_payment_update,
)

A, B, C, D, E = 820_001, 820_002, 820_003, 820_004, 820_005
REFUNDED_RU = t("payments.refund.done", "ru", amount="1\u202f500 ₽", title="Тренировка")


def paid_seat(pay: Harness, telegram_id: int, training: int | None = None, **kwargs):
    training = training or pay.paid_training(**kwargs)
    pay.pilot(telegram_id)
    held = pay.sign_up(training, telegram_id)
    _charge, provider_charge = pay.pay(held, telegram_id)
    return training, held, provider_charge


def test_pilot_cancels_before_the_cutoff_and_is_refunded(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A, cancel_cutoff_hours=12)
    result, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert result.refund_due and refund.status == "refunded"
    [payment] = pay.payments()
    assert payment["status"] == "refunded" and payment["refund_reason"] == "pilot_cancelled"
    assert payment["refunded_kopecks"] == PRICE and payment["refunded_at"] is not None
    assert pay.registration_status(held.registration_id) == "refunded"
    [post] = pay.yookassa.calls_to("POST", "/v3/refunds")
    assert post.body["payment_id"] == provider_charge
    assert post.body["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert post.headers["idempotence-key"] == str(payment["refund_key"])
    assert pay.yookassa.refunded_kopecks(provider_charge) == PRICE
    assert pay.texts_to(A)[-1] == REFUNDED_RU
    assert pay.metrics.counts[p.REFUND_SUCCEEDED] == 1


def test_pilot_cannot_cancel_after_the_cutoff_and_nothing_is_refunded(pay: Harness):
    _training, held, _ = paid_seat(pay, A, starts_in=timedelta(hours=6), cancel_cutoff_hours=12)
    with pytest.raises(CancelTooLate):
        cancel_with_refund(
            pay.db,
            pay.bus,
            pay.ports,
            registration_id=held.registration_id,
            telegram_id=A,
            now=pay.now,
        )
    assert pay.registration_status(held.registration_id) == "confirmed"
    assert [r["status"] for r in pay.payments()] == ["paid"]
    assert pay.yookassa.calls_to("POST", "/v3/refunds") == []


def test_unpaid_hold_cancelled_needs_no_refund(pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    result, refunds = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert not result.refund_due and refunds == []
    assert pay.yookassa.calls == []


def test_training_cancel_refunds_every_payer_exactly_once_and_tells_everyone(pay: Harness):
    training = pay.paid_training(capacity=4, title="Кубок")
    charges = {}
    for who in (A, B, C):
        _t, _held, charges[who] = paid_seat(pay, who, training)
    pay.pilot(D)
    hold = pay.sign_up(training, D)  # unpaid hold
    pay.pilot(E)
    pay.sign_up(training, E)  # fourth seat... capacity 4 → E holds too
    other_training, _held_other, other_charge = paid_seat(pay, 820_099)  # untouched
    pay.telegram.clear()
    published = len(pay.bus.published)

    result = cancel_training(pay.db, pay.bus, pay.ports, training_id=training, now=pay.now)
    assert result.newly_cancelled and result.registrations_cancelled == 5
    assert sorted(r.status for r in result.refunds) == ["refunded"] * 3
    assert pay.q("SELECT status FROM trainings WHERE id = :id", id=training)[0]["status"] == (
        "cancelled"
    )
    statuses = {
        r["status"]
        for r in pay.q("SELECT status FROM registrations WHERE training_id = :t", t=training)
    }
    assert statuses == {"refunded", "cancelled"}
    assert pay.registration_status(hold.registration_id) == "cancelled"
    for who in (A, B, C):
        assert len(pay.yookassa.refunds_for(charges[who])) == 1
        texts = pay.texts_to(who)
        assert texts[0].startswith("Тренировка «Кубок»") and "вернём" in texts[0]
        assert texts[1] == t("payments.refund.done", "ru", amount="1\u202f500 ₽", title="Кубок")
    for who in (D, E):  # held, never paid: told, no refund note
        [text] = pay.texts_to(who)
        assert "Кубок" in text and "вернём" not in text
    assert pay.yookassa.refunds_for(other_charge) == []
    assert [r["status"] for r in pay.payments(training_id=other_training)] == ["paid"]
    assert len(pay.bus.published) == published + 1
    [audit] = pay.q("SELECT action, target, details FROM admin_audit_log")
    assert audit["action"] == "training.cancel" and audit["target"] == f"training:{training}"
    assert audit["details"] == {"registrations": 5, "refunds": 3}

    # again (a double click, a retry): nobody is refunded or told twice
    calls = len(pay.telegram.calls)
    again = cancel_training(pay.db, pay.bus, pay.ports, training_id=training, now=pay.now)
    assert not again.newly_cancelled and again.registrations_cancelled == 0
    assert again.refunds == []
    assert len(pay.yookassa.calls_to("POST", "/v3/refunds")) == 3
    assert len(pay.telegram.calls) == calls
    assert len(pay.q("SELECT 1 FROM admin_audit_log")) == 1
    with pytest.raises(TrainingNotFound):
        cancel_training(pay.db, pay.bus, pay.ports, training_id=999_999, now=pay.now)


def test_provider_down_refund_is_retried_later_and_nothing_is_lost(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A)
    pay.yookassa.fail(times=2, status=503)
    _result, [first] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert first.status == "refund_pending"
    [payment] = pay.payments()
    assert payment["status"] == "refund_pending" and "503" in payment["refund_last_error"]
    assert payment["refund_next_at"] == pay.now + timedelta(minutes=1)

    # not due yet: the worker leaves it alone
    assert retry_pending_refunds(pay.db, pay.ports, pay.now).attempted == 0
    # due: fails again, backs off further
    report = retry_pending_refunds(pay.db, pay.ports, pay.later(minutes=1))
    assert (report.attempted, report.postponed) == (1, 1)
    assert pay.payments()[0]["refund_next_at"] == pay.now + timedelta(minutes=2)
    # the provider is back
    report = retry_pending_refunds(pay.db, pay.ports, pay.later(minutes=2))
    assert (report.attempted, report.refunded) == (1, 1)
    [payment] = pay.payments()
    assert payment["status"] == "refunded" and payment["refund_attempts"] == 3
    assert len(pay.yookassa.refunds_for(provider_charge)) == 1
    keys = {c.headers["idempotence-key"] for c in pay.yookassa.calls_to("POST", "/v3/refunds")}
    assert keys == {str(payment["refund_key"])}  # every attempt asked for the same refund
    assert pay.metrics.counts[p.REFUND_RETRIED] == 2
    assert pay.texts_to(A)[-1] == REFUNDED_RU


def test_provider_unreachable_connection_refused_then_back(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A)
    working = pay.ports.refunders
    closed = FakeYooKassa().start()
    closed_url = closed.base_url
    closed.stop()  # nothing listens there any more
    pay.ports.refunders = {
        **working,
        "yookassa": YooKassaClient("123456", "test_secret", closed_url, timeout=2),
    }
    _r, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert refund.status == "refund_pending" and "ConnectError" in (refund.detail or "")
    pay.ports.refunders = working
    report = retry_pending_refunds(pay.db, pay.ports, pay.later(minutes=5))
    assert report.refunded == 1
    assert pay.yookassa.refunded_kopecks(provider_charge) == PRICE


def test_a_lost_provider_answer_never_refunds_twice(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A)
    pay.yookassa.lose_responses(times=1)  # YooKassa refunds, but we only see a 500
    _r, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert refund.status == "refund_pending"
    assert pay.yookassa.refunded_kopecks(provider_charge) == PRICE  # the money went back already
    report = retry_pending_refunds(pay.db, pay.ports, pay.later(minutes=2))
    assert report.refunded == 1
    assert len(pay.yookassa.refunds_for(provider_charge)) == 1
    assert pay.yookassa.refunded_kopecks(provider_charge) == PRICE
    assert pay.payments()[0]["status"] == "refunded"


def test_concurrent_workers_call_the_provider_once_per_refund(pay: Harness):
    for who in (A, B, C):
        paid_seat(pay, who)
    with pay.db.transaction() as tx:  # three refunds queued (e.g. by cancellations)
        tx.execute(
            "UPDATE payments SET status = 'refund_pending', refund_key = gen_random_uuid(),"
            " refund_reason = 'manual', refund_next_at = :now",
            now=pay.now,
        )
    reports = []

    def work() -> None:
        reports.append(retry_pending_refunds(pay.db, pay.ports, pay.now))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.refunded for r in reports) == 3
    assert len(pay.yookassa.calls_to("POST", "/v3/refunds")) == 3
    assert {r["status"] for r in pay.payments()} == {"refunded"}


def test_a_refused_refund_fails_alarms_tells_the_pilot_and_can_be_retried(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A)
    payment_at_provider = pay.yookassa.payments.pop(provider_charge)  # YooKassa: no such payment
    _r, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert refund.status == "refund_failed" and refund.detail == "invalid_request"
    [payment] = pay.payments()
    assert payment["status"] == "refund_failed" and payment["refund_next_at"] is None
    assert pay.metrics.counts[p.REFUND_FAILED] == 1
    assert pay.texts_to(A)[-1] == t(
        "payments.refund.failed", "ru", amount="1\u202f500 ₽", title="Тренировка"
    )
    # the worker leaves failed refunds alone; an operator retries after fixing the cause
    assert retry_pending_refunds(pay.db, pay.ports, pay.later(hours=1)).attempted == 0
    pay.yookassa.payments[provider_charge] = payment_at_provider
    assert retry_failed_refund(pay.db, pay.ports, payment["id"], now=pay.now).status == "refunded"
    assert retry_failed_refund(pay.db, pay.ports, payment["id"], now=pay.now).status == "not_due"
    assert pay.yookassa.refunded_kopecks(provider_charge) == PRICE


def test_a_provider_unreachable_for_too_long_ends_in_refund_failed(pay: Harness):
    _training, _held, _ = paid_seat(pay, A)
    with pay.db.transaction() as tx:
        payment_id = tx.value("SELECT id FROM payments")
    pay.yookassa.fail(times=1, status=503)
    with pay.db.transaction() as tx:  # it has been failing for a long time already
        tx.execute(
            "UPDATE payments SET status = 'refund_pending', refund_key = gen_random_uuid(),"
            " refund_reason = 'pilot_cancelled', refund_next_at = :now,"
            " refund_attempts = :n",
            now=pay.now,
            n=MAX_ATTEMPTS - 1,
        )
    result = attempt_refund(pay.db, pay.ports, payment_id, now=pay.now)
    assert result.status == "refund_failed" and "gave up" in (result.detail or "")
    assert pay.metrics.counts[p.REFUND_FAILED] == 1


def test_a_refund_pending_at_the_provider_is_polled_until_final(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A)
    pay.yookassa.refund_outcome = "pending"
    _r, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert refund.status == "refund_pending"
    [payment] = pay.payments()
    [at_provider] = pay.yookassa.refunds_for(provider_charge)
    assert payment["refund_id"] == at_provider["id"]
    assert payment["refund_next_at"] == pay.now + POLL_PENDING
    assert pay.texts_to(A)[-1] != REFUNDED_RU  # not told before it is done
    assert retry_pending_refunds(pay.db, pay.ports, pay.later(minutes=5)).attempted == 0
    pay.yookassa.settle_refund(at_provider["id"], "succeeded")
    report = retry_pending_refunds(pay.db, pay.ports, pay.later(minutes=15))
    assert report.refunded == 1
    assert pay.payments()[0]["status"] == "refunded"
    assert len(pay.yookassa.calls_to("POST", "/v3/refunds")) == 1  # polled with GET, not re-asked
    assert pay.texts_to(A)[-1] == REFUNDED_RU


def test_a_cancellation_that_crashed_before_refunding_is_refunded_by_the_worker(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A)
    # the registration core alone (as if the process died right after the cancellation's commit)
    cancel(pay.db, pay.bus, registration_id=held.registration_id, telegram_id=A, now=pay.now)
    [payment] = pay.payments()
    assert payment["status"] == "refund_pending"  # decided and queued in the same commit
    report = retry_pending_refunds(pay.db, pay.ports, pay.now)
    assert report.refunded == 1
    [payment] = pay.payments()
    assert payment["status"] == "refunded" and payment["refund_reason"] == "pilot_cancelled"
    assert pay.yookassa.refunded_kopecks(provider_charge) == PRICE
    assert retry_pending_refunds(pay.db, pay.ports, pay.now).attempted == 0


def test_a_queued_refund_worked_twice_refunds_once(pay: Harness):
    _training, held, provider_charge = paid_seat(pay, A)
    result = cancel(
        pay.db, pay.bus, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    for _ in range(2):
        work_refunds(pay.db, pay.ports, result.refund_payment_ids, now=pay.now)
        refund_registration(  # asking again for the same registration finds nothing 'paid'
            pay.db,
            pay.ports,
            registration_id=held.registration_id,
            reason="pilot_cancelled",
            now=pay.now,
        )
    assert len(pay.yookassa.refunds_for(provider_charge)) == 1


def test_a_paid_training_that_took_place_is_never_refunded(pay: Harness):
    """v1.0 refunded a training flown a month ago after /delete_me: its registration was
    cancelled and a sweep refunded every 'paid' payment without a confirmed seat."""
    training, held, provider_charge = paid_seat(pay, A)
    with pay.db.transaction() as tx:  # the training took place 30 days ago
        tx.execute(
            "UPDATE trainings SET starts_at = :s, ends_at = :e WHERE id = :id",
            s=pay.now - timedelta(days=30),
            e=pay.now - timedelta(days=30, hours=-2),
            id=training,
        )
    deletion = delete_person(pay.db, pay.bus, telegram_id=A, now=pay.now)
    assert deletion.refund_payment_ids == [] and deletion.trainings_changed == []
    assert retry_pending_refunds(pay.db, pay.ports, pay.later(days=1)).attempted == 0
    [payment] = pay.payments()
    assert payment["status"] == "paid" and payment["pilot_id"] is None  # kept, de-linked
    assert pay.registration_status(held.registration_id) == "confirmed"  # it was flown
    assert pay.yookassa.refunds_for(provider_charge) == []


def test_stripe_payment_refunded_through_the_stripe_api(pay: Harness):
    pay.config = PaymentConfig(provider="stripe", provider_token="stripe:TEST")
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    charge = pay.stripe.add_charge(PRICE)
    pay.process(
        successful_payment_update(A, held.public_id, charge_id="tg-st-1", provider_charge_id=charge)
    )
    [payment] = pay.payments()
    assert payment["provider"] == "stripe" and pay.registration_status(held.registration_id) == (
        "confirmed"
    )
    _r, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert refund.status == "refunded"
    [at_stripe] = pay.stripe.refunds_for(charge)
    assert at_stripe["amount"] == PRICE
    [post] = pay.stripe.calls_to("POST", "/v1/refunds")
    assert post.headers["idempotency-key"] == str(pay.payments()[0]["refund_key"])


def test_stars_refund_already_done_counts_as_refunded(pay: Harness):
    pay.config = PaymentConfig(provider="stars")
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    pay.process(
        successful_payment_update(
            A,
            held.public_id,
            charge_id="stars-9",
            provider_charge_id="",
            amount=750,
            currency="XTR",
        )
    )
    pay.telegram.fail(
        "refundStarPayment", error_code=400, description="Bad Request: CHARGE_ALREADY_REFUNDED"
    )
    _r, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert refund.status == "refunded"
    pay.telegram.fail("refundStarPayment", error_code=502, description="Bad Gateway")
    with pay.db.transaction() as tx:
        tx.execute(
            "UPDATE payments SET status = 'refund_pending', refund_next_at = :now", now=pay.now
        )
    assert attempt_refund(pay.db, pay.ports, refund.payment_id, now=pay.now).status == (
        "refund_pending"
    )
