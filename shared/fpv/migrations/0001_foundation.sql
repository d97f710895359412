-- Foundation schema. Invariants of DESIGN §5 live here, in the database, not only in code.

CREATE TABLE cities (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,64}$'),
    name_ru     text NOT NULL CHECK (length(name_ru) BETWEEN 1 AND 100),
    name_en     text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE venues (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city_id         bigint NOT NULL REFERENCES cities(id),
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,64}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address         text NOT NULL DEFAULT '',
    latitude        double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision CHECK (longitude BETWEEN -180 AND 180),
    time_zone       text NOT NULL,                       -- IANA zone, checked by the application
    -- allowed-frequency region: the legal 5.8 GHz range at this venue
    min_mhz         integer NOT NULL DEFAULT 5650 CHECK (min_mhz BETWEEN 5000 AND 6100),
    max_mhz         integer NOT NULL DEFAULT 5925 CHECK (max_mhz BETWEEN 5000 AND 6100),
    cancel_cutoff_hours integer NOT NULL DEFAULT 12 CHECK (cancel_cutoff_hours BETWEEN 0 AND 168),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (min_mhz < max_mhz)
);

CREATE TABLE trainings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id       uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    venue_id        bigint NOT NULL REFERENCES venues(id),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    track_type      text NOT NULL DEFAULT 'race' CHECK (track_type IN ('race', 'freestyle', 'whoop', 'open')),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    capacity        integer NOT NULL CHECK (capacity BETWEEN 1 AND 200),
    seats_taken     integer NOT NULL DEFAULT 0,
    price_kopecks   bigint NOT NULL DEFAULT 0 CHECK (price_kopecks >= 0),
    status          text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    notes           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    -- seats never exceed capacity: seats_taken is kept by a trigger on registrations
    CONSTRAINT trainings_seats_within_capacity CHECK (seats_taken BETWEEN 0 AND capacity)
);
CREATE INDEX trainings_upcoming ON trainings (starts_at) WHERE status = 'scheduled';
CREATE INDEX trainings_venue ON trainings (venue_id, starts_at);

-- Pilots: a nickname and the Telegram id, nothing else (152-FZ). Rows exist only after consent.
CREATE TABLE pilots (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_id     bigint NOT NULL UNIQUE,
    nickname        text CHECK (nickname ~ '^[A-Za-z0-9_\-\.А-Яа-яЁё]{2,32}$'),
    language        text NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
    equipment       text NOT NULL DEFAULT 'R,F,A,B,E',      -- parsed by fpv.channels.Equipment
    show_on_site    boolean NOT NULL DEFAULT false,
    reachable       boolean NOT NULL DEFAULT true,          -- false after Telegram 403 (blocked)
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pilots_nickname_unique ON pilots (lower(nickname)) WHERE nickname IS NOT NULL;

CREATE TABLE user_consent (
    telegram_id     bigint PRIMARY KEY,
    policy_version  text NOT NULL,
    given_at        timestamptz NOT NULL DEFAULT now(),
    withdrawn_at    timestamptz
);

CREATE TABLE registrations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id       uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),   -- opaque invoice payload
    training_id     bigint NOT NULL REFERENCES trainings(id),
    pilot_id        bigint REFERENCES pilots(id) ON DELETE SET NULL,
    status          text NOT NULL CHECK (status IN
                        ('waitlisted', 'pending_payment', 'confirmed', 'cancelled', 'refunded', 'expired')),
    channel_mhz     integer CHECK (channel_mhz BETWEEN 5000 AND 6100),
    channel_label   text,
    heat            smallint NOT NULL DEFAULT 1 CHECK (heat >= 1),
    hold_expires_at timestamptz,
    waitlist_position bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- pilot_id becomes NULL when the pilot uses /delete_me: past rows stay for accounting
    CHECK (status <> 'pending_payment' OR hold_expires_at IS NOT NULL)
);
-- one active registration per pilot and training
CREATE UNIQUE INDEX registrations_one_active_per_pilot ON registrations (training_id, pilot_id)
    WHERE status IN ('waitlisted', 'pending_payment', 'confirmed');
-- one active pilot per channel frequency (and heat) and training
CREATE UNIQUE INDEX registrations_one_pilot_per_channel ON registrations (training_id, heat, channel_mhz)
    WHERE status IN ('pending_payment', 'confirmed') AND channel_mhz IS NOT NULL;
