"""Admin API routes for season passes: products (list, create per venue or club-wide, retire),
the passes sold with credits used and left, refunding an unused pass. Added to the admin app by
`fpv.admin.api.create_app` with its session dependencies; the rules are `fpv.passes`'.
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations.

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from fpv.admin import passes as uc
from fpv.admin.api import READ, WRITE, client_of

Id = Annotated[int, Path(ge=1, le=2**62)]
TrackType = Literal["race", "freestyle", "whoop", "open"]


class PassProductIn(BaseModel):
    """`trainings` omitted: unlimited for `valid_days`; `venue_id` omitted: every venue of the
    club (superadmins only); `track_types` empty: every track type."""

    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    valid_days: int = Field(ge=1, le=400)
    price_kopecks: int = Field(ge=1, le=10**10)
    trainings: int | None = Field(default=None, ge=1, le=500)
    venue_id: int | None = Field(default=None, ge=1, le=2**62)
    track_types: list[TrackType] = Field(default_factory=list, max_length=4)


class PassProductOut(BaseModel):
    id: int
    venue_id: int | None
    venue_name: str | None
    title: str
    trainings: int | None = Field(description="credits; null: unlimited")
    valid_days: int
    price_kopecks: int
    track_types: list[str]
    active: bool
    sold: int = Field(description="passes bought (paid), refunded ones included")
    created_at: datetime


class SoldPassOut(BaseModel):
    id: int
    product_id: int
    title: str
    venue_id: int | None
    venue_name: str | None
    status: str
    pilot_id: int | None
    nickname: str | None
    telegram_id: int | None
    credits_total: int | None = Field(description="null: unlimited")
    credits_used: int
    credits_left: int | None = Field(description="null: unlimited")
    valid_from: datetime | None
    valid_until: datetime | None
    price_kopecks: int
    payment_status: str | None
    amount_kopecks: int | None
    refunded_kopecks: int | None


class PassRefundPaymentOut(BaseModel):
    payment_id: int
    status: str


class PassRefundOut(BaseModel):
    pass_id: int
    status: str
    refunds: list[PassRefundPaymentOut]


def add_routes(app: FastAPI, session: Any, mutation: Any, deps: Any) -> None:
    """`session`, `mutation`, `deps`: the admin app's Annotated dependencies."""
    Session, Mutation, D = session, mutation, deps

    @app.get(
        "/api/admin/pass-products",
        response_model=list[PassProductOut],
        responses=READ,
        openapi_extra={"x-fpv-access": "any"},
        tags=["passes"],
    )
    def list_pass_products(s: Session, d: D) -> Any:
        """Club-wide products and those of the admin's venues, retired ones too."""
        return uc.list_products(d.db, s.actor)

    @app.post(
        "/api/admin/pass-products",
        response_model=PassProductOut,
        status_code=201,
        responses=WRITE,
        openapi_extra={"x-fpv-access": "venue"},
        tags=["passes"],
    )
    def create_pass_product(body: PassProductIn, s: Mutation, request: Request, d: D) -> Any:
        """A local admin defines products for their venues; a club-wide one (no `venue_id`)
        needs a superadmin (403)."""
        return uc.create_product(d.db, s.actor, body.model_dump(), client_of(request))

    @app.post(
        "/api/admin/pass-products/{product_id}/retire",
        response_model=PassProductOut,
        responses=WRITE,
        openapi_extra={"x-fpv-access": "venue"},
        tags=["passes"],
    )
    def retire_pass_product(product_id: Id, s: Mutation, request: Request, d: D) -> Any:
        """Off sale; passes already bought stay valid. Again: no change."""
        return uc.retire_product(d.db, s.actor, product_id, client_of(request))

    @app.get(
        "/api/admin/passes",
        response_model=list[SoldPassOut],
        responses=READ,
        openapi_extra={"x-fpv-access": "any"},
        tags=["passes"],
    )
    def list_passes(
        s: Session,
        d: D,
        product_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        status: Annotated[Literal["active", "refunded"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 200,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> Any:
        """Passes sold, newest first, with credits used and left."""
        return uc.list_sold(
            d.db, s.actor, product_id=product_id, status=status, limit=limit, offset=offset
        )

    @app.post(
        "/api/admin/passes/{pass_id}/refund",
        response_model=PassRefundOut,
        responses=WRITE,
        openapi_extra={"x-fpv-access": "venue"},
        tags=["passes"],
    )
    def refund_pass(pass_id: Id, s: Mutation, request: Request, d: D) -> Any:
        """Only while none of its credits is in use (else 409). Again: nothing more."""
        return uc.refund_pass(d.db, d.ports, s.actor, pass_id, client_of(request))
