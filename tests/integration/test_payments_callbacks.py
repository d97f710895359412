"""`POST /payments/{provider}` through the payments Lambda handler (API Gateway HTTP API v2
events, as in AWS): YooKassa notifications re-fetched from the fake YooKassa, Stripe events
signature-checked; forged, replayed, unknown and out-of-order ones change nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from fpv.local.apigw import HttpResponse, build_event, parse_response
from fpv.local.invoker import FunctionInvoker
from fpv.local.template import load_template
from fpv.payments import stripe
from fpv.payments.config import PaymentConfig
from fpv.payments.refunds import cancel_with_refund
from fpv.settings import get_settings
from fpv.texts import t
from tests.integration.test_payments_harness import (  # noqa: F401 - fixtures
    PRICE,
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
    successful_payment_update,
)

ROOT = Path(__file__).resolve().parents[2]
A, B = 830_001, 830_002
STRIPE_SECRET = "whsec_test_secret"


class Endpoint:
    """The PaymentsFunction from template.yaml, invoked in-process like one warm container."""

    def __init__(self) -> None:
        self.fn = load_template(ROOT / "template.yaml").functions["PaymentsFunction"]
        self.invoker = FunctionInvoker()

    def post(
        self,
        provider: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
        event = build_event(
            method="POST",
            path=f"/payments/{provider}",
            raw_query="",
            headers=[("content-type", "application/json"), *(headers or {}).items()],
            body=body,
            route_key="POST /payments/{provider}",
            path_parameters={"provider": provider},
            source_ip=source_ip,
        )
        return parse_response(self.invoker.invoke(self.fn, event))

    def outcome(self, *args, **kwargs) -> tuple[int, str]:
        response = self.post(*args, **kwargs)
        return response.status, json.loads(response.body)["outcome"]

    def job(self, event: dict) -> dict:
        return self.invoker.invoke(self.fn, event)


def configure(monkeypatch, pay: Harness, **extra: str) -> None:
    env = {
        "YOOKASSA_SHOP_ID": pay.yookassa.shop_id,
        "YOOKASSA_SECRET_KEY": pay.yookassa.secret_key,
        "YOOKASSA_API_BASE_URL": pay.yookassa.base_url,
        "STRIPE_API_KEY": pay.stripe.api_key,
        "STRIPE_API_BASE_URL": pay.stripe.base_url,
        "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
        "TELEGRAM_BOT_TOKEN": pay.telegram.token,
        "TELEGRAM_API_BASE_URL": pay.telegram.base_url,
        **extra,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def endpoint(app_env, pay: Harness, monkeypatch) -> Endpoint:
    configure(monkeypatch, pay)
    return Endpoint()


def pending_refund(pay: Harness, telegram_id: int, *, provider: str = "yookassa"):
    """A paid seat cancelled by the pilot whose refund the provider has accepted but not
    finished: (registration id, the provider's refund object)."""
    if provider == "stripe":
        pay.config = PaymentConfig(provider="stripe")
        pay.stripe.refund_outcome = "pending"
    else:
        pay.yookassa.refund_outcome = "pending"
    training = pay.paid_training()
    pay.pilot(telegram_id)
    held = pay.sign_up(training, telegram_id)
    if provider == "stripe":
        charge = pay.stripe.add_charge(PRICE)
        pay.process(
            successful_payment_update(
                telegram_id,
                held.public_id,
                charge_id=f"st-{telegram_id}",
                provider_charge_id=charge,
            )
        )
        refunds_for = pay.stripe.refunds_for
    else:
        _c, charge = pay.pay(held, telegram_id)
        refunds_for = pay.yookassa.refunds_for
    cancel_with_refund(
        pay.db,
        pay.bus,
        pay.ports,
        registration_id=held.registration_id,
        telegram_id=telegram_id,
        now=pay.now,
    )
    [refund] = refunds_for(charge)
    assert pay.payments()[-1]["status"] == "refund_pending"
    return held.registration_id, refund


def notifications(pay: Harness) -> list[dict]:
    return pay.q("SELECT provider, notification_id, outcome FROM payment_notifications")


# --- YooKassa ---------------------------------------------------------------------------------
def test_yookassa_refund_notification_is_verified_applied_once_and_the_pilot_told(
    endpoint: Endpoint, pay: Harness
):
    registration_id, refund = pending_refund(pay, A)
    settled = pay.yookassa.settle_refund(refund["id"], "succeeded")
    body = pay.yookassa.notification("refund.succeeded", settled)

    assert endpoint.outcome("yookassa", body) == (200, "refund_refunded")
    [payment] = pay.payments()
    assert payment["status"] == "refunded" and payment["refunded_kopecks"] == PRICE
    assert pay.registration_status(registration_id) == "refunded"
    assert pay.texts_to(A)[-1] == t(
        "payments.refund.done", "ru", amount="1\u202f500 ₽", title="Тренировка"
    )
    assert len(pay.yookassa.calls_to("GET", f"/v3/refunds/{refund['id']}")) == 1

    # the same notification again: answered, not re-fetched, nothing changes
    messages = len(pay.telegram.calls)
    assert endpoint.outcome("yookassa", body) == (200, "duplicate")
    assert len(pay.yookassa.calls_to("GET", f"/v3/refunds/{refund['id']}")) == 1
    assert len(pay.telegram.calls) == messages
    assert pay.payments() == [payment]


def test_forged_yookassa_notifications_change_nothing(endpoint: Endpoint, pay: Harness):
    _registration_id, refund = pending_refund(pay, A)
    # an object YooKassa never heard of
    fake = dict(refund, id="2e999999-0015-5000-8000-000000000000", status="succeeded")
    assert endpoint.outcome("yookassa", pay.yookassa.notification("refund.succeeded", fake)) == (
        200,
        "unverified",
    )
    # a real refund, but claimed "succeeded" while YooKassa says it is still pending
    lie = dict(refund, status="succeeded")
    assert endpoint.outcome("yookassa", pay.yookassa.notification("refund.succeeded", lie)) == (
        200,
        "unchanged",
    )
    assert pay.payments()[0]["status"] == "refund_pending"
    assert pay.texts_to(A)[-1] != t(
        "payments.refund.done", "ru", amount="1\u202f500 ₽", title="Тренировка"
    )
    # ... and the forgery does not shadow the genuine notification that follows
    settled = pay.yookassa.settle_refund(refund["id"], "succeeded")
    assert endpoint.outcome("yookassa", pay.yookassa.notification("refund.succeeded", settled)) == (
        200,
        "refund_refunded",
    )
    assert pay.payments()[0]["status"] == "refunded"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"type": "notification", "event": "refund.succeeded"}',
        b'{"type": "notification", "event": "refund.succeeded", "object": {"id": "../../me"}}',
        b'{"type": "other", "event": "refund.succeeded", "object": {"id": "abc"}}',
        b'{"type": "notification", "event": 5, "object": {"id": "abc"}}',
    ],
    ids=["not-json", "array", "no-object", "path-in-id", "wrong-type", "event-not-text"],
)
def test_malformed_yookassa_notifications_are_400(endpoint: Endpoint, pay: Harness, body):
    assert endpoint.post("yookassa", body).status == 400
    assert pay.yookassa.calls == []  # nothing asked of YooKassa
    assert notifications(pay) == []


