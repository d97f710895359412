"""A paid seat end to end through the real platform over HTTP: the bot (webhook, PTB) signs the
pilot up and calls our `send_invoice`; Telegram's pre_checkout_query and successful_payment
reach our handlers through the bot's webhook; YooKassa notifies `POST /payments/yookassa`
through the local gateway; the pilot cancels in the bot and the refund worker pays back."""

from __future__ import annotations

import httpx
import pytest

from fpv.local.fake_yookassa import FakeYooKassa
from fpv.payments.refunds import retry_pending_refunds
from fpv.payments.wiring import from_settings
from fpv.settings import get_settings
from tests.integration.test_payments_harness import pre_checkout_update, successful_payment_update
from tests.support.bot import BotPlatform, bot_platform
from tests.support.factories import make_training

A = 850_001
PRICE = 120_000


@pytest.fixture
def platform(app_env, tmp_path, monkeypatch):
    with FakeYooKassa() as yookassa:
        monkeypatch.setenv("YOOKASSA_SHOP_ID", yookassa.shop_id)
        monkeypatch.setenv("YOOKASSA_SECRET_KEY", yookassa.secret_key)
        monkeypatch.setenv("YOOKASSA_API_BASE_URL", yookassa.base_url)
        monkeypatch.setenv("PAYMENT_PROVIDER_TOKEN", "381764678:TEST:journey")
        with bot_platform(tmp_path, monkeypatch) as p:
            yield p, yookassa


def registration(p: BotPlatform, training: int) -> dict:
    with p.db.transaction(readonly=True) as tx:
        return tx.one(
            "SELECT id, public_id::text AS public_id, status FROM registrations"
            " WHERE training_id = :t",
            t=training,
        )


def test_paid_seat_through_the_bot_the_webhook_and_the_gateway(platform):
    p, yookassa = platform
    training = make_training(p.db, price_kopecks=PRICE, title="Ночная гонка")
    a = p.chat(A)
    a.send(f"/start training_{training}")
    a.press(f"ok:{training}")
    a.send("JourneyPilot")
    a.press("eqok")
    a.press(f"su:{training}:0")

    reg = registration(p, training)
    assert reg["status"] == "pending_payment"
    [invoice] = p.fake.calls_to("sendInvoice", A)
    assert invoice.params["payload"] == reg["public_id"]
    assert invoice.params["prices"][0]["amount"] == PRICE
    assert invoice.params["provider_token"] == "381764678:TEST:journey"

    assert a.post(pre_checkout_update(A, reg["public_id"], amount=PRICE)).status_code == 200
    [answer] = p.fake.calls_to("answerPreCheckoutQuery")
    assert answer.params["ok"] is True

    provider_charge = yookassa.add_payment(PRICE)
    paid = successful_payment_update(
        A,
        reg["public_id"],
        charge_id="tg-journey-1",
        provider_charge_id=provider_charge,
        amount=PRICE,
    )
    assert a.post(paid).status_code == 200
    assert registration(p, training)["status"] == "confirmed"
    assert "Оплата 1\u202f200 ₽ получена" in a.last().text
    assert {"training_id": training, "reason": "payment_confirmed"} in p.events()

    # YooKassa's own notification about the payment reaches the payments function over HTTP
    body = yookassa.notification("payment.succeeded", yookassa.payments[provider_charge])
    response = httpx.post(
        f"{p.base_url}/payments/yookassa",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200 and response.json()["outcome"] == "consistent"

    # the pilot cancels in the bot (before the cut-off): the bot refunds through us at once
    a.press(f"cx:{reg['id']}")
    a.press(f"cxy:{reg['id']}")
    assert registration(p, training)["status"] == "refunded"
    assert yookassa.refunded_kopecks(provider_charge) == PRICE
    [post] = yookassa.calls_to("POST", "/v3/refunds")
    assert post.body["payment_id"] == provider_charge
    assert any("Возврат 1\u202f200 ₽" in c.text for c in a.sent())
    # nothing left for the refund worker
    ports, _config = from_settings(get_settings())
    report = retry_pending_refunds(p.db, ports)
    assert report.attempted == 0
    assert len(yookassa.calls_to("POST", "/v3/refunds")) == 1
