"""/api/admin/... and GET /api/openapi.json: the admin API (FastAPI behind Mangum).

Thin: the app (routes, problem JSON, sessions) is built in `fpv.admin.api`; the use cases in
`fpv.admin.*` decide authorization. FastAPI, Mangum and argon2 are loaded by this function only.

Cold start (issue #20): no garbage collection while the modules load and the app is built (a full
collection over that young heap cost ~50 ms of CPU); their objects, which live as long as the
container, are frozen then (`gc.freeze`: never scanned again) and the collector runs as usual.
"""

import gc

gc.disable()

import asyncio  # noqa: E402
import warnings  # noqa: E402

from mangum import Mangum  # noqa: E402

from fpv.admin.api import create_app  # noqa: E402


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
gc.freeze()
gc.enable()


def lambda_handler(event: dict, context: object) -> dict:
    _ensure_event_loop()
    return _mangum(event, context)
