-- Payments: refunds that survive a provider outage, and provider notifications processed once.
--
-- A payment row is the money we received (one per Telegram charge). Its refund life cycle:
--   paid ─> refund_pending ─> refunded | refund_failed
-- refund_pending rows are worked by `fpv.payments.refunds.retry_pending_refunds`: a worker
-- claims a row by pushing refund_next_at forward (a lease), calls the provider with the row's
-- fixed idempotence key (so a retry never refunds twice), then records what the provider said.

-- A payment whose invoice payload matches no registration is still money received: it is kept
-- (and refunded) with no training.
ALTER TABLE payments ALTER COLUMN training_id DROP NOT NULL;

ALTER TABLE payments
    ADD COLUMN refund_reason       text CHECK (refund_reason IN ('pilot_cancelled',
                                       'admin_cancelled', 'training_cancelled', 'no_seat',
                                       'duplicate', 'unknown_registration', 'reconcile', 'manual')),
    ADD COLUMN refund_key          uuid,
    ADD COLUMN refund_attempts     integer NOT NULL DEFAULT 0 CHECK (refund_attempts >= 0),
    ADD COLUMN refund_next_at      timestamptz,
    ADD COLUMN refund_last_error   text CHECK (length(refund_last_error) <= 300),
    ADD COLUMN refund_requested_at timestamptz,
    ADD COLUMN refunded_at         timestamptz,
    ADD CONSTRAINT payments_refund_has_key CHECK (
        status = 'paid' OR (refund_key IS NOT NULL AND refund_reason IS NOT NULL)),
    ADD CONSTRAINT payments_refunded_in_full CHECK (
        status <> 'refunded' OR refunded_kopecks = amount_kopecks),
    ADD CONSTRAINT payments_pending_is_scheduled CHECK (
        status <> 'refund_pending' OR refund_next_at IS NOT NULL),
    ADD CONSTRAINT payments_provider_known CHECK (provider IN ('yookassa', 'stripe', 'stars')),
    ADD CONSTRAINT payments_currency_known CHECK (currency IN ('RUB', 'XTR'));

CREATE INDEX payments_refunds_due ON payments (refund_next_at) WHERE status = 'refund_pending';
CREATE INDEX payments_registration ON payments (registration_id);
CREATE INDEX payments_provider_charge ON payments (provider, provider_payment_charge_id);
CREATE UNIQUE INDEX payments_provider_refund ON payments (provider, refund_id)
    WHERE refund_id IS NOT NULL;

-- Provider notifications (YooKassa HTTP notifications, Stripe events) already acted upon. A row
-- is written only after the notification was verified (re-fetched from the provider's API or
-- signature-checked), in the same transaction as its effect: a forged one can never block the
-- genuine one, and a replay changes nothing.
CREATE TABLE payment_notifications (
    provider        text NOT NULL,
    notification_id text NOT NULL CHECK (length(notification_id) BETWEEN 1 AND 200),
    event           text NOT NULL CHECK (length(event) BETWEEN 1 AND 100),
    outcome         text NOT NULL CHECK (length(outcome) BETWEEN 1 AND 100),
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, notification_id)
);
