-- A per-training revision that grows whenever what a calendar shows of it moves: the time,
-- the place or the status. Calendar feeds write it as the event's SEQUENCE (RFC 5545 3.8.7.4),
-- so a subscribed calendar replaces its copy of an event that was moved or cancelled.
-- Kept by the database, so every writer (admin, API, bot, a hand-written UPDATE) bumps it.
ALTER TABLE trainings ADD COLUMN revision integer NOT NULL DEFAULT 0 CHECK (revision >= 0);

CREATE FUNCTION trainings_bump_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.starts_at IS DISTINCT FROM OLD.starts_at
       OR NEW.ends_at IS DISTINCT FROM OLD.ends_at
       OR NEW.venue_id IS DISTINCT FROM OLD.venue_id
       OR NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.revision := OLD.revision + 1;
    ELSE
        NEW.revision := OLD.revision;  -- nobody sets it by hand
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trainings_revision
    BEFORE UPDATE ON trainings
    FOR EACH ROW EXECUTE FUNCTION trainings_bump_revision();
