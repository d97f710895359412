"""Provider adapters without the network: Stripe signatures, YooKassa source networks and
object shapes, refund backoff, payloads, EMF metrics."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from fpv.payments import stripe, yookassa
from fpv.payments.checkout import valid_payload
from fpv.payments.ports import EmfMetrics, RefundState
from fpv.payments.refunds import backoff

SECRET = "whsec_unit"
BODY = b'{"id": "evt_1", "type": "refund.updated"}'
NOW = 1_750_000_000


def header(*, t: int = NOW, secret: str = SECRET, body: bytes = BODY, extra: str = "") -> str:
    return f"t={t},v1={stripe.signature(secret, t, body)}{extra}"


def test_a_valid_stripe_signature_is_accepted():
    assert stripe.verify_signature(BODY, header(), SECRET, now=NOW + 10) == NOW
    # several v1 signatures (secret rotation): one matching is enough
    rotated = f"t={NOW},v1={'0' * 64},v1={stripe.signature(SECRET, NOW, BODY)},v0=abc"
    assert stripe.verify_signature(BODY, rotated, SECRET, now=NOW) == NOW


@pytest.mark.parametrize(
    ("given", "now"),
    [
        (None, NOW),
        ("", NOW),
        ("garbage", NOW),
        (f"t=abc,v1={stripe.signature(SECRET, NOW, BODY)}", NOW),
        (f"t={NOW}", NOW),
        (f"v1={stripe.signature(SECRET, NOW, BODY)}", NOW),
        (header(secret="whsec_other"), NOW),
        (header(body=b"{}"), NOW),  # signed another payload
        (header(), NOW + 301),  # too old: a replay
        (header(), NOW - 301),  # from the future
    ],
    ids=[
        "none",
        "empty",
        "garbage",
        "bad-t",
        "no-v1",
        "no-t",
        "other-secret",
        "other-body",
        "stale",
        "future",
    ],
)
def test_bad_stripe_signatures_are_refused(given, now):
    with pytest.raises(stripe.SignatureError):
        stripe.verify_signature(BODY, given, SECRET, now=now)


def test_no_secret_accepts_nothing():
    with pytest.raises(stripe.SignatureError):
        stripe.verify_signature(BODY, header(secret=""), "", now=NOW)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("succeeded", "succeeded"),
        ("pending", "pending"),
        ("requires_action", "pending"),
        ("failed", "failed"),
        ("canceled", "failed"),
        ("weird", "pending"),
    ],
)
def test_stripe_refund_states(status, expected):
    state = stripe.refund_state({"id": "re_1", "status": status, "failure_reason": "expired_card"})
    assert state.status == expected and state.refund_id == "re_1"
    assert (state.detail == "expired_card") == (expected == "failed")


@pytest.mark.parametrize(
    ("ip", "trusted"),
    [
        ("185.71.76.0", True),
        ("185.71.76.31", True),
        ("185.71.76.32", False),
        ("185.71.77.10", True),
        ("77.75.153.127", True),
        ("77.75.153.128", False),
        ("77.75.156.11", True),
        ("77.75.156.12", False),
        ("77.75.156.35", True),
        ("77.75.154.200", True),
        ("2a02:5180::1", True),
        ("2a02:5181::1", False),
        ("127.0.0.1", False),
        ("", False),
        (None, False),
        ("not an ip", False),
    ],
)
def test_yookassa_notification_networks(ip, trusted):
    assert yookassa.from_yookassa(ip) is trusted


def test_yookassa_refund_states_and_amounts():
    ok = yookassa.refund_state({"id": "r1", "status": "succeeded"})
    assert ok == RefundState("succeeded", "r1", None)
    canceled = yookassa.refund_state(
        {"id": "r2", "status": "canceled", "cancellation_details": {"reason": "general_decline"}}
    )
    assert canceled == RefundState("failed", "r2", "general_decline")
    assert yookassa.refund_state({"id": "r3", "status": "pending"}).status == "pending"
    assert yookassa.amount_of({"amount": {"value": "1500.00", "currency": "RUB"}}) == (
        150_000,
        "RUB",
    )
    assert yookassa.amount_of({"amount": "1500"}) == (None, None)
    assert yookassa.amount_of({}) == (None, None)


@pytest.mark.parametrize(
    ("object_id", "ok"),
    [
        ("2d2a7a8d-000f-5000-9000-1b2bd8d8bc63", True),
        ("../payments", False),
        ("a/b", False),
        ("", False),
        ("x" * 65, False),
    ],
)
def test_object_ids_that_may_go_into_a_url(object_id, ok):
    assert bool(yookassa.OBJECT_ID.match(object_id)) is ok


def test_refund_backoff_grows_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(7) == timedelta(minutes=60) and backoff(30) == timedelta(minutes=60)


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ("0b6f3c1e-5b7a-4d0e-9a55-1c2d3e4f5a6b", True),
        ("0B6F3C1E-5B7A-4D0E-9A55-1C2D3E4F5A6B", True),
        ("0b6f3c1e5b7a4d0e9a551c2d3e4f5a6b", False),  # not the form we send
        ("42", False),
        ("", False),
        ("'; DROP TABLE payments; --", False),
    ],
)
def test_invoice_payloads(payload, ok):
    assert valid_payload(payload) is ok


def test_emf_metrics_are_printed_for_cloudwatch(capsys):
    EmfMetrics().count("RefundFailed")
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "FPV"
    assert directive["Metrics"] == [{"Name": "RefundFailed", "Unit": "Count"}]
    assert ["service"] in directive["Dimensions"] or directive["Dimensions"] == [["service"]]
    assert record["service"] == "payments" and record["RefundFailed"] == [1.0]
