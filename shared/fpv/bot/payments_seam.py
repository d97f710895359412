"""Where the bot meets the payments flow (`fpv.payments`): invoices for held seats, the
pre-checkout / successful-payment handlers, and cancellations that refund a paid seat."""

from __future__ import annotations

from typing import Any

from fpv.payments import telegram as payments_telegram


def handlers() -> list[Any]:
    return list(payments_telegram.handlers())


async def send_invoice(bot: Any, result: Any, language: str) -> None:
    await payments_telegram.send_invoice(bot, result, language)


def _ports(deps: Any) -> Any:
    ports = (deps.extras or {}).get("payment_ports")
    if ports is None:
        from fpv.payments.wiring import from_settings
        from fpv.settings import get_settings

        ports = from_settings(get_settings())[0]
    return ports


def work_refunds(deps: Any, payment_ids: list[int]) -> None:
    """Refunds a use case queued: tried at once; the refund worker retries what fails."""
    from fpv.payments.refunds import work_refunds as work

    work(deps.db, _ports(deps), payment_ids, now=deps.now())


def cancel_registration(deps: Any, *, registration_id: int, telegram_id: int, now: Any) -> Any:
    """A pilot cancels: the venue's cut-off applies, a paid seat is refunded through the provider,
    a CancelResult comes back and the RegistrationError subclasses are raised as by `cancel`."""
    from fpv.payments.refunds import cancel_with_refund

    ports = _ports(deps)
    result, _refunds = cancel_with_refund(
        deps.db,
        deps.bus,
        ports,
        registration_id=registration_id,
        telegram_id=telegram_id,
        now=now,
        hold_minutes=deps.hold_minutes,
    )
    return result
