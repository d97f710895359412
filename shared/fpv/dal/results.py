"""Data access for heat results and the ratings computed from them."""

from __future__ import annotations

from fpv.db import Row, Tx


def training_context(tx: Tx, training_id: int) -> Row | None:
    return tx.one(
        "SELECT t.id, t.starts_at, t.status, v.id AS venue_id, v.city_id FROM trainings t"
        " JOIN venues v ON v.id = t.venue_id WHERE t.id = :id",
        id=training_id,
    )


def pilots_by_nickname(tx: Tx, nicknames: list[str]) -> dict[str, int]:
    rows = tx.all(
        "SELECT id, lower(nickname) AS nick FROM pilots WHERE lower(nickname) = ANY(:n)",
        n=[n.lower() for n in nicknames],
    )
    return {r["nick"]: r["id"] for r in rows}


def replace_results(tx: Tx, training_id: int, source: str, rows: list[dict]) -> int:
    """The training's results from this source, replaced as a whole (a re-import is idempotent)."""
    tx.execute(
        "DELETE FROM heat_results WHERE training_id = :t AND source = :s", t=training_id, s=source
    )
    for row in rows:
        tx.execute(
            "INSERT INTO heat_results (training_id, heat, round_no, race_order, position, pilot_id,"
            " callsign, laps, fastest_lap_ms, source) VALUES (:t, :heat, :round, :order, :pos,"
            " :pilot, :callsign, :laps, :fastest, :s)",
            t=training_id,
            s=source,
            heat=row["heat"],
            round=row["round_no"],
            order=row["race_order"],
            pos=row["position"],
            pilot=row["pilot_id"],
            callsign=row["callsign"],
            laps=row["laps"],
            fastest=row["fastest_lap_ms"],
        )
    return len(rows)


def unmatched(tx: Tx, training_id: int) -> list[Row]:
    return tx.all(
        "SELECT id, heat, round_no, position, callsign FROM heat_results"
        " WHERE training_id = :t AND pilot_id IS NULL AND callsign IS NOT NULL ORDER BY id",
        t=training_id,
    )


def callsign_in(tx: Tx, training_id: int, callsign: str) -> bool:
    return bool(
        tx.value(
            "SELECT EXISTS (SELECT 1 FROM heat_results WHERE training_id = :t AND callsign = :c)",
            t=training_id,
            c=callsign,
        )
    )


def results_of(tx: Tx, training_id: int) -> list[Row]:
    return tx.all(
        "SELECT r.id, r.heat, r.round_no, r.race_order, r.position, r.callsign, r.pilot_id,"
        " p.nickname, r.laps, r.fastest_lap_ms, r.source FROM heat_results r"
        " LEFT JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :t"
        " ORDER BY r.source, r.race_order, r.position, r.id",
        t=training_id,
    )


def match(tx: Tx, training_id: int, callsign: str, pilot_id: int) -> int:
    return tx.execute(
        "UPDATE heat_results SET pilot_id = :p WHERE training_id = :t AND callsign = :c"
        " AND pilot_id IS NULL",
        p=pilot_id,
        t=training_id,
        c=callsign,
    )


def season_results(tx: Tx, season: int) -> list[Row]:
    """Every matched result of the season in the order ratings are updated: training start,
    the races in the order they were flown, position."""
    return tx.all(
        "SELECT r.training_id, r.heat, r.round_no, r.race_order, r.position, r.pilot_id, r.laps,"
        " r.fastest_lap_ms, t.starts_at, v.city_id FROM heat_results r"
        " JOIN trainings t ON t.id = r.training_id JOIN venues v ON v.id = t.venue_id"
        " WHERE r.pilot_id IS NOT NULL AND t.status = 'scheduled'"
        " AND EXTRACT(YEAR FROM t.starts_at AT TIME ZONE 'UTC') = :season"
        " ORDER BY t.starts_at, r.training_id, r.race_order, r.position, r.pilot_id",
        season=season,
    )


def city_trainings_with_results(tx: Tx, season: int) -> list[Row]:
    return tx.all(
        "SELECT DISTINCT t.id, t.starts_at, v.city_id FROM heat_results r"
        " JOIN trainings t ON t.id = r.training_id JOIN venues v ON v.id = t.venue_id"
        " WHERE t.status = 'scheduled' AND EXTRACT(YEAR FROM t.starts_at AT TIME ZONE 'UTC') = :s"
        " ORDER BY t.starts_at, t.id",
        s=season,
    )


def replace_ratings(tx: Tx, season: int, rows: list[dict]) -> None:
    tx.execute("DELETE FROM pilot_ratings WHERE season = :s", s=season)
    for row in rows:
        tx.execute(
            "INSERT INTO pilot_ratings (season, city_id, pilot_id, mu, sigma, ordinal, races,"
            " best_lap_ms, trainings, streak) VALUES (:season, :city, :pilot, :mu, :sigma,"
            " :ordinal, :races, :best, :trainings, :streak)",
            season=season,
            **row,
        )


def leaderboard(tx: Tx, season: int, city_id: int, limit: int) -> list[Row]:
    """Only pilots who show their nickname on the site (opt-in)."""
    return tx.all(
        "SELECT p.nickname, r.mu, r.sigma, r.ordinal, r.races, r.best_lap_ms, r.trainings,"
        " r.streak FROM pilot_ratings r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE r.season = :s AND r.city_id = :c AND p.show_on_site AND p.nickname IS NOT NULL"
        " ORDER BY r.ordinal DESC, p.nickname LIMIT :limit",
        s=season,
        c=city_id,
        limit=limit,
    )


def pilot_ratings(tx: Tx, telegram_id: int, season: int) -> list[Row]:
    return tx.all(
        "SELECT r.city_id, c.name_ru, c.name_en, r.ordinal, r.races, r.best_lap_ms, r.trainings,"
        " r.streak, (SELECT count(*) + 1 FROM pilot_ratings o JOIN pilots op ON op.id = o.pilot_id"
        "   WHERE o.season = r.season AND o.city_id = r.city_id AND o.ordinal > r.ordinal"
        "   AND op.show_on_site) AS place"
        " FROM pilot_ratings r JOIN pilots p ON p.id = r.pilot_id JOIN cities c ON c.id = r.city_id"
        " WHERE p.telegram_id = :t AND r.season = :s ORDER BY r.ordinal DESC",
        t=telegram_id,
        s=season,
    )


def forget_callsigns(tx: Tx, pilot_id: int) -> None:
    """/delete_me: the nickname goes from the results too (the rows stay, anonymous)."""
    tx.execute("UPDATE heat_results SET callsign = NULL WHERE pilot_id = :p", p=pilot_id)
