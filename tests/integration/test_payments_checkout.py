"""Invoice → pre_checkout_query → successful_payment, against real PostgreSQL, with
python-telegram-bot talking to the fake Bot API and refunds going to the fake YooKassa."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from fpv.db import Database, DatabaseUnavailable
from fpv.payments import ports as p
from fpv.payments.checkout import IncomingPayment, record_payment
from fpv.payments.config import PaymentConfig
from fpv.registrations import expire_holds
from fpv.texts import t
from tests.integration.test_payments_harness import (  # noqa: F401
    PRICE,
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
    pre_checkout_update,
    successful_payment_update,
)

A, B, C = 810_001, 810_002, 810_003


def test_paid_sign_up_invoice_pre_checkout_and_payment(pay: Harness):
    training = pay.paid_training(title="Вечерняя гонка", capacity=4)
    pay.pilot(A)
    held = pay.sign_up(training, A)
    assert held.status == "pending_payment"

    pay.send_invoice(held, "ru")
    [invoice] = pay.telegram.calls_to("sendInvoice", A)
    params = invoice.params
    assert params["payload"] == held.public_id
    assert params["currency"] == "RUB"
    assert params["prices"] == [{"label": t("payments.invoice.price_label", "ru"), "amount": PRICE}]
    assert params["provider_token"] == pay.config.provider_token
    assert params["title"] == "Тренировка: Вечерняя гонка"
    assert params["need_email"] is True and params["send_email_to_provider"] is True
    data = params["provider_data"]  # a JSON string on the wire (the fake decodes it)
    receipt = (json.loads(data) if isinstance(data, str) else data)["receipt"]
    [item] = receipt["items"]
    assert item["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert item["vat_code"] == 1 and item["payment_mode"] == "full_prepayment"
    assert item["quantity"] == "1.00" and "Вечерняя гонка" in item["description"]
    # the hold's expiry, in the venue's zone (Moscow, UTC+3), is in the description
    until = (held.hold_expires_at + timedelta(hours=3)).strftime("%H:%M")
    assert f"до {until}" in params["description"] and "1\u202f500 ₽" in params["description"]

    pay.process(pre_checkout_update(A, held.public_id))
    [answer] = pay.pre_checkout_answers()
    assert answer["ok"] is True and "error_message" not in answer

    charge, provider_charge = pay.pay(held, A)
    assert pay.registration_status(held.registration_id) == "confirmed"
    [payment] = pay.payments()
    assert payment["status"] == "paid" and payment["amount_kopecks"] == PRICE
    assert payment["telegram_payment_charge_id"] == charge
    assert payment["provider_payment_charge_id"] == provider_charge
    assert payment["provider"] == "yookassa" and payment["training_id"] == training
    [thanks] = pay.texts_to(A)
    assert (
        "1\u202f500 ₽" in thanks and "Вечерняя гонка" in thanks and str(held.channel_mhz) in thanks
    )
    assert pay.metrics.counts == {p.PAYMENT_SUCCEEDED: 1}
    assert pay.bus.published[-1]["detail"] == {
        "training_id": training,
        "reason": "payment_confirmed",
    }


def test_invoice_in_english_and_none_for_a_seat_no_longer_held(pay: Harness):
    training = pay.paid_training(title="Night race")
    pay.pilot(A, language="en")
    held = pay.sign_up(training, A)
    pay.send_invoice(held, "en")
    [invoice] = pay.telegram.calls_to("sendInvoice", A)
    assert invoice.params["title"] == "Training: Night race"
    assert "held until" in invoice.params["description"]
    expire_holds(pay.db, pay.bus, now=pay.later(minutes=16))
    assert pay.send_invoice(held, "en") is None
    assert len(pay.telegram.calls_to("sendInvoice")) == 1


def test_pre_checkout_after_hold_expiry_is_rejected_in_the_pilots_language(pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    pay.later(minutes=16)  # the hold ran out, even before the job expired it
    pay.process(pre_checkout_update(A, held.public_id))
    expire_holds(pay.db, pay.bus, now=pay.now)
    pay.process(pre_checkout_update(A, held.public_id))
    answers = pay.pre_checkout_answers()
    assert [a["ok"] for a in answers] == [False, False]
    assert {a["error_message"] for a in answers} == {t("payments.precheckout.hold_expired", "ru")}
    assert pay.metrics.counts == {p.PRE_CHECKOUT_REJECTED: 2}
    assert pay.payments() == []


@pytest.mark.parametrize(
    ("amount", "currency"), [(PRICE - 100, "RUB"), (PRICE + 1, "RUB"), (PRICE, "XTR")]
)
def test_pre_checkout_with_the_wrong_amount_or_currency_is_rejected(pay: Harness, amount, currency):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    pay.process(pre_checkout_update(A, held.public_id, amount=amount, currency=currency))
    [answer] = pay.pre_checkout_answers()
    assert answer["ok"] is False
    assert answer["error_message"] == t("payments.precheckout.amount_mismatch", "ru")


def test_pre_checkout_rejects_what_cannot_be_paid(pay: Harness):
    training = pay.paid_training()
    started = pay.paid_training(starts_in=timedelta(minutes=30))
    pay.pilot(A)
    pay.pilot(B, language="en")
    held = pay.sign_up(training, A)
    held_started = pay.sign_up(started, B)

    cases = [
        (pre_checkout_update(B, held.public_id), "not_yours", "ru"),  # A's invoice, forwarded
        (pre_checkout_update(B, "not-a-uuid"), "unknown", "en"),  # payer's language
        (pre_checkout_update(B, str(uuid.uuid4())), "unknown", "en"),
    ]
    pay.process(*[u for u, _, _ in cases])
    pay.later(minutes=31)
    pay.process(pre_checkout_update(B, held_started.public_id))
    answers = pay.pre_checkout_answers()
    expected = [t(f"payments.precheckout.{r}", lang) for _, r, lang in cases]
    expected.append(t("payments.precheckout.training_started", "en"))
    assert [a["error_message"] for a in answers] == expected
    assert not any(a["ok"] for a in answers)


def test_pre_checkout_for_a_cancelled_training_or_a_paid_seat(pay: Harness):
    from fpv.payments.cancellation import cancel_training

    training = pay.paid_training()
    other = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    paid = pay.sign_up(other, A)
    pay.pay(paid, A)
    cancel_training(pay.db, pay.bus, pay.ports, training_id=training, now=pay.now)
    pay.process(pre_checkout_update(A, held.public_id), pre_checkout_update(A, paid.public_id))
    assert [a["error_message"] for a in pay.pre_checkout_answers()] == [
        t("payments.precheckout.training_cancelled", "ru"),
        t("payments.precheckout.already_paid", "ru"),
    ]


def test_pre_checkout_with_the_database_down_is_answered_try_later(pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    pay.db = Database("postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)
    pay.process(pre_checkout_update(A, held.public_id))
    [answer] = pay.pre_checkout_answers()
    assert answer["ok"] is False
    assert answer["error_message"] == t("payments.precheckout.try_later", "ru")


def test_a_replayed_successful_payment_changes_nothing(pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    charge, provider_charge = pay.pay(held, A)
    before = pay.payments()
    published = len(pay.bus.published)
    pay.pay(held, A, charge_id=charge, provider_charge_id=provider_charge)
    assert pay.payments() == before
    assert pay.registration_status(held.registration_id) == "confirmed"
    assert len(pay.texts_to(A)) == 1  # no second "thank you"
    assert len(pay.bus.published) == published
    assert pay.metrics.counts == {p.PAYMENT_SUCCEEDED: 1}
    assert pay.yookassa.calls_to("POST", "/v3/refunds") == []


def test_late_payment_with_a_free_seat_reseats_the_pilot(pay: Harness):
    training = pay.paid_training(capacity=2)
    pay.pilot(A)
    held = pay.sign_up(training, A)
    expire_holds(pay.db, pay.bus, now=pay.later(minutes=20))
    assert pay.registration_status(held.registration_id) == "expired"
    pay.pay(held, A)
    assert pay.registration_status(held.registration_id) == "confirmed"
    [payment] = pay.payments()
    assert payment["status"] == "paid"
    [reg] = pay.q(
        "SELECT channel_mhz, channel_label FROM registrations WHERE id = :id",
        id=held.registration_id,
    )
    assert reg["channel_mhz"] is not None
    [text] = pay.texts_to(A)
    assert text == t(
        "payments.paid.reseated",
        "ru",
        amount="1\u202f500 ₽",
        title="Тренировка",
        channel=f"{reg['channel_label']} ({reg['channel_mhz']} МГц)",
    )
    assert pay.yookassa.calls_to("POST", "/v3/refunds") == []


def test_late_payment_without_a_free_seat_is_refunded_and_the_pilot_told(pay: Harness):
    training = pay.paid_training(capacity=1)
    pay.pilot(A)
    pay.pilot(B)
    held = pay.sign_up(training, A)
    expire_holds(pay.db, pay.bus, now=pay.later(minutes=20))
    taken = pay.sign_up(training, B)  # B takes the freed seat
    assert taken.status == "pending_payment"

    _charge, provider_charge = pay.pay(held, A)
    assert pay.registration_status(held.registration_id) == "refunded"
    assert pay.registration_status(taken.registration_id) == "pending_payment"
    [payment] = pay.payments()
    assert payment["status"] == "refunded" and payment["refund_reason"] == "no_seat"
    assert payment["refunded_kopecks"] == PRICE
    [refund] = pay.yookassa.refunds_for(provider_charge)
    assert refund["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert payment["refund_id"] == refund["id"]
    [post] = pay.yookassa.calls_to("POST", "/v3/refunds")
    assert post.headers["idempotence-key"] == str(payment["refund_key"])
    assert pay.texts_to(A) == [
        t("payments.paid.no_seat", "ru", amount="1\u202f500 ₽", title="Тренировка"),
        t("payments.refund.done", "ru", amount="1\u202f500 ₽", title="Тренировка"),
    ]
    assert pay.metrics.counts == {
        p.PAYMENT_SUCCEEDED: 1,
        p.PAYMENT_FAILED: 1,
        p.REFUND_SUCCEEDED: 1,
    }


def test_late_payment_after_signing_up_again_refunds_the_old_invoice(pay: Harness):
    training = pay.paid_training(capacity=3)
    pay.pilot(A)
    first = pay.sign_up(training, A)
    expire_holds(pay.db, pay.bus, now=pay.later(minutes=20))
    second = pay.sign_up(training, A)  # a new hold, a new invoice
    pay.pay(first, A)  # ... but the pilot pays the old one
    assert pay.registration_status(first.registration_id) == "refunded"
    assert pay.registration_status(second.registration_id) == "pending_payment"
    [payment] = pay.payments()
    assert payment["status"] == "refunded" and payment["refund_reason"] == "no_seat"


def test_a_second_payment_for_a_paid_seat_is_refunded(pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    pay.pay(held, A)
    pay.pay(held, A)  # a second invoice for the same hold, paid too
    first, second = pay.payments()
    assert first["status"] == "paid"
    assert second["status"] == "refunded" and second["refund_reason"] == "duplicate"
    assert pay.registration_status(held.registration_id) == "confirmed"
    assert pay.texts_to(A)[1] == t("payments.paid.duplicate", "ru", amount="1\u202f500 ₽")


def test_money_for_an_unknown_invoice_is_kept_and_refunded(pay: Harness):
    provider_charge = pay.yookassa.add_payment(PRICE)
    pay.process(
        successful_payment_update(
            A, str(uuid.uuid4()), charge_id="tg-unknown", provider_charge_id=provider_charge
        )
    )
    [payment] = pay.payments()
    assert payment["training_id"] is None and payment["registration_id"] is None
    assert payment["status"] == "refunded" and payment["refund_reason"] == "unknown_registration"
    assert len(pay.yookassa.refunds_for(provider_charge)) == 1
    assert pay.texts_to(A)[0] == t("payments.paid.unknown", "ru", amount="1\u202f500 ₽")


def test_a_payment_with_the_database_down_is_not_lost(pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    incoming = IncomingPayment(held.public_id, "RUB", PRICE, "tg-later", "yk-later")
    down = Database("postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)
    with pytest.raises(DatabaseUnavailable):  # the webhook answers 503: Telegram redelivers
        record_payment(down, pay.bus, pay.ports, incoming, config=pay.config, now=pay.now)
    outcome = record_payment(pay.db, pay.bus, pay.ports, incoming, config=pay.config, now=pay.now)
    assert outcome.outcome == "confirmed"
    assert pay.registration_status(held.registration_id) == "confirmed"


def test_telegram_stars_invoice_payment_and_refund(pay: Harness):
    pay.config = PaymentConfig(provider="stars", star_price_kopecks=200)
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    pay.send_invoice(held)
    [invoice] = pay.telegram.calls_to("sendInvoice", A)
    assert invoice.params["currency"] == "XTR"
    assert invoice.params["prices"][0]["amount"] == 750  # 1 500 ₽ / 2 ₽ per star
    assert invoice.params["provider_token"] == "" and "provider_data" not in invoice.params
    pay.process(pre_checkout_update(A, held.public_id, amount=750, currency="XTR"))
    assert pay.pre_checkout_answers()[0]["ok"] is True
    pay.process(
        successful_payment_update(
            A,
            held.public_id,
            charge_id="stars-1",
            provider_charge_id="",
            amount=750,
            currency="XTR",
        )
    )
    [payment] = pay.payments()
    assert (payment["provider"], payment["currency"], payment["amount_kopecks"]) == (
        "stars",
        "XTR",
        750,
    )
    from fpv.payments.refunds import cancel_with_refund

    _result, [refund] = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=A, now=pay.now
    )
    assert refund.status == "refunded"
    [call] = pay.telegram.calls_to("refundStarPayment")
    assert call.params == {"user_id": A, "telegram_payment_charge_id": "stars-1"}
    assert "750 ⭐" in pay.texts_to(A)[-1]
