"""The admin HTTP API (FastAPI, served by the admin_api Lambda behind Mangum): parse, call the
use case with the session's actor, shape the answer. Authorization lives in the use cases.

Imported only by the admin_api function and tests (FastAPI is not loaded by other functions).
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations, some of them
# local to create_app.

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from fpv import audit
from fpv.admin import admins as admins_uc
from fpv.admin import api_board, api_exports, api_keys, audit_log, auth, pilots, stats, venues
from fpv.admin import registrations as regs
from fpv.admin import trainings as trainings_uc
from fpv.admin.errors import AdminError
from fpv.db import Database, DatabaseUnavailable
from fpv.payments.ports import PaymentPorts
from fpv.ports.events import EventBus
from fpv.texts import t

log = logging.getLogger("fpv.admin.api")
PREFIX = "/api/admin"
PROBLEM = "application/problem+json"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass
class Deps:
    db: Database
    bus: EventBus
    sender: auth.CodeSender
    ports: PaymentPorts


def deps_from_settings() -> Deps:
    from fpv import runtime
    from fpv.payments.wiring import from_settings
    from fpv.settings import get_settings

    settings = get_settings()
    token = settings.telegram_bot_token
    return Deps(
        db=runtime.database(settings),
        bus=runtime.event_bus(settings),
        sender=auth.BotApiCodeSender(
            token.get_secret_value() if token else None, settings.telegram_api_base_url
        ),
        ports=from_settings(settings)[0],
    )


# --- models -----------------------------------------------------------------------------------
class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None


class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class ChallengeOut(BaseModel):
    challenge: str


class VerifyIn(BaseModel):
    challenge: str = Field(min_length=1, max_length=200)
    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$")


class CsrfOut(BaseModel):
    csrf: str


class LogoutOut(BaseModel):
    sessions_revoked: int


class MeOut(BaseModel):
    id: int
    login: str | None
    role: str
    venue_ids: list[int]
    language: str


Slug = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Id = Annotated[int, Path(ge=1, le=2**62)]
Mhz = Annotated[int, Field(ge=5000, le=6100)]
Kopecks = Annotated[int, Field(ge=0, le=10**10)]
Capacity = Annotated[int, Field(ge=1, le=200)]
TrackType = Literal["race", "freestyle", "whoop", "open"]


class CityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: Slug
    name_ru: Name
    name_en: Name


class CityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: Slug | None = None
    name_ru: Name | None = None
    name_en: Name | None = None


class CityOut(BaseModel):
    id: int
    slug: str
    name_ru: str
    name_en: str


class VenuePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    city_id: int | None = Field(default=None, ge=1, le=2**62)
    slug: Slug | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    time_zone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    min_mhz: Mhz | None = None
    max_mhz: Mhz | None = None
    cancel_cutoff_hours: Annotated[int, Field(ge=0, le=168)] | None = None
    default_price_kopecks: Kopecks | None = None
    default_capacity: Capacity | None = None


class VenueIn(VenuePatch):
    city_id: int = Field(ge=1, le=2**62)  # type: ignore[assignment]
    slug: Slug  # type: ignore[assignment]
    name: Annotated[str, Field(min_length=1, max_length=200)]  # type: ignore[assignment]
    time_zone: Annotated[str, Field(min_length=1, max_length=64)]  # type: ignore[assignment]


class VenueOut(BaseModel):
    id: int
    city_id: int
    slug: str
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    time_zone: str
    min_mhz: int
    max_mhz: int
    cancel_cutoff_hours: int
    default_price_kopecks: int
    default_capacity: int


Title = Annotated[str, Field(min_length=1, max_length=200)]
Notes = Annotated[str, Field(max_length=2000)]


class TrainingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    venue_id: int = Field(ge=1, le=2**62)
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    track_type: TrackType = "race"
    capacity: Capacity | None = None
    price_kopecks: Kopecks | None = None
    notes: Notes = ""


class TrainingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    track_type: TrackType | None = None
    capacity: Capacity | None = None
    price_kopecks: Kopecks | None = None
    notes: Notes | None = None


class SeriesIn(BaseModel):
    """A weekly series: `count` trainings on the weekday of `first_date`, at `start_time` local
    time at the venue; `skip_dates` (on that weekday) are left out and the series goes on."""

    model_config = ConfigDict(extra="forbid")
    venue_id: int = Field(ge=1, le=2**62)
    title: Title
    first_date: date
    start_time: time
    duration_minutes: int = Field(ge=15, le=1440)
    count: int = Field(ge=1, le=trainings_uc.MAX_SERIES)
    skip_dates: list[date] = Field(default_factory=list, max_length=52)
    track_type: TrackType = "race"
    capacity: Capacity | None = None
    price_kopecks: Kopecks | None = None
    notes: Notes = ""


class TrainingOut(BaseModel):
    id: int
    public_id: str
    venue_id: int
    title: str
    track_type: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    price_kopecks: int
    status: str
    notes: str
    series_id: str | None
    pilots_told: int | None = Field(
        default=None, description="after an edit: pilots told of a new start time"
    )


class RefundOut(BaseModel):
    payment_id: int
    status: str


class CancelTrainingOut(BaseModel):
    training_id: int
    newly_cancelled: bool
    registrations_cancelled: int
    refunds: list[RefundOut]
    pilots_told: int


class PaymentOut(BaseModel):
    status: str
    amount_kopecks: int
    refunded_kopecks: int
    currency: str


class RegistrationOut(BaseModel):
    id: int
    training_id: int
    pilot_id: int | None
    nickname: str | None
    telegram_id: int | None
    status: str
    channel_mhz: int | None
    channel_label: str | None
    heat: int
    attendance: str | None
    waitlist_position: int | None
    payment: PaymentOut | None


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel_mhz: Mhz


class ChannelOut(BaseModel):
    registration_id: int
    channel_mhz: int
    channel_label: str
    heat: int
    rating: int
    min_spacing_mhz: float | int | None


class MoveOut(BaseModel):
    registration_id: int
    from_mhz: int
    to_mhz: int
    to_label: str


class HeatProposal(BaseModel):
    heat: int
    rating: int | None
    gain: str | None
    moves: list[MoveOut]


class RebalanceOut(BaseModel):
    training_id: int
    heats: list[HeatProposal]
    applied_moves: int | None = None


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attendance: Literal["attended", "no_show"] | None


class CancelRegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refund: bool


class CancelRegistrationOut(BaseModel):
    registration_id: int
    previous_status: str
    refunds: list[RefundOut]
    promoted: list[int]


class PilotOut(BaseModel):
    id: int
    nickname: str | None
    telegram_id: int


class PilotHistoryEntry(BaseModel):
    registration_id: int
    training_id: int
    title: str
    venue_id: int
    starts_at: datetime
    status: str
    channel_mhz: int | None
    channel_label: str | None
    heat: int
    attendance: str | None
    payment_status: str | None


class PilotHistoryOut(PilotOut):
    registrations: list[PilotHistoryEntry]


Login = Annotated[str, Field(pattern=r"^[a-z0-9_.-]{3,64}$")]


class AdminIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    telegram_id: int = Field(ge=1, le=2**62)
    login: Login
    password: str = Field(min_length=admins_uc.MIN_PASSWORD, max_length=1000)
    role: Literal["superadmin", "local"]
    venue_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(default_factory=list)
    display_name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    language: Literal["ru", "en"] = "ru"


class AdminPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["superadmin", "local"] | None = None
    venue_ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = None
    display_name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    language: Literal["ru", "en"] | None = None
    active: bool | None = None


class AdminOut(BaseModel):
    id: int
    login: str | None
    display_name: str
    telegram_id: int
    role: str
    venue_ids: list[int]
    language: str
    active: bool


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: list[Literal[api_keys.SCOPES]] = Field(min_length=1, max_length=10)  # type: ignore[valid-type]
    venue_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=100)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str | None
    scopes: list[str]
    venue_ids: list[int]
    created_at: datetime
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="shown once; send as `Authorization: Bearer <key>`")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str | None
    admin_id: int | None
    action: str
    target: str | None
    venue_id: int | None
    details: dict[str, Any]
    before: Any
    after: Any
    client_hash: str | None
    agent_hash: str | None
    prev_hash: str | None
    hash: str | None


class VenueStatsOut(BaseModel):
    venue_id: int
    name: str
    trainings: int
    cancelled: int
    confirmed: int
    no_shows: int
    paid: int = Field(description="seats: paid for trainings starting in the period")
    refunded: int
    passes_paid: int = Field(description="this venue's passes bought in the period")
    passes_refunded: int
    revenue: int = Field(description="paid − refunded, seats and passes")


class PassProductStatsOut(BaseModel):
    product_id: int
    title: str
    venue_id: int | None
    trainings: int | None
    price_kopecks: int
    sold: int
    refunded_passes: int
    unlimited: int
    credits_sold: int
    credits_used: int
    paid: int
    refunded: int


class ClubPassesOut(BaseModel):
    sold: int
    paid: int
    refunded: int


class StatsOut(BaseModel):
    since: datetime
    until: datetime
    venues: list[VenueStatsOut]
    passes: list[PassProductStatsOut]
    club_passes: ClubPassesOut = Field(description="club-wide passes (superadmins; else zeros)")
    revenue: int


# --- the app ----------------------------------------------------------------------------------
def _problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": Problem, "content": {PROBLEM: {}}} for c in codes}


READ = _problem_responses(401, 404, 422, 503)
WRITE = _problem_responses(401, 403, 404, 409, 422, 503)
LOGIN = _problem_responses(401, 422, 429, 503)


def _language(request: Request) -> str:
    lang = getattr(request.state, "language", None)
    if lang:
        return lang
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "ru"


def _problem(request: Request, status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    lang = _language(request)
    body = {
        "type": f"urn:fpv:problem:{code}",
        "title": t(f"admin.problem.{code}", lang),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"Cache-Control": "no-store", "Content-Language": lang}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def client_of(request: Request) -> audit.Client:
    ip = request.client.host if request.client else None
    return audit.Client(ip=ip, user_agent=request.headers.get("user-agent"))


def _secure_cookie(request: Request) -> bool:
    """Secure everywhere except plain HTTP on localhost (the local runner)."""
    return not (request.url.scheme == "http" and request.url.hostname in _LOCAL_HOSTS)


def create_app(deps_factory: Callable[[], Deps] = deps_from_settings) -> FastAPI:
    app = FastAPI(
        title="FPV Training Platform — admin API",
        version="1.1",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        description=(
            "Two-factor login (password, then a code sent to the admin's Telegram) opens a "
            f"session cookie `{auth.COOKIE_NAME}`; every mutating request carries the header "
            f"`{auth.CSRF_HEADER}` with the token from /login/verify. Errors are RFC 9457 "
            "problem JSON in the admin's language. `x-fpv-access` on each operation: `login` "
            "(no session), `any` (every admin; lists hold only the admin's venues), `venue` "
            "(objects of another venue are 404 for a local admin), `super` (superadmins only)."
        ),
    )

    admin_document = app.openapi

    def whole_document() -> dict[str, Any]:
        """The admin API's document with the public APIs' paths (one /api/openapi.json)."""
        if getattr(app.state, "whole_openapi", None) is None:
            from fpv.api.openapi import merge
            from fpv.api.server import create_app as public_app

            app.state.whole_openapi = merge(admin_document(), public_app().openapi())
        return app.state.whole_openapi

    app.openapi = whole_document  # type: ignore[method-assign]

    def get_deps() -> Deps:
        deps = getattr(app.state, "deps", None)
        if deps is None:
            deps = app.state.deps = deps_factory()
        return deps

    @app.exception_handler(AdminError)
    async def admin_error(request: Request, exc: AdminError) -> JSONResponse:
        return _problem(request, exc.status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return _problem(request, 422, "invalid", "the request is malformed", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return _problem(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(DatabaseUnavailable)
    async def db_down(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        log.warning("database unavailable")
        return _problem(request, 503, "unavailable", "the database is unreachable; retry")

    def session(request: Request, deps: Annotated[Deps, Depends(get_deps)]) -> auth.AdminSession:
        found = auth.authenticate(deps.db, request.cookies.get(auth.COOKIE_NAME))
        request.state.language = found.language
        return found

    def mutation(
        request: Request, found: Annotated[auth.AdminSession, Depends(session)]
    ) -> auth.AdminSession:
        found.check_csrf(request.headers.get(auth.CSRF_HEADER))
        return found

    Session = Annotated[auth.AdminSession, Depends(session)]
    Mutation = Annotated[auth.AdminSession, Depends(mutation)]
    D = Annotated[Deps, Depends(get_deps)]

    def access(kind: str) -> dict[str, Any]:
        return {"x-fpv-access": kind}

    app.include_router(api_exports.router(Session, D, READ | _problem_responses(403), PREFIX))
    app.include_router(api_board.router(Session, D, _problem_responses(401, 404, 409, 503), PREFIX))

    # --- login ------------------------------------------------------------------------------
    @app.post(
        f"{PREFIX}/login",
        response_model=ChallengeOut,
        responses=LOGIN,
        openapi_extra=access("login"),
        tags=["login"],
    )
    def login(body: LoginIn, request: Request, deps: D) -> ChallengeOut:
        challenge = auth.start_login(
            deps.db, deps.sender, login=body.login, password=body.password,
            client=client_of(request),
        )  # fmt: skip
        return ChallengeOut(challenge=challenge)

    @app.post(
        f"{PREFIX}/login/verify",
        response_model=CsrfOut,
        responses=LOGIN,
        openapi_extra=access("login"),
        tags=["login"],
    )
    def verify(body: VerifyIn, request: Request, response: Response, deps: D) -> CsrfOut:
        new = auth.verify_code(
            deps.db, challenge=body.challenge, code=body.code, client=client_of(request)
        )
        response.set_cookie(
            auth.COOKIE_NAME,
            new.token,
            max_age=int(auth.ABSOLUTE_TIMEOUT.total_seconds()),
            path=f"{PREFIX}/",
            httponly=True,
            secure=_secure_cookie(request),
            samesite="strict",
        )
        response.headers["Cache-Control"] = "no-store"
        return CsrfOut(csrf=new.csrf)

    def _clear_cookie(request: Request, response: Response) -> None:
        response.delete_cookie(
            auth.COOKIE_NAME,
            path=f"{PREFIX}/",
            httponly=True,
            secure=_secure_cookie(request),
            samesite="strict",
        )

    @app.post(
        f"{PREFIX}/logout",
        response_model=LogoutOut,
        responses=WRITE,
        openapi_extra=access("any"),
        tags=["login"],
    )
    def logout(s: Mutation, request: Request, response: Response, deps: D) -> LogoutOut:
        n = auth.logout(deps.db, s, everywhere=False, client=client_of(request))
        _clear_cookie(request, response)
        return LogoutOut(sessions_revoked=n)

    @app.post(
        f"{PREFIX}/logout/everywhere",
        response_model=LogoutOut,
        responses=WRITE,
        openapi_extra=access("any"),
        tags=["login"],
    )
    def logout_everywhere(s: Mutation, request: Request, response: Response, deps: D) -> LogoutOut:
        n = auth.logout(deps.db, s, everywhere=True, client=client_of(request))
        _clear_cookie(request, response)
        return LogoutOut(sessions_revoked=n)

    @app.get(f"{PREFIX}/me", response_model=MeOut, responses=READ, openapi_extra=access("any"))
    def me(s: Session) -> MeOut:
        return MeOut(
            id=s.actor.id or 0,
            login=s.login,
            role=s.actor.role or "",
            venue_ids=sorted(s.actor.venue_ids),
            language=s.language,
        )

    # --- cities and venues --------------------------------------------------------------------
    @app.get(
        f"{PREFIX}/cities",
        response_model=list[CityOut],
        responses=READ,
        openapi_extra=access("any"),
        tags=["venues"],
    )
    def list_cities(s: Session, deps: D) -> Any:
        return venues.list_cities(deps.db, s.actor)

    @app.post(
        f"{PREFIX}/cities",
        response_model=CityOut,
        status_code=201,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["venues"],
    )
    def create_city(body: CityIn, s: Mutation, request: Request, deps: D) -> Any:
        return venues.create_city(deps.db, deps.bus, s.actor, body.model_dump(), client_of(request))

    @app.patch(
        f"{PREFIX}/cities/{{city_id}}",
        response_model=CityOut,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["venues"],
    )
    def update_city(city_id: Id, body: CityPatch, s: Mutation, request: Request, deps: D) -> Any:
        fields = body.model_dump(exclude_none=True)
        return venues.update_city(deps.db, deps.bus, s.actor, city_id, fields, client_of(request))

    @app.get(
        f"{PREFIX}/venues",
        response_model=list[VenueOut],
        responses=READ,
        openapi_extra=access("any"),
        tags=["venues"],
    )
    def list_venues(s: Session, deps: D) -> Any:
        return venues.list_venues(deps.db, s.actor)

    @app.post(
        f"{PREFIX}/venues",
        response_model=VenueOut,
        status_code=201,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["venues"],
    )
    def create_venue(body: VenueIn, s: Mutation, request: Request, deps: D) -> Any:
        fields = body.model_dump(exclude_none=True)
        return venues.create_venue(deps.db, deps.bus, s.actor, fields, client_of(request))

    @app.get(
        f"{PREFIX}/venues/{{venue_id}}",
        response_model=VenueOut,
        responses=READ,
        openapi_extra=access("venue"),
        tags=["venues"],
    )
    def get_venue(venue_id: Id, s: Session, deps: D) -> Any:
        return venues.get_venue(deps.db, s.actor, venue_id)

    @app.patch(
        f"{PREFIX}/venues/{{venue_id}}",
        response_model=VenueOut,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["venues"],
    )
    def update_venue(venue_id: Id, body: VenuePatch, s: Mutation, request: Request, deps: D) -> Any:
        fields = body.model_dump(exclude_none=True)
        return venues.update_venue(deps.db, deps.bus, s.actor, venue_id, fields, client_of(request))

    # --- trainings ----------------------------------------------------------------------------
    @app.get(
        f"{PREFIX}/trainings",
        response_model=list[TrainingOut],
        responses=READ,
        openapi_extra=access("any"),
        tags=["trainings"],
    )
    def list_trainings(
        s: Session,
        deps: D,
        venue_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        since: Annotated[AwareDatetime | None, Query()] = None,
        until: Annotated[AwareDatetime | None, Query()] = None,
        status: Annotated[Literal["scheduled", "cancelled"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> Any:
        return _stringify(
            trainings_uc.list_trainings(
                deps.db, s.actor, venue_id=venue_id, since=since, until=until, status=status,
                limit=limit, offset=offset,
            )
        )  # fmt: skip

    @app.post(
        f"{PREFIX}/trainings",
        response_model=TrainingOut,
        status_code=201,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["trainings"],
    )
    def create_training(body: TrainingIn, s: Mutation, request: Request, deps: D) -> Any:
        row = trainings_uc.create_training(
            deps.db, deps.bus, s.actor, body.model_dump(), client_of(request)
        )
        return _stringify(row)

    @app.post(
        f"{PREFIX}/trainings/series",
        response_model=list[TrainingOut],
        status_code=201,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["trainings"],
    )
    def create_series(body: SeriesIn, s: Mutation, request: Request, deps: D) -> Any:
        spec = trainings_uc.SeriesSpec(
            **{**body.model_dump(), "skip_dates": tuple(body.skip_dates)}
        )
        rows = trainings_uc.create_series(deps.db, deps.bus, s.actor, spec, client_of(request))
        return _stringify(rows)

    @app.get(
        f"{PREFIX}/trainings/{{training_id}}",
        response_model=TrainingOut,
        responses=READ,
        openapi_extra=access("venue"),
        tags=["trainings"],
    )
    def get_training(training_id: Id, s: Session, deps: D) -> Any:
        return _stringify(trainings_uc.get_training(deps.db, s.actor, training_id))

    @app.patch(
        f"{PREFIX}/trainings/{{training_id}}",
        response_model=TrainingOut,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["trainings"],
    )
    def update_training(
        training_id: Id, body: TrainingPatch, s: Mutation, request: Request, deps: D
    ) -> Any:
        row = trainings_uc.update_training(
            deps.db, deps.bus, s.actor, training_id, body.model_dump(exclude_none=True),
            client_of(request), deliverers=deps.ports.deliverers,
        )  # fmt: skip
        return _stringify(row)

    @app.post(
        f"{PREFIX}/trainings/{{training_id}}/cancel",
        response_model=CancelTrainingOut,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["trainings"],
    )
    def cancel_training(training_id: Id, s: Mutation, request: Request, deps: D) -> Any:
        return trainings_uc.cancel(
            deps.db, deps.bus, deps.ports, s.actor, training_id, client_of(request)
        )

    # --- registrations ------------------------------------------------------------------------
    @app.get(
        f"{PREFIX}/trainings/{{training_id}}/registrations",
        response_model=list[RegistrationOut],
        responses=READ,
        openapi_extra=access("venue"),
        tags=["registrations"],
    )
    def list_registrations(training_id: Id, s: Session, deps: D) -> Any:
        return regs.list_registrations(deps.db, s.actor, training_id)

    @app.get(
        f"{PREFIX}/trainings/{{training_id}}/rebalance",
        response_model=RebalanceOut,
        responses=READ,
        openapi_extra=access("venue"),
        tags=["registrations"],
    )
    def rebalance_proposal(training_id: Id, s: Session, deps: D) -> Any:
        return regs.rebalance_proposal(deps.db, s.actor, training_id)

    @app.post(
        f"{PREFIX}/trainings/{{training_id}}/rebalance",
        response_model=RebalanceOut,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["registrations"],
    )
    def apply_rebalance(training_id: Id, s: Mutation, request: Request, deps: D) -> Any:
        return regs.apply_rebalance(deps.db, deps.bus, s.actor, training_id, client_of(request))

    @app.get(
        f"{PREFIX}/registrations/{{registration_id}}",
        response_model=RegistrationOut,
        responses=READ,
        openapi_extra=access("venue"),
        tags=["registrations"],
    )
    def get_registration(registration_id: Id, s: Session, deps: D) -> Any:
        return regs.get_registration(deps.db, s.actor, registration_id)

    @app.post(
        f"{PREFIX}/registrations/{{registration_id}}/channel",
        response_model=ChannelOut,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["registrations"],
    )
    def move_channel(
        registration_id: Id, body: ChannelIn, s: Mutation, request: Request, deps: D
    ) -> Any:
        return regs.move_channel(
            deps.db, deps.bus, s.actor, registration_id, body.channel_mhz, client_of(request)
        )

    @app.post(
        f"{PREFIX}/registrations/{{registration_id}}/attendance",
        response_model=RegistrationOut,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["registrations"],
    )
    def set_attendance(
        registration_id: Id, body: AttendanceIn, s: Mutation, request: Request, deps: D
    ) -> Any:
        return regs.set_attendance(
            deps.db, deps.bus, s.actor, registration_id, body.attendance, client_of(request)
        )

    @app.post(
        f"{PREFIX}/registrations/{{registration_id}}/cancel",
        response_model=CancelRegistrationOut,
        responses=WRITE,
        openapi_extra=access("venue"),
        tags=["registrations"],
    )
    def cancel_registration(
        registration_id: Id, body: CancelRegistrationIn, s: Mutation, request: Request, deps: D
    ) -> Any:
        return regs.cancel_registration(
            deps.db, deps.bus, deps.ports, s.actor, registration_id, client_of(request),
            refund=body.refund,
        )  # fmt: skip

    # --- pilots -------------------------------------------------------------------------------
    @app.get(
        f"{PREFIX}/pilots",
        response_model=list[PilotOut],
        responses=READ,
        openapi_extra=access("any"),
        tags=["pilots"],
    )
    def search_pilots(
        s: Session,
        deps: D,
        q: Annotated[str, Query(min_length=1, max_length=32)],
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Any:
        return pilots.search(deps.db, s.actor, q, limit=limit)

    @app.get(
        f"{PREFIX}/pilots/{{pilot_id}}",
        response_model=PilotHistoryOut,
        responses=READ,
        openapi_extra=access("venue"),
        tags=["pilots"],
    )
    def pilot_history(pilot_id: Id, s: Session, deps: D) -> Any:
        return pilots.history(deps.db, s.actor, pilot_id)

    # --- admins -------------------------------------------------------------------------------
    @app.get(
        f"{PREFIX}/admins",
        response_model=list[AdminOut],
        responses=_problem_responses(401, 403, 503),
        openapi_extra=access("super"),
        tags=["admins"],
    )
    def list_admins(s: Session, deps: D) -> Any:
        return admins_uc.list_admins(deps.db, s.actor)

    @app.post(
        f"{PREFIX}/admins",
        response_model=AdminOut,
        status_code=201,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["admins"],
    )
    def add_admin(body: AdminIn, s: Mutation, request: Request, deps: D) -> Any:
        return admins_uc.add_admin(deps.db, s.actor, **body.model_dump(), client=client_of(request))

    @app.patch(
        f"{PREFIX}/admins/{{admin_id}}",
        response_model=AdminOut,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["admins"],
    )
    def update_admin(admin_id: Id, body: AdminPatch, s: Mutation, request: Request, deps: D) -> Any:
        return admins_uc.update_admin(
            deps.db, s.actor, admin_id, **body.model_dump(exclude_none=True),
            client=client_of(request),
        )  # fmt: skip

    @app.post(
        f"{PREFIX}/admins/{{admin_id}}/disable",
        response_model=AdminOut,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["admins"],
    )
    def disable_admin(admin_id: Id, s: Mutation, request: Request, deps: D) -> Any:
        return admins_uc.update_admin(
            deps.db, s.actor, admin_id, active=False, client=client_of(request)
        )

    # --- API keys -----------------------------------------------------------------------------
    @app.get(
        f"{PREFIX}/api-keys",
        response_model=list[ApiKeyOut],
        responses=_problem_responses(401, 403, 503),
        openapi_extra=access("super"),
        tags=["api-keys"],
    )
    def list_api_keys(s: Session, deps: D) -> Any:
        return api_keys.list_keys(deps.db, s.actor)

    @app.post(
        f"{PREFIX}/api-keys",
        response_model=NewApiKeyOut,
        status_code=201,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["api-keys"],
    )
    def create_api_key(body: ApiKeyIn, s: Mutation, request: Request, deps: D) -> Any:
        return api_keys.create(
            deps.db, s.actor, name=body.name, scopes=list(body.scopes),
            venue_ids=body.venue_ids, client=client_of(request),
        )  # fmt: skip

    @app.post(
        f"{PREFIX}/api-keys/{{key_id}}/revoke",
        response_model=ApiKeyOut,
        responses=WRITE,
        openapi_extra=access("super"),
        tags=["api-keys"],
    )
    def revoke_api_key(key_id: Id, s: Mutation, request: Request, deps: D) -> Any:
        return api_keys.revoke(deps.db, s.actor, key_id, client_of(request))

    # --- audit and stats ----------------------------------------------------------------------
    @app.get(
        f"{PREFIX}/audit",
        response_model=list[AuditEntryOut],
        responses=READ,
        openapi_extra=access("any"),
        tags=["audit"],
    )
    def audit_entries(
        s: Session,
        deps: D,
        action: Annotated[str | None, Query(max_length=100)] = None,
        target: Annotated[str | None, Query(max_length=100)] = None,
        actor: Annotated[str | None, Query(max_length=100)] = None,
        since: Annotated[AwareDatetime | None, Query()] = None,
        until: Annotated[AwareDatetime | None, Query()] = None,
        before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:
        return audit_log.search(
            deps.db, s.actor, action=action, target=target, who=actor, since=since,
            until=until, before_id=before_id, limit=limit,
        )  # fmt: skip

    @app.get(
        f"{PREFIX}/exports/audit",
        responses={
            200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
            **READ,
        },
        response_class=Response,
        openapi_extra=access("any"),
        tags=["audit"],
    )
    def export_audit(
        s: Session,
        deps: D,
        since: Annotated[AwareDatetime | None, Query()] = None,
        until: Annotated[AwareDatetime | None, Query()] = None,
    ) -> Response:
        """Every entry the admin may see in the period, oldest first, one JSON object a line
        (with the chain hashes, so the export can be checked on its own)."""
        from fastapi.encoders import jsonable_encoder

        rows = audit_log.search(deps.db, s.actor, since=since, until=until, limit=100_000)
        lines = [audit.canonical(jsonable_encoder(r)) for r in reversed(rows)]  # oldest first
        body = "\n".join(lines) + ("\n" if lines else "")
        return Response(
            body,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="audit.ndjson"'},
        )

    @app.get(
        f"{PREFIX}/stats",
        response_model=StatsOut,
        responses=READ,
        openapi_extra=access("any"),
        tags=["stats"],
    )
    def venue_stats(
        s: Session,
        deps: D,
        since: Annotated[AwareDatetime | None, Query()] = None,
        until: Annotated[AwareDatetime | None, Query()] = None,
    ) -> Any:
        return stats.venue_stats(deps.db, s.actor, since=since, until=until)

    # --- passes, results and ratings (their own modules) ---------------------------------------
    from fpv.admin import api_passes, api_results

    api_passes.add_routes(app, Session, Mutation, D)
    api_results.add_routes(app, Session, Mutation, D)

    return app


def _stringify(value: Any) -> Any:
    """UUIDs to strings for the response models."""
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if isinstance(value, dict):
        return {k: (str(v) if k in ("public_id", "series_id") and v is not None else v)
                for k, v in value.items()}  # fmt: skip
    return value
