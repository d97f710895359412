"""POST /telegram/webhook: Telegram's updates → the bot (fpv.bot.webhook), exactly once each.

The service (event loop + initialized python-telegram-bot Application) is built on the first
invocation of a container and reused while it stays warm.

Cold start (issue #20): no garbage collection while the modules load. Their objects live as long
as the container, yet a full collection ran over them mid-import (~25 ms of CPU, more than the
rest of our own modules); they are frozen once loaded (`gc.freeze`: never scanned again) and the
collector runs as usual from then on.
"""

import gc

gc.disable()

import base64  # noqa: E402

from aws_lambda_powertools import Metrics  # noqa: E402
from aws_lambda_powertools.logging import correlation_paths  # noqa: E402
from aws_lambda_powertools.metrics import MetricUnit  # noqa: E402
from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402

from fpv.bot.webhook import WebhookService, service_from_settings  # noqa: E402
from fpv.observability import handler_logger  # noqa: E402

gc.freeze()
gc.enable()

logger = handler_logger("telegram_webhook")
metrics = Metrics(namespace="FPV", service="telegram_webhook")
_service: WebhookService | None = None

# outcome → metric name (all counts)
_METRICS = {
    "processed": "UpdateProcessed",
    "duplicate": "UpdateDuplicate",
    "busy": "UpdateBusy",
    "unauthorized": "WebhookUnauthorized",
    "malformed": "WebhookMalformed",
    "handler_error": "BotHandlerError",
    "transient": "BotTransientError",
}


def service() -> WebhookService:
    global _service
    if _service is None:
        _service = service_from_settings()
    return _service


def _body(event: dict) -> str | bytes | None:
    body = event.get("body")
    if body and event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    result = service().handle(event.get("headers") or {}, _body(event))
    metrics.add_metric(name=_METRICS[result.outcome], unit=MetricUnit.Count, value=1)
    if result.status >= 500 or result.outcome == "handler_error":
        logger.warning(
            "update not processed cleanly",
            extra={"outcome": result.outcome, "error": result.error, "update_id": result.update_id},
        )
    elif result.status != 200:
        logger.info("webhook request rejected", extra={"outcome": result.outcome})
    return {
        "statusCode": result.status,
        "headers": {"Content-Type": "application/json"},
        "body": result.body,
    }
