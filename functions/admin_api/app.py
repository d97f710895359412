"""/api/admin/... and GET /api/openapi.json: the admin API (FastAPI behind Mangum).

Thin: the app (routes, problem JSON, sessions) is built in `fpv.admin.api`; the use cases in
`fpv.admin.*` decide authorization. FastAPI, Mangum and argon2 are loaded by this function only.
"""

import asyncio
import warnings

from mangum import Mangum

from fpv.admin.api import create_app


def _ensure_event_loop() -> None:
    """Mangum runs the app on the calling thread's event loop. Lambda invokes from one thread;
    the local runner from worker threads, which have none until one is set."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            asyncio.get_event_loop()
        except RuntimeError:
            asyncio.set_event_loop(asyncio.new_event_loop())


_ensure_event_loop()
app = create_app()
_mangum = Mangum(app, lifespan="off")


def lambda_handler(event: dict, context: object) -> dict:
    _ensure_event_loop()
    return _mangum(event, context)
