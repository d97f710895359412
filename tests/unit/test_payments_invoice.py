"""The invoice for a held seat (pure): amounts, texts, payload, 54-FZ receipt data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fpv.payments.config import PaymentConfig
from fpv.payments.invoice import DESCRIPTION_MAX, TITLE_MAX, InvoiceTarget, build_invoice
from fpv.payments.money import charge_for, format_amount, from_decimal_string, to_decimal_string

STARTS = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)  # 19:00 in Moscow
HOLD = datetime(2025, 3, 12, 9, 45, tzinfo=UTC)  # 12:45 in Moscow


def target(**overrides) -> InvoiceTarget:
    values = {
        "registration_id": 7,
        "public_id": "0b6f3c1e-5b7a-4d0e-9a55-1c2d3e4f5a6b",
        "telegram_id": 42,
        "language": "ru",
        "status": "pending_payment",
        "hold_expires_at": HOLD,
        "training_title": "Вечерняя гонка",
        "starts_at": STARTS,
        "venue_name": "Крылья",
        "time_zone": "Europe/Moscow",
        "price_kopecks": 150_050,
        "channel_label": "R1",
        "channel_mhz": 5658,
    }
    values.update(overrides)
    return InvoiceTarget(**values)


YOOKASSA = PaymentConfig(provider="yookassa", provider_token="381764678:TEST:1", vat_code=1)


def test_yookassa_invoice_carries_kopecks_payload_and_a_54fz_receipt():
    spec = build_invoice(target(), YOOKASSA)
    assert (spec.chat_id, spec.payload, spec.currency, spec.amount) == (
        42,
        "0b6f3c1e-5b7a-4d0e-9a55-1c2d3e4f5a6b",
        "RUB",
        150_050,
    )
    assert spec.provider_token == "381764678:TEST:1"
    assert spec.title == "Тренировка: Вечерняя гонка"
    assert "14.03.2025 19:00" in spec.description and "до 12:45" in spec.description
    assert "R1 (5658 МГц)" in spec.description and "1\u202f500,50 ₽" in spec.description
    receipt = json.loads(spec.provider_data)["receipt"]
    assert receipt == {
        "items": [
            {
                "description": "Участие в тренировке FPV «Вечерняя гонка» 14.03.2025 19:00",
                "quantity": "1.00",
                "amount": {"value": "1500.50", "currency": "RUB"},
                "vat_code": 1,
                "payment_mode": "full_prepayment",
                "payment_subject": "service",
            }
        ]
    }
    kwargs = spec.send_kwargs()
    assert kwargs["need_email"] is True and kwargs["send_email_to_provider"] is True
    assert kwargs["prices"][0].amount == 150_050


def test_english_texts_and_the_receipt_stays_russian():
    spec = build_invoice(target(language="en", training_title="Night race"), YOOKASSA)
    assert spec.title == "Training: Night race"
    assert "held until 12:45" in spec.description and "RUB 1,500.50" in spec.description
    item = json.loads(spec.provider_data)["receipt"]["items"][0]
    assert item["description"].startswith("Участие в тренировке FPV")


def test_long_titles_are_clipped_to_telegrams_limits():
    spec = build_invoice(target(training_title="Очень длинное название " * 20), YOOKASSA)
    assert len(spec.title) == TITLE_MAX and spec.title.endswith("…")
    assert len(spec.description) <= DESCRIPTION_MAX
    item = json.loads(spec.provider_data)["receipt"]["items"][0]
    assert len(item["description"]) <= 128


def test_stars_invoice_rounds_up_and_has_no_provider_data():
    spec = build_invoice(target(), PaymentConfig(provider="stars", star_price_kopecks=200))
    assert (spec.currency, spec.amount, spec.provider_token) == ("XTR", 751, "")
    assert spec.provider_data is None and "need_email" not in spec.send_kwargs()
    assert "751 ⭐" in spec.description


def test_stripe_invoice_has_no_yookassa_receipt():
    spec = build_invoice(target(), PaymentConfig(provider="stripe", provider_token="st"))
    assert spec.currency == "RUB" and spec.provider_data is None and not spec.need_email


def test_no_channel_yet_is_said_so():
    spec = build_invoice(target(channel_mhz=None, channel_label=None), YOOKASSA)
    assert "канал назначим позже" in spec.description


@pytest.mark.parametrize(
    ("kopecks", "text"), [(0, "0.00"), (5, "0.05"), (150_000, "1500.00"), (99_999, "999.99")]
)
def test_decimal_strings_round_trip(kopecks, text):
    assert to_decimal_string(kopecks) == text
    assert from_decimal_string(text) == kopecks


@pytest.mark.parametrize("bad", ["", "abc", "1.005", "-1.00", "NaN", "Infinity", None, "1e400"])
def test_bad_amount_strings_are_refused(bad):
    assert from_decimal_string(bad) is None


def test_amount_from_decimal_values():
    assert from_decimal_string(Decimal("12.3")) == 1230


def test_charge_for_and_formatting():
    assert charge_for(150_000, "RUB", 200) == 150_000
    assert charge_for(150_001, "XTR", 200) == 751
    assert charge_for(150_000, "XTR", 200) == 750
    assert format_amount(100_000_000, "RUB", "ru") == "1\u202f000\u202f000 ₽"
    assert format_amount(150_005, "RUB", "en") == "RUB 1,500.05"
    assert format_amount(12, "XTR", "en") == "12 ⭐"


def test_unknown_provider_is_a_configuration_error():
    with pytest.raises(ValueError, match="unknown payment provider"):
        PaymentConfig(provider="paypal")