CREATE INDEX registrations_pilot ON registrations (pilot_id);
CREATE INDEX registrations_holds ON registrations (hold_expires_at) WHERE status = 'pending_payment';

-- seats_taken follows the registrations that hold a seat; the CHECK on trainings then makes
-- overbooking impossible even for two concurrent transactions (the UPDATE locks the training row).
CREATE FUNCTION registrations_count_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_holds boolean := TG_OP <> 'INSERT' AND OLD.status IN ('pending_payment', 'confirmed');
    new_holds boolean := TG_OP <> 'DELETE' AND NEW.status IN ('pending_payment', 'confirmed');
BEGIN
    IF TG_OP = 'UPDATE' AND old_holds AND new_holds AND OLD.training_id <> NEW.training_id THEN
        RAISE EXCEPTION 'a registration cannot move between trainings';
    END IF;
    IF old_holds AND NOT new_holds THEN
        UPDATE trainings SET seats_taken = seats_taken - 1 WHERE id = OLD.training_id;
    ELSIF new_holds AND NOT old_holds THEN
        UPDATE trainings SET seats_taken = seats_taken + 1 WHERE id = NEW.training_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER registrations_seats AFTER INSERT OR UPDATE OR DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION registrations_count_seats();

CREATE TABLE payments (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registration_id             bigint REFERENCES registrations(id),
    training_id                 bigint NOT NULL REFERENCES trainings(id),
    pilot_id                    bigint REFERENCES pilots(id) ON DELETE SET NULL,  -- de-linked on /delete_me
    provider                    text NOT NULL,
    amount_kopecks              bigint NOT NULL CHECK (amount_kopecks > 0),
    currency                    text NOT NULL DEFAULT 'RUB',
    status                      text NOT NULL CHECK (status IN
                                    ('paid', 'refund_pending', 'refunded', 'refund_failed')),
    telegram_payment_charge_id  text UNIQUE,
    provider_payment_charge_id  text,
    refund_id                   text,
    refunded_kopecks            bigint NOT NULL DEFAULT 0 CHECK (refunded_kopecks >= 0),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK (refunded_kopecks <= amount_kopecks)
);
CREATE INDEX payments_training ON payments (training_id);

CREATE TABLE admins (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_id     bigint NOT NULL UNIQUE,
    display_name    text NOT NULL,
    role            text NOT NULL CHECK (role IN ('superadmin', 'local')),
    venue_ids       bigint[] NOT NULL DEFAULT '{}',        -- a local admin's own venues
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE admin_2fa_sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    admin_id        bigint NOT NULL REFERENCES admins(id),
    code_hash       text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    token_hash      text UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    code_expires_at timestamptz NOT NULL,
    expires_at      timestamptz,
    revoked_at      timestamptz
);

-- Append-only: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE TABLE admin_audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    admin_id        bigint REFERENCES admins(id),
    action          text NOT NULL,
    target          text,
    details         jsonb NOT NULL DEFAULT '{}'
);
CREATE FUNCTION admin_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER admin_audit_log_no_update BEFORE UPDATE OR DELETE ON admin_audit_log
    FOR EACH ROW EXECUTE FUNCTION admin_audit_log_append_only();
CREATE TRIGGER admin_audit_log_no_truncate BEFORE TRUNCATE ON admin_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_append_only();

-- Idempotency: a key (Telegram update_id, provider notification id, ...) is processed once.
CREATE TABLE processed_updates (
    scope           text NOT NULL,
    key             text NOT NULL,
    processed_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL DEFAULT now() + interval '7 days',
    PRIMARY KEY (scope, key)
);
CREATE INDEX processed_updates_expiry ON processed_updates (expires_at);

CREATE TABLE reminders_sent (
    registration_id bigint NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('24h', '1h')),
    claimed_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    outcome         text,
    PRIMARY KEY (registration_id, kind)
);

-- Who used /delete_me and when: re-applied after a backup restore so deletions survive it.
-- Holds only the Telegram id, the minimum needed to find the person again in an old backup.
CREATE TABLE deletion_ledger (
    telegram_id     bigint PRIMARY KEY,
    deleted_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL,
    key_hash        text NOT NULL UNIQUE,
    scopes          text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
