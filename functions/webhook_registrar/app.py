"""Custom::TelegramWebhook (CloudFormation): setWebhook on Create/Update, deleteWebhook on
Delete; the outcome goes back to CloudFormation, so a failure fails the deploy clearly."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.observability import handler_logger
from fpv.ops.webhook_resource import handle
from fpv.settings import get_settings

logger = handler_logger("webhook_registrar")


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    result = handle(event, get_settings)
    logger.info("custom resource answered", extra={"status": result["Status"]})
    return {"Status": result["Status"]}
