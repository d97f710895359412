"""Publishes the public site when the schedule changes (EventBridge "ScheduleChanged"), on the
periodic refresh (past trainings drop off) and on manual runs ({"trigger": "manual"}).

Bursts coalesce in `fpv.site.build.publish_site` (one publisher at a time; a publisher whose
snapshot is already published does nothing), so every event may simply ask for a publication.
"""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv import runtime
from fpv.observability import handler_logger
from fpv.settings import get_settings
from fpv.site.build import publish_site
from fpv.site.model import SiteConfig
from fpv.site.targets import site_target
from fpv.site.trigger import BadTrigger, parse_trigger

logger = handler_logger("site_publisher")
metrics = Metrics(namespace="FPV", service="site_publisher")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    try:
        trigger = parse_trigger(event)
    except BadTrigger as exc:
        # Retrying cannot fix a malformed event: answer clearly and drop it.
        logger.warning("event ignored", extra={"reason": str(exc)})
        metrics.add_metric(name="SiteEventIgnored", unit=MetricUnit.Count, value=1)
        return {"status": "ignored", "reason": str(exc)}
    settings = get_settings()
    storage, cdn = site_target(settings)
    try:
        report = publish_site(
            runtime.database(settings),
            storage,
            cdn=cdn,
            config=SiteConfig.from_settings(settings),
            force=trigger.force,
        )
    except Exception:
        # behind the SitePublishFailing alarm; the invocation still fails (retries, then DLQ)
        metrics.add_metric(name="SitePublishFailed", unit=MetricUnit.Count, value=1)
        logger.exception("site publication failed", extra={"trigger": trigger.reason})
        raise
    metrics.add_metric(
        name="SiteObjectsUploaded", unit=MetricUnit.Count, value=len(report.uploaded)
    )
    metrics.add_metric(name="SitePublishSeconds", unit=MetricUnit.Seconds, value=report.seconds)
    if report.skipped:
        metrics.add_metric(name="SitePublishCoalesced", unit=MetricUnit.Count, value=1)
    logger.info(
        "site publication done",
        extra={
            "trigger": trigger.reason,
            "skipped": report.skipped,
            "uploaded": len(report.uploaded),
            "deleted": len(report.deleted),
            "invalidated": len(report.invalidated),
            "seconds": report.seconds,
        },
    )
    return {
        "status": "unchanged" if report.skipped else "published",
        "trigger": trigger.reason,
        "uploaded": len(report.uploaded),
        "deleted": len(report.deleted),
        "invalidated": len(report.invalidated),
        "trainings": report.trainings,
        "seconds": report.seconds,
    }
