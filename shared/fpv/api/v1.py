"""The integration API, `/api/v1/` (issue #15, DESIGN §9): the schedule for anyone (filters,
cursor pagination, ETag / If-None-Match); with `Authorization: Bearer <key>` the registrations
of the key's venues (nickname, channel, heat, payment state; nothing more) and the key's webhook
subscriptions. Another venue's objects answer 404, as if they did not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from fpv import apikeys, webhooks
from fpv.actors import Actor
from fpv.api.common import (
    PROBLEM_RESPONSES,
    ApiProblem,
    City,
    Env,
    TrainingPage,
    Venue,
    encode_cursor,
    env,
    etagged,
    id_cursor,
    now_utc,
    timestamp_cursor,
    training,
)
from fpv.api.common import Training as TrainingOut
from fpv.dal import apis as dal
from fpv.pilot_calendar import training_ics

router = APIRouter(prefix="/api/v1", tags=["integration"], responses=PROBLEM_RESPONSES)
_bearer = HTTPBearer(auto_error=False, description="an integration API key (fpv_...)")

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
CursorQ = Annotated[str | None, Query(max_length=400, description="next_cursor of a page")]
LimitQ = Annotated[int, Query(ge=1, le=200)]


async def key_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    e: Annotated[Env, Depends(env)],
) -> Actor:
    token = credentials.credentials if credentials else None
    try:
        return apikeys.authenticate(e.db, token)
    except apikeys.Unauthenticated as exc:
        raise ApiProblem(
            401, "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None
    except apikeys.RateLimited as exc:
        raise ApiProblem(
            429, "Too many requests", str(exc), headers={"Retry-After": str(exc.retry_after)}
        ) from None


KeyActor = Annotated[Actor, Depends(key_actor)]


def _need(actor: Actor, scope: str) -> None:
    if scope not in actor.scopes:
        # not 403: what a key may not read does not exist for it
        raise ApiProblem(404, "Not found", f"this key has no {scope} scope")


# --- the schedule (no key) ----------------------------------------------------------------------
class CityList(BaseModel):
    items: list[City]


class VenueList(BaseModel):
    items: list[Venue]


@router.get("/cities", response_model=CityList, responses={304: {"description": "Not modified"}})
async def cities(request: Request, e: Annotated[Env, Depends(env)]) -> Response:
    with e.db.transaction(readonly=True) as tx:
        rows = dal.cities(tx)
    return etagged(request, {"items": [City(**r) for r in rows]})


@router.get("/venues", response_model=VenueList, responses={304: {"description": "Not modified"}})
async def venues(
    request: Request,
    e: Annotated[Env, Depends(env)],
    city: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    with e.db.transaction(readonly=True) as tx:
        rows = dal.venues(tx, city)
    items = [Venue(**{k: r[k] for k in Venue.model_fields}) for r in rows]
    return etagged(request, {"items": items})


def list_trainings(
    e: Env,
    *,
    city: int | None,
    venue: int | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
    free_seats: int | None,
    cursor: str | None,
    limit: int,
) -> TrainingPage:
    for moment in (starts_from, starts_to):
        if moment is not None and moment.tzinfo is None:
            raise ApiProblem(400, "Bad time", "times need a UTC offset (e.g. 2026-12-01T00:00Z)")
    after = timestamp_cursor(cursor)
    with e.db.transaction(readonly=True) as tx:
        rows = dal.trainings(
            tx,
            city_id=city,
            venue_id=venue,
            starts_from=starts_from or now_utc(),
            starts_to=starts_to,
            free_seats=free_seats,
            after=after,
            limit=limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    base = e.settings.public_base_url
    return TrainingPage(
        items=[training(r, base) for r in rows],
        next_cursor=encode_cursor(rows[-1]["starts_at"], rows[-1]["id"]) if more else None,
    )


Moment = Annotated[datetime | None, Query(description="ISO 8601 with offset")]


@router.get(
    "/trainings", response_model=TrainingPage, responses={304: {"description": "Not modified"}}
)
async def trainings(
    request: Request,
    e: Annotated[Env, Depends(env)],
    city: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    venue: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    starts_from: Annotated[datetime | None, Query(alias="from")] = None,
    starts_to: Annotated[datetime | None, Query(alias="to")] = None,
    free_seats: Annotated[int | None, Query(ge=1, le=200)] = None,
    cursor: CursorQ = None,
    limit: LimitQ = 50,
) -> Response:
    """Upcoming trainings (from now unless `from`), by start time; `free_seats` keeps only
    scheduled trainings with at least that many seats free."""
    page = list_trainings(
        e,
        city=city,
        venue=venue,
        starts_from=starts_from,
        starts_to=starts_to,
        free_seats=free_seats,
        cursor=cursor,
        limit=limit,
    )
    return etagged(request, page)


@router.get(
    "/trainings/{training_id}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar"}},
)
async def training_calendar(training_id: Id, e: Annotated[Env, Depends(env)]) -> Response:
    with e.db.transaction(readonly=True) as tx:
        row = dal.training(tx, training_id)
    if row is None:
        raise ApiProblem(404, "Not found", "no such training")
    return Response(
        training_ics(row),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="training-{training_id}.ics"'},
    )


@router.get(
    "/trainings/{training_id}",
    response_model=TrainingOut,
    responses={304: {"description": "Not modified"}},
)
async def training_detail(
    request: Request, training_id: Id, e: Annotated[Env, Depends(env)]
) -> Response:
    with e.db.transaction(readonly=True) as tx:
        row = dal.training(tx, training_id)
    if row is None:
        raise ApiProblem(404, "Not found", "no such training")
    return etagged(request, training(row, e.settings.public_base_url))


# --- the leaderboard (no key: only pilots who show their nickname on the site) -------------------
class LeaderboardEntry(BaseModel):
    place: int
    nickname: str
    rating: float = Field(description="the rating shown: mu - 3 sigma (Weng-Lin, Plackett-Luce)")
    mu: float
    sigma: float
    races: int
    best_lap_ms: int | None
    trainings: int = Field(description="trainings with a result this season")
    streak: int = Field(description="consecutive club trainings flown, up to the latest")


class Leaderboard(BaseModel):
    city_id: int
    season: int
    items: list[LeaderboardEntry]


def leaderboard(e: Env, city: int, season: int | None, limit: int) -> Leaderboard:
    """A city's season board from `fpv.ratings` (opted-in pilots only; a deleted pilot's
    ratings are gone with them); an unknown city is 404."""
    from fpv import ratings

    with e.db.transaction(readonly=True) as tx:
        known = any(c["id"] == city for c in dal.cities(tx))
    if not known:
        raise ApiProblem(404, "Not found", "no such city")
    season = season or ratings.current_season()
    rows = ratings.leaderboard(e.db, city, season=season, limit=limit)
    return Leaderboard(
        city_id=city,
        season=season,
        items=[
            LeaderboardEntry(
                place=n,
                nickname=r["nickname"],
                rating=r["ordinal"],
                mu=r["mu"],
                sigma=r["sigma"],
                races=r["races"],
                best_lap_ms=r["best_lap_ms"],
                trainings=r["trainings"],
                streak=r["streak"],
            )
            for n, r in enumerate(rows, start=1)
        ],
    )


CityQ = Annotated[int, Query(ge=1, le=2**63 - 1, description="a city id (see /cities)")]
SeasonQ = Annotated[int | None, Query(ge=2000, le=2100, description="the year; default: this one")]


@router.get(
    "/leaderboard", response_model=Leaderboard, responses={304: {"description": "Not modified"}}
)
async def public_leaderboard(
    request: Request,
    e: Annotated[Env, Depends(env)],
    city: CityQ,
    season: SeasonQ = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """A city's season ratings, best first: only pilots who chose to show their nickname."""
    return etagged(request, leaderboard(e, city, season, limit))


