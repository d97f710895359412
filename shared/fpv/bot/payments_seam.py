"""The seam to the payments flow (built separately in `fpv.payments.telegram`).

After a sign-up returns `pending_payment` the bot asks that module to send the invoice, and it
registers that module's handlers (pre_checkout_query, successful_payment). While the module does
not exist the bot still works: the pilot is told the seat is held until the hold expires.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

log = logging.getLogger("fpv.bot.payments")
MODULE = "fpv.payments.telegram"


def payments_module() -> ModuleType | None:
    return _optional(MODULE)


def handlers() -> list[Any]:
    module = payments_module()
    factory = getattr(module, "handlers", None) if module else None
    return list(factory()) if factory else []


async def send_invoice(bot: Any, result: Any, language: str) -> bool:
    """True when the payments module sent an invoice for this seat hold."""
    module = payments_module()
    send = getattr(module, "send_invoice", None) if module else None
    if send is None:
        log.warning("payments module absent: no invoice sent for a held seat")
        return False
    await send(bot, result, language)
    return True


def cancel_registration(deps: Any, *, registration_id: int, telegram_id: int, now: Any) -> Any:
    """A pilot cancels. With the payments module present, a paid seat is refunded through the
    provider as part of it (`fpv.payments.refunds.cancel_with_refund`); otherwise the plain
    `fpv.registrations.cancel`. Either way: the venue's cut-off applies, a CancelResult comes
    back, and the same RegistrationError subclasses are raised."""
    from fpv.registrations import cancel

    refunds = _optional("fpv.payments.refunds")
    cancel_with_refund = getattr(refunds, "cancel_with_refund", None) if refunds else None
    if cancel_with_refund is None:
        return cancel(
            deps.db,
            deps.bus,
            registration_id=registration_id,
            telegram_id=telegram_id,
            now=now,
            hold_minutes=deps.hold_minutes,
        )
    ports = (deps.extras or {}).get("payment_ports")
    if ports is None:
        from fpv.payments.wiring import from_settings
        from fpv.settings import get_settings

        ports = from_settings(get_settings())[0]
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


def _optional(name: str) -> ModuleType | None:
    """The module, or None when it does not exist (a missing dependency of it still raises)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise
