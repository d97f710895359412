"""GET /api/health: database reachability and schema version (503 when degraded)."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv import runtime
from fpv.health import check_health, probe_database
from fpv.observability import handler_logger

logger = handler_logger("health")
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


def _probe() -> dict:
    """Every minute (EventBridge Scheduler, {"probe": "database"}): the metrics behind the
    "database unreachable" and "database slow" alarms, for any PostgreSQL (RDS or not)."""
    probe = probe_database(runtime.database())
    metrics.add_metric(
        name="DatabaseProbeSucceeded", unit=MetricUnit.Count, value=1 if probe.reachable else 0
    )
    if probe.reachable:
        metrics.add_metric(
            name="DatabaseLatency", unit=MetricUnit.Milliseconds, value=probe.milliseconds
        )
    else:
        metrics.add_metric(name="DatabaseUnreachable", unit=MetricUnit.Count, value=1)
        logger.warning("database probe failed", extra={"error": probe.error})
    return {"reachable": probe.reachable, "milliseconds": probe.milliseconds}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if event.get("probe") == "database":
        return _probe()
    return app.resolve(event, context)
