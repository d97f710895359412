-- Season passes (abonements): products an admin defines, passes pilots buy through Telegram
-- Payments, and the credit each covered sign-up uses instead of an invoice.

CREATE TABLE pass_products (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    venue_id        bigint REFERENCES venues(id),             -- NULL: every venue of the club
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    trainings       integer CHECK (trainings BETWEEN 1 AND 500), -- NULL: unlimited
    valid_days      integer NOT NULL CHECK (valid_days BETWEEN 1 AND 400),
    price_kopecks   bigint NOT NULL CHECK (price_kopecks > 0),
    track_types     text[] NOT NULL DEFAULT '{}',             -- empty: every track type
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE passes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id       uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),   -- the invoice payload
    product_id      bigint NOT NULL REFERENCES pass_products(id),
    pilot_id        bigint REFERENCES pilots(id) ON DELETE SET NULL,  -- de-linked on /delete_me
    status          text NOT NULL CHECK (status IN ('pending_payment', 'active', 'refunded')),
    credits_total   integer CHECK (credits_total >= 1),           -- NULL: unlimited
    -- kept with pass_uses in the same statements, under the pass row's lock
    credits_used    integer NOT NULL DEFAULT 0,
    valid_from      timestamptz,
    valid_until     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- credits never go negative and never past what was bought
    CONSTRAINT passes_credits_within_total CHECK (
        credits_used >= 0 AND (credits_total IS NULL OR credits_used <= credits_total)),
    CHECK (status = 'pending_payment' OR (valid_from IS NOT NULL AND valid_until > valid_from))
);
CREATE INDEX passes_pilot ON passes (pilot_id, valid_until) WHERE status = 'active';

-- Which registration a credit paid for; returned_at when it came back (cancel before the
-- cut-off, training cancelled).
CREATE TABLE pass_uses (
    registration_id bigint PRIMARY KEY REFERENCES registrations(id),
    pass_id         bigint NOT NULL REFERENCES passes(id),
    used_at         timestamptz NOT NULL DEFAULT now(),
    returned_at     timestamptz
);
CREATE INDEX pass_uses_pass ON pass_uses (pass_id);

-- A payment buys a seat (registration_id) or a pass (pass_id).
ALTER TABLE payments ADD COLUMN pass_id bigint REFERENCES passes(id);
CREATE INDEX payments_pass ON payments (pass_id) WHERE pass_id IS NOT NULL;

ALTER TABLE payments DROP CONSTRAINT payments_refund_reason_check;
ALTER TABLE payments ADD CONSTRAINT payments_refund_reason_check CHECK (refund_reason IN (
    'pilot_cancelled', 'admin_cancelled', 'training_cancelled', 'no_seat', 'duplicate',
    'unknown_registration', 'reconcile', 'manual', 'account_deleted', 'pass_refunded'));

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN (
    'telegram.message', 'telegram.invoice', 'telegram.pass_invoice', 'event'));
