"""Payments: Telegram Payments prepayment for held seats, refunds through the provider's API,
provider callbacks, and the money ledger.

Import-light on purpose (the PTB handlers live in `fpv.payments.telegram`); the use cases:
- `checkout.check_pre_checkout`, `checkout.record_payment` — Telegram's payment moments
- `refunds.cancel_with_refund`, `refunds.refund_registration`, `refunds.retry_pending_refunds`
- `cancellation.cancel_training` — an organiser cancels a training, payers refunded once
- `callbacks.handle_callback` — `POST /payments/{provider}`
- `ledger.training_money` — what the dashboard and exports read
"""
