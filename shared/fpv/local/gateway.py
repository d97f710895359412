"""The local gateway: template routes → payload-v2 events → handlers in-process; the built site
at `/`, the admin page at `/admin/`, plus local-only pages (e.g. the chat sandbox)."""

from __future__ import annotations

import logging
import mimetypes
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fpv.local.apigw import build_event, parse_response
from fpv.local.invoker import FunctionInvoker
from fpv.local.template import AppTemplate

log = logging.getLogger("fpv.local.gateway")


class SiteFiles(StaticFiles):
    """The built site as CloudFront serves it: a missing page under /en/ gets the English 404
    page (en/404.html), any other the Russian one (404.html).

    A publish replaces files while they are served (write + rename): each response reads one
    open file, so its length, ETag and bytes always belong together (a FileResponse would stat
    one file and stream the next, cutting the body short)."""

    def file_response(
        self, full_path: Any, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        with open(full_path, "rb") as opened:
            current = os.fstat(opened.fileno())
            body = opened.read()
        etag = f'"{current.st_mtime_ns:x}-{current.st_size:x}"'
        request_etags = Headers(scope=scope).get("if-none-match", "")
        if status_code == 200 and etag in [e.strip() for e in request_etags.split(",")]:
            return Response(status_code=304, headers={"etag": etag})
        media_type = mimetypes.guess_type(str(full_path))[0] or "application/octet-stream"
        return Response(
            body, status_code=status_code, media_type=media_type, headers={"etag": etag}
        )

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        parts = Path(path).parts
        if response.status_code == 404 and parts and parts[0] == "en":
            full_path, found = await anyio.to_thread.run_sync(
                self.lookup_path, os.path.join("en", "404.html")
            )
            if found and stat.S_ISREG(found.st_mode):
                return self.file_response(full_path, found, scope, status_code=404)
        return response


class WithHeaders:
    """Adds fixed response headers (the site's CSP and hardening headers) to an ASGI app."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = {name for name, _ in self.headers}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LocalGateway:
    def __init__(
        self,
        template: AppTemplate,
        *,
        site_dir: Path,
        admin_dir: Path,
        invoker: FunctionInvoker | None = None,
        extra_routes: Sequence[BaseRoute] = (),
        site_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.invoker = invoker or FunctionInvoker()
        site_dir.mkdir(parents=True, exist_ok=True)
        if site_headers is None:
            from fpv.site.security import site_headers as default_site_headers

            site_headers = default_site_headers()
        site: ASGIApp = WithHeaders(
            SiteFiles(directory=site_dir, html=True, check_dir=False), site_headers
        )
        self._static = Starlette(
            routes=[
                Route("/admin", lambda _r: RedirectResponse("/admin/", 308)),
                Mount("/admin", StaticFiles(directory=admin_dir, html=True, check_dir=False)),
                *extra_routes,
                Mount("/", site),
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
            scheme=request.url.scheme,
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
