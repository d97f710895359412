-- The outbox (DESIGN §8) and refund decisions that belong to the cancellation that made them.
--
-- outbox: a side effect that must follow a commit (a Bot API message or invoice, a "schedule
-- changed" event) is written here in the same transaction as the change, then delivered at
-- least once by `fpv.outbox.deliver`: at once by the request that committed it, and by the
-- outbox worker's schedule when that first try failed. The row id is the idempotency key.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('telegram.message', 'telegram.invoice', 'event')),
    payload         jsonb NOT NULL,
    -- the person a message is for: undelivered rows go with them on /delete_me
    telegram_id     bigint,
    -- the same effect asked for twice (a retried request) is queued once
    dedupe_key      text UNIQUE CHECK (length(dedupe_key) <= 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_at         timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text CHECK (length(last_error) <= 300),
    done_at         timestamptz,
    outcome         text CHECK (outcome IN ('delivered', 'skipped', 'blocked', 'failed')),
    CHECK ((done_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX outbox_due ON outbox (next_at, id) WHERE done_at IS NULL;
CREATE INDEX outbox_person ON outbox (telegram_id) WHERE telegram_id IS NOT NULL;

-- Refund eligibility is decided by the use case that cancels (pilot, admin, training
-- cancellation, /delete_me) under the venue's rule, and recorded with the registration; only a
-- 'refund' decision queues money back, in the same transaction. Nothing sweeps paid payments
-- later, so a training that took place is never refunded by accident.
ALTER TABLE registrations
    ADD COLUMN refund_decision text CHECK (refund_decision IN ('refund', 'keep')),
    ADD COLUMN refund_rule     text CHECK (refund_rule IN ('before_cutoff', 'after_cutoff',
                                   'training_started', 'training_cancelled', 'admin_refund',
                                   'admin_no_refund', 'unpaid'));

ALTER TABLE payments DROP CONSTRAINT payments_refund_reason_check;
ALTER TABLE payments ADD CONSTRAINT payments_refund_reason_check CHECK (refund_reason IN (
    'pilot_cancelled', 'admin_cancelled', 'training_cancelled', 'no_seat', 'duplicate',
    'unknown_registration', 'reconcile', 'manual', 'account_deleted'));
