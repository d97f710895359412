"""Results and ratings (v2.2): heat results recorded by an admin or imported from RotorHazard,
and a skill rating per pilot, season and city with the Weng-Lin Plackett-Luce model (the
`openskill` package), updated heat by heat in order and recomputable from scratch with the same
result; best lap and attendance beside it. Leaderboards show only pilots who opted in ("show on
site"); /delete_me removes a pilot from every board (their rows go, their callsign is cleared).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fpv.actors import Actor
from fpv.dal import results as dal
from fpv.db import Database, Row
from fpv.ratings.rotorhazard import ExportUnreadable, HeatResult, parse

__all__ = [
    "ExportUnreadable",
    "HeatResult",
    "ImportReport",
    "NotAllowed",
    "NotFound",
    "import_results",
    "leaderboard",
    "match_callsign",
    "my_ratings",
    "recompute",
    "record_results",
]


class NotAllowed(Exception):
    pass


class NotFound(Exception):
    pass


@dataclass
class ImportReport:
    training_id: int
    results: int
    matched: int
    unmatched: list[str] = field(default_factory=list)  # callsigns shown for a decision


def _training_for(db: Database, actor: Actor, training_id: int) -> Row:
    if not actor.is_staff:
        raise NotAllowed("organizers record results")
    with db.transaction(readonly=True) as tx:
        training = dal.training_context(tx, training_id)
    if training is None or not actor.sees_venue(training["venue_id"]):
        raise NotFound(f"training {training_id}")
    return training


def record_results(
    db: Database, actor: Actor, training_id: int, results: list[HeatResult], *, source: str
) -> ImportReport:
    """Replace the training's results from this source (manual or rotorhazard): callsigns are
    matched to nicknames (ignoring case); unmatched ones are kept for an admin's decision. The
    season's ratings are recomputed."""
    training = _training_for(db, actor, training_id)
    order: dict[tuple[str, int], int] = {}
    for r in results:  # races in the order the export lists them (the order flown)
        order.setdefault((r.heat, r.round_no), len(order))
    with db.transaction() as tx:
        by_nick = dal.pilots_by_nickname(tx, sorted({r.callsign for r in results}))
        rows = [
            {
                "heat": r.heat,
                "round_no": r.round_no,
                "race_order": order[(r.heat, r.round_no)],
                "position": r.position,
                "pilot_id": by_nick.get(r.callsign.lower()),
                "callsign": r.callsign,
                "laps": r.laps,
                "fastest_lap_ms": r.fastest_lap_ms,
            }
            for r in results
        ]
        dal.replace_results(tx, training_id, source, rows)
    recompute(db, training["starts_at"].astimezone(UTC).year)
    unmatched = sorted({r["callsign"] for r in rows if r["pilot_id"] is None})
    return ImportReport(
        training_id, len(rows), sum(r["pilot_id"] is not None for r in rows), unmatched
    )


def import_results(
    db: Database, actor: Actor, training_id: int, data: bytes | str, filename: str = ""
) -> ImportReport:
    """A RotorHazard results export (JSON or CSV) for one training."""
    return record_results(db, actor, training_id, parse(data, filename), source="rotorhazard")


def match_callsign(
    db: Database, actor: Actor, training_id: int, callsign: str, nickname: str
) -> int:
    """An admin decides who an unmatched callsign was; returns the rows matched."""
    training = _training_for(db, actor, training_id)
    with db.transaction() as tx:
        pilot_id = dal.pilots_by_nickname(tx, [nickname]).get(nickname.lower())
        if pilot_id is None:
            raise NotFound(f"pilot {nickname}")
        matched = dal.match(tx, training_id, callsign, pilot_id)
    recompute(db, training["starts_at"].astimezone(UTC).year)
    return matched


def _rate(results: list[Row]) -> dict[tuple[int, int], dict[str, Any]]:
    """Sequential Plackett-Luce updates, one per (training, heat, round), per city."""
    from openskill.models import PlackettLuce  # imported where ratings are computed

    model = PlackettLuce()
    ratings: dict[tuple[int, int], Any] = {}
    stats: dict[tuple[int, int], dict[str, Any]] = defaultdict(
        lambda: {"races": 0, "best_lap_ms": None, "training_ids": set()}
    )
    races: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for row in results:  # already in order (dicts keep insertion order)
        races[(row["training_id"], row["race_order"])].append(row)
    for entries in races.values():
        city = entries[0]["city_id"]
        # a pilot listed twice in one race (a data slip) counts once, at the better place
        best: dict[int, Row] = {}
        for row in entries:
            if row["pilot_id"] not in best or row["position"] < best[row["pilot_id"]]["position"]:
                best[row["pilot_id"]] = row
        field_ = sorted(best.values(), key=lambda r: (r["position"], r["pilot_id"]))
        for row in field_:
            key = (city, row["pilot_id"])
            s = stats[key]
            s["training_ids"].add(row["training_id"])
            lap = row["fastest_lap_ms"]
            if lap and (s["best_lap_ms"] is None or lap < s["best_lap_ms"]):
                s["best_lap_ms"] = lap
        if len(field_) < 2:
            continue  # nobody to be ranked against
        teams = [
            [ratings.get((city, r["pilot_id"])) or model.rating(name=str(r["pilot_id"]))]
            for r in field_
        ]
        updated = model.rate(teams, ranks=[r["position"] for r in field_])
        for row, team in zip(field_, updated, strict=True):
            ratings[(city, row["pilot_id"])] = team[0]
            stats[(city, row["pilot_id"])]["races"] += 1
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for key, s in stats.items():
        rating = ratings.get(key) or model.rating()
        out[key] = {
            "mu": rating.mu,
            "sigma": rating.sigma,
            "ordinal": rating.ordinal(),
            "races": s["races"],
            "best_lap_ms": s["best_lap_ms"],
            "training_ids": s["training_ids"],
        }
    return out


def _streak(flown: set[int], city_trainings: list[int]) -> int:
    """Consecutive club trainings flown, counted back from the city's latest one with results."""
    streak = 0
    for training_id in reversed(city_trainings):
        if training_id not in flown:
            break
        streak += 1
    return streak


def recompute(db: Database, season: int) -> int:
    """The season's ratings from scratch (same input, same result); returns the rows written."""
    with db.transaction() as tx:
        results = dal.season_results(tx, season)
        by_city: dict[int, list[int]] = defaultdict(list)
        for row in dal.city_trainings_with_results(tx, season):
            by_city[row["city_id"]].append(row["id"])
        rated = _rate(results)
        rows = [
            {
                "city": city,
                "pilot": pilot_id,
                "mu": v["mu"],
                "sigma": v["sigma"],
                "ordinal": v["ordinal"],
                "races": v["races"],
                "best": v["best_lap_ms"],
                "trainings": len(v["training_ids"]),
                "streak": _streak(v["training_ids"], by_city[city]),
            }
            for (city, pilot_id), v in sorted(rated.items())
        ]
        dal.replace_ratings(tx, season, rows)
    return len(rows)


def current_season(now: datetime | None = None) -> int:
    return (now or datetime.now(UTC)).year


def leaderboard(
    db: Database, city_id: int, *, season: int | None = None, limit: int = 50
) -> list[Row]:
    with db.transaction(readonly=True) as tx:
        return dal.leaderboard(tx, season or current_season(), city_id, limit)


def my_ratings(db: Database, telegram_id: int, *, season: int | None = None) -> list[Row]:
    with db.transaction(readonly=True) as tx:
        return dal.pilot_ratings(tx, telegram_id, season or current_season())
