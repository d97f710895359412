"""The pilots' app API, `/api/app/` (issue #15, DESIGN §9): sign-in through the bot, then the
same use cases the bot calls — profile, schedule, a training with its channel board, sign up (a
paid seat returns a Telegram invoice link, so payment stays in Telegram), my trainings, cancel,
change channel, notifications, delete my account — and the private calendar feed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from fpv import app_auth, delivery, pilots
from fpv.api import v1
from fpv.api.common import (
    PROBLEM_RESPONSES,
    ApiProblem,
    Env,
    TrainingPage,
    env,
    etagged,
    now_utc,
    training,
)
from fpv.api.common import Training as TrainingOut
from fpv.dal import apis as dal
from fpv.registrations import errors as reg_errors
from fpv.texts import t

router = APIRouter(prefix="/api/app", tags=["app"], responses=PROBLEM_RESPONSES)
_bearer = HTTPBearer(auto_error=False, description="a device token from /api/app/sign-in/token")

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


async def app_identity(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    e: Annotated[Env, Depends(env)],
) -> app_auth.AppIdentity:
    try:
        return app_auth.authenticate(e.db, credentials.credentials if credentials else None)
    except app_auth.Unauthenticated as exc:
        raise ApiProblem(
            401, "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None


Me = Annotated[app_auth.AppIdentity, Depends(app_identity)]


def _tid(me: app_auth.AppIdentity) -> int:
    assert me.actor.id is not None
    return me.actor.id


_REFUSALS: dict[type[Exception], tuple[int, str]] = {
    reg_errors.TrainingNotFound: (404, "Not found"),
    reg_errors.RegistrationNotFound: (404, "Not found"),
    reg_errors.TrainingClosed: (409, "Training closed"),
    reg_errors.AlreadyRegistered: (409, "Already registered"),
    reg_errors.ChannelUnavailable: (409, "Channel unavailable"),
    reg_errors.CancelTooLate: (409, "Too late to cancel"),
    reg_errors.PilotNotFound: (403, "No profile"),
    pilots.NicknameInvalid: (422, "Invalid nickname"),
    pilots.NicknameTaken: (409, "Nickname taken"),
    pilots.InvalidValue: (422, "Invalid value"),
    pilots.NoConsent: (403, "No consent"),
    pilots.NotAllowed: (404, "Not found"),
}


def refused(exc: Exception) -> ApiProblem:
    for kind, (status, title) in _REFUSALS.items():
        if isinstance(exc, kind):
            return ApiProblem(status, title, str(exc), kind=kind.__name__)
    raise exc


CONFLICT = {409: PROBLEM_RESPONSES[404] | {"description": "Conflict"}}
GONE = {410: PROBLEM_RESPONSES[404] | {"description": "Gone"}}
FORBIDDEN = {403: PROBLEM_RESPONSES[404] | {"description": "Forbidden"}}


# --- sign-in ------------------------------------------------------------------------------------
class SignInStart(BaseModel):
    device_name: str = Field(default="", max_length=64)


class SignInStarted(BaseModel):
    nonce: str
    verifier: str = Field(description="keep it in the app; needed to get the token")
    deep_link: str = Field(description="open it: the pilot confirms in Telegram")
    expires_at: datetime


@router.post("/sign-in", response_model=SignInStarted, status_code=201)
async def start_sign_in(
    e: Annotated[Env, Depends(env)], body: Annotated[SignInStart | None, Body()] = None
) -> SignInStarted:
    started = app_auth.start_sign_in(e.db, device_name=body.device_name if body else "")
    return SignInStarted(
        nonce=started.nonce,
        verifier=started.verifier,
        deep_link=started.deep_link(e.settings.telegram_bot_username),
        expires_at=started.expires_at,
    )


class SignInExchange(BaseModel):
    nonce: str = Field(min_length=1, max_length=100)
    verifier: str = Field(min_length=1, max_length=100)


class Token(BaseModel):
    token: str = Field(description="send as Authorization: Bearer <token>")
    device_id: int


@router.post("/sign-in/token", response_model=Token, responses={**CONFLICT, **GONE, **FORBIDDEN})
async def exchange(body: SignInExchange, e: Annotated[Env, Depends(env)]) -> Token:
    """409 while the pilot has not confirmed yet (ask again in a few seconds); 410 once the
    sign-in has expired or was used; 404 for an unknown nonce or a wrong verifier."""
    try:
        session = app_auth.exchange(e.db, body.nonce, body.verifier)
    except app_auth.UnknownNonce as exc:
        raise ApiProblem(404, "Not found", str(exc)) from None
    except app_auth.Pending as exc:
        raise ApiProblem(409, "Pending", str(exc), kind="pending") from None
    except (app_auth.NonceExpired, app_auth.NonceUsed) as exc:
        raise ApiProblem(410, "Gone", str(exc), kind="sign-in-over") from None
    except app_auth.NoConsent as exc:
        raise ApiProblem(403, "No consent", str(exc)) from None
    return Token(token=session.token, device_id=session.device_id)


@router.post("/sign-out", status_code=204, response_class=Response)
async def sign_out(me: Me, e: Annotated[Env, Depends(env)]) -> Response:
    app_auth.revoke_device(e.db, me.actor, me.device_id)
    return Response(status_code=204)


class Device(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    current: bool


@router.get("/devices", response_model=list[Device])
async def devices(me: Me, e: Annotated[Env, Depends(env)]) -> list[Device]:
    return [Device(**d, current=d["id"] == me.device_id) for d in app_auth.devices(e.db, me.actor)]


@router.delete("/devices/{device_id}", status_code=204, response_class=Response)
async def revoke_device(device_id: Id, me: Me, e: Annotated[Env, Depends(env)]) -> Response:
    if not app_auth.revoke_device(e.db, me.actor, device_id):
        raise ApiProblem(404, "Not found", "no such device")
    return Response(status_code=204)


# --- profile ------------------------------------------------------------------------------------
class Profile(BaseModel):
    telegram_id: int
    nickname: str | None
    equipment: str
    language: str
    show_on_site: bool


class ProfilePatch(BaseModel):
    nickname: str | None = Field(default=None, max_length=64)
    equipment: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=8)
    show_on_site: bool | None = None


def _profile(row: Any) -> Profile:
    return Profile(**{k: row[k] for k in Profile.model_fields})


class DigitalSystem(BaseModel):
    id: str
    name: str


class EquipmentChoices(BaseModel):
    analog_bands: list[str] = Field(description="band codes a pilot's analog VTX may have")
    digital_systems: list[DigitalSystem]


@router.get("/equipment", response_model=EquipmentChoices)
async def equipment_choices() -> EquipmentChoices:
    """What `equipment` may say (the profile's choices), from the allocator's own tables, so a
    client never keeps a copy of its own."""
    from fpv.bot.render import DIGITAL_SHORT_NAMES
    from fpv.channels.bands import ANALOG_BAND_CODES, DIGITAL_SYSTEM_IDS

    return EquipmentChoices(
        analog_bands=list(ANALOG_BAND_CODES),
        digital_systems=[
            DigitalSystem(id=s, name=DIGITAL_SHORT_NAMES.get(s, s)) for s in DIGITAL_SYSTEM_IDS
        ],
    )


@router.get("/me", response_model=Profile)
async def get_me(me: Me, e: Annotated[Env, Depends(env)]) -> Profile:
    row = pilots.profile(e.db, me.actor)
    if row is None:
        raise ApiProblem(401, "Unauthorized", "no such pilot")
    return _profile(row)


@router.patch("/me", response_model=Profile, responses={**CONFLICT, **FORBIDDEN})
async def patch_me(body: ProfilePatch, me: Me, e: Annotated[Env, Depends(env)]) -> Profile:
    try:
        if body.nickname is not None:
            pilots.set_nickname(e.db, e.bus, me.actor, body.nickname)
        row = pilots.update_profile(
            e.db,
            e.bus,
            me.actor,
            language=body.language,
            equipment=body.equipment,
            show_on_site=body.show_on_site,
        )
    except pilots.ProfileError as exc:
        raise refused(exc) from None
    return _profile(row)


@router.delete("/me", status_code=204, response_class=Response)
async def delete_me(me: Me, e: Annotated[Env, Depends(env)]) -> Response:
    """Delete my account: the same as /delete_me in the bot (upcoming seats released, paid ones
    refunded by the venue's rule, the person forgotten; devices signed out)."""
    from fpv.jobs.backup_job import backup_store
    from fpv.jobs.restore import record_deletion
    from fpv.payments.refunds import work_refunds
    from fpv.payments.wiring import from_settings
    from fpv.registrations import delete_person

    store = backup_store(e.settings)
    deletion = delete_person(
        e.db,
        e.bus,
        telegram_id=_tid(me),
        hold_minutes=e.settings.hold_minutes,
        record_outside=lambda telegram_id, at: record_deletion(store, telegram_id, at),
    )
    _deliver(e, deletion.outbox_ids)
    if deletion.refund_payment_ids:
        work_refunds(e.db, from_settings(e.settings)[0], deletion.refund_payment_ids)
    return Response(status_code=204)


# --- schedule and trainings ---------------------------------------------------------------------
@router.get(
    "/schedule", response_model=TrainingPage, responses={304: {"description": "Not modified"}}
)
async def schedule(
    request: Request,
    e: Annotated[Env, Depends(env)],
    city: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    venue: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    free_seats: Annotated[int | None, Query(ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    page = v1.list_trainings(
        e,
        city=city,
        venue=venue,
        starts_from=None,
        starts_to=None,
        free_seats=free_seats,
        cursor=cursor,
        limit=limit,
    )
    return etagged(request, page)


class BoardSeat(BaseModel):
    heat: int
    channel_mhz: int | None
    channel_label: str | None
    status: str
    nickname: str | None = Field(description="only for pilots who show it on the site")


class MyRegistration(BaseModel):
    id: int
    training_id: int
    status: str
    channel_mhz: int | None
    channel_label: str | None
    heat: int
    hold_expires_at: datetime | None


class ChannelOption(BaseModel):
    mhz: int
    label: str
    rating: int
    heat: int


class TrainingCard(BaseModel):
    training: TrainingOut
    board: list[BoardSeat]
    mine: MyRegistration | None
    channels: list[ChannelOption] = Field(description="free channels for my equipment")


def _mine(row: Any) -> MyRegistration:
    return MyRegistration(**{k: row[k] for k in MyRegistration.model_fields})


@router.get("/trainings/{training_id}", response_model=TrainingCard)
async def training_card(training_id: Id, me: Me, e: Annotated[Env, Depends(env)]) -> TrainingCard:
    from fpv.registrations import channel_choices, my_registrations

    with e.db.transaction(readonly=True) as tx:
        row = dal.training(tx, training_id)
        board = dal.board(tx, training_id) if row else []
    if row is None:
        raise ApiProblem(404, "Not found", "no such training")
    mine = next(
        (
            r
            for r in my_registrations(e.db, telegram_id=_tid(me))
            if r["training_id"] == training_id
        ),
        None,
    )
    try:
        choices = channel_choices(e.db, training_id=training_id, telegram_id=_tid(me))
    except reg_errors.RegistrationError:
        choices = []
    return TrainingCard(
        training=training(row, e.settings.public_base_url),
        board=[BoardSeat(**b) for b in board],
        mine=_mine(mine) if mine else None,
        channels=[
            ChannelOption(mhz=c.mhz, label=c.label, rating=c.rating, heat=c.heat)
            for c in choices[:20]
        ],
    )


class SignUpIn(BaseModel):
    channel_mhz: int | None = Field(
        default=None, ge=5000, le=6100, description="a free channel; omit for automatic"
    )


class SignUpOut(BaseModel):
    registration: MyRegistration
    waitlist_position: int | None
    price_kopecks: int
    invoice_link: str | None = Field(
        description="a paid seat: open it to pay in Telegram (createInvoiceLink)"
    )


def _deliver(e: Env, outbox_ids: Any) -> None:
    ids = list(outbox_ids)
    if ids:  # what fails stays queued for the outbox worker
        delivery.send(e.db, delivery.from_settings(e.settings, e.bus), ids)


def _invoice_link(e: Env, params_for: Callable[[Any], dict[str, Any] | None]) -> str | None:
    """A Telegram invoice link (createInvoiceLink) for what `params_for(PaymentConfig)`
    describes (None: nothing to pay); None too when the Bot API cannot make one now."""
    from fpv.payments.botapi import BotApi, BotApiError, BotApiUnavailable
    from fpv.payments.config import PaymentConfig

    token = e.settings.telegram_bot_token
    if token is None:
        return None
    params = params_for(PaymentConfig.from_settings(e.settings))
    if params is None:
        return None
    params.pop("chat_id", None)  # a link is for whoever opens it, not sent to a chat
    api = BotApi(token.get_secret_value(), e.settings.telegram_api_base_url)
    try:
        return str(api.call("createInvoiceLink", **params))
    except (BotApiError, BotApiUnavailable):
        return None  # the invoice also went to the pilot's chat through the outbox


def _seat_invoice_link(e: Env, registration_id: int, language: str) -> str | None:
    from fpv.payments.invoice import invoice_link_params

    return _invoice_link(
        e, lambda config: invoice_link_params(e.db, registration_id, language, config)
    )


@router.post(
    "/trainings/{training_id}/registrations",
    response_model=SignUpOut,
    status_code=201,
    responses={**CONFLICT, **FORBIDDEN},
)
async def sign_up(
    training_id: Id,
    me: Me,
    e: Annotated[Env, Depends(env)],
    body: Annotated[SignUpIn | None, Body()] = None,
) -> SignUpOut:
    from fpv.registrations import sign_up as do_sign_up

    try:
        result = do_sign_up(
            e.db,
            e.bus,
            training_id=training_id,
            telegram_id=_tid(me),
            channel_mhz=body.channel_mhz if body else None,
            hold_minutes=e.settings.hold_minutes,
        )
    except reg_errors.RegistrationError as exc:
        raise refused(exc) from None
    link = None
    if result.status == "pending_payment":
        profile = pilots.profile(e.db, me.actor)
        link = _seat_invoice_link(
            e, result.registration_id, profile["language"] if profile else "ru"
        )
    return SignUpOut(
        registration=MyRegistration(
            id=result.registration_id,
            training_id=result.training_id,
            status=result.status,
            channel_mhz=result.channel_mhz,
            channel_label=result.channel_label,
            heat=result.heat,
            hold_expires_at=result.hold_expires_at,
        ),
        waitlist_position=result.waitlist_position,
        price_kopecks=result.price_kopecks,
        invoice_link=link,
    )


class MyTraining(MyRegistration):
    title: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    time_zone: str
    price_kopecks: int


@router.get("/registrations", response_model=list[MyTraining])
async def my_trainings(me: Me, e: Annotated[Env, Depends(env)]) -> list[MyTraining]:
    from fpv.registrations import my_registrations

    return [
        MyTraining(**{k: r[k] for k in MyTraining.model_fields})
        for r in my_registrations(e.db, telegram_id=_tid(me))
    ]


class Cancelled(BaseModel):
    registration_id: int
    status: str = "cancelled"
    refund_due: bool


@router.delete("/registrations/{registration_id}", response_model=Cancelled, responses={**CONFLICT})
async def cancel(registration_id: Id, me: Me, e: Annotated[Env, Depends(env)]) -> Cancelled:
    from fpv.payments.refunds import cancel_with_refund
    from fpv.payments.wiring import from_settings

    try:
        result, _refunds = cancel_with_refund(
            e.db,
            e.bus,
            from_settings(e.settings)[0],
            registration_id=registration_id,
            telegram_id=_tid(me),
            hold_minutes=e.settings.hold_minutes,
        )
    except reg_errors.RegistrationError as exc:
        raise refused(exc) from None
    _deliver(e, result.outbox_ids)
    return Cancelled(registration_id=registration_id, refund_due=result.refund_due)


class ChannelIn(BaseModel):
    channel_mhz: int = Field(ge=5000, le=6100)


@router.put(
    "/registrations/{registration_id}/channel",
    response_model=ChannelOption,
    responses={**CONFLICT},
)
async def change_channel(
    registration_id: Id, body: ChannelIn, me: Me, e: Annotated[Env, Depends(env)]
) -> ChannelOption:
    from fpv.registrations import change_channel as do_change

    try:
        chosen = do_change(
            e.db,
            e.bus,
            registration_id=registration_id,
            telegram_id=_tid(me),
            channel_mhz=body.channel_mhz,
        )
    except reg_errors.RegistrationError as exc:
        raise refused(exc) from None
    return ChannelOption(mhz=chosen.mhz, label=chosen.label, rating=chosen.rating, heat=chosen.heat)


class Notification(BaseModel):
    kind: Literal["message", "reminder"]
    text: str
    at: datetime
    delivered: bool


class NotificationList(BaseModel):
    items: list[Notification]


@router.get("/notifications", response_model=NotificationList)
async def notifications(
    me: Me,
    e: Annotated[Env, Depends(env)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationList:
    """What the platform told me in Telegram in the last week (reminders, channel moves,
    promotions, cancellations, refunds), newest first."""
    profile = pilots.profile(e.db, me.actor)
    lang = profile["language"] if profile else "ru"
    with e.db.transaction(readonly=True) as tx:
        rows = dal.notifications(tx, _tid(me), now_utc() - timedelta(days=7), limit)
    return NotificationList(
        items=[
            Notification(
                kind=r["source"],
                text=r["text"] or t(f"reminders.head.{r['kind']}", lang, title=r["title"]),
                at=r["at"],
                delivered=bool(r["delivered"]),
            )
            for r in rows
        ]
    )


# --- ratings ------------------------------------------------------------------------------------
class MyStanding(BaseModel):
    place: int | None = Field(description="null while I do not show my nickname on the site")
    rating: float
    races: int
    best_lap_ms: int | None
    trainings: int
    streak: int


class AppLeaderboard(v1.Leaderboard):
    me: MyStanding | None = Field(description="my own rating in this city and season, if any")


@router.get("/leaderboard", response_model=AppLeaderboard)
async def leaderboard(
    me: Me,
    e: Annotated[Env, Depends(env)],
    city: v1.CityQ,
    season: v1.SeasonQ = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AppLeaderboard:
    """The city's board (pilots who show their nickname only) and where I stand."""
    from fpv import ratings

    board = v1.leaderboard(e, city, season, limit)
    profile = pilots.profile(e.db, me.actor)
    mine = next(
        (
            r
            for r in ratings.my_ratings(e.db, _tid(me), season=board.season)
            if r["city_id"] == city
        ),
        None,
    )
    standing = None
    if mine is not None:
        standing = MyStanding(
            place=mine["place"] if profile and profile["show_on_site"] else None,
            rating=mine["ordinal"],
            races=mine["races"],
            best_lap_ms=mine["best_lap_ms"],
            trainings=mine["trainings"],
            streak=mine["streak"],
        )
    return AppLeaderboard(**board.model_dump(), me=standing)


# --- season passes ------------------------------------------------------------------------------
class PassProduct(BaseModel):
    id: int
    title: str
    trainings: int | None = Field(description="credits; null: unlimited")
    valid_days: int
    price_kopecks: int
    venue_id: int | None = Field(description="null: every venue of the club")
    venue_name: str | None
    track_types: list[str] = Field(description="empty: every track type")


class MyPass(BaseModel):
    id: int
    title: str
    venue_id: int | None
    venue_name: str | None
    track_types: list[str]
    credits_total: int | None = Field(description="null: unlimited")
    credits_used: int
    credits_left: int | None = Field(description="null: unlimited")
    valid_from: datetime
    valid_until: datetime


class MyPasses(BaseModel):
    items: list[MyPass]
    on_sale: list[PassProduct]


@router.get("/passes", response_model=MyPasses)
async def my_passes(me: Me, e: Annotated[Env, Depends(env)]) -> MyPasses:
    """My active passes with the credits left and when each ends, and what the club sells."""
    from fpv import passes

    mine = passes.my_passes(e.db, _tid(me))
    return MyPasses(
        items=[
            MyPass(
                **{k: r[k] for k in MyPass.model_fields if k in r},
                credits_left=None
                if r["credits_total"] is None
                else r["credits_total"] - r["credits_used"],
            )
            for r in mine
        ],
        on_sale=[
            PassProduct(**{k: r[k] for k in PassProduct.model_fields})
            for r in passes.products(e.db)
        ],
    )


class BuyPassIn(BaseModel):
    product_id: int = Field(ge=1, le=2**63 - 1)


class BoughtPass(BaseModel):
    pass_id: int
    status: Literal["pending_payment"] = "pending_payment"
    price_kopecks: int
    invoice_link: str | None = Field(
        description="open it to pay in Telegram (createInvoiceLink); the invoice also goes to "
        "the pilot's chat"
    )


def _pass_invoice_link(e: Env, pass_id: int, language: str) -> str | None:
    from fpv import passes

    return _invoice_link(e, lambda config: passes.invoice_params(e.db, pass_id, language, config))


@router.post("/passes", response_model=BoughtPass, status_code=201, responses={**FORBIDDEN})
async def buy_pass(body: BuyPassIn, me: Me, e: Annotated[Env, Depends(env)]) -> BoughtPass:
    """Buy a pass: like a paid seat, payment stays in Telegram; once paid, covered sign-ups
    take a credit instead of an invoice."""
    from fpv import passes

    try:
        pass_id, outbox_ids = passes.buy(e.db, me.actor, body.product_id)
    except passes.NotFound:
        raise ApiProblem(404, "Not found", "no such pass on sale") from None
    except passes.NotAllowed as exc:
        raise ApiProblem(403, "No profile", str(exc)) from None
    _deliver(e, outbox_ids)
    profile = pilots.profile(e.db, me.actor)
    bought = passes.get(e.db, pass_id)
    assert bought is not None
    return BoughtPass(
        pass_id=pass_id,
        price_kopecks=bought["price_kopecks"],
        invoice_link=_pass_invoice_link(e, pass_id, profile["language"] if profile else "ru"),
    )


# --- calendars ----------------------------------------------------------------------------------
class FeedLink(BaseModel):
    url: str = Field(description="secret: subscribe to it in a calendar app")


@router.post("/calendar", response_model=FeedLink, status_code=201)
async def new_feed(me: Me, e: Annotated[Env, Depends(env)]) -> FeedLink:
    """A new private feed URL (the previous one stops working)."""
    secret = app_auth.rotate_feed(e.db, me.actor)
    return FeedLink(url=e.settings.public_base_url.rstrip("/") + app_auth.feed_path(secret))


@router.get(
    "/calendar/{secret}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar"}},
)
async def feed(
    secret: Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")],
    e: Annotated[Env, Depends(env)],
) -> Response:
    """The pilot's private feed (no header: calendar apps only fetch a URL)."""
    from fpv.pilot_calendar import pilot_feed

    telegram_id = app_auth.feed_owner(e.db, secret)
    if telegram_id is None:
        raise ApiProblem(404, "Not found", "no such calendar")
    return Response(
        pilot_feed(e.db, telegram_id, base_url=e.settings.public_base_url),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
