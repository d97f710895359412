-- Telegram bot: conversation state and in-flight idempotency claims.

-- What a pilot's next plain-text message means (e.g. "this is my new nickname"). Lambda
-- containers come and go, so the state lives here, not in memory. Rows exist only for pilots
-- (after consent) and disappear with them (/delete_me deletes the pilot row).
CREATE TABLE bot_conversations (
    telegram_id     bigint PRIMARY KEY REFERENCES pilots (telegram_id) ON DELETE CASCADE,
    state           text NOT NULL CHECK (length(state) BETWEEN 1 AND 64),
    data            jsonb NOT NULL DEFAULT '{}',
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A webhook update is claimed before it is handled and marked done after. While claimed,
-- `claimed_until` holds the lease: a redelivery during processing is refused (Telegram retries
-- later), and a claim whose processor died (database lost mid-update, Lambda timeout) can be
-- taken over once the lease has run out. NULL = done; other scopes' rows (inserted without
-- this column) therefore keep meaning "processed".
ALTER TABLE processed_updates ADD COLUMN claimed_until timestamptz;
