-- Scheduled jobs (reminders, backups).
--
-- reminders_sent rows are claims: a run inserts the row (claimed_by = its run id) before it
-- sends, so two overlapping runs never send the same reminder. Outcomes:
--   NULL       claimed, not attempted yet (a crashed run's rows are re-claimed after a lease)
--   'sending'  the Bot API request was started; if the run dies now we cannot know whether
--              Telegram delivered it, so such rows become 'unknown' and are never re-sent
--   'sent' | 'blocked' | 'failed' | 'unknown' | 'skipped_late' | 'skipped_unreachable'
ALTER TABLE reminders_sent
    ADD COLUMN claimed_by   uuid,
    ADD COLUMN attempted_at timestamptz,
    ADD CONSTRAINT reminders_sent_outcome_known CHECK (outcome IS NULL OR outcome IN
        ('sending', 'sent', 'blocked', 'failed', 'unknown', 'skipped_late', 'skipped_unreachable'));

-- Finding claims left behind by a crashed run stays cheap however long the table grows.
CREATE INDEX reminders_sent_open ON reminders_sent (claimed_at)
    WHERE outcome IS NULL OR outcome = 'sending';
