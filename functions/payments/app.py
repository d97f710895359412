"""POST /payments/{provider}: YooKassa notifications and Stripe events (verified before they
change anything); and, on its schedule, the refund worker (refunds the provider could not take
yet are retried here; nothing lost)."""

import base64

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv import runtime
from fpv.db import DatabaseUnavailable
from fpv.observability import handler_logger
from fpv.payments.callbacks import handle_callback
from fpv.payments.refunds import retry_pending_refunds
from fpv.payments.wiring import from_settings
from fpv.settings import get_settings

logger = handler_logger("payments")
metrics = Metrics(namespace="FPV", service="payments")
app = APIGatewayHttpResolver()

# Stop taking refunds this long before the Lambda timeout; the next run resumes.
STOP_MARGIN_MS = 15_000


def _raw_body() -> bytes:
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


@app.post("/payments/<provider>")
def callback(provider: str) -> Response:
    settings = get_settings()
    ports, config = from_settings(settings)
    event = app.current_event
    try:
        result = handle_callback(
            runtime.database(settings),
            ports,
            provider=provider,
            body=_raw_body(),
            headers={k.lower(): v for k, v in (event.headers or {}).items()},
            source_ip=event.request_context.http.source_ip,
            config=config,
        )
    except DatabaseUnavailable:
        logger.warning("database unavailable; the provider will retry")
        metrics.add_metric(name="DatabaseUnreachable", unit=MetricUnit.Count, value=1)
        return Response(503, content_types.APPLICATION_JSON, {"ok": False, "outcome": "retry"})
    logger.info("provider callback", extra={"provider": provider, "outcome": result.outcome})
    return Response(
        status_code=result.status,
        content_type=content_types.APPLICATION_JSON,
        body=result.body,
        headers={"Cache-Control": "no-store"},
    )


def _retry_refunds(context: LambdaContext) -> dict:
    settings = get_settings()
    ports, _config = from_settings(settings)
    report = retry_pending_refunds(
        runtime.database(settings),
        ports,
        should_stop=lambda: context.get_remaining_time_in_millis() < STOP_MARGIN_MS,
    )
    logger.info("refund worker done", extra={"report": report.as_dict()})
    return report.as_dict()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if event.get("job") == "retry_refunds":  # the EventBridge Scheduler input
        return _retry_refunds(context)
    return app.resolve(event, context)
