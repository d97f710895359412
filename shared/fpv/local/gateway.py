"""The local gateway: template routes → payload-v2 events → handlers in-process; the built site
at `/`, the admin page at `/admin/`, plus local-only pages (e.g. the chat sandbox)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from fpv.local.apigw import build_event, parse_response
from fpv.local.invoker import FunctionInvoker
from fpv.local.template import AppTemplate

log = logging.getLogger("fpv.local.gateway")


class LocalGateway:
    def __init__(
        self,
        template: AppTemplate,
        *,
        site_dir: Path,
        admin_dir: Path,
        invoker: FunctionInvoker | None = None,
        extra_routes: Sequence[BaseRoute] = (),
    ) -> None:
        self.template = template
        self.invoker = invoker or FunctionInvoker()
        site_dir.mkdir(parents=True, exist_ok=True)
        self._static = Starlette(
            routes=[
                Route("/admin", lambda _r: RedirectResponse("/admin/", 308)),
                Mount("/admin", StaticFiles(directory=admin_dir, html=True, check_dir=False)),
                *extra_routes,
                Mount("/", StaticFiles(directory=site_dir, html=True, check_dir=False)),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.template.find_route(scope["method"], scope["path"])
            if found is not None:
                response = await self._invoke(Request(scope, receive), *found)
                await response(scope, receive, send)
                return
        await self._static(scope, receive, send)

    async def _invoke(self, request: Request, route: Any, params: dict[str, str]) -> Response:
        client = request.client.host if request.client else "127.0.0.1"
        event = build_event(
            method=request.method,
            path=request.url.path,
            raw_query=request.url.query,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            body=await request.body(),
            route_key=route.route_key,
            path_parameters=params or None,
            source_ip=client,
        )
        try:
            result = await run_in_threadpool(self.invoker.invoke, route.function, event)
        except Exception:
            # What API Gateway answers when the function fails; the traceback goes to the log.
            log.exception("function %s failed", route.function.logical_id)
            return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        parsed = parse_response(result)
        response = Response(content=parsed.body, status_code=parsed.status)
        response.raw_headers = [(k, v) for k, v in response.raw_headers if k != b"content-type"] + [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in parsed.headers
        ]
        return response
