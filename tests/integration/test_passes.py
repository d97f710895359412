"""Season passes: bought through Telegram Payments like a seat, used instead of an invoice,
given back by the venue's rule; money and credits always add up (a hypothesis ledger test on
real PostgreSQL with the fake Bot API and the fake YooKassa)."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpv import outbox, passes
from fpv.actors import SYSTEM, Actor, admin, pilot
from fpv.payments.cancellation import cancel_training
from fpv.payments.refunds import cancel_with_refund, retry_pending_refunds
from fpv.registrations import RegistrationError
from tests.integration.test_payments_harness import (  # noqa: F401 - fixtures
    PRICE,
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
    pre_checkout_update,
    successful_payment_update,
)
from tests.support.admin import AdminGateway, make_admin, session_for, with_session
from tests.support.bot import BotPlatform, bot_platform
from tests.support.factories import make_pilot, make_training, make_venue

A, B = 870_001, 870_002
PASS_PRICE = 400_000


def product(db, *, trainings: int | None = 3, venue_id: int | None = None, days: int = 30) -> int:
    return passes.create_product(
        db,
        SYSTEM,
        title="Три тренировки",
        valid_days=days,
        price_kopecks=PASS_PRICE,
        trainings=trainings,
        venue_id=venue_id,
    )


def pass_row(db, pass_id: int) -> dict:
    with db.transaction(readonly=True) as tx:
        return tx.one("SELECT * FROM passes WHERE id = :id", id=pass_id)


def buy_and_pay(pay: Harness, who: int, product_id: int) -> int:
    """Through the payments flow: the invoice from the outbox, pre-checkout, successful_payment."""
    pass_id, ids = passes.buy(pay.db, pilot(who), product_id)
    assert pay.ports.deliverers is not None
    from fpv import delivery

    assert delivery.send(pay.db, pay.ports.deliverers, ids).delivered == 1
    invoice = pay.telegram.calls_to("sendInvoice", who)[-1]
    payload = invoice.params["payload"]
    assert invoice.params["prices"] == [{"label": "Абонемент", "amount": PASS_PRICE}]
    pay.process(pre_checkout_update(who, payload, amount=PASS_PRICE))
    assert pay.pre_checkout_answers()[-1]["ok"] is True
    provider_charge = pay.yookassa.add_payment(PASS_PRICE)
    pay.process(
        successful_payment_update(
            who,
            payload,
            charge_id=f"tg-pass-{pass_id}",
            provider_charge_id=provider_charge,
            amount=PASS_PRICE,
        )
    )
    return pass_id


def test_a_pass_pays_for_covered_trainings_and_comes_back_before_the_cut_off(pay: Harness):
    venue = make_venue(pay.db, cancel_cutoff_hours=12)
    product_id = product(pay.db, trainings=3, venue_id=venue)
    pay.pilot(A)
    pass_id = buy_and_pay(pay, A, product_id)
    assert pass_row(pay.db, pass_id)["status"] == "active"
    assert "Абонемент «Три тренировки» действует" in pay.texts_to(A)[-1]

    first, second = (pay.paid_training(venue_id=venue) for _ in range(2))
    other_venue = pay.paid_training()  # not covered: an invoice as usual
    one = pay.sign_up(first, A)
    two = pay.sign_up(second, A)
    assert (one.status, two.status) == ("confirmed", "confirmed")
    assert one.outbox_ids == () and two.pass_credit.credits_left == 1
    assert pay.sign_up(other_venue, A).status == "pending_payment"
    assert pass_row(pay.db, pass_id)["credits_used"] == 2

    result, refunds = cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=one.registration_id, telegram_id=A, now=pay.now
    )
    assert result.credit_returned and refunds == []  # no money moved: the credit came back
    assert pass_row(pay.db, pass_id)["credits_used"] == 1
    # the pass's money is untouched: revenue recognised at purchase
    [payment] = pay.payments(pass_id=pass_id)
    assert payment["status"] == "paid" and payment["amount_kopecks"] == PASS_PRICE

    # after the cut-off an admin's cancellation without refund keeps the credit used
    late = pay.paid_training(venue_id=venue, starts_in=timedelta(hours=3))
    seat = pay.sign_up(late, A)
    assert seat.pass_credit is not None
    cancel_with_refund(
        pay.db,
        pay.bus,
        pay.ports,
        registration_id=seat.registration_id,
        actor=SYSTEM,
        admin_refund=False,
        now=pay.now,
    )
    assert pass_row(pay.db, pass_id)["credits_used"] == 2
    # the training of the remaining seat is cancelled: its credit comes back
    cancel_training(pay.db, pay.bus, pay.ports, training_id=second, now=pay.now)
    assert pass_row(pay.db, pass_id)["credits_used"] == 1


def test_the_last_credit_has_exactly_one_winner(pay: Harness):
    venue = make_venue(pay.db)
    pay.pilot(A)
    pass_id = buy_and_pay(pay, A, product(pay.db, trainings=1, venue_id=venue))
    trainings = [pay.paid_training(venue_id=venue) for _ in range(2)]
    results = []
    start = threading.Barrier(2)

    def go(training_id: int) -> None:
        start.wait()
        results.append(pay.sign_up(training_id, A))

    threads = [threading.Thread(target=go, args=(t,)) for t in trainings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in results) == ["confirmed", "pending_payment"]
    assert pass_row(pay.db, pass_id)["credits_used"] == 1


def test_who_may_define_and_refund_passes(pay: Harness):
    venue_a, venue_b = make_venue(pay.db), make_venue(pay.db)
    row = make_admin(pay.db, "local_passes", 880_007, role="local", venues=[venue_a])
    local = admin(row["id"], "local", {venue_a}, via="admin_api")  # audited: a real admin
    with pytest.raises(passes.NotAllowed):
        passes.create_product(
            pay.db, local, title="Клуб", valid_days=30, price_kopecks=1, trainings=None
        )
    with pytest.raises(passes.NotFound):
        passes.create_product(
            pay.db, local, title="B", valid_days=30, price_kopecks=1, trainings=1, venue_id=venue_b
        )
    with pytest.raises(passes.NotAllowed):
        passes.create_product(
            pay.db, pilot(A), title="B", valid_days=30, price_kopecks=1, trainings=1
        )
    mine = passes.create_product(
        pay.db,
        local,
        title="A",
        valid_days=30,
        price_kopecks=PASS_PRICE,
        trainings=2,
        venue_id=venue_a,
    )
    pay.pilot(A)
    pass_id = buy_and_pay(pay, A, mine)
    seat = pay.sign_up(pay.paid_training(venue_id=venue_a), A)
    with pytest.raises(passes.InUse):
        passes.refund(pay.db, local, pass_id)
    cancel_with_refund(
        pay.db,
        pay.bus,
        pay.ports,
        registration_id=seat.registration_id,
        telegram_id=A,
        now=pay.now,
    )
    assert passes.refund(pay.db, local, pass_id, now=pay.now) != []
    assert retry_pending_refunds(pay.db, pay.ports, pay.now).refunded == 1
    assert pass_row(pay.db, pass_id)["status"] == "refunded"
    assert pay.sign_up(pay.paid_training(venue_id=venue_a), A).status == "pending_payment"


def test_delete_me_refunds_an_unused_pass_and_forfeits_one_in_use(pay: Harness):
    """Passes × /delete_me: the preview says what happens to each pass; an unused paid pass is
    refunded through the provider once; a pass in use (a seat after the cut-off keeps its credit)
    is de-linked, its money kept, as the preview said."""
    from fpv.bot.handlers.privacy import _pass_line
    from fpv.registrations import delete_person, deletion_passes

    venue_a = make_venue(pay.db, cancel_cutoff_hours=12)
    venue_b = make_venue(pay.db)
    pay.pilot(A)
    in_use = buy_and_pay(pay, A, product(pay.db, trainings=3, venue_id=venue_a))
    unused = buy_and_pay(pay, A, product(pay.db, trainings=3, venue_id=venue_b))
    soon = pay.paid_training(venue_id=venue_a, starts_in=timedelta(hours=3))  # past the cut-off
    assert pay.sign_up(soon, A).pass_credit is not None

    fates = {f.pass_id: f for f in deletion_passes(pay.db, telegram_id=A, now=pay.now)}
    assert fates[unused].refund and fates[unused].paid_kopecks == PASS_PRICE
    assert not fates[in_use].refund and fates[in_use].credits_used == 1
    assert "вернём" in _pass_line(fates[unused], "ru")
    assert "осталось 2 из 3" in _pass_line(fates[in_use], "ru")

    deletion = delete_person(pay.db, pay.bus, telegram_id=A, now=pay.now)
    [unused_payment] = pay.payments(pass_id=unused)
    assert deletion.refund_payment_ids == [unused_payment["id"]]
    assert retry_pending_refunds(pay.db, pay.ports, pay.now).refunded == 1
    assert pass_row(pay.db, unused)["status"] == "refunded"
    kept = pass_row(pay.db, in_use)
    assert (kept["status"], kept["pilot_id"], kept["credits_used"]) == ("active", None, 1)
    [in_use_payment] = pay.payments(pass_id=in_use)
    assert in_use_payment["status"] == "paid"
    again = delete_person(pay.db, pay.bus, telegram_id=A, now=pay.now)  # a double tap
    assert again.refund_payment_ids == []
    assert retry_pending_refunds(pay.db, pay.ports, pay.now).refunded == 0


def test_expiry_is_reminded_once_three_days_before(pay: Harness):
    pay.pilot(A)
    pass_id = buy_and_pay(pay, A, product(pay.db, days=2))
    assert passes.remind_expiring(pay.db) != []
    assert passes.remind_expiring(pay.db) == []  # once
    with pay.db.transaction(readonly=True) as tx:
        [row] = tx.all(
            "SELECT payload FROM outbox WHERE dedupe_key = :k", k=f"pass-expiry:{pass_id}"
        )
    assert "заканчивается" in row["payload"]["text"]
    report = outbox.deliver(pay.db, pay.ports.deliverers)
    assert report.delivered >= 1 and "заканчивается" in pay.texts_to(A)[-1]


# --- money and credits add up, whatever happens (hypothesis, real PostgreSQL) ---------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(0, 1), st.integers(0, 1)),
        st.tuples(st.just("sign_up"), st.integers(0, 1), st.integers(0, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 1), st.integers(0, 3)),
        st.tuples(st.just("refund_pass"), st.integers(0, 1)),
        st.tuples(st.just("cancel_training"), st.integers(0, 3)),
        st.tuples(st.just("later"), st.sampled_from([1, 20, 24 * 8])),
    ),
    min_size=1,
    max_size=14,
)

_TABLES = (
    "outbox, pass_uses, payments, passes, pass_products, reminders_sent, registrations,"
    " trainings, venues, cities, pilots, user_consent"
)


def _reset(pay: Harness) -> None:
    with pay.db.transaction() as tx:
        tx.execute(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE")


def _check_ledger(pay: Harness) -> None:
    with pay.db.transaction(readonly=True) as tx:
        for row in tx.all(
            "SELECT s.id, s.credits_total, s.credits_used,"
            " (SELECT count(*) FROM pass_uses u WHERE u.pass_id = s.id AND u.returned_at IS NULL)"
            " AS in_use FROM passes s"
        ):
            assert row["credits_used"] == row["in_use"] >= 0
            assert row["credits_total"] is None or row["credits_used"] <= row["credits_total"]
        money = tx.one(
            "SELECT COALESCE(sum(amount_kopecks), 0) AS paid,"
            " COALESCE(sum(refunded_kopecks), 0) AS refunded FROM payments"
        )
        charges = [r["provider_payment_charge_id"] for r in tx.all("SELECT * FROM payments")]
        # nobody flies a paid training for free: money held or a credit in use
        free_riders = tx.all(
            "SELECT r.id FROM registrations r JOIN trainings t ON t.id = r.training_id"
            " WHERE r.status = 'confirmed' AND t.price_kopecks > 0"
            " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.registration_id = r.id"
            "   AND p.status = 'paid')"
            " AND NOT EXISTS (SELECT 1 FROM pass_uses u WHERE u.registration_id = r.id"
            "   AND u.returned_at IS NULL)"
        )
        assert free_riders == []
        # a credit stays used only for a seat held, or given up when the rule kept it
        kept_wrongly = tx.all(
            "SELECT u.registration_id FROM pass_uses u JOIN registrations r"
            " ON r.id = u.registration_id WHERE u.returned_at IS NULL"
            " AND NOT (r.status = 'confirmed'"
            "   OR (r.status = 'cancelled' AND r.refund_decision = 'keep'))"
        )
        assert kept_wrongly == []
    received = sum(
        int(pay.yookassa.payments[c]["amount"]["value"].replace(".", "")) for c in charges
    )
    refunded = sum(pay.yookassa.refunded_kopecks(c) for c in charges)
    # revenue = payments − refunds, and our books equal the provider's
    assert (money["paid"], money["refunded"]) == (received, refunded)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_credits_never_go_negative_and_revenue_is_payments_minus_refunds(pay: Harness, ops):
    _reset(pay)
    venue = make_venue(pay.db, cancel_cutoff_hours=12)
    products = [product(pay.db, trainings=2, venue_id=venue), product(pay.db, trainings=None)]
    who = [A, B]
    for telegram_id in who:
        make_pilot(pay.db, telegram_id)
    trainings = [
        make_training(
            pay.db, venue_id=venue, price_kopecks=PRICE, starts_in=timedelta(hours=h), now=pay.now
        )
        for h in (30, 60, 200, 400)
    ]
    for op in ops:
        kind = op[0]
        if kind == "buy":
            buy_and_pay(pay, who[op[1]], products[op[2]])
        elif kind == "sign_up":
            with contextlib.suppress(RegistrationError):
                pay.sign_up(trainings[op[2]], who[op[1]])
        elif kind == "cancel":
            with pay.db.transaction(readonly=True) as tx:
                reg = tx.value(
                    "SELECT r.id FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
                    " WHERE p.telegram_id = :t AND r.training_id = :tr"
                    " AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')",
                    t=who[op[1]],
                    tr=trainings[op[2]],
                )
            if reg is not None:
                with contextlib.suppress(RegistrationError):
                    cancel_with_refund(
                        pay.db,
                        pay.bus,
                        pay.ports,
                        registration_id=reg,
                        telegram_id=who[op[1]],
                        now=pay.now,
                    )
        elif kind == "refund_pass":
            for own in passes.my_passes(pay.db, who[op[1]], now=pay.now):
                with contextlib.suppress(passes.InUse):
                    passes.refund(pay.db, Actor(kind="system", via="job"), own["id"], now=pay.now)
            retry_pending_refunds(pay.db, pay.ports, pay.now)
        elif kind == "cancel_training":
            cancel_training(pay.db, pay.bus, pay.ports, training_id=trainings[op[1]], now=pay.now)
        else:
            pay.later(hours=op[1])
        _check_ledger(pay)


# --- in the bot ---------------------------------------------------------------------------------


@pytest.fixture
def platform(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("PAYMENT_PROVIDER_TOKEN", "381764678:TEST:passes")
    with bot_platform(tmp_path, monkeypatch) as p:
        yield p


def test_buy_a_pass_in_the_bot_then_sign_up_twice_without_an_invoice(platform: BotPlatform):
    p = platform
    venue = make_venue(p.db)
    product_id = product(p.db, trainings=3, venue_id=venue)
    first, second = (
        make_training(p.db, venue_id=venue, price_kopecks=PRICE, title=f"Гонка {n}") for n in (1, 2)
    )
    make_pilot(p.db, A, nickname="PassPilot")
    chat = p.chat(A)
    chat.press("passes")
    assert "Три тренировки" in chat.last().text
    chat.press(f"pbuy:{product_id}")
    [invoice] = p.fake.calls_to("sendInvoice", A)
    payload = invoice.params["payload"]
    assert chat.post(pre_checkout_update(A, payload, amount=PASS_PRICE)).status_code == 200
    assert p.fake.calls_to("answerPreCheckoutQuery")[-1].params["ok"] is True
    paid = successful_payment_update(
        A, payload, charge_id="tg-pass-bot", provider_charge_id="yk-pass-bot", amount=PASS_PRICE
    )
    assert chat.post(paid).status_code == 200
    assert "действует" in chat.last().text

    chat.press(f"su:{first}:0")
    assert "по абонементу, осталось 2" in chat.last().text
    chat.press(f"su:{second}:0")
    assert "по абонементу, осталось 1" in chat.last().text
    assert len(p.fake.calls_to("sendInvoice", A)) == 1  # only the pass's own

    with p.db.transaction(readonly=True) as tx:
        reg = tx.value("SELECT id FROM registrations WHERE training_id = :t", t=first)
    chat.press(f"cxy:{reg}")
    assert "вернулась на абонемент" in chat.last().text
    chat.press("passes")
    assert "осталось 2 из 3" in chat.last().text

    # the same counts for the organizer, through the admin API on the same platform
    from fpv.admin import auth

    make_admin(p.db, "passes_root", 880_101)
    token, csrf = session_for(p.db, "passes_root")
    with with_session(AdminGateway(p.base_url, p.fake, p.db), token) as admin_api:
        [sold] = admin_api.get("/api/admin/passes").json()
        assert (sold["nickname"], sold["status"], sold["payment_status"]) == (
            "PassPilot",
            "active",
            "paid",
        )
        assert (sold["credits_total"], sold["credits_used"], sold["credits_left"]) == (3, 1, 2)
        offered = {r["id"]: r["sold"] for r in admin_api.get("/api/admin/pass-products").json()}
        assert offered[product_id] == 1
        # a credit is in use: the pass cannot be refunded (and nothing changes)
        refused = admin_api.post(
            f"/api/admin/passes/{sold['id']}/refund", headers={auth.CSRF_HEADER: csrf}
        )
        assert refused.status_code == 409 and refused.json()["code"] == "conflict"
        assert admin_api.get("/api/admin/passes").json() == [sold]
