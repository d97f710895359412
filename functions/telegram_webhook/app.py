"""POST /telegram/webhook: Telegram's updates → the bot (fpv.bot.webhook), exactly once each.

The service (event loop + initialized python-telegram-bot Application) is built on the first
invocation of a container and reused while it stays warm.
"""

import base64

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.bot.webhook import WebhookService, service_from_settings
from fpv.observability import handler_logger

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
