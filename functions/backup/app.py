"""Nightly (EventBridge Scheduler): a consistent backup of every table to the backup bucket,
metric BackupSucceeded (an alarm fires when it is missing). Every 10 minutes, with
{"action": "ledger"}: mirror the deletion ledger next to the backups."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.jobs.backup_job import backup_from_settings, mirror_ledger_from_settings
from fpv.observability import handler_logger
from fpv.settings import get_settings

logger = handler_logger("backup")
metrics = Metrics(namespace="FPV", service="backup")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    action = (event or {}).get("action", "backup")
    if action == "ledger":
        mirrored = mirror_ledger_from_settings(get_settings())
        return {"action": "ledger", "entries": mirrored}
    if action != "backup":
        raise ValueError(f"unknown action {action!r} (expected 'backup' or 'ledger')")
    try:
        result = backup_from_settings(get_settings())
    except Exception:
        metrics.add_metric(name="BackupFailed", unit=MetricUnit.Count, value=1)
        logger.exception("backup failed")
        raise
    metrics.add_metric(name="BackupSucceeded", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="BackupBytes", unit=MetricUnit.Bytes, value=result.size)
    metrics.add_metric(name="BackupSeconds", unit=MetricUnit.Seconds, value=result.seconds)
    logger.info("backup written", extra={"key": result.manifest_key, "rows": result.total_rows})
    return result.as_dict()
