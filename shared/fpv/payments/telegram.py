"""Telegram Payments in the bot: sending the invoice for a held seat, and the PTB handlers for
pre_checkout_query and successful_payment. Thin: the rules are in `checkout` and `refunds`.

The bot (fpv.bot) calls `send_invoice(bot, result, language)` after a sign-up or a promotion
left a seat `pending_payment`, and registers `handlers()` in its Application. The handlers find
the database, bus and clock in `bot_data["deps"]` (fpv.bot.deps.BotDeps); payment ports and
config in `deps.extras["payment_ports"]` / `["payment_config"]` when given, else built once from
settings.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from fpv.db import Database, DatabaseUnavailable
from fpv.texts import language_for, t

if TYPE_CHECKING:  # the flows themselves load with the first payment update (cold start, #20)
    from fpv.payments import ports as p
    from fpv.payments.checkout import PaymentOutcome
    from fpv.payments.config import PaymentConfig
    from fpv.settings import Settings

log = logging.getLogger("fpv.payments.telegram")


async def send_invoice(
    bot: Any,
    result: Any,
    language: str,
    *,
    db: Database | None = None,
    settings: Settings | None = None,
    config: PaymentConfig | None = None,
) -> Message | None:
    """Send the invoice for a held seat. `result` is a `SignUpResult` or a `Promotion` (only its
    `registration_id` is read: everything else is loaded fresh). Returns None, sending nothing,
    when the seat is no longer held for payment (expired, cancelled, free training)."""
    from fpv.payments.config import PaymentConfig
    from fpv.payments.invoice import build_invoice, held_target

    if db is None or config is None:
        from fpv import runtime
        from fpv.settings import get_settings

        settings = settings or get_settings()
        db = db or runtime.database(settings)
        config = config or PaymentConfig.from_settings(settings)
    target = held_target(db, result.registration_id, language)
    if target is None:
        log.info("no invoice for registration %s: not held for payment", result.registration_id)
        return None
    return await bot.send_invoice(**build_invoice(target, config).send_kwargs())


# --- handlers --------------------------------------------------------------------------------
class _Env:
    """What a payment handler needs, from the bot's deps (+ ports/config from settings)."""

    def __init__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        deps = context.application.bot_data["deps"]
        self.db: Database = deps.db
        self.bus = deps.bus
        clock = getattr(deps, "now", None)
        self.now: datetime = clock() if callable(clock) else datetime.now(UTC)
        extras = getattr(deps, "extras", {}) or {}
        ports, config = extras.get("payment_ports"), extras.get("payment_config")
        if ports is None or config is None:
            from fpv.payments.wiring import from_settings
            from fpv.settings import get_settings

            default_ports, default_config = from_settings(get_settings())
            ports, config = ports or default_ports, config or default_config
        self.ports: p.PaymentPorts = ports
        self.config: PaymentConfig = config


async def on_pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from fpv.payments import ports as p
    from fpv.payments.checkout import PreCheckout, Verdict, check_pre_checkout

    query = update.pre_checkout_query
    assert query is not None
    env = _Env(context)
    try:
        verdict = check_pre_checkout(
            env.db,
            PreCheckout(
                payload=query.invoice_payload,
                currency=query.currency,
                total_amount=query.total_amount,
                payer_telegram_id=query.from_user.id,
            ),
            config=env.config,
            now=env.now,
        )
    except DatabaseUnavailable:
        # Telegram waits 10 s at most: a clear "try again" beats no answer
        verdict = Verdict(False, "try_later", None)
    if verdict.ok:
        await query.answer(ok=True)
        return
    env.ports.metrics.count(p.PRE_CHECKOUT_REJECTED)
    lang = verdict.language or language_for(query.from_user.language_code)
    log.info("pre-checkout rejected: %s", verdict.reason)
    await query.answer(ok=False, error_message=t(f"payments.precheckout.{verdict.reason}", lang))


def _paid_text(outcome: PaymentOutcome, lang: str) -> str:
    from fpv.payments.money import format_amount

    amount = format_amount(outcome.amount, outcome.currency, lang)
    title = outcome.training_title or "—"
    channel = (
        t("payments.fmt.channel", lang, label=outcome.channel_label or "?", mhz=outcome.channel_mhz)
        if outcome.channel_mhz
        else t("payments.fmt.no_channel", lang)
    )
    key = {
        "confirmed": "payments.paid.confirmed",
        "reseated": "payments.paid.reseated",
        "no_seat": "payments.paid.no_seat",
        "duplicate": "payments.paid.duplicate",
        "unknown_registration": "payments.paid.unknown",
        "pass_active": "payments.paid.pass",
    }[outcome.outcome]
    return t(key, lang, amount=amount, title=title, channel=channel)


async def on_successful_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from fpv.payments.checkout import IncomingPayment, record_payment
    from fpv.payments.refunds import attempt_refund

    message = update.effective_message
    assert message is not None and message.successful_payment is not None
    paid = message.successful_payment
    env = _Env(context)
    # DatabaseUnavailable propagates: the webhook answers 503 and Telegram redelivers the update
    outcome = record_payment(
        env.db,
        env.bus,
        env.ports,
        IncomingPayment(
            payload=paid.invoice_payload,
            currency=paid.currency,
            total_amount=paid.total_amount,
            telegram_payment_charge_id=paid.telegram_payment_charge_id,
            provider_payment_charge_id=paid.provider_payment_charge_id,
        ),
        config=env.config,
        now=env.now,
    )
    if outcome.outcome == "replay":
        log.info("successful_payment %s seen before; nothing changed", outcome.payment_id)
        return
    user = update.effective_user
    lang = outcome.language or language_for(user.language_code if user else None)
    try:
        await context.bot.send_message(message.chat_id, _paid_text(outcome, lang))
    except TelegramError as exc:  # the payment is recorded; a lost message must not undo it
        log.warning("payment message not delivered: %s", type(exc).__name__)
    if outcome.refund_due:
        # at once; if the provider is down, the refund worker retries (nothing lost)
        attempt_refund(env.db, env.ports, outcome.payment_id, now=env.now)


def handlers() -> list[BaseHandler]:
    return [
        PreCheckoutQueryHandler(on_pre_checkout),
        MessageHandler(filters.SUCCESSFUL_PAYMENT, on_successful_payment),
    ]
