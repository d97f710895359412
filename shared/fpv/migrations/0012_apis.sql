-- The integration API (/api/v1/), its outgoing webhooks, the pilots' app API (/api/app/) with
-- sign-in through the bot, and each pilot's private calendar feed (DESIGN §8–§9).

-- API keys: scoped to venues, last use recorded, a rate limit per key. (IF NOT EXISTS: the
-- admin API's migration adds venue_ids and prefix the same way.)
ALTER TABLE api_keys
    ADD COLUMN IF NOT EXISTS venue_ids       bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS prefix          text,
    ADD COLUMN IF NOT EXISTS last_used_at    timestamptz,
    ADD COLUMN IF NOT EXISTS rate_per_minute integer NOT NULL DEFAULT 120
        CHECK (rate_per_minute BETWEEN 1 AND 100000);

-- Requests per key and minute (fixed windows); old windows are purged by the outbox worker.
CREATE TABLE api_key_hits (
    api_key_id      bigint NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    window_start    timestamptz NOT NULL,
    hits            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (api_key_id, window_start)
);

-- Outgoing webhooks (Standard Webhooks): one subscription per key and URL, with the event
-- type patterns it wants ('registration.*', 'training.cancelled'). The signing secret must be
-- readable to sign, so it is stored as given (whsec_...), like the key's owner sees it once.
CREATE TABLE webhook_subscriptions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key_id      bigint NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    url             text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    event_types     text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 20),
    secret          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    failing_since   timestamptz,             -- first failure of the current run of failures
    disabled_at     timestamptz,             -- a day of failures (or the key revoked)
    disabled_reason text,
    UNIQUE (api_key_id, url)
);
CREATE INDEX webhook_subscriptions_active ON webhook_subscriptions (api_key_id)
    WHERE disabled_at IS NULL;

-- Deliveries are outbox rows of kind 'event' whose payload is {"webhook": {...}} (fpv.webhooks):
-- the outbox's kind CHECK is redefined by a later migration (0013), so a kind of our own would
-- not survive it on a fresh install.

-- App sign-in: the app holds a nonce (in the deep link) and a verifier (never leaves the app);
-- the pilot confirms in the bot; the app exchanges both, once, within 10 minutes, for a token.
CREATE TABLE app_sign_ins (
    nonce_hash      text PRIMARY KEY,
    verifier_hash   text NOT NULL,
    device_name     text NOT NULL DEFAULT '' CHECK (length(device_name) <= 64),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    telegram_id     bigint,                  -- who confirmed
    confirmed_at    timestamptz,
    used_at         timestamptz,
    CHECK ((telegram_id IS NULL) = (confirmed_at IS NULL))
);
CREATE INDEX app_sign_ins_expiry ON app_sign_ins (expires_at);

-- Signed-in devices: the token is stored hashed; the pilot lists and revokes them in the bot.
CREATE TABLE app_devices (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_id     bigint NOT NULL,
    token_hash      text NOT NULL UNIQUE,
    name            text NOT NULL DEFAULT '' CHECK (length(name) <= 64),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
CREATE INDEX app_devices_pilot ON app_devices (telegram_id);

-- Each pilot's private iCal feed: a secret URL (stored hashed), rotated from the bot's profile.
CREATE TABLE calendar_feeds (
    telegram_id     bigint PRIMARY KEY,
    token_hash      text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);
