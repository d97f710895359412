-- The channel plan: at sign-up a pilot takes the best free channel at once; at the
-- channel freeze the platform re-plans each heat with the exact allocator, keeping the channels
-- pilots picked by hand or admins locked, and moving as few pilots as possible.

-- a channel the freeze must keep: picked by the pilot, or locked by an admin
ALTER TABLE registrations ADD COLUMN channel_pinned boolean NOT NULL DEFAULT false;

-- how long before the start a training's channels freeze (the 24 h reminder by default)
ALTER TABLE venues ADD COLUMN channel_freeze_hours integer NOT NULL DEFAULT 24
    CHECK (channel_freeze_hours BETWEEN 0 AND 336);

-- when the channels froze (NULL = not yet): set once, by the freeze that re-planned them
ALTER TABLE trainings ADD COLUMN channels_frozen_at timestamptz;
CREATE INDEX trainings_channels_to_freeze ON trainings (starts_at)
    WHERE status = 'scheduled' AND channels_frozen_at IS NULL;
