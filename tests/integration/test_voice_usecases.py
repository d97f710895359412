"""The use cases the voice tools call decide permissions themselves, with the admin's actor:
whatever a model (or a forged button) asks, a local admin reaches only their own venues."""

from __future__ import annotations

import pytest

from fpv import actors
from fpv.payments.cancellation import cancel_training
from fpv.payments.ports import PaymentPorts
from fpv.ports.events import InProcessEventBus
from fpv.registrations import RegistrationNotFound, TrainingNotFound
from fpv.registrations.service import change_channel, sign_up
from tests.support.factories import make_pilot, make_training, make_venue

PILOT = 930_001


class _NoMetrics:
    def count(self, *_a, **_k) -> None:
        return None


def _q(db, sql: str, **params):
    with db.transaction(readonly=True) as tx:
        return tx.all(sql, **params)


def test_change_channel_by_an_admin_checks_the_venue_and_is_audited(db):
    bus = InProcessEventBus()
    mine, theirs = make_venue(db), make_venue(db)
    training = make_training(db, venue_id=theirs)
    make_pilot(db, PILOT, nickname="Pasha")
    seat = sign_up(db, bus, training_id=training, telegram_id=PILOT, channel_mhz=5658)
    local = actors.admin(7, "local", {mine}, via="voice")
    with pytest.raises(RegistrationNotFound):
        change_channel(
            db,
            bus,
            registration_id=seat.registration_id,
            telegram_id=PILOT,
            channel_mhz=5732,
            actor=local,
        )
    assert _q(db, "SELECT channel_mhz FROM registrations")[0]["channel_mhz"] == 5658
    with db.transaction() as tx:
        admin_id = tx.value(
            "INSERT INTO admins (telegram_id, display_name, role) VALUES (1, 'A', 'superadmin')"
            " RETURNING id"
        )
    boss = actors.admin(admin_id, "superadmin", set(), via="voice")
    change_channel(
        db,
        bus,
        registration_id=seat.registration_id,
        telegram_id=PILOT,
        channel_mhz=5732,
        actor=boss,
    )
    assert _q(db, "SELECT channel_mhz FROM registrations")[0]["channel_mhz"] == 5732
    [entry] = _q(db, "SELECT admin_id, action, details FROM admin_audit_log")
    assert entry["admin_id"] == admin_id and entry["action"] == "registration.channel"
    assert entry["details"] == {"via": "voice", "from_mhz": 5658, "to_mhz": 5732}


def test_cancel_training_by_a_local_admin_of_another_venue_is_not_found(db):
    bus = InProcessEventBus()
    mine, theirs = make_venue(db), make_venue(db)
    training = make_training(db, venue_id=theirs)
    ports = PaymentPorts(refunders={}, metrics=_NoMetrics())
    local = actors.admin(7, "local", {mine}, via="voice")
    with pytest.raises(TrainingNotFound):
        cancel_training(db, bus, ports, training_id=training, actor=local)
    assert _q(db, "SELECT status FROM trainings")[0]["status"] == "scheduled"
    assert _q(db, "SELECT id FROM admin_audit_log") == []
