"""The domain's fpv.* loggers go through the handler's Powertools Logger in Lambda (JSON,
correlation id, level from settings) and are left alone elsewhere."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from fpv.local.apigw import LambdaContext
from fpv.observability import handler_logger
from fpv.settings import Settings


@pytest.fixture
def fpv_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger("fpv")
    saved = (root.handlers[:], root.propagate, root.level)
    yield root
    root.handlers, root.propagate, root.level = saved[0], saved[1], saved[2]


def test_in_lambda_domain_logs_are_json_with_the_correlation_id(fpv_logger, capsys):
    settings = Settings(aws_lambda_function_name="fpv-dev-Reminders", log_level="WARNING")
    # a service name of its own: Powertools reuses a logger (and its stream) per service name
    service = f"obs-{uuid.uuid4().hex[:8]}"
    logger = handler_logger(service, settings)

    @logger.inject_lambda_context(correlation_id_path="id")
    def handler(event, context):
        logging.getLogger("fpv.jobs.example").info("not at this level")
        logging.getLogger("fpv.jobs.example").warning("held seats expired: %d", 3)

    handler({"id": "corr-42"}, LambdaContext("fpv-dev-Reminders", 30, 512))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert len(lines) == 1
    [line] = lines
    assert line["message"] == "held seats expired: 3"
    assert line["level"] == "WARNING" and line["service"] == service
    assert line["correlation_id"] == "corr-42" and line["name"] == "fpv.jobs.example"
    assert line["function_name"] == "fpv-dev-Reminders"


def test_outside_lambda_the_domain_loggers_are_left_alone(fpv_logger):
    before = fpv_logger.handlers[:]
    handler_logger("health", Settings(aws_lambda_function_name=None))
    assert fpv_logger.handlers == before and fpv_logger.propagate is True


def test_log_level_comes_from_the_template_variable(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    assert Settings().log_level == "DEBUG"
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="log_level"):
        Settings()
