"""template.yaml is the one source of truth for the local gateway and scheduler."""

from __future__ import annotations

from pathlib import Path

import pytest

from fpv.local.template import TemplateError, load_template

ROOT = Path(__file__).resolve().parents[2]

FUNCTION = """
  {name}:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.lambda_handler
      Events:
{events}
"""


def _template(tmp_path: Path, *functions: tuple[str, str]) -> Path:
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "app.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    body = "".join(FUNCTION.format(name=n, events=e) for n, e in functions)
    path = tmp_path / "template.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:" + body)
    return path


def _http(path: str, method: str = "GET", event: str = "Api") -> str:
    return (
        f"        {event}:\n          Type: HttpApi\n          Properties:\n"
        f"            ApiId: !Ref HttpApi\n            Path: {path}\n            Method: {method}\n"
    )


def test_project_template_serves_health():
    template = load_template(ROOT / "template.yaml")
    route, params = template.find_route("GET", "/api/health")
    assert route.function.logical_id == "HealthFunction" and params == {}
    assert route.function.module_file.is_file()
    assert template.find_route("POST", "/api/health") is None


def test_routes_prefer_literal_segments_and_capture_parameters(tmp_path):
    path = _template(
        tmp_path,
        ("Proxy", _http("/api/{proxy+}", "ANY")),
        ("One", _http("/api/trainings/{id}")),
        ("List", _http("/api/trainings")),
    )
    template = load_template(path)
    route, params = template.find_route("GET", "/api/trainings/42")
    assert (route.function.logical_id, params) == ("One", {"id": "42"})
    assert template.find_route("GET", "/api/trainings")[0].function.logical_id == "List"
    route, params = template.find_route("DELETE", "/api/a/b/c")
    assert (route.function.logical_id, params) == ("Proxy", {"proxy": "a/b/c"})


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (_http("api/health"), "must be a string starting with '/'"),
        (_http("/api/{id"), "malformed path parameter"),
        (_http("/api/x", "FETCH"), "is not an HTTP method"),
        (_http("/a/{p+}/b"), "greedy parameter must be last"),
        (
            "        Tick:\n          Type: ScheduleV2\n          Properties:\n"
            "            ScheduleExpression: every 5 minutes\n",
            "is not rate(...) or cron(...)",
        ),
    ],
)
def test_malformed_routes_and_schedules_are_named_in_one_line(tmp_path, events, message):
    path = _template(tmp_path, ("Broken", events))
    with pytest.raises(TemplateError) as info:
        load_template(path)
    assert message in str(info.value)
    assert "Broken" in str(info.value)
    assert "\n" not in str(info.value)


def test_same_route_twice_is_refused(tmp_path):
    path = _template(tmp_path, ("A", _http("/x")), ("B", _http("/x")))
    with pytest.raises(TemplateError, match="also served by A"):
        load_template(path)


def test_missing_handler_file_and_bad_yaml(tmp_path):
    path = _template(tmp_path, ("A", _http("/x")))
    path.write_text(path.read_text().replace("CodeUri: fn/", "CodeUri: nowhere/"))
    with pytest.raises(TemplateError, match="not found"):
        load_template(path)
    path.write_text("Resources: [unclosed")
    with pytest.raises(TemplateError, match="not valid YAML"):
        load_template(path)


def test_schedules_and_event_rules_are_read(tmp_path):
    events = (
        "        Tick:\n          Type: ScheduleV2\n          Properties:\n"
        "            ScheduleExpression: rate(5 minutes)\n"
        '            Input: \'{"job": "reminders"}\'\n'
        "        Changed:\n          Type: EventBridgeRule\n          Properties:\n"
        "            Pattern:\n              source: [fpv.platform]\n"
    )
    template = load_template(_template(tmp_path, ("Jobs", events)))
    [schedule] = template.schedules
    assert (schedule.expression, schedule.event) == ("rate(5 minutes)", {"job": "reminders"})
    [rule] = template.event_rules
    assert rule.pattern == {"source": ["fpv.platform"]}
