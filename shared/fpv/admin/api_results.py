"""Admin API routes for heat results and ratings: a training's results (entered by hand, or a
RotorHazard JSON/CSV export uploaded), unmatched callsigns matched to pilots, recomputing a
season's ratings, and a city's leaderboard. Added to the admin app by
`fpv.admin.api.create_app`; the rules are `fpv.ratings`'.
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations.

from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from fpv.admin import results as uc
from fpv.admin.api import READ, WRITE, client_of

Id = Annotated[int, Path(ge=1, le=2**62)]
Season = Annotated[int, Field(ge=2000, le=2100)]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text holds no NUL
Heat = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
Callsign = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]


class HeatResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    heat: Heat
    round_no: int = Field(default=1, ge=1, le=1000)
    position: int = Field(ge=1, le=1000)
    callsign: Callsign = Field(description="the pilot's nickname (matched ignoring case)")
    laps: int = Field(default=0, ge=0, le=10_000)
    fastest_lap_ms: int | None = Field(default=None, ge=1, le=86_400_000)


class ManualResultsIn(BaseModel):
    """The training's whole table entered by hand, races in the order flown; it replaces the
    manual results entered before (an empty list removes them)."""

    model_config = ConfigDict(extra="forbid")
    results: list[HeatResultIn] = Field(max_length=5000)


class RotorHazardIn(BaseModel):
    """A RotorHazard results export as uploaded: the file's name (`.json` or `.csv`) and text."""

    model_config = ConfigDict(extra="forbid")
    filename: str = Field(default="", max_length=200, pattern=NO_NUL)
    content: str = Field(min_length=1, max_length=5_000_000, pattern=NO_NUL)


class ImportReportOut(BaseModel):
    training_id: int
    results: int
    matched: int
    unmatched: list[str] = Field(description="callsigns no pilot's nickname matched")


class HeatResultOut(BaseModel):
    id: int
    heat: str
    round_no: int
    race_order: int
    position: int
    callsign: str | None
    pilot_id: int | None
    nickname: str | None
    laps: int
    fastest_lap_ms: int | None
    source: str


class TrainingResultsOut(BaseModel):
    training_id: int
    results: list[HeatResultOut]
    unmatched: list[str]


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    callsign: Callsign
    nickname: Callsign


class MatchOut(BaseModel):
    training_id: int
    matched: int = Field(description="result rows given to the pilot (0: matched before)")
    unmatched: list[str]


class RecomputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    season: Season | None = Field(default=None, description="the year; default: this one")


class RecomputeOut(BaseModel):
    season: int
    ratings: int


class LeaderOut(BaseModel):
    place: int
    nickname: str
    ordinal: float = Field(description="the rating shown (mu - 3 sigma)")
    mu: float
    sigma: float
    races: int
    best_lap_ms: int | None
    trainings: int
    streak: int


class AdminLeaderboardOut(BaseModel):
    city_id: int
    season: int
    items: list[LeaderOut]


def add_routes(app: FastAPI, session: Any, mutation: Any, deps: Any) -> None:
    """`session`, `mutation`, `deps`: the admin app's Annotated dependencies."""
    Session, Mutation, D = session, mutation, deps

    @app.get(
        "/api/admin/trainings/{training_id}/results",
        response_model=TrainingResultsOut,
        responses=READ,
        openapi_extra={"x-fpv-access": "venue"},
        tags=["results"],
    )
    def training_results(training_id: Id, s: Session, d: D) -> Any:
        return uc.training_results(d.db, s.actor, training_id)

    @app.put(
        "/api/admin/trainings/{training_id}/results",
        response_model=ImportReportOut,
        responses=WRITE,
        openapi_extra={"x-fpv-access": "venue"},
        tags=["results"],
    )
    def record_results(
        training_id: Id, body: ManualResultsIn, s: Mutation, request: Request, d: D
    ) -> Any:
        """Results entered by hand; the season's ratings are recomputed."""
        rows = [r.model_dump() for r in body.results]
        return uc.record_manual(d.db, s.actor, training_id, rows, client_of(request))

    @app.post(
        "/api/admin/trainings/{training_id}/results/import",
        response_model=ImportReportOut,
        responses=WRITE,
        openapi_extra={"x-fpv-access": "venue"},
        tags=["results"],
    )
    def import_results(
        training_id: Id, body: RotorHazardIn, s: Mutation, request: Request, d: D
    ) -> Any:
        """A RotorHazard results export (JSON or CSV) replaces the training's imported results;
        callsigns are matched to nicknames, the rest listed for a decision."""
        return uc.import_export(
            d.db, s.actor, training_id, filename=body.filename, content=body.content,
            client=client_of(request),
        )  # fmt: skip

    @app.post(
        "/api/admin/trainings/{training_id}/results/match",
        response_model=MatchOut,
        responses=WRITE,
        openapi_extra={"x-fpv-access": "venue"},
        tags=["results"],
    )
    def match_callsign(training_id: Id, body: MatchIn, s: Mutation, request: Request, d: D) -> Any:
        """Say which pilot (by nickname) an unmatched callsign was."""
        return uc.match(
            d.db, s.actor, training_id, callsign=body.callsign, nickname=body.nickname,
            client=client_of(request),
        )  # fmt: skip

    @app.post(
        "/api/admin/ratings/recompute",
        response_model=RecomputeOut,
        responses=WRITE,
        openapi_extra={"x-fpv-access": "any"},
        tags=["results"],
    )
    def recompute_ratings(body: RecomputeIn, s: Mutation, request: Request, d: D) -> Any:
        """A season's ratings from scratch (same results, same ratings)."""
        return uc.recompute(d.db, s.actor, body.season, client_of(request))

    @app.get(
        "/api/admin/leaderboard",
        response_model=AdminLeaderboardOut,
        responses=READ,
        openapi_extra={"x-fpv-access": "any"},
        tags=["results"],
    )
    def leaderboard(
        s: Session,
        d: D,
        city_id: Annotated[int, Query(ge=1, le=2**62)],
        season: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Any:
        """Only pilots who show their nickname on the site (what `fpv ratings board` prints)."""
        return uc.leaderboard(d.db, s.actor, city_id, season=season, limit=limit)