def test_unknown_provider_and_unhandled_events(endpoint: Endpoint, pay: Harness):
    assert endpoint.outcome("paypal", b"{}") == (404, "unknown_provider")
    body = pay.yookassa.notification("payout.succeeded", {"id": "po-1"})
    assert endpoint.outcome("yookassa", body) == (200, "ignored")
    assert pay.yookassa.calls == []


def test_yookassa_api_down_answers_503_and_the_redelivery_is_processed(
    endpoint: Endpoint, pay: Harness
):
    _registration_id, refund = pending_refund(pay, A)
    settled = pay.yookassa.settle_refund(refund["id"], "succeeded")
    body = pay.yookassa.notification("refund.succeeded", settled)
    pay.yookassa.fail(times=1, status=503)
    assert endpoint.outcome("yookassa", body) == (503, "provider_unavailable")
    assert pay.payments()[0]["status"] == "refund_pending" and notifications(pay) == []
    assert endpoint.outcome("yookassa", body) == (200, "refund_refunded")  # YooKassa retries


def test_a_canceled_refund_at_yookassa_becomes_refund_failed(endpoint: Endpoint, pay: Harness):
    _registration_id, refund = pending_refund(pay, A)
    canceled = pay.yookassa.settle_refund(refund["id"], "canceled")
    # YooKassa has no "refund.canceled" event; whatever the event says, the API's truth counts
    body = pay.yookassa.notification("refund.succeeded", dict(canceled, status="succeeded"))
    assert endpoint.outcome("yookassa", body) == (200, "refund_refund_failed")
    [payment] = pay.payments()
    assert payment["status"] == "refund_failed" and payment["refund_last_error"] == (
        "rejected_by_payee"
    )


