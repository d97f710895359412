"""Seat rules against real PostgreSQL: sign-up, holds, waitlist, cancel, races, /delete_me."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from fpv.dal import payments as payments_dal
from fpv.ports.events import SCHEDULE_CHANGED, InProcessEventBus
from fpv.registrations import (
    AlreadyRegistered,
    CancelTooLate,
    ChannelUnavailable,
    PilotNotFound,
    RegistrationNotFound,
    TrainingClosed,
    TrainingNotFound,
    cancel,
    channel_choices,
    delete_person,
    expire_holds,
    my_registrations,
    settle_payment,
    sign_up,
)
from tests.support.factories import make_pilot, make_training


@pytest.fixture
def bus() -> InProcessEventBus:
    return InProcessEventBus()


def _status(db, registration_id: int) -> str:
    with db.transaction() as tx:
        return tx.value("SELECT status FROM registrations WHERE id = :id", id=registration_id)


def _seats(db, training_id: int) -> int:
    with db.transaction() as tx:
        return tx.value("SELECT seats_taken FROM trainings WHERE id = :id", id=training_id)


def test_free_training_confirms_with_a_channel_and_announces_the_change(db, bus):
    training = make_training(db)
    make_pilot(db, 101)
    result = sign_up(db, bus, training_id=training, telegram_id=101)
    assert result.status == "confirmed"
    assert result.channel_mhz is not None and result.channel_label
    assert result.hold_expires_at is None
    assert _seats(db, training) == 1
    assert [e["detail"]["training_id"] for e in bus.published] == [training]
    assert bus.published[0]["detail-type"] == SCHEDULE_CHANGED


def test_paid_training_holds_the_seat_until_the_hold_expires(db, bus):
    now = datetime.now(UTC)
    training = make_training(db, price_kopecks=50_000, capacity=1)
    make_pilot(db, 201)
    make_pilot(db, 202)
    held = sign_up(db, bus, training_id=training, telegram_id=201, hold_minutes=15, now=now)
    assert held.status == "pending_payment"
    assert held.hold_expires_at == pytest.approx(
        now + timedelta(minutes=15), abs=timedelta(seconds=1)
    )
    waiting = sign_up(db, bus, training_id=training, telegram_id=202, now=now)
    assert waiting.status == "waitlisted" and waiting.waitlist_position == 1

    assert expire_holds(db, bus, now=now + timedelta(minutes=14)) == []
    results = expire_holds(db, bus, now=now + timedelta(minutes=16))
    assert [r.registration_id for r in results] == [held.registration_id]
    assert _status(db, held.registration_id) == "expired"
    [promotion] = results[0].promotions
    assert promotion.telegram_id == 202 and promotion.status == "pending_payment"
    assert promotion.hold_expires_at is not None
    assert _seats(db, training) == 1


def test_signing_up_twice_is_refused(db, bus):
    training = make_training(db)
    make_pilot(db, 301)
    first = sign_up(db, bus, training_id=training, telegram_id=301)
    with pytest.raises(AlreadyRegistered) as info:
        sign_up(db, bus, training_id=training, telegram_id=301)
    assert info.value.registration_id == first.registration_id
    assert _seats(db, training) == 1


def test_unknown_pilot_training_and_closed_training_are_refused(db, bus):
    training = make_training(db)
    with pytest.raises(PilotNotFound):
        sign_up(db, bus, training_id=training, telegram_id=999)
    make_pilot(db, 401)
    with pytest.raises(TrainingNotFound):
        sign_up(db, bus, training_id=training + 1000, telegram_id=401)
    started = make_training(db, starts_in=timedelta(minutes=-5))
    with pytest.raises(TrainingClosed):
        sign_up(db, bus, training_id=started, telegram_id=401)
    assert bus.published == []


def test_chosen_channel_must_be_free(db, bus):
    training = make_training(db)
    make_pilot(db, 501)
    make_pilot(db, 502)
    first = sign_up(db, bus, training_id=training, telegram_id=501, channel_mhz=5658)
    assert (first.channel_mhz, first.channel_label) == (5658, "R1")
    with pytest.raises(ChannelUnavailable):
        sign_up(db, bus, training_id=training, telegram_id=502, channel_mhz=5658)
    choices = channel_choices(db, training_id=training, telegram_id=502)
    assert choices and all(c.mhz != 5658 for c in choices)
    second = sign_up(db, bus, training_id=training, telegram_id=502, channel_mhz=choices[0].mhz)
    assert second.channel_mhz == choices[0].mhz


def test_cancel_respects_the_cutoff_and_promotes_the_waitlist(db, bus):
    now = datetime.now(UTC)
    training = make_training(db, capacity=1, starts_in=timedelta(hours=24), cancel_cutoff_hours=12)
    make_pilot(db, 601)
    make_pilot(db, 602)
    seated = sign_up(db, bus, training_id=training, telegram_id=601, now=now)
    waiting = sign_up(db, bus, training_id=training, telegram_id=602, now=now)
    with pytest.raises(RegistrationNotFound):  # not theirs
        cancel(db, bus, registration_id=seated.registration_id, telegram_id=602, now=now)
    with pytest.raises(CancelTooLate):
        cancel(
            db,
            bus,
            registration_id=seated.registration_id,
            telegram_id=601,
            now=now + timedelta(hours=13),
        )
    result = cancel(db, bus, registration_id=seated.registration_id, telegram_id=601, now=now)
    assert result.previous_status == "confirmed" and not result.refund_due
    assert [p.registration_id for p in result.promotions] == [waiting.registration_id]
    assert _status(db, waiting.registration_id) == "confirmed"
    assert _seats(db, training) == 1
    with pytest.raises(RegistrationNotFound):  # a double tap changes nothing
        cancel(db, bus, registration_id=seated.registration_id, telegram_id=601, now=now)


def test_paid_cancel_says_a_refund_is_due(db, bus):
    now = datetime.now(UTC)
    training = make_training(db, price_kopecks=70_000)
    make_pilot(db, 701)
    reg = sign_up(db, bus, training_id=training, telegram_id=701, now=now)
    with db.transaction() as tx:
        payment_id = payments_dal.insert_payment(
            tx,
            registration_id=reg.registration_id,
            training_id=training,
            pilot_id=None,
            provider="yookassa",
            amount=70_000,
            currency="RUB",
            telegram_charge_id="tg-701",
            provider_charge_id="yk-701",
        )
        assert (
            settle_payment(tx, registration_id=reg.registration_id, now=now).outcome == "confirmed"
        )
    result = cancel(db, bus, registration_id=reg.registration_id, telegram_id=701, now=now)
    # decided and queued in the cancellation's own commit, by the venue's rule
    assert result.refund_due is True and result.refund_payment_ids == [payment_id]
    assert result.refund_rule == "before_cutoff"
    with db.transaction(readonly=True) as tx:
        row = tx.one("SELECT status, refund_reason FROM payments WHERE id = :id", id=payment_id)
        decided = tx.one(
            "SELECT refund_decision, refund_rule FROM registrations WHERE id = :id",
            id=reg.registration_id,
        )
    assert (row["status"], row["refund_reason"]) == ("refund_pending", "pilot_cancelled")
    assert (decided["refund_decision"], decided["refund_rule"]) == ("refund", "before_cutoff")


def test_late_payment_reseats_when_a_seat_is_free_else_says_no_seat(db, bus):
    now = datetime.now(UTC)
    training = make_training(db, price_kopecks=50_000, capacity=1)
    make_pilot(db, 801)
    make_pilot(db, 802)
    first = sign_up(db, bus, training_id=training, telegram_id=801, now=now)
    expire_holds(db, bus, now=now + timedelta(minutes=20))
    with db.transaction() as tx:
        settled = settle_payment(tx, registration_id=first.registration_id, now=now)
    assert settled.outcome == "reseated" and settled.channel_mhz is not None
    assert _seats(db, training) == 1
    with db.transaction() as tx:  # a replay does not seat twice
        assert (
            settle_payment(tx, registration_id=first.registration_id).outcome == "already_confirmed"
        )

    second_training = make_training(db, price_kopecks=50_000, capacity=1)
    late = sign_up(db, bus, training_id=second_training, telegram_id=801, now=now)
    expire_holds(db, bus, now=now + timedelta(minutes=20))
    sign_up(db, bus, training_id=second_training, telegram_id=802, now=now + timedelta(minutes=21))
    with db.transaction() as tx:
        assert settle_payment(tx, registration_id=late.registration_id).outcome == "no_seat"
    assert _status(db, late.registration_id) == "expired"


def test_sixty_pilots_race_for_the_last_eight_seats(db, bus, db_url):
    from fpv.db import Database

    training = make_training(db, capacity=10)
    for i in range(2):  # two seats already taken
        make_pilot(db, 900 + i)
        sign_up(db, bus, training_id=training, telegram_id=900 + i)
    racers = list(range(1000, 1060))
    for telegram_id in racers:
        make_pilot(db, telegram_id)
    barrier = threading.Barrier(len(racers))
    outcomes: dict[int, str] = {}

    def race(telegram_id: int) -> None:
        own = Database(db_url)  # one connection per racer, like separate Lambda containers
        barrier.wait()
        try:
            outcomes[telegram_id] = sign_up(
                own, bus, training_id=training, telegram_id=telegram_id
            ).status
        finally:
            own.close()

    threads = [threading.Thread(target=race, args=(t,)) for t in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == racers
    assert list(outcomes.values()).count("confirmed") == 8
    assert list(outcomes.values()).count("waitlisted") == 52
    with db.transaction() as tx:
        seated = tx.all(
            "SELECT pilot_id, heat, channel_mhz FROM registrations WHERE training_id = :t"
            " AND status = 'confirmed'",
            t=training,
        )
        positions = tx.all(
            "SELECT waitlist_position FROM registrations WHERE training_id = :t"
            " AND status = 'waitlisted'",
            t=training,
        )
    assert len(seated) == 10
    assert len({(r["heat"], r["channel_mhz"]) for r in seated}) == 10  # no channel twice a heat
    assert len({r["pilot_id"] for r in seated}) == 10
    assert sorted(r["waitlist_position"] for r in positions) == list(range(1, 53))
    assert _seats(db, training) == 10


def test_delete_person_frees_seats_promotes_and_forgets(db, bus):
    training = make_training(db, capacity=1, price_kopecks=10_000)
    make_pilot(db, 1101)
    make_pilot(db, 1102)
    reg = sign_up(db, bus, training_id=training, telegram_id=1101)
    with db.transaction() as tx:
        settle_payment(tx, registration_id=reg.registration_id)
        tx.execute(
            "INSERT INTO payments (registration_id, training_id, pilot_id, provider,"
            " amount_kopecks, status, telegram_payment_charge_id)"
            " SELECT :r, :t, pilot_id, 'yookassa', 10000, 'paid', 'charge-1'"
            " FROM registrations WHERE id = :r",
            r=reg.registration_id,
            t=training,
        )
    sign_up(db, bus, training_id=training, telegram_id=1102)
    deletion = delete_person(db, bus, telegram_id=1101)
    assert [p.telegram_id for p in deletion.promotions] == [1102]
    assert len(deletion.refund_payment_ids) == 1  # an upcoming paid seat, before the cut-off
    with db.transaction() as tx:
        assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = 1101") == 0
        assert tx.value("SELECT count(*) FROM user_consent WHERE telegram_id = 1101") == 0
        assert tx.value("SELECT count(*) FROM deletion_ledger WHERE telegram_id = 1101") == 1
        payment = tx.one("SELECT pilot_id, amount_kopecks, refund_reason FROM payments")
        assert payment == {
            "pilot_id": None,
            "amount_kopecks": 10000,
            "refund_reason": "account_deleted",
        }
        assert (
            tx.value("SELECT status FROM registrations WHERE id = :id", id=reg.registration_id)
            == "cancelled"
        )
    assert my_registrations(db, telegram_id=1101) == []
    delete_person(db, bus, telegram_id=1101)  # twice is harmless


def _seats_by_heat(db, training_id: int) -> dict[int, list[int]]:
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT heat, channel_mhz FROM registrations WHERE training_id = :t"
            " AND status IN ('pending_payment', 'confirmed') ORDER BY heat, channel_mhz",
            t=training_id,
        )
    heats: dict[int, list[int]] = {}
    for row in rows:
        heats.setdefault(row["heat"], []).append(row["channel_mhz"])
    return heats


def test_more_pilots_than_fly_at_once_open_a_second_heat(db, bus):
    training = make_training(db, capacity=13)
    results = []
    for telegram_id in range(1300, 1312):
        make_pilot(db, telegram_id)
        results.append(sign_up(db, bus, training_id=training, telegram_id=telegram_id))
    assert [r.heat for r in results] == [1] * 8 + [2] * 4
    heats = _seats_by_heat(db, training)
    assert len(heats[1]) == 8 and len(set(heats[1])) == 8
    assert len(heats[2]) == 4 and len(set(heats[2])) == 4
    # heat 2 flies alone, so it gets the clean wide spacing heat 1 had at four pilots
    assert min(b - a for a, b in zip(heats[2], heats[2][1:], strict=False)) >= 35

    # a place freed in heat 1 goes to the next newcomer, in heat 1
    first = results[0]
    cancel(db, bus, registration_id=first.registration_id, telegram_id=1300)
    make_pilot(db, 1399)
    assert sign_up(db, bus, training_id=training, telegram_id=1399).heat == 1


def test_a_channel_change_stays_in_the_pilots_heat(db, bus):
    from fpv.registrations import change_channel

    training = make_training(db, capacity=10)
    results = []
    for telegram_id in range(1400, 1409):
        make_pilot(db, telegram_id)
        results.append(sign_up(db, bus, training_id=training, telegram_id=telegram_id))
    last = results[-1]
    assert last.heat == 2
    taken_in_heat_1 = set(_seats_by_heat(db, training)[1])
    chosen = change_channel(
        db,
        bus,
        registration_id=last.registration_id,
        telegram_id=1408,
        channel_mhz=next(iter(sorted(taken_in_heat_1))),
    )
    assert chosen.heat == 2  # a frequency of heat 1 is free in heat 2
    assert _seats_by_heat(db, training)[2] == [chosen.mhz]


def test_an_organizer_cancels_without_cut_off_only_at_their_venue_and_is_audited(db, bus):
    """The same use case for both doors: a local admin withdraws a pilot after the cut-off at
    their venue (audited in the same transaction); another venue's registration is 'not found'
    and stays as it was."""
    from fpv.actors import admin as admin_actor

    soon = make_training(db, starts_in=timedelta(hours=1))  # past the 24 h cut-off
    elsewhere = make_training(db)
    make_pilot(db, 610_001)
    make_pilot(db, 610_002)
    mine = sign_up(db, bus, training_id=soon, telegram_id=610_001)
    theirs = sign_up(db, bus, training_id=elsewhere, telegram_id=610_002)
    with pytest.raises(CancelTooLate):
        cancel(db, bus, registration_id=mine.registration_id, telegram_id=610_001)
    with db.transaction(readonly=True) as tx:
        venue = tx.value("SELECT venue_id FROM trainings WHERE id = :t", t=soon)
    from tests.support.admin import make_admin

    admin_id = make_admin(db, "local-7", 610_007, role="local", venues=[venue])["id"]
    local = admin_actor(admin_id, "local", {venue}, via="admin")
    with pytest.raises(RegistrationNotFound):
        cancel(db, bus, registration_id=theirs.registration_id, actor=local)
    assert _status(db, theirs.registration_id) == "confirmed"
    cancel(db, bus, registration_id=mine.registration_id, actor=local, admin_refund=False)
    assert _status(db, mine.registration_id) == "cancelled"
    with db.transaction(readonly=True) as tx:
        entries = tx.all(
            "SELECT actor, target, after FROM admin_audit_log WHERE action = 'registration.cancel'"
        )
    assert entries == [
        {
            "actor": f"admin:{admin_id} via admin",
            "target": f"registration:{mine.registration_id}",
            "after": {"status": "cancelled", "refund": False},
        }
    ]
