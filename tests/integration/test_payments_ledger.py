"""Money adds up: after a season's worth of payments, late payments, double payments,
cancellations, a cancelled training and a provider outage, what the dashboard and exports read
(`fpv.payments.ledger`) equals what the provider holds and what the payment rows say."""

from __future__ import annotations

import random
from datetime import timedelta

from fpv.payments.cancellation import cancel_training
from fpv.payments.ledger import training_money, trainings_money
from fpv.payments.refunds import cancel_with_refund, retry_pending_refunds
from fpv.registrations import expire_holds
from tests.integration.test_payments_harness import (  # noqa: F401 - fixtures
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
)


def provider_totals(pay: Harness, training_id: int) -> tuple[int, int]:
    """(received, refunded) for one training, from the fake YooKassa's own books."""
    charges = [
        r["provider_payment_charge_id"]
        for r in pay.q(
            "SELECT provider_payment_charge_id FROM payments WHERE training_id = :t", t=training_id
        )
    ]
    received = sum(
        int(pay.yookassa.payments[c]["amount"]["value"].replace(".", "")) for c in charges
    )
    return received, sum(pay.yookassa.refunded_kopecks(c) for c in charges)


def row_totals(pay: Harness, training_id: int) -> dict[str, int]:
    totals = {"paid": 0, "refunded": 0, "refund_pending": 0, "refund_failed": 0, "count": 0}
    for row in pay.payments(training_id=training_id):
        totals["count"] += 1
        totals["paid"] += row["amount_kopecks"]
        if row["status"] == "refunded":
            totals["refunded"] += row["amount_kopecks"]
        elif row["status"] in ("refund_pending", "refund_failed"):
            totals[row["status"]] += row["amount_kopecks"]
    return totals


def test_money_adds_up_per_training(pay: Harness):
    rng = random.Random(20250101)
    prices = [150_000, 99_950, 250_000]
    trainings = [pay.paid_training(capacity=7, price_kopecks=price) for price in prices]
    empty = pay.paid_training()
    pilots = list(range(840_000, 840_024))
    for who in pilots:
        pay.pilot(who)

    paid_regs: list[tuple[int, int, int]] = []  # (registration, training index, pilot)
    for i, who in enumerate(pilots[:15]):
        index = i % 3
        held = pay.sign_up(trainings[index], who)
        if held.status != "pending_payment":
            continue
        if rng.random() < 0.2:  # pays twice (two invoices): the second is refunded
            pay.pay(held, who, amount=prices[index])
        pay.pay(held, who, amount=prices[index])
        paid_regs.append((held.registration_id, index, who))

    # late payments to training 0 (5 paid seats of 7): two holds expire, someone takes one of
    # the two freed seats; the first late payer gets the last seat, the second is refunded
    late = [pay.sign_up(trainings[0], who) for who in pilots[15:17]]
    expire_holds(pay.db, pay.bus, now=pay.later(minutes=20))
    assert pay.sign_up(trainings[0], pilots[17]).status == "pending_payment"
    for held, who in zip(late, pilots[15:17], strict=True):
        pay.pay(held, who, amount=prices[0])
    assert [pay.registration_status(h.registration_id) for h in late] == ["confirmed", "refunded"]

    # some pilots cancel in time; the provider is down for one of those refunds
    for registration_id, _index, who in rng.sample(paid_regs, 4)[:3]:
        cancel_with_refund(
            pay.db,
            pay.bus,
            pay.ports,
            registration_id=registration_id,
            telegram_id=who,
            now=pay.now,
        )
    registration_id, _index, who = next(
        r for r in paid_regs if pay.registration_status(r[0]) == "confirmed" and r[1] == 1
    )
    pay.yookassa.fail(times=1, status=503)
    cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=registration_id, telegram_id=who, now=pay.now
    )
    # training 2 is cancelled by the organiser: every payer refunded
    cancel_training(pay.db, pay.bus, pay.ports, training_id=trainings[2], now=pay.now)

    def check() -> None:
        ledger = trainings_money(pay.db, [*trainings, empty])
        assert ledger[empty].payments == 0 and ledger[empty].net == 0
        for training_id in trainings:
            money = ledger[training_id]
            assert money == training_money(pay.db, training_id)
            rows = row_totals(pay, training_id)
            received, refunded = provider_totals(pay, training_id)
            assert money.payments == rows["count"]
            assert money.paid == rows["paid"] == received
            assert money.refunded == rows["refunded"] == refunded
            assert money.net == received - refunded
            assert money.refund_pending == rows["refund_pending"]
            assert money.refund_failed == rows["refund_failed"]
            assert money.paid == money.net + money.refunded

    check()
    reasons = {r["refund_reason"] for r in pay.payments() if r["refund_reason"]}
    assert {"no_seat", "duplicate", "pilot_cancelled", "training_cancelled"} <= reasons
    t1 = training_money(pay.db, trainings[1])
    assert t1.refund_pending == prices[1]  # the refund the provider could not take yet
    t2 = training_money(pay.db, trainings[2])
    assert t2.net == 0 and t2.refunded == t2.paid > 0  # a cancelled training keeps nothing

    retry_pending_refunds(pay.db, pay.ports, pay.later(minutes=5))
    check()
    assert training_money(pay.db, trainings[1]).owed_back == 0
    totals = trainings_money(pay.db, trainings)
    # and in total: the shop's net equals what the confirmed seats are worth
    confirmed_value = sum(
        r["price_kopecks"]
        for r in pay.q(
            "SELECT t.price_kopecks FROM registrations r JOIN trainings t ON t.id = r.training_id"
            " WHERE r.status = 'confirmed' AND t.id = ANY(:ids)",
            ids=trainings,
        )
    )
    assert sum(m.net for m in totals.values()) == confirmed_value
    assert training_money(pay.db, trainings[0], "XTR").payments == 0


def test_stars_are_counted_apart_from_roubles(pay: Harness):
    from fpv.payments.config import PaymentConfig
    from tests.integration.test_payments_harness import successful_payment_update

    training = pay.paid_training(starts_in=timedelta(days=3))
    pay.pilot(1)
    pay.pilot(2)
    rub = pay.sign_up(training, 1)
    pay.pay(rub, 1)
    pay.config = PaymentConfig(provider="stars")
    stars = pay.sign_up(training, 2)
    pay.process(
        successful_payment_update(
            2, stars.public_id, charge_id="s-1", provider_charge_id="", amount=750, currency="XTR"
        )
    )
    assert training_money(pay.db, training).paid == 150_000
    assert training_money(pay.db, training, "XTR").paid == 750
