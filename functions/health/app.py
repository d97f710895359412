"""GET /api/health: database reachability and schema version (503 when degraded)."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv import runtime
from fpv.health import check_health

logger = Logger(service="health")
metrics = Metrics(namespace="FPV", service="health")
app = APIGatewayHttpResolver()


@app.get("/api/health")
def health() -> Response:
    report = check_health(runtime.database())
    if report.database != "up":
        metrics.add_metric(name="DatabaseUnreachable", unit=MetricUnit.Count, value=1)
        logger.warning("database unreachable")
    return Response(
        status_code=200 if report.healthy else 503,
        content_type=content_types.APPLICATION_JSON,
        body=report.as_dict(),
        headers={"Cache-Control": "no-store"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
