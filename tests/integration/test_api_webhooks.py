"""Outgoing webhooks: a receiver on 127.0.0.1 verifies every signature with the
`standardwebhooks` library, gets each event once, and gets it again after answering 500; other
venues' events never reach a key; a subscription failing for a day is disabled and the owners are
told; redelivery keeps the webhook-id. Subscriptions are made over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fpv import outbox, webhooks
from fpv.actors import Actor
from fpv.api.server import create_app
from fpv.ports.events import InProcessEventBus
from fpv.registrations import cancel, change_channel, channel_choices, sign_up
from tests.support.apis import Receiver, ReceiverServer, bearer, make_key
from tests.support.factories import make_pilot, make_training
from tests.support.server import serve_in_thread

OPS = 555


@pytest.fixture
def base(app_env):
    with serve_in_thread(create_app()) as url:
        yield url


@pytest.fixture
def receiver():
    r = Receiver()
    with ReceiverServer(r) as server:
        r.url = server.url  # type: ignore[attr-defined]
        yield r


def ports() -> outbox.Deliverers:
    return outbox.Deliverers(bus=InProcessEventBus(), webhook=webhooks.Sender(ops_chat_id=OPS))


def deliver(db, *, now: datetime | None = None) -> outbox.DeliveryReport:
    return outbox.deliver(db, ports(), now=now)


def venue_of(db, training_id: int) -> int:
    with db.transaction(readonly=True) as tx:
        return tx.value("SELECT venue_id FROM trainings WHERE id = :t", t=training_id)


def subscribe(base: str, key: str, url: str, types: list[str]) -> dict:
    r = httpx.post(
        f"{base}/api/v1/webhooks",
        json={"url": url, "event_types": types},
        headers=bearer(key),
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_signed_once_and_redelivered_after_500(base, db, receiver):
    training = make_training(db)
    elsewhere = make_training(db)
    key = make_key(db, [venue_of(db, training)])["key"]
    sub = subscribe(base, key, receiver.url, ["registration.*"])
    receiver.secret = sub["secret"]
    assert sub["secret"].startswith("whsec_")
    listed = httpx.get(f"{base}/api/v1/webhooks", headers=bearer(key), timeout=30).json()
    assert "secret" not in listed["items"][0]

    bus = InProcessEventBus()
    make_pilot(db, 740_001, nickname="Falcon")
    make_pilot(db, 740_002, nickname="Hawk")
    result = sign_up(db, bus, training_id=training, telegram_id=740_001)
    sign_up(db, bus, training_id=elsewhere, telegram_id=740_002)  # not this key's venue

    report = deliver(db)
    assert report.delivered == 1
    assert receiver.rejected_signatures == 0
    (event,) = receiver.accepted
    assert event["payload"]["type"] == "registration.created"
    reg = event["payload"]["data"]["registration"]
    assert reg["id"] == result.registration_id and reg["nickname"] == "Falcon"
    assert reg["channel_mhz"] == result.channel_mhz and reg["heat"] == 1
    assert deliver(db).delivered == 0  # nothing twice
    assert len(receiver.received) == 1

    # the receiver fails once: the row is retried with backoff, same webhook-id
    receiver.fail_next = 1
    other = [c for c in channel_choices(db, training_id=training, telegram_id=740_001)][1]
    change_channel(
        db,
        bus,
        registration_id=result.registration_id,
        telegram_id=740_001,
        channel_mhz=other.mhz,
    )
    first = deliver(db)
    assert first.retried == 1 and first.delivered == 0
    assert deliver(db).retried == 0  # not due yet: backoff
    second = deliver(db, now=datetime.now(UTC) + timedelta(minutes=5))
    assert second.delivered == 1
    attempts = [e["id"] for e in receiver.received[1:]]
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert receiver.types() == ["registration.created", "registration.channel_changed"]

    # redelivery on request: same webhook-id, the receiver dedupes it
    msg_id = receiver.accepted[0]["id"]
    r = httpx.post(
        f"{base}/api/v1/webhooks/messages/{msg_id}/redeliver", headers=bearer(key), timeout=30
    )
    assert r.status_code == 202, r.text
    assert deliver(db).delivered == 1
    assert receiver.received[-1]["id"] == msg_id
    assert len(receiver.accepted) == 2  # still each event once
    stranger_key = make_key(db, [venue_of(db, elsewhere)])["key"]
    r = httpx.post(
        f"{base}/api/v1/webhooks/messages/{msg_id}/redeliver",
        headers=bearer(stranger_key),
        timeout=30,
    )
    assert r.status_code == 404

    cancel(db, bus, registration_id=result.registration_id, telegram_id=740_001)
    deliver(db)
    assert receiver.types()[-1] == "registration.cancelled"
    assert receiver.rejected_signatures == 0


def test_patterns_scopes_and_unsubscribe(base, db, receiver):
    training = make_training(db)
    venue = venue_of(db, training)
    training_only = make_key(db, [venue], scopes=("schedule:read",))["key"]
    sub = subscribe(base, training_only, receiver.url, ["*"])
    receiver.secret = sub["secret"]
    make_pilot(db, 740_011)
    sign_up(db, InProcessEventBus(), training_id=training, telegram_id=740_011)
    deliver(db)
    assert receiver.received == []  # registrations need registrations:read

    bad = httpx.post(
        f"{base}/api/v1/webhooks",
        json={"url": receiver.url, "event_types": ["nonsense.*"]},
        headers=bearer(training_only),
        timeout=30,
    )
    assert bad.status_code == 422
    plain = httpx.post(
        f"{base}/api/v1/webhooks",
        json={"url": "http://crm.example/hook", "event_types": ["training.*"]},
        headers=bearer(training_only),
        timeout=30,
    )
    assert plain.status_code == 422 and "https" in plain.json()["detail"]
    dup = httpx.post(
        f"{base}/api/v1/webhooks",
        json={"url": receiver.url, "event_types": ["training.*"]},
        headers=bearer(training_only),
        timeout=30,
    )
    assert dup.status_code == 409
    gone = httpx.delete(
        f"{base}/api/v1/webhooks/{sub['id']}", headers=bearer(training_only), timeout=30
    )
    assert gone.status_code == 204
    again = httpx.delete(
        f"{base}/api/v1/webhooks/{sub['id']}", headers=bearer(training_only), timeout=30
    )
    assert again.status_code == 404


def test_a_day_of_failures_disables_and_tells_the_owners(db, receiver, app_env):
    training = make_training(db)
    made = make_key(db, [venue_of(db, training)])
    key_actor = Actor(kind="api_key", id=made["id"], venue_ids=frozenset(made["venue_ids"]))
    sub = webhooks.subscribe(db, key_actor, url=receiver.url, event_types=["registration.*"])
    receiver.secret = sub["secret"]
    receiver.fail_next = 1000
    make_pilot(db, 740_021)
    sign_up(db, InProcessEventBus(), training_id=training, telegram_id=740_021)
    assert deliver(db).retried == 1
    with db.transaction() as tx:
        tx.execute("UPDATE webhook_subscriptions SET failing_since = now() - interval '25 hours'")
    report = deliver(db, now=datetime.now(UTC) + timedelta(minutes=5))
    assert report.failed == 1
    with db.transaction(readonly=True) as tx:
        row = tx.one("SELECT disabled_at, disabled_reason FROM webhook_subscriptions")
        told = tx.all("SELECT payload FROM outbox WHERE kind = 'telegram.message'")
    assert row["disabled_at"] is not None and "HTTP 500" in row["disabled_reason"]
    assert len(told) == 1 and told[0]["payload"]["chat_id"] == OPS
    # nothing more is queued for a disabled subscription
    same_venue = make_training(db, venue_id=venue_of(db, training))
    sign_up(db, InProcessEventBus(), training_id=same_venue, telegram_id=740_021)
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM outbox WHERE payload ? 'webhook'") == 1


def test_series_promotion_and_refund_reach_integrations(base, db, receiver):
    """The events a CRM needs beyond sign-ups: each training of a new weekly series, the
    waitlisted pilot who got the seat, and money that went back (once, however often the
    provider says so)."""
    from fpv.admin import trainings as trainings_uc
    from fpv.audit import Client
    from fpv.dal import payments as payments_dal
    from fpv.payments.refunds import mark_refunded
    from tests.support.admin import make_admin

    training = make_training(db, capacity=1, price_kopecks=50_000)
    venue = venue_of(db, training)
    key = make_key(db, [venue])["key"]
    sub = subscribe(
        base, key, receiver.url, ["training.changed", "registration.promoted", "payment.refunded"]
    )
    receiver.secret = sub["secret"]
    bus = InProcessEventBus()

    admin_id = make_admin(db, "series-admin", 740_099)["id"]
    actor = Actor(kind="admin", id=admin_id, role="superadmin", via="admin")
    first = (datetime.now(UTC) + timedelta(days=3)).date()
    spec = trainings_uc.SeriesSpec(
        venue_id=venue, title="Среда", first_date=first, start_time=datetime.min.time(),
        duration_minutes=120, count=2,
    )  # fmt: skip
    series = trainings_uc.create_series(db, bus, actor, spec, Client())
    deliver(db)
    changed = [e["payload"]["data"]["training"]["id"] for e in receiver.accepted]
    assert receiver.types() == ["training.changed"] * 2
    assert sorted(changed) == sorted(r["id"] for r in series)

    make_pilot(db, 740_021, nickname="Owl")
    make_pilot(db, 740_022, nickname="Lark")
    seated = sign_up(db, bus, training_id=training, telegram_id=740_021)
    waiting = sign_up(db, bus, training_id=training, telegram_id=740_022)
    assert waiting.status == "waitlisted"
    cancel(db, bus, registration_id=seated.registration_id, telegram_id=740_021)
    deliver(db)
    promoted = receiver.accepted[-1]["payload"]
    assert promoted["type"] == "registration.promoted"
    assert promoted["data"]["registration"]["id"] == waiting.registration_id
    assert promoted["data"]["registration"]["status"] == "pending_payment"

    with db.transaction() as tx:
        payment = payments_dal.insert_payment(
            tx, registration_id=waiting.registration_id, training_id=training, pilot_id=None,
            provider="yookassa", amount=50_000, currency="RUB", telegram_charge_id="tg-wh-1",
            provider_charge_id="yk-wh-1",
        )  # fmt: skip
    assert payment is not None
    for _ in range(2):  # the provider's notification, then its retry
        with db.transaction() as tx:
            mark_refunded(tx, payment, refund_id="rf-1", now=datetime.now(UTC), outside=True)
    deliver(db)
    refunded = [
        e["payload"] for e in receiver.accepted if e["payload"]["type"] == "payment.refunded"
    ]
    assert len(refunded) == 1
    assert refunded[0]["data"]["registration"]["id"] == waiting.registration_id
    assert receiver.rejected_signatures == 0
