"""The invoice for a held seat: amounts in minor units, texts in the pilot's language, the
registration's opaque public id as payload and, for YooKassa, 54-FZ receipt data.

`build_invoice` is pure (unit-tested); `fpv.payments.telegram.send_invoice` sends what it builds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpv.dal import payments as dal
from fpv.db import Database
from fpv.payments.config import PaymentConfig
from fpv.payments.money import charge_for, format_amount, to_decimal_string
from fpv.texts import t

# Telegram's limits for sendInvoice, YooKassa's for a receipt item.
TITLE_MAX = 32
DESCRIPTION_MAX = 255
RECEIPT_ITEM_MAX = 128


@dataclass(frozen=True)
class InvoiceTarget:
    """A registration waiting for payment, with what the invoice shows."""

    registration_id: int
    public_id: str
    telegram_id: int
    language: str
    status: str
    hold_expires_at: datetime | None
    training_title: str
    starts_at: datetime
    venue_name: str
    time_zone: str
    price_kopecks: int
    channel_label: str | None
    channel_mhz: int | None


@dataclass(frozen=True)
class InvoiceSpec:
    chat_id: int
    title: str
    description: str
    payload: str
    currency: str
    price_label: str
    amount: int
    provider_token: str
    provider_data: str | None
    need_email: bool

    def send_kwargs(self) -> dict[str, Any]:
        """Arguments for `telegram.Bot.send_invoice`."""
        from telegram import LabeledPrice

        return {**self.api_params(), "prices": [LabeledPrice(self.price_label, self.amount)]}

    def api_params(self) -> dict[str, Any]:
        """The Bot API's `sendInvoice` parameters as JSON (what the outbox sends)."""
        kwargs: dict[str, Any] = {
            "chat_id": self.chat_id,
            "title": self.title,
            "description": self.description,
            "payload": self.payload,
            "currency": self.currency,
            "prices": [{"label": self.price_label, "amount": self.amount}],
            "provider_token": self.provider_token,
        }
        if self.provider_data is not None:
            kwargs["provider_data"] = self.provider_data
        if self.need_email:
            # The e-mail for the 54-FZ receipt goes from Telegram straight to the provider: we
            # never see or store it.
            kwargs["need_email"] = True
            kwargs["send_email_to_provider"] = True
        return kwargs


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def local(moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(time_zone))


def receipt(target: InvoiceTarget, config: PaymentConfig) -> dict[str, Any]:
    """YooKassa receipt data (54-FZ): one service, paid in full before it is rendered. Fiscal
    documents are in Russian whatever the pilot's language."""
    when = local(target.starts_at, target.time_zone)
    item = t(
        "payments.receipt.item", "ru", title=target.training_title, date=f"{when:%d.%m.%Y %H:%M}"
    )
    return _receipt(item, target.price_kopecks, config)


def _receipt(item: str, price_kopecks: int, config: PaymentConfig) -> dict[str, Any]:
    return {
        "receipt": {
            "items": [
                {
                    "description": _clip(item, RECEIPT_ITEM_MAX),
                    "quantity": "1.00",
                    "amount": {"value": to_decimal_string(price_kopecks), "currency": "RUB"},
                    "vat_code": config.vat_code,
                    "payment_mode": "full_prepayment",
                    "payment_subject": "service",
                }
            ]
        }
    }


