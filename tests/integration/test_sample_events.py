"""The sample events in events/ are what the functions really get: HTTP samples have the shape of
`sam local generate-event`'s and a route in the template; the schedule inputs match the
template's; the health sample runs through the real handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpv.local.invoker import FunctionInvoker
from fpv.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
SAM_SAMPLE = json.loads((EVENTS / "apigw-http-api-v2.json").read_text())
HTTP_SAMPLES = [
    "health-get.json",
    "telegram-webhook-start.json",
    "payments-yookassa-notification.json",
    "admin-api-login.json",
    "public-api-trainings-get.json",
]


@pytest.mark.parametrize("name", HTTP_SAMPLES)
def test_http_samples_are_served_by_a_template_route(name):
    event = json.loads((EVENTS / name).read_text())
    assert set(event) <= set(SAM_SAMPLE) | {"cookies"}
    assert set(event["requestContext"]) <= set(SAM_SAMPLE["requestContext"])
    template = load_template(ROOT / "template.yaml")
    method, path = event["requestContext"]["http"]["method"], event["rawPath"]
    route, params = template.find_route(method, path)
    assert route.route_key == event["routeKey"]
    assert params == (event.get("pathParameters") or {})


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("scheduler-reminders.json", "RemindersFunction"),
        ("scheduler-backup.json", "BackupFunction"),
    ],
)
def test_schedule_samples_match_the_template_inputs(name, function):
    template = load_template(ROOT / "template.yaml")
    inputs = [s.event for s in template.schedules if s.function.logical_id == function]
    assert json.loads((EVENTS / name).read_text()) in inputs


def test_health_sample_through_the_real_handler(app_env):
    template = load_template(ROOT / "template.yaml")
    result = FunctionInvoker().invoke(
        template.functions["HealthFunction"], json.loads((EVENTS / "health-get.json").read_text())
    )
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["database"] == "up"


def _emf(out: str) -> dict[str, float]:
    """Metric values of the EMF lines a handler printed."""
    values: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith("{") and "_aws" in line:
            record = json.loads(line)
            for directive in record["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = record[metric["Name"]]
                    values[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return values


def test_database_probe_sample_through_the_real_handler(app_env, capsys):
    template = load_template(ROOT / "template.yaml")
    event = json.loads((EVENTS / "scheduler-database-probe.json").read_text())
    assert event in [
        s.event for s in template.schedules if s.function.logical_id == "HealthFunction"
    ]
    result = FunctionInvoker().invoke(template.functions["HealthFunction"], event)
    assert result["reachable"] is True and result["milliseconds"] >= 0
    metrics = _emf(capsys.readouterr().out)
    assert metrics["DatabaseProbeSucceeded"] == 1 and "DatabaseLatency" in metrics


def test_database_probe_reports_an_unreachable_database(app_env, monkeypatch, capsys):
    from fpv.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:9/postgres")
    get_settings.cache_clear()
    template = load_template(ROOT / "template.yaml")
    result = FunctionInvoker().invoke(template.functions["HealthFunction"], {"probe": "database"})
    assert result["reachable"] is False
    metrics = _emf(capsys.readouterr().out)
    assert metrics["DatabaseProbeSucceeded"] == 0 and metrics["DatabaseUnreachable"] == 1
    assert "DatabaseLatency" not in metrics


@pytest.mark.parametrize(
    "name",
    [
        "sns-cloudwatch-alarm.json",
        "sns-cloudwatch-alarm-ok.json",
        "sns-cloudwatch-composite-alarm.json",
        "sqs-cloudwatch-alarm.json",
    ],
)
def test_alarm_samples_have_the_shape_sam_generates(name):
    event = json.loads((EVENTS / name).read_text())
    sns_shape = json.loads((EVENTS / "sns-notification.json").read_text())["Records"][0]
    [record] = event["Records"]
    if "Sns" in record:
        assert set(record) == set(sns_shape) and set(record["Sns"]) == set(sns_shape["Sns"])
        alarm = json.loads(record["Sns"]["Message"])
    else:
        assert record["eventSource"] == "aws:sqs"
        alarm = json.loads(json.loads(record["body"])["Message"])
    assert {"AlarmName", "NewStateValue", "StateChangeTime", "AlarmArn"} <= set(alarm)


def test_admin_login_sample_through_the_real_handler(app_env):
    """A wrong login answers exactly like a right one would (a challenge), in an HTTP API v2
    response with no cookie."""
    template = load_template(ROOT / "template.yaml")
    result = FunctionInvoker().invoke(
        template.functions["AdminApiFunction"],
        json.loads((EVENTS / "admin-api-login.json").read_text()),
    )
    assert result["statusCode"] == 200 and "cookies" not in result
    assert set(json.loads(result["body"])) == {"challenge"}


def test_public_api_sample_through_the_real_handler(app_env):
    template = load_template(ROOT / "template.yaml")
    event = json.loads((EVENTS / "public-api-trainings-get.json").read_text())
    result = FunctionInvoker().invoke(template.functions["PublicApiFunction"], event)
    assert result["statusCode"] == 200, result
    assert json.loads(result["body"]) == {"items": [], "next_cursor": None}
