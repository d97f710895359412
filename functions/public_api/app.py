"""/api/v1/ (the integration API) and /api/app/ (the pilots' app API): FastAPI behind Mangum.
FastAPI is imported here only: no other function pays for it at cold start.

Cold start (issue #20): no garbage collection while the modules load and the app is built; their
objects live as long as the container and are frozen then (`gc.freeze`: never scanned again).
"""

import gc

gc.disable()

from aws_lambda_powertools import Logger  # noqa: E402
from aws_lambda_powertools.logging import correlation_paths  # noqa: E402
from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402
from mangum import Mangum  # noqa: E402

from fpv.api.server import create_app  # noqa: E402

logger = Logger(service="public_api")
app = create_app()
handler = Mangum(app, lifespan="off")
gc.freeze()
gc.enable()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handler(event, context)
