"""Routes the channel board needs beyond the registration list: the channels a registration
could move to (`GET /api/admin/registrations/{id}/channel-options`); included by
`fpv.admin.api.create_app`."""

# No `from __future__ import annotations`: FastAPI reads the route annotations.

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from fpv.admin import registrations as regs


class ChannelOptionOut(BaseModel):
    channel_mhz: int
    channel_label: str
    rating: int
    min_spacing_mhz: float | int | None
    current: bool


class ChannelOptionsOut(BaseModel):
    registration_id: int
    heat: int
    equipment: str
    current_mhz: int | None
    options: list[ChannelOptionOut]


def router(
    session: Any, deps: Any, responses: dict[int | str, dict[str, Any]], prefix: str
) -> APIRouter:
    Session, D = session, deps
    api = APIRouter(prefix=prefix, tags=["registrations"])

    @api.get(
        "/registrations/{registration_id}/channel-options",
        response_model=ChannelOptionsOut,
        responses=responses,
        openapi_extra={"x-fpv-access": "venue"},
    )
    def channel_options(
        registration_id: Annotated[int, Path(ge=1, le=2**62)], s: Session, d: D
    ) -> Any:
        """Free channels of the pilot's heat their VTX (analog or digital) can tune to within
        the venue's legal range, best first, each with the heat's IMD rating and minimum spacing
        were the pilot there. 409 when the registration holds no seat."""
        return regs.channel_options(d.db, s.actor, registration_id)

    return api
