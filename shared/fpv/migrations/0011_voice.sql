-- Voice assistant (issue 19): what an admin's voice or text message proposed, waiting for one
-- tap on Confirm. Holds the proposed tool calls only: never the audio, never the transcript.
-- A proposal lives 10 minutes; Confirm claims it atomically (status pending -> executing), so a
-- double tap executes once; once decided, its actions are wiped (nothing said is kept).
CREATE TABLE voice_proposals (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    admin_id        bigint NOT NULL REFERENCES admins(id),
    chat_id         bigint NOT NULL,
    language        text NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
    actions         jsonb NOT NULL DEFAULT '[]',
    status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'executing', 'done', 'failed', 'cancelled')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    decided_at      timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX voice_proposals_expiry ON voice_proposals (expires_at);