def test_yookassa_payment_notifications_are_a_cross_check_only(endpoint: Endpoint, pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    _c, provider_charge = pay.pay(held, A)
    ours = pay.yookassa.payments[provider_charge]
    assert endpoint.outcome("yookassa", pay.yookassa.notification("payment.succeeded", ours)) == (
        200,
        "consistent",
    )
    stranger = pay.yookassa.payments[pay.yookassa.add_payment(99_00)]
    assert endpoint.outcome(
        "yookassa", pay.yookassa.notification("payment.succeeded", stranger)
    ) == (200, "unknown_payment")
    assert [p["status"] for p in pay.payments()] == ["paid"]
    assert pay.registration_status(held.registration_id) == "confirmed"


def test_a_refund_made_in_the_yookassa_dashboard_is_followed(endpoint: Endpoint, pay: Harness):
    training = pay.paid_training()
    pay.pilot(A)
    held = pay.sign_up(training, A)
    _c, provider_charge = pay.pay(held, A)
    made_outside = httpx.post(
        f"{pay.yookassa.base_url}/refunds",
        json={"payment_id": provider_charge, "amount": {"value": "1500.00", "currency": "RUB"}},
        auth=(pay.yookassa.shop_id, pay.yookassa.secret_key),
        headers={"Idempotence-Key": "dashboard-1"},
    ).json()
    body = pay.yookassa.notification("refund.succeeded", made_outside)
    assert endpoint.outcome("yookassa", body) == (200, "refunded_outside")
    [payment] = pay.payments()
    assert payment["status"] == "refunded" and payment["refund_reason"] == "manual"
    assert payment["refund_id"] == made_outside["id"]


def test_only_yookassa_networks_may_notify_when_the_check_is_on(app_env, pay: Harness, monkeypatch):
    configure(monkeypatch, pay, YOOKASSA_CHECK_SOURCE_IP="true")
    endpoint = Endpoint()
    _registration_id, refund = pending_refund(pay, A)
    settled = pay.yookassa.settle_refund(refund["id"], "succeeded")
    body = pay.yookassa.notification("refund.succeeded", settled)
    assert endpoint.outcome("yookassa", body, source_ip="203.0.113.7") == (403, "untrusted_source")
    assert pay.yookassa.calls_to("GET", "/v3/refunds") == []
    assert endpoint.outcome("yookassa", body, source_ip="185.71.76.10") == (200, "refund_refunded")


def test_database_down_is_503_so_the_provider_retries(app_env, pay: Harness, monkeypatch):
    configure(monkeypatch, pay, DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    body = pay.yookassa.notification("refund.succeeded", {"id": "2e000001-0015-5000-8000-1"})
    assert Endpoint().post("yookassa", body).status == 503


# --- Stripe -----------------------------------------------------------------------------------
def stripe_event(event_id: str, kind: str, obj: dict) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}
    ).encode()


def signed(body: bytes, *, secret: str = STRIPE_SECRET, at: int | None = None) -> dict[str, str]:
    at = int(time.time()) if at is None else at
    return {"stripe-signature": f"t={at},v1={stripe.signature(secret, at, body)}"}


