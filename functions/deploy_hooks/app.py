"""CloudFormation deploy hooks: Custom::DatabaseMigrations (`fpv migrate` inside the stack)
and Custom::TelegramWebhook (setWebhook / deleteWebhook). The outcome goes back to
CloudFormation, so a failure fails the deploy clearly."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from fpv.observability import handler_logger
from fpv.ops.deploy_hooks import handle
from fpv.settings import get_settings

logger = handler_logger("deploy_hooks")


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    result = handle(event, get_settings)
    logger.info(
        "custom resource answered",
        extra={"resource": event.get("ResourceType"), "status": result["Status"]},
    )
    return {"Status": result["Status"]}
