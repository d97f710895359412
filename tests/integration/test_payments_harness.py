"""The payments test harness (imported by the other test_payments_* modules) and the checks
that the fake providers behave like the real ones where our code depends on it.

Real pieces everywhere: PostgreSQL, python-telegram-bot talking HTTP to the fake Bot API, our
YooKassa/Stripe clients talking HTTP to the fake providers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fpv.bot.deps import BotDeps
from fpv.db import Database
from fpv.delivery import deliverers
from fpv.local.fake_telegram import FakeTelegram
from fpv.local.fake_yookassa import FakeStripe, FakeYooKassa
from fpv.payments.botapi import BotApi
from fpv.payments.config import PaymentConfig
from fpv.payments.ports import PaymentPorts, RecordingMetrics
from fpv.payments.stars import StarsRefunder
from fpv.payments.stripe import StripeClient
from fpv.payments.telegram import handlers, send_invoice
from fpv.payments.yookassa import YooKassaClient
from fpv.ports.events import InProcessEventBus
from fpv.registrations import SignUpResult, sign_up
from tests.support.factories import make_pilot, make_training

PRICE = 150_000  # 1 500 ₽
_ids = itertools.count(50_000)


def tg_user(telegram_id: int, language: str = "ru") -> dict[str, Any]:
    return {"id": telegram_id, "is_bot": False, "first_name": "Pilot", "language_code": language}


def pre_checkout_update(
    telegram_id: int, payload: str, *, amount: int = PRICE, currency: str = "RUB"
) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "pre_checkout_query": {
            "id": f"pcq-{next(_ids)}",
            "from": tg_user(telegram_id),
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
        },
    }


def successful_payment_update(
    telegram_id: int,
    payload: str,
    *,
    charge_id: str,
    provider_charge_id: str,
    amount: int = PRICE,
    currency: str = "RUB",
) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": {"id": telegram_id, "type": "private"},
            "from": tg_user(telegram_id),
            "successful_payment": {
                "currency": currency,
                "total_amount": amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": provider_charge_id,
            },
        },
    }


@dataclass
class Harness:
    db: Database
    telegram: FakeTelegram
    yookassa: FakeYooKassa
    stripe: FakeStripe
    bus: InProcessEventBus
    metrics: RecordingMetrics
    ports: PaymentPorts
    config: PaymentConfig
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _charges: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # --- time -------------------------------------------------------------------------------
    def later(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    # --- the bot side -------------------------------------------------------------------------
    def _bot(self) -> Any:
        from telegram import Bot

        return Bot(self.telegram.token, base_url=f"{self.telegram.base_url}/bot")

    def process(self, *updates: dict[str, Any]) -> None:
        """Feed updates to an Application holding our handlers (as the bot's does)."""
        from telegram import Update
        from telegram.ext import Application

        async def go() -> None:
            app = Application.builder().bot(self._bot()).updater(None).build()
            app.bot_data["deps"] = BotDeps(
                db=self.db,
                bus=self.bus,
                clock=lambda: self.now,
                extras={"payment_ports": self.ports, "payment_config": self.config},
            )
            for handler in handlers():
                app.add_handler(handler)
            async with app:
                for update in updates:
                    await app.process_update(Update.de_json(update, app.bot))

        asyncio.run(go())

    def send_invoice(self, result: Any, language: str = "ru") -> Any:
        async def go() -> Any:
            async with self._bot() as bot:
                return await send_invoice(bot, result, language, db=self.db, config=self.config)

        return asyncio.run(go())

    # --- a pilot's paid seat ------------------------------------------------------------------
    def paid_training(self, **kwargs: Any) -> int:
        kwargs.setdefault("price_kopecks", PRICE)
        kwargs.setdefault("now", self.now)
        return make_training(self.db, **kwargs)

    def pilot(self, telegram_id: int, language: str = "ru") -> int:
        return make_pilot(self.db, telegram_id, language=language)

    def sign_up(self, training_id: int, telegram_id: int) -> SignUpResult:
        return sign_up(
            self.db,
            self.bus,
            training_id=training_id,
            telegram_id=telegram_id,
            hold_minutes=self.config.hold_minutes,
            now=self.now,
        )

    def pay(
        self,
        result: SignUpResult,
        telegram_id: int,
        *,
        amount: int = PRICE,
        charge_id: str | None = None,
        provider_charge_id: str | None = None,
    ) -> tuple[str, str]:
        """The pilot pays: YooKassa holds the payment, Telegram sends successful_payment."""
        provider_charge_id = provider_charge_id or self.yookassa.add_payment(amount)
        charge_id = charge_id or f"tg-charge-{next(self._charges)}-{telegram_id}"
        self.process(
            successful_payment_update(
                telegram_id,
                result.public_id,
                charge_id=charge_id,
                provider_charge_id=provider_charge_id,
                amount=amount,
            )
        )
        return charge_id, provider_charge_id

    # --- looking ------------------------------------------------------------------------------
    def q(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.db.transaction(readonly=True) as tx:
            return tx.all(sql, **params)

    def registration_status(self, registration_id: int) -> str:
        return self.q("SELECT status FROM registrations WHERE id = :id", id=registration_id)[0][
            "status"
        ]

    def payments(self, **where: Any) -> list[dict[str, Any]]:
        clause = " AND ".join(f"{k} = :{k}" for k in where) or "true"
        return self.q(f"SELECT * FROM payments WHERE {clause} ORDER BY id", **where)

    def pre_checkout_answers(self) -> list[dict[str, Any]]:
        return [c.params for c in self.telegram.calls_to("answerPreCheckoutQuery")]

    def texts_to(self, telegram_id: int) -> list[str]:
        return [c.text for c in self.telegram.calls_to("sendMessage", telegram_id)]


@pytest.fixture(scope="session")
def fake_servers() -> Iterator[tuple[FakeTelegram, FakeYooKassa, FakeStripe]]:
    """Started once (stopping an HTTP server costs up to its poll interval); reset per test."""
    with FakeTelegram() as telegram, FakeYooKassa() as yookassa, FakeStripe() as stripe:
        yield telegram, yookassa, stripe


@pytest.fixture(name="fakes")
def fakes_fixture(fake_servers) -> tuple[FakeTelegram, FakeYooKassa, FakeStripe]:
    telegram, yookassa, stripe = fake_servers
    with telegram._cond:
        telegram.calls.clear()
        telegram.errors.clear()
        telegram.blocked_chats.clear()
    yookassa.reset()
    stripe.reset()
    return fake_servers


CONFIG = PaymentConfig(
    provider="yookassa",
    provider_token="381764678:TEST:yookassa",
    stripe_webhook_secret="whsec_test_secret",
    hold_minutes=15,
)


def make_ports(
    telegram: FakeTelegram, yookassa: FakeYooKassa, stripe: FakeStripe
) -> tuple[PaymentPorts, RecordingMetrics]:
    api = BotApi(telegram.token, telegram.base_url, timeout=5)
    client = YooKassaClient(yookassa.shop_id, yookassa.secret_key, yookassa.base_url, timeout=5)
    metrics = RecordingMetrics()
    ports = PaymentPorts(
        refunders={
            "yookassa": client,
            "stripe": StripeClient(stripe.api_key, stripe.base_url, timeout=5),
            "stars": StarsRefunder(api),
        },
        metrics=metrics,
        yookassa=client,
        deliverers=deliverers(bus=None, bot_api=api, payment_config=CONFIG),
    )
    return ports, metrics


@pytest.fixture(name="pay")
def pay_fixture(db, fakes) -> Harness:
    telegram, yookassa, stripe = fakes
    ports, metrics = make_ports(telegram, yookassa, stripe)
    return Harness(
        db=db,
        telegram=telegram,
        yookassa=yookassa,
        stripe=stripe,
        bus=InProcessEventBus(),
        metrics=metrics,
        ports=ports,
        config=CONFIG,
    )


# --- the fakes behave like the providers where it matters -------------------------------------
def test_fake_yookassa_answers_the_same_refund_for_the_same_idempotence_key(fakes):
    _telegram, yookassa, _stripe = fakes
    payment_id = yookassa.add_payment(50_000)
    auth = (yookassa.shop_id, yookassa.secret_key)
    body = {"payment_id": payment_id, "amount": {"value": "500.00", "currency": "RUB"}}
    first = httpx.post(
        f"{yookassa.base_url}/refunds", json=body, auth=auth, headers={"Idempotence-Key": "k1"}
    )
    again = httpx.post(
        f"{yookassa.base_url}/refunds", json=body, auth=auth, headers={"Idempotence-Key": "k1"}
    )
    assert first.status_code == 200 and first.json() == again.json()
    assert len(yookassa.refunds_for(payment_id)) == 1
    # a new key cannot refund more than was paid
    over = httpx.post(
        f"{yookassa.base_url}/refunds", json=body, auth=auth, headers={"Idempotence-Key": "k2"}
    )
    assert over.status_code == 400
    wrong = httpx.get(f"{yookassa.base_url}/payments/{payment_id}", auth=("123456", "nope"))
    assert wrong.status_code == 401
