"""Telegram Stars refunds: `refundStarPayment` through the Bot API (synchronous, final)."""

from __future__ import annotations

from fpv.payments.botapi import BotApi, BotApiError, BotApiUnavailable
from fpv.payments.ports import ProviderUnavailable, RefundRejected, RefundRequest, RefundState


class StarsRefunder:
    def __init__(self, api: BotApi) -> None:
        self._api = api

    def refund(self, request: RefundRequest) -> RefundState:
        if request.payer_telegram_id is None or not request.telegram_charge_id:
            # refundStarPayment needs the payer; after /delete_me we no longer know them
            raise RefundRejected("payer_unknown")
        try:
            self._api.call(
                "refundStarPayment",
                user_id=request.payer_telegram_id,
                telegram_payment_charge_id=request.telegram_charge_id,
            )
        except BotApiUnavailable as exc:
            raise ProviderUnavailable(str(exc)) from None
        except BotApiError as exc:
            if "CHARGE_ALREADY_REFUNDED" in exc.description.upper():
                return RefundState("succeeded", request.telegram_charge_id, "already_refunded")
            if exc.error_code == 401:  # our token is wrong: fixable, keep the refund pending
                raise ProviderUnavailable("bot token rejected") from None
            raise RefundRejected(exc.description[:100] or f"http_{exc.error_code}") from None
        return RefundState("succeeded", request.telegram_charge_id)

    def refund_status(self, request: RefundRequest, refund_id: str) -> RefundState:
        # Stars refunds have no pending state; asking again is safe (already refunded = done).
        return self.refund(request)
