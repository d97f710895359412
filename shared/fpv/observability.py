"""Logging for Lambda handlers: one Powertools Logger per function, and the domain's `fpv.*`
loggers routed through it (JSON, the invocation's correlation id, the level from settings).

Outside Lambda (tests, `fpv dev`, the CLI) the `fpv.*` loggers are left alone: the command line
configures them for people to read.

What goes into a log line is the caller's business: ids of trainings, registrations and payments,
counts and reasons; never a nickname, a Telegram id, a token or a URL with a password.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fpv.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

DOMAIN_LOGGER = "fpv"


def handler_logger(service: str, settings: Settings | None = None) -> Logger:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    # Only the environment (no secrets are needed for the level): cheap at import time.
    settings = settings or Settings()
    level = settings.log_level.upper()
    logger = Logger(service=service, level=level)
    if settings.aws_lambda_function_name:
        logging.getLogger(DOMAIN_LOGGER)  # registered, so its configuration covers fpv.*
        copy_config_to_registered_loggers(
            source_logger=logger, include={DOMAIN_LOGGER}, log_level=level
        )
    return logger