def build_invoice(target: InvoiceTarget, config: PaymentConfig) -> InvoiceSpec:
    lang = target.language
    currency = config.currency
    amount = charge_for(target.price_kopecks, currency, config.star_price_kopecks)
    when = local(target.starts_at, target.time_zone)
    channel = (
        t("payments.fmt.channel", lang, label=target.channel_label or "?", mhz=target.channel_mhz)
        if target.channel_mhz
        else t("payments.fmt.no_channel", lang)
    )
    until = (
        local(target.hold_expires_at, target.time_zone).strftime("%H:%M")
        if target.hold_expires_at
        else "—"
    )
    description = t(
        "payments.invoice.description",
        lang,
        title=target.training_title,
        when=f"{when:%d.%m.%Y %H:%M}",
        venue=target.venue_name,
        channel=channel,
        until=until,
        price=format_amount(amount, currency, lang),
    )
    return InvoiceSpec(
        chat_id=target.telegram_id,
        title=_clip(t("payments.invoice.title", lang, title=target.training_title), TITLE_MAX),
        description=_clip(description, DESCRIPTION_MAX),
        payload=target.public_id,
        currency=currency,
        price_label=t("payments.invoice.price_label", lang),
        amount=amount,
        provider_token="" if config.provider == "stars" else config.provider_token,
        provider_data=(
            json.dumps(receipt(target, config), ensure_ascii=False)
            if config.provider == "yookassa"
            else None
        ),
        need_email=config.provider == "yookassa",
    )


def held_target(db: Database, registration_id: int, language: str | None) -> InvoiceTarget | None:
    """The invoice target if the seat is still held for payment (else None: nothing to send)."""
    with db.transaction(readonly=True) as tx:
        row = dal.invoice_target(tx, registration_id)
    if (
        row is None
        or row["status"] != "pending_payment"
        or row["training_status"] != "scheduled"
        or row["price_kopecks"] <= 0
    ):
        return None
    return InvoiceTarget(
        registration_id=row["id"],
        public_id=row["public_id"],
        telegram_id=row["telegram_id"],
        language=language or row["language"],
        status=row["status"],
        hold_expires_at=row["hold_expires_at"],
        training_title=row["title"],
        starts_at=row["starts_at"],
        venue_name=row["venue_name"],
        time_zone=row["time_zone"],
        price_kopecks=row["price_kopecks"],
        channel_label=row["channel_label"],
        channel_mhz=row["channel_mhz"],
    )


def invoice_params(
    db: Database, registration_id: int, language: str | None, config: PaymentConfig
) -> dict[str, Any] | None:
    """`sendInvoice` parameters for a held seat, or None when it is no longer held."""
    target = held_target(db, registration_id, language)
    return None if target is None else build_invoice(target, config).api_params()


def pass_invoice(row: Any, language: str, config: PaymentConfig) -> InvoiceSpec:
    """The invoice of a season pass (`row` from fpv.dal.passes); payload: the pass's public id."""
    currency = config.currency
    amount = charge_for(row["price_kopecks"], currency, config.star_price_kopecks)
    credits = (
        t("payments.pass.unlimited", language)
        if row["credits_total"] is None
        else t("payments.pass.trainings", language, count=row["credits_total"])
    )
    description = t(
        "payments.pass.description",
        language,
        title=row["title"],
        credits=credits,
        days=row["valid_days"],
        where=row["venue_name"] or t("payments.pass.everywhere", language),
        price=format_amount(amount, currency, language),
    )
    item = t("payments.receipt.pass_item", "ru", title=row["title"])
    return InvoiceSpec(
        chat_id=row["telegram_id"],
        title=_clip(t("payments.pass.title", language, title=row["title"]), TITLE_MAX),
        description=_clip(description, DESCRIPTION_MAX),
        payload=row["public_id"],
        currency=currency,
        price_label=t("payments.pass.price_label", language),
        amount=amount,
        provider_token="" if config.provider == "stars" else config.provider_token,
        provider_data=(
            json.dumps(
                _receipt(_clip(item, RECEIPT_ITEM_MAX), row["price_kopecks"], config),
                ensure_ascii=False,
            )
            if config.provider == "yookassa"
            else None
        ),
        need_email=config.provider == "yookassa",
    )


def invoice_link_params(
    db: Database, registration_id: int, language: str | None, config: PaymentConfig
) -> dict[str, Any] | None:
    """`createInvoiceLink` parameters for a held seat (the pilots' app opens the link, so the
    payment stays in Telegram), or None when the seat is no longer held."""
    params = invoice_params(db, registration_id, language, config)
    if params is None:
        return None
    params.pop("chat_id")
    return params
