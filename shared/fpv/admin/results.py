"""Heat results, ratings and the leaderboard in the admin: the organizer's door to `fpv.ratings`,
which owns the rules (who may record a training's results, matching callsigns to nicknames,
the Weng-Lin ratings, the opt-in board, the audit entries). Here its refusals become the admin
API's errors."""

from __future__ import annotations

from typing import Any

from fpv import audit, ratings
from fpv.actors import Actor
from fpv.admin.common import scope
from fpv.admin.errors import Forbidden, Invalid, NotFound
from fpv.dal import admin as admin_dal
from fpv.db import Database
from fpv.ratings import HeatResult


def _refused(exc: Exception) -> Exception:
    if isinstance(exc, ratings.NotAllowed):
        return Forbidden(str(exc))
    if isinstance(exc, ratings.NotFound):
        return NotFound(str(exc))
    if isinstance(exc, ratings.ExportUnreadable | ratings.InvalidResults):
        return Invalid(str(exc))
    return exc


_ERRORS = (ratings.NotAllowed, ratings.NotFound, ratings.ExportUnreadable, ratings.InvalidResults)


def _report(report: ratings.ImportReport) -> dict[str, Any]:
    return dict(report.__dict__)


def training_results(db: Database, actor: Actor, training_id: int) -> dict[str, Any]:
    """The training's results race by race and the callsigns still waiting for a decision."""
    scope(actor)
    try:
        rows = ratings.training_results(db, actor, training_id)
    except _ERRORS as exc:
        raise _refused(exc) from None
    unmatched = sorted({r["callsign"] for r in rows if r["pilot_id"] is None and r["callsign"]})
    return {"training_id": training_id, "results": rows, "unmatched": unmatched}


def record_manual(
    db: Database,
    actor: Actor,
    training_id: int,
    results: list[dict[str, Any]],
    client: audit.Client,
) -> dict[str, Any]:
    """The results entered by hand replace the training's earlier manual ones as a whole (a
    second submit of the same table changes nothing)."""
    scope(actor)
    heats = [
        HeatResult(
            heat=r["heat"].strip(),
            round_no=r.get("round_no") or 1,
            position=r["position"],
            callsign=r["callsign"].strip(),
            laps=r.get("laps") or 0,
            fastest_lap_ms=r.get("fastest_lap_ms"),
        )
        for r in results
    ]
    if any(not h.heat or not h.callsign for h in heats):
        raise Invalid("every result needs a heat and a callsign")
    try:
        return _report(
            ratings.record_results(db, actor, training_id, heats, source="manual", client=client)
        )
    except _ERRORS as exc:
        raise _refused(exc) from None


def import_export(
    db: Database,
    actor: Actor,
    training_id: int,
    *,
    filename: str,
    content: str,
    client: audit.Client,
) -> dict[str, Any]:
    """A RotorHazard results export (its JSON or CSV), as uploaded from the page."""
    scope(actor)
    try:
        return _report(
            ratings.import_results(db, actor, training_id, content, filename, client=client)
        )
    except _ERRORS as exc:
        raise _refused(exc) from None


def match(
    db: Database,
    actor: Actor,
    training_id: int,
    *,
    callsign: str,
    nickname: str,
    client: audit.Client,
) -> dict[str, Any]:
    scope(actor)
    try:
        matched = ratings.match_callsign(
            db, actor, training_id, callsign, nickname.strip(), client=client
        )
    except _ERRORS as exc:
        raise _refused(exc) from None
    left = training_results(db, actor, training_id)["unmatched"]
    return {"training_id": training_id, "matched": matched, "unmatched": left}


def recompute(db: Database, actor: Actor, season: int | None, client: audit.Client) -> dict:
    scope(actor)
    season = season or ratings.current_season()
    try:
        written = ratings.recompute(db, season, actor=actor, client=client)
    except _ERRORS as exc:
        raise _refused(exc) from None
    return {"season": season, "ratings": written}


def leaderboard(
    db: Database, actor: Actor, city_id: int, *, season: int | None = None, limit: int = 50
) -> dict[str, Any]:
    """The city's public board (only pilots who show their nickname on the site), exactly what
    `fpv ratings board` prints, with places."""
    scope(actor)
    with db.transaction(readonly=True) as tx:
        if admin_dal.city(tx, city_id) is None:
            raise NotFound("city not found")
    season = season or ratings.current_season()
    rows = ratings.leaderboard(db, city_id, season=season, limit=limit)
    return {
        "city_id": city_id,
        "season": season,
        "items": [{"place": n, **row} for n, row in enumerate(rows, start=1)],
    }
