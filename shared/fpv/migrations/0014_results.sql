-- Results per heat (entered by an admin or imported from RotorHazard) and the skill ratings
-- derived from them (recomputable from scratch: `fpv ratings recompute`).

CREATE TABLE heat_results (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    training_id     bigint NOT NULL REFERENCES trainings(id),
    heat            text NOT NULL CHECK (length(heat) BETWEEN 1 AND 100),
    round_no        integer NOT NULL DEFAULT 1 CHECK (round_no >= 1),
    race_order      integer NOT NULL DEFAULT 0,   -- the order races were flown in the training
    position        integer NOT NULL CHECK (position >= 1),
    -- matched to a pilot by nickname; NULL: shown to an admin for a decision
    pilot_id        bigint REFERENCES pilots(id) ON DELETE SET NULL,
    callsign        text CHECK (length(callsign) <= 64),   -- cleared on /delete_me
    laps            integer NOT NULL DEFAULT 0 CHECK (laps >= 0),
    fastest_lap_ms  integer CHECK (fastest_lap_ms > 0),
    source          text NOT NULL CHECK (source IN ('manual', 'rotorhazard')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (training_id, heat, round_no, position, callsign)
);
CREATE INDEX heat_results_training ON heat_results (training_id);
CREATE INDEX heat_results_pilot ON heat_results (pilot_id) WHERE pilot_id IS NOT NULL;

-- Weng-Lin (Plackett-Luce) ratings per pilot, season (year) and city: a cache of the results.
CREATE TABLE pilot_ratings (
    season          integer NOT NULL,
    city_id         bigint NOT NULL REFERENCES cities(id),
    pilot_id        bigint NOT NULL REFERENCES pilots(id) ON DELETE CASCADE,
    mu              double precision NOT NULL,
    sigma           double precision NOT NULL,
    ordinal         double precision NOT NULL,
    races           integer NOT NULL,
    best_lap_ms     integer,
    trainings       integer NOT NULL,       -- trainings with a result (attendance)
    streak          integer NOT NULL,       -- the latest run of consecutive club trainings flown
    PRIMARY KEY (season, city_id, pilot_id)
);
