"""Every minute (EventBridge Scheduler): deliver what requests queued in the outbox but could not
send after their commit (invoices, notices, "schedule changed"), at least once."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.jobs.outbox_job import run_from_settings
from fpv.observability import handler_logger
from fpv.settings import get_settings

logger = handler_logger("outbox")
metrics = Metrics(namespace="FPV", service="outbox")

STOP_MARGIN_MS = 10_000


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report, purged = run_from_settings(
        get_settings(),
        should_stop=lambda: context.get_remaining_time_in_millis() < STOP_MARGIN_MS,
    )
    metrics.add_metric(name="OutboxDelivered", unit=MetricUnit.Count, value=report.delivered)
    metrics.add_metric(name="OutboxRetried", unit=MetricUnit.Count, value=report.retried)
    metrics.add_metric(name="OutboxFailed", unit=MetricUnit.Count, value=report.failed)
    result = {**report.as_dict(), "purged": purged}
    logger.info("outbox run done", extra={"report": result})
    return result
