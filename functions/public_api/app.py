"""/api/v1/ (the integration API) and /api/app/ (the pilots' app API): FastAPI behind Mangum.
FastAPI is imported here only: no other function pays for it at cold start."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from fpv.api.server import create_app

logger = Logger(service="public_api")
app = create_app()
handler = Mangum(app, lifespan="off")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handler(event, context)
