"""The public APIs' ASGI application: the integration API (`/api/v1/`) and the pilots' app API
(`/api/app/`), errors as RFC 9457 problem JSON, the OpenAPI document at `/api/v1/openapi.json`
(the admin API serves `/api/openapi.json`; the two are merged there later).

Endpoints and dependencies are `async def` although they block on the database: a Lambda
container serves one request at a time, and `fpv.db` keeps one connection per thread, so sync
endpoints (run on threadpool threads, which exit after idling) would open a connection per thread
and again after every idle spell (measured: 100 requests from 4 clients, 4 connections sync, 1
async).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from fpv.api import app as app_api
from fpv.api import v1
from fpv.api.common import ApiProblem, problem_response
from fpv.db import DatabaseUnavailable

log = logging.getLogger("fpv.api")

OPENAPI_PATH = "/api/v1/openapi.json"


def create_app() -> FastAPI:
    api = FastAPI(
        title="FPV Training Platform — integration and app APIs",
        version="1",
        openapi_url=OPENAPI_PATH,
        docs_url=None,
        redoc_url=None,
    )
    api.include_router(v1.router)
    api.include_router(app_api.router)

    @api.exception_handler(ApiProblem)
    async def _problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status_code, exc.title, exc.detail, exc.kind, exc.headers)

    @api.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, title, detail, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return problem_response(422, "Invalid input", detail[:300])

    @api.exception_handler(DatabaseUnavailable)
    async def _db_down(_request: Request, _exc: DatabaseUnavailable) -> JSONResponse:
        log.warning("database unavailable")
        return problem_response(
            503, "Unavailable", "try again shortly", headers={"Retry-After": "5"}
        )

    return api
