"""CloudWatch alarms → the operators' Telegram chat (OPS_CHAT_ID).

The alarm topic feeds an SQS queue that this function drains in batches (a batching window
gathers a storm into one message); records whose message could not be delivered are reported
as batch item failures, come back, and after a few tries rest in the dead-letter queue. Invoked
with an SNS event directly (`fpv invoke`, or a direct subscription) a failed delivery fails the
invocation.
"""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.observability import handler_logger
from fpv.ops.forwarder import forward_from_settings
from fpv.settings import get_settings

logger = handler_logger("alarm_forwarder")
metrics = Metrics(namespace="FPV", service="alarm_forwarder")


class AlarmNotDelivered(RuntimeError):
    """Raised for a direct SNS invocation so that Lambda retries it (then its DLQ)."""


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = forward_from_settings(
        event, get_settings(), remaining_ms=context.get_remaining_time_in_millis
    )
    metrics.add_metric(name="AlarmMessagesSent", unit=MetricUnit.Count, value=report.sent)
    failed = report.failed_record_ids
    if failed:
        metrics.add_metric(name="AlarmMessagesFailed", unit=MetricUnit.Count, value=len(failed))
        logger.warning("alarm forwarding incomplete", extra={"report": report.as_dict()})
    else:
        logger.info("alarms forwarded", extra={"report": report.as_dict()})
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return {"batchItemFailures": [{"itemIdentifier": rid} for rid in failed]}
    if failed:
        raise AlarmNotDelivered(f"{len(failed)} alarm notification(s) not delivered")
    return report.as_dict()
