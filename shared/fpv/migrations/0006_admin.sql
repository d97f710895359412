-- Admin API (issue 11, DESIGN §8–§9): two-factor login, sessions, rate limits, the audit chain.

-- Admins sign in with a login and an Argon2id password hash, then a code sent to their Telegram.
ALTER TABLE admins
    ADD COLUMN login          text,
    ADD COLUMN password_hash  text,
    ADD COLUMN language       text NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
    ADD COLUMN disabled_at    timestamptz,
    ADD CONSTRAINT admins_login_format CHECK (login ~ '^[a-z0-9_.-]{3,64}$');
CREATE UNIQUE INDEX admins_login_unique ON admins (login) WHERE login IS NOT NULL;

-- One row per login challenge; it becomes a session when its code is verified.
--   challenge_hash  sha256 of the challenge token the browser holds between the two steps
--   code_hash       sha256(challenge token || code): a database leak alone reveals no code
--   token_hash      sha256 of the session cookie; csrf_hash sha256 of the CSRF token
--   expires_at      the absolute end (12 h after verification); last_seen_at + 2 h = idle end
ALTER TABLE admin_2fa_sessions
    ADD COLUMN challenge_hash  text UNIQUE,
    ADD COLUMN csrf_hash       text,
    ADD COLUMN verified_at     timestamptz,
    ADD COLUMN last_seen_at    timestamptz,
    ADD COLUMN client_hash     text;
CREATE INDEX admin_2fa_sessions_admin ON admin_2fa_sessions (admin_id) WHERE revoked_at IS NULL;

-- Attempts per (bucket, key) in fixed windows: holds across Lambda containers.
CREATE TABLE admin_rate_limits (
    bucket        text NOT NULL CHECK (length(bucket) BETWEEN 1 AND 40),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, key, window_start)
);
CREATE INDEX admin_rate_limits_age ON admin_rate_limits (window_start);

-- The audit log becomes a hash chain: every entry carries the hash of the previous one.
-- Entries written before this migration (hash NULL) precede the chain and are not covered.
ALTER TABLE admin_audit_log
    ADD COLUMN actor        text,
    ADD COLUMN venue_id     bigint,
    ADD COLUMN before       jsonb,
    ADD COLUMN after        jsonb,
    ADD COLUMN client_hash  text,
    ADD COLUMN agent_hash   text,
    ADD COLUMN prev_hash    text,
    ADD COLUMN hash         text UNIQUE;
CREATE INDEX admin_audit_log_action ON admin_audit_log (action, id);
CREATE INDEX admin_audit_log_target ON admin_audit_log (target, id);

-- Admin-facing registration marks: attendance after the training.
ALTER TABLE registrations
    ADD COLUMN attendance text CHECK (attendance IN ('attended', 'no_show'));

-- Weekly series: trainings created together share a series id.
ALTER TABLE trainings ADD COLUMN series_id uuid;
CREATE INDEX trainings_series ON trainings (series_id) WHERE series_id IS NOT NULL;

-- Venue defaults for new trainings.
ALTER TABLE venues
    ADD COLUMN default_price_kopecks bigint NOT NULL DEFAULT 0 CHECK (default_price_kopecks >= 0),
    ADD COLUMN default_capacity integer NOT NULL DEFAULT 8 CHECK (default_capacity BETWEEN 1 AND 200);

-- Integration API keys (created by a superadmin, shown once, stored hashed): scopes and venues.
ALTER TABLE api_keys
    ADD COLUMN venue_ids   bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN prefix      text,
    ADD COLUMN created_by  bigint REFERENCES admins(id);
