"""Routes of the admin exports (`/api/admin/exports/...` as CSV or PDF); included by
`fpv.admin.api.create_app`. Parse, call `fpv.admin.exports`, answer the file."""

# No `from __future__ import annotations`: FastAPI reads the route annotations.

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime

from fpv.admin import exports

Fmt = Annotated[Literal["csv", "pdf"], Query(description="`csv` (UTF-8 with a BOM) or `pdf`")]
Sep = Annotated[Literal[",", ";"], Query(description="CSV field separator (`;` for Excel)")]
Lang = Annotated[
    Literal["ru", "en"] | None, Query(description="language of the file; default the admin's")
]
FILE = {
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    },
    "description": "the file (`Content-Disposition: attachment`)",
}


def _answer(file: exports.ExportFile) -> Response:
    return Response(
        file.body,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.name}"',
            "Cache-Control": "no-store",
            "X-Export-Rows": str(file.rows),
        },
    )


def router(
    session: Any, deps: Any, responses: dict[int | str, dict[str, Any]], prefix: str
) -> APIRouter:
    """`session`/`deps`: the app's Annotated dependencies (the admin session, the wiring)."""
    Session, D = session, deps
    api = APIRouter(prefix=f"{prefix}/exports", tags=["exports"])
    common = {
        "responses": {200: FILE, **responses},
        "response_class": Response,
    }

    def client_of(request: Request) -> Any:
        from fpv.admin.api import client_of as client

        return client(request)

    def language(request: Request, lang: str | None) -> str:
        return lang or getattr(request.state, "language", None) or "ru"

    @api.get(
        "/trainings/{training_id}/pilots",
        openapi_extra={"x-fpv-access": "venue"},
        **common,
    )
    def export_pilot_list(
        training_id: Annotated[int, Path(ge=1, le=2**62)],
        s: Session,
        d: D,
        request: Request,
        format: Fmt = "csv",
        sep: Sep = ",",
        lang: Lang = None,
    ) -> Response:
        """A training's pilot list: nickname, channel, MHz, heat, status, payment state (paid,
        refunded, "pass" when a season-pass credit paid for the seat), attendance."""
        file = exports.pilot_list(
            d.db, s.actor, training_id, fmt=format, sep=sep, lang=language(request, lang),
            client=client_of(request),
        )  # fmt: skip
        return _answer(file)

    @api.get("/audit-log", openapi_extra={"x-fpv-access": "any"}, **common)
    def export_audit_log(
        s: Session,
        d: D,
        request: Request,
        format: Fmt = "csv",
        sep: Sep = ",",
        lang: Lang = None,
        action: Annotated[str | None, Query(max_length=100)] = None,
        target: Annotated[str | None, Query(max_length=100)] = None,
        actor: Annotated[str | None, Query(max_length=100)] = None,
        since: Annotated[AwareDatetime | None, Query()] = None,
        until: Annotated[AwareDatetime | None, Query()] = None,
        venue_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    ) -> Response:
        """The audit log with the audit route's filters (and a venue: 403 for a local admin's
        request of another venue), oldest first."""
        file = exports.audit_log(
            d.db, s.actor, fmt=format, sep=sep, lang=language(request, lang), action=action,
            target=target, who=actor, since=since, until=until, venue_id=venue_id,
            client=client_of(request),
        )  # fmt: skip
        return _answer(file)

    return api
