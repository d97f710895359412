"""/api/v1/ (the integration API) and /api/app/ (the pilots' app API): FastAPI behind Mangum.
FastAPI is imported here only: no other function pays for it at cold start.

Cold start (issue #20): no garbage collection while the modules load and the app is built; their
objects live as long as the container and are frozen then (`gc.freeze`: never scanned again).
"""

import asyncio
import gc
import warnings

gc.disable()

from aws_lambda_powertools import Logger  # noqa: E402
from aws_lambda_powertools.logging import correlation_paths  # noqa: E402
from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402
from mangum import Mangum  # noqa: E402

from fpv.api.server import create_app  # noqa: E402

logger = Logger(service="public_api")


def _ensure_event_loop() -> None:
    """Mangum runs the app on the calling thread's event loop. Lambda invokes from one thread;
    the local runner from worker threads, which have none until one is set (as in admin_api)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            asyncio.get_event_loop()
        except RuntimeError:
            asyncio.set_event_loop(asyncio.new_event_loop())


app = create_app()
handler = Mangum(app, lifespan="off")
gc.freeze()
gc.enable()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    _ensure_event_loop()
    return handler(event, context)