# --- keyed --------------------------------------------------------------------------------------
class KeyInfo(BaseModel):
    id: int
    scopes: list[str]
    venue_ids: list[int]


@router.get("/me", response_model=KeyInfo)
async def me(actor: KeyActor) -> KeyInfo:
    """What this key may do."""
    assert actor.id is not None
    return KeyInfo(id=actor.id, scopes=sorted(actor.scopes), venue_ids=sorted(actor.venue_ids))


class Registration(BaseModel):
    id: int
    public_id: str
    training_id: int
    status: str
    nickname: str | None
    channel_mhz: int | None
    channel_label: str | None
    heat: int
    payment_status: str


class RegistrationPage(BaseModel):
    items: list[Registration]
    next_cursor: str | None = None


@router.get(
    "/venues/{venue_id}/registrations",
    response_model=RegistrationPage,
    responses={304: {"description": "Not modified"}},
)
async def venue_registrations(
    request: Request,
    venue_id: Id,
    actor: KeyActor,
    e: Annotated[Env, Depends(env)],
    training_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: CursorQ = None,
    limit: LimitQ = 100,
) -> Response:
    """Registrations at one of the key's venues (scope registrations:read)."""
    _need(actor, "registrations:read")
    if not actor.sees_venue(venue_id):
        raise ApiProblem(404, "Not found", "no such venue")
    after = id_cursor(cursor)
    with e.db.transaction(readonly=True) as tx:
        rows = dal.venue_registrations(
            tx, venue_id=venue_id, training_id=training_id, after_id=after, limit=limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    page = RegistrationPage(
        items=[Registration(**webhooks.registration_data(r)) for r in rows],
        next_cursor=encode_cursor(rows[-1]["id"]) if more else None,
    )
    return etagged(request, page, private=True)


# --- webhook subscriptions ----------------------------------------------------------------------
EventPattern = Annotated[str, Field(min_length=1, max_length=64)]


class SubscriptionIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://\S+$")
    event_types: list[EventPattern] = Field(
        min_length=1,
        max_length=20,
        description="patterns: " + ", ".join([*webhooks.EVENT_TYPES, "training.*", "*"]),
    )


class Subscription(BaseModel):
    id: int
    url: str
    event_types: list[str]
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


class NewSubscription(Subscription):
    secret: str = Field(description="the signing secret (whsec_...), shown once")


class SubscriptionList(BaseModel):
    items: list[Subscription]


@router.get("/webhooks", response_model=SubscriptionList)
async def list_webhooks(actor: KeyActor, e: Annotated[Env, Depends(env)]) -> SubscriptionList:
    return SubscriptionList(
        items=[Subscription(**s) for s in webhooks.list_subscriptions(e.db, actor)]
    )


@router.post(
    "/webhooks",
    response_model=NewSubscription,
    status_code=201,
    responses={409: PROBLEM_RESPONSES[404] | {"description": "Already subscribed"}},
)
async def subscribe(
    body: SubscriptionIn, actor: KeyActor, e: Annotated[Env, Depends(env)]
) -> NewSubscription:
    """Deliveries are signed per Standard Webhooks with the returned secret."""
    try:
        made = webhooks.subscribe(e.db, actor, url=body.url, event_types=body.event_types)
    except webhooks.InvalidSubscription as exc:
        status = 409 if "already" in str(exc) else 422
        raise ApiProblem(status, "Invalid subscription", str(exc)) from None
    return NewSubscription(**made)


@router.delete("/webhooks/{subscription_id}", status_code=204, response_class=Response)
async def unsubscribe(
    subscription_id: Id, actor: KeyActor, e: Annotated[Env, Depends(env)]
) -> Response:
    try:
        webhooks.unsubscribe(e.db, actor, subscription_id)
    except webhooks.NotFound:
        raise ApiProblem(404, "Not found", "no such subscription") from None
    return Response(status_code=204)


class Redelivery(BaseModel):
    webhook_id: str
    status: Literal["queued"] = "queued"


WebhookId = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{32}$", description="the webhook-id header")]


@router.post(
    "/webhooks/messages/{webhook_id}/redeliver", response_model=Redelivery, status_code=202
)
async def redeliver(
    webhook_id: WebhookId, actor: KeyActor, e: Annotated[Env, Depends(env)]
) -> Redelivery:
    """Send a past message again, with the same webhook-id (messages are kept a week)."""
    try:
        webhooks.redeliver(e.db, actor, webhook_id)
    except webhooks.NotFound:
        raise ApiProblem(404, "Not found", "no such webhook message") from None
    return Redelivery(webhook_id=webhook_id)
