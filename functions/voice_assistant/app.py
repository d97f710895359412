"""Invoked asynchronously by the webhook (Lambda async invoke) with an admin's voice or text
message: transcribe, ask the chat model with the tools, answer with Confirm / Cancel
(fpv.voice.assistant). The only function that imports `openai` (lazily, on first use)."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.observability import handler_logger
from fpv.settings import get_settings
from fpv.voice.assistant import run_from_settings

logger = handler_logger("voice_assistant")
metrics = Metrics(namespace="FPV", service="voice_assistant")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    outcome = run_from_settings(get_settings(), event)
    metrics.add_metric(name=f"Voice_{outcome}", unit=MetricUnit.Count, value=1)
    logger.info("voice message answered", extra={"outcome": outcome})
    return {"outcome": outcome}