def test_stripe_refund_events_need_a_valid_signature_and_apply_once(
    endpoint: Endpoint, pay: Harness
):
    registration_id, refund = pending_refund(pay, A, provider="stripe")
    body = stripe_event("evt_1", "refund.updated", dict(refund, status="succeeded"))

    assert endpoint.outcome("stripe", body) == (401, "bad_signature")  # no header
    assert endpoint.outcome("stripe", body, signed(body, secret="whsec_wrong")) == (
        401,
        "bad_signature",
    )
    tampered = body.replace(b"succeeded", b"succeedex")
    assert endpoint.outcome("stripe", tampered, signed(body)) == (401, "bad_signature")
    stale = signed(body, at=int(time.time()) - 3600)  # a captured event replayed an hour later
    assert endpoint.outcome("stripe", body, stale) == (401, "bad_signature")
    assert pay.payments()[0]["status"] == "refund_pending"

    assert endpoint.outcome("stripe", body, signed(body)) == (200, "refund_refunded")
    assert pay.payments()[0]["status"] == "refunded"
    assert pay.registration_status(registration_id) == "refunded"
    assert endpoint.outcome("stripe", body, signed(body)) == (200, "duplicate")

    # out of order: an older "pending" update arriving late moves nothing backwards
    late = stripe_event("evt_0", "refund.updated", dict(refund, status="pending"))
    assert endpoint.outcome("stripe", late, signed(late)) == (200, "unchanged")
    assert pay.payments()[0]["status"] == "refunded"
    assert len([c for c in pay.telegram.calls_to("sendMessage", A) if "оформлен" in c.text]) == 1


def test_stripe_failed_refund_and_unrelated_events(endpoint: Endpoint, pay: Harness):
    _registration_id, refund = pending_refund(pay, A, provider="stripe")
    failed = stripe_event(
        "evt_f",
        "refund.failed",
        dict(refund, status="failed", failure_reason="lost_or_stolen_card"),
    )
    assert endpoint.outcome("stripe", failed, signed(failed)) == (200, "refund_refund_failed")
    assert pay.payments()[0]["refund_last_error"] == "lost_or_stolen_card"
    other = stripe_event("evt_x", "customer.created", {"object": "customer", "id": "cus_1"})
    assert endpoint.outcome("stripe", other, signed(other)) == (200, "ignored")
    unknown = stripe_event("evt_u", "refund.updated", dict(refund, id="re_other", charge="ch_x"))
    assert endpoint.outcome("stripe", unknown, signed(unknown)) == (200, "unknown_refund")
    garbage = b'{"id": 5}'
    assert endpoint.outcome("stripe", garbage, signed(garbage)) == (400, "malformed")


def test_stripe_without_a_configured_secret_is_refused(app_env, pay: Harness, monkeypatch):
    configure(monkeypatch, pay, STRIPE_WEBHOOK_SECRET="")
    body = stripe_event("evt_1", "refund.updated", {"object": "refund", "id": "re_1"})
    assert Endpoint().outcome("stripe", body, signed(body)) == (503, "not_configured")


# --- the schedule -------------------------------------------------------------------------------
def test_the_scheduled_event_runs_the_refund_worker(endpoint: Endpoint, pay: Harness):
    training = pay.paid_training()
    pay.pilot(B)
    held = pay.sign_up(training, B)
    _c, provider_charge = pay.pay(held, B)
    pay.yookassa.fail(times=1, status=503)
    cancel_with_refund(
        pay.db, pay.bus, pay.ports, registration_id=held.registration_id, telegram_id=B
    )
    with pay.db.transaction() as tx:  # the backoff has passed
        tx.execute("UPDATE payments SET refund_next_at = now() - interval '1 second'")
    report = endpoint.job({"job": "retry_refunds"})
    assert report["refunded"] == 1 and report["attempted"] == 1
    assert pay.yookassa.refunded_kopecks(provider_charge) == PRICE
