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

from fpv import audit
from fpv.actors import Actor
from fpv.dal import results as dal
from fpv.db import Database, Row, Tx
from fpv.ratings.rotorhazard import ExportUnreadable, HeatResult, parse
from fpv.site import trigger as site_trigger

__all__ = [
    "ExportUnreadable",
    "HeatResult",
    "ImportReport",
    "InvalidResults",
    "NotAllowed",
    "NotFound",
    "import_results",
    "leaderboard",
    "match_callsign",
    "my_ratings",
    "recompute",
    "record_results",
    "training_results",
]


class NotAllowed(Exception):
    pass


class NotFound(Exception):
    pass


class InvalidResults(ValueError):
    """Results that cannot be recorded as given (the message says why)."""


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


def _check(training: Row, results: list[HeatResult], now: datetime) -> None:
    if training["status"] != "scheduled":
        raise InvalidResults("the training was cancelled")
    if training["starts_at"] > now:
        raise InvalidResults("the training has not started yet")
    seen: set[tuple[str, int, str]] = set()
    for r in results:
        key = (r.heat, r.round_no, r.callsign.lower())
        if key in seen:
            raise InvalidResults(f"{r.callsign} is listed twice in {r.heat}, round {r.round_no}")
        seen.add(key)


def record_results(
    db: Database,
    actor: Actor,
    training_id: int,
    results: list[HeatResult],
    *,
    source: str,
    client: audit.Client | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Replace the training's results from this source (manual or rotorhazard): callsigns are
    matched to nicknames (ignoring case); unmatched ones are kept for an admin's decision. The
    season's ratings are recomputed in the same transaction, which is audited."""
    training = _training_for(db, actor, training_id)
    _check(training, results, now or datetime.now(UTC))
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
        season = training["starts_at"].astimezone(UTC).year
        _recompute(tx, season)
        unmatched = sorted({r["callsign"] for r in rows if r["pilot_id"] is None})
        report = ImportReport(
            training_id, len(rows), sum(r["pilot_id"] is not None for r in rows), unmatched
        )
        # counts only: callsigns are nicknames, and the audit log is kept for good
        audit.record(
            tx, actor, f"results.{'import' if source == 'rotorhazard' else 'record'}",
            f"training:{training_id}", client=client, venue_id=training["venue_id"],
            details={"source": source, "results": report.results, "matched": report.matched,
                     "unmatched": len(unmatched), "races": len(order), "season": season},
        )  # fmt: skip
    return report


def import_results(
    db: Database,
    actor: Actor,
    training_id: int,
    data: bytes | str,
    filename: str = "",
    *,
    client: audit.Client | None = None,
) -> ImportReport:
    """A RotorHazard results export (JSON or CSV) for one training."""
    return record_results(
        db, actor, training_id, parse(data, filename), source="rotorhazard", client=client
    )


def match_callsign(
    db: Database,
    actor: Actor,
    training_id: int,
    callsign: str,
    nickname: str,
    *,
    client: audit.Client | None = None,
) -> int:
    """An admin decides who an unmatched callsign was; returns the rows matched (0 when it
    was matched already: a second submit changes nothing). Audited; ratings recomputed."""
    training = _training_for(db, actor, training_id)
    with db.transaction() as tx:
        pilot_id = dal.pilots_by_nickname(tx, [nickname]).get(nickname.lower())
        if pilot_id is None:
            raise NotFound(f"pilot {nickname}")
        if not dal.callsign_in(tx, training_id, callsign):
            raise NotFound(f"callsign {callsign} in training {training_id}")
        matched = dal.match(tx, training_id, callsign, pilot_id)
        if matched:
            season = training["starts_at"].astimezone(UTC).year
            _recompute(tx, season)
            audit.record(
                tx, actor, "results.match", f"training:{training_id}", client=client,
                venue_id=training["venue_id"],
                details={"pilot_id": pilot_id, "rows": matched, "season": season},
            )  # fmt: skip
    return matched


def training_results(db: Database, actor: Actor, training_id: int) -> list[Row]:
    """A training's results as recorded, race by race (with the matched pilot's nickname)."""
    _training_for(db, actor, training_id)
    with db.transaction(readonly=True) as tx:
        return dal.results_of(tx, training_id)


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


def _recompute(tx: Tx, season: int) -> int:
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
    site_trigger.queue_rebuild(tx, "ratings", season=season)  # the site's leaderboards
    return len(rows)


def recompute(
    db: Database,
    season: int,
    *,
    actor: Actor | None = None,
    client: audit.Client | None = None,
) -> int:
    """The season's ratings from scratch (same input, same result); returns the rows written.
    Asked for by an organizer (`actor`), it is audited."""
    if actor is not None and not actor.is_staff:
        raise NotAllowed("organizers recompute ratings")
    with db.transaction() as tx:
        written = _recompute(tx, season)
        if actor is not None:
            audit.record(
                tx, actor, "ratings.recompute", f"season:{season}", client=client,
                details={"season": season, "ratings": written},
            )  # fmt: skip
    return written


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
