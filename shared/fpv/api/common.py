"""What both public APIs share: RFC 9457 problem answers, the process's database and bus,
ETags, cursors, and how a training is shown."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from fpv import runtime
from fpv.db import Database, Row
from fpv.pilot_calendar import google_calendar_url
from fpv.ports.events import EventBus
from fpv.settings import Settings, get_settings

PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM: {}}, "description": title}
    for code, title in (
        (400, "Bad request"),
        (401, "Unauthorized"),
        (404, "Not found"),
        (422, "Invalid input"),
        (429, "Too many requests"),
    )
}


class ApiProblem(HTTPException):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.title = title
        self.kind = kind


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"https://fpv-training.example/problems/{kind}" if kind else "about:blank",
        title=title,
        status=status,
        detail=detail,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM, headers=headers
    )


class Env:
    """The process's adapters (one database connection per warm container)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @property
    def db(self) -> Database:
        return runtime.database(self.settings)

    @property
    def bus(self) -> EventBus:
        return runtime.event_bus(self.settings)


async def env() -> Env:
    return Env()


def bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# --- cursors and ETags --------------------------------------------------------------------------
def encode_cursor(*parts: Any) -> str:
    raw = json.dumps([p.isoformat() if isinstance(p, datetime) else p for p in parts])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "Bad cursor", "the cursor is not one this API gave") from None
    if not isinstance(parts, list) or len(parts) != arity:
        raise ApiProblem(400, "Bad cursor", "the cursor is not one this API gave")
    return parts


def timestamp_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    at, ident = decode_cursor(cursor, 2)
    try:
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(ident, int) or isinstance(ident, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise ApiProblem(400, "Bad cursor", "the cursor is not one this API gave") from None
    return moment, ident


def id_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    (ident,) = decode_cursor(cursor, 1)
    if not isinstance(ident, int) or isinstance(ident, bool) or not 0 <= ident < 2**63:
        raise ApiProblem(400, "Bad cursor", "the cursor is not one this API gave")
    return ident


def etagged(request: Request, payload: Any, *, private: bool = False) -> Response:
    """JSON with a strong ETag; 304 when the client's If-None-Match already has it."""
    body = json.dumps(jsonable_encoder(payload), ensure_ascii=False, separators=(",", ":"))
    tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    cache = "private, max-age=0, must-revalidate" if private else "public, max-age=30"
    headers = {"ETag": tag, "Cache-Control": cache}
    wanted = request.headers.get("if-none-match", "")
    if tag in [t.strip().removeprefix("W/") for t in wanted.split(",")] or wanted.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


# --- shapes -------------------------------------------------------------------------------------
class Venue(BaseModel):
    id: int
    slug: str
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    time_zone: str
    city_id: int


class City(BaseModel):
    id: int
    slug: str
    name_ru: str
    name_en: str


class CalendarLinks(BaseModel):
    ics: str = Field(description="this training as an .ics file")
    google: str = Field(description="Add to Google Calendar")


class Training(BaseModel):
    id: int
    public_id: str
    title: str
    track_type: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str
    capacity: int
    seats_free: int
    price_kopecks: int
    currency: str = "RUB"
    notes: str
    venue: Venue
    calendar: CalendarLinks


class TrainingPage(BaseModel):
    items: list[Training]
    next_cursor: str | None = None


def training(row: Row, base_url: str = "") -> Training:
    return Training(
        id=row["id"],
        public_id=row["public_id"],
        title=row["title"],
        track_type=row["track_type"],
        starts_at=row["starts_at"].astimezone(UTC),
        ends_at=row["ends_at"].astimezone(UTC),
        time_zone=row["time_zone"],
        status=row["status"],
        capacity=row["capacity"],
        seats_free=max(0, row["capacity"] - row["seats_taken"]),
        price_kopecks=row["price_kopecks"],
        notes=row["notes"],
        venue=Venue(
            id=row["venue_id"],
            slug=row["venue_slug"],
            name=row["venue_name"],
            address=row["venue_address"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            time_zone=row["time_zone"],
            city_id=row["city_id"],
        ),
        calendar=CalendarLinks(
            ics=f"{base_url.rstrip('/')}/api/v1/trainings/{row['id']}.ics",
            google=google_calendar_url(row),
        ),
    )


def now_utc() -> datetime:
    return datetime.now(UTC)
