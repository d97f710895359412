"""Every few minutes (EventBridge Scheduler): expire unpaid holds, purge idempotency records,
send the reminders that are due (24 h and 1 h before each training)."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.jobs.reminders_job import JobFailed, JobReport, run_from_settings
from fpv.observability import handler_logger
from fpv.settings import get_settings

logger = handler_logger("reminders")
metrics = Metrics(namespace="FPV", service="reminders")

# Stop taking new work this long before the Lambda timeout; the next run resumes.
STOP_MARGIN_MS = 90_000


def _record(report: JobReport) -> None:
    metrics.add_metric(name="HoldsExpired", unit=MetricUnit.Count, value=report.holds_expired)
    r = report.reminders
    if r is None:
        return
    metrics.add_metric(name="RemindersSent", unit=MetricUnit.Count, value=r.sent)
    metrics.add_metric(name="RemindersFailed", unit=MetricUnit.Count, value=r.failed + r.unknown)
    metrics.add_metric(name="RemindersBlocked", unit=MetricUnit.Count, value=r.blocked)
    metrics.add_metric(name="RemindersSkippedLate", unit=MetricUnit.Count, value=r.skipped_late)
    metrics.add_metric(name="TelegramRateLimited", unit=MetricUnit.Count, value=r.rate_limited)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    try:
        report = run_from_settings(
            get_settings(),
            should_stop=lambda: context.get_remaining_time_in_millis() < STOP_MARGIN_MS,
        )
    except JobFailed as exc:
        _record(exc.report)
        metrics.add_metric(name="ScheduledJobFailed", unit=MetricUnit.Count, value=1)
        logger.error("reminders job failed", extra={"report": exc.report.as_dict()})
        raise
    _record(report)
    logger.info("reminders job done", extra={"report": report.as_dict()})
    return report.as_dict()
