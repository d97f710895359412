"""Events the local gateway builds have the shape `sam local generate-event` gives (events/)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from fpv.local.apigw import build_event, parse_response

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "apigw-http-api-v2.json").read_text()
)


def _event(**overrides):
    args = {
        "method": "POST",
        "path": "/path/to/resource",
        "raw_query": "parameter1=value1&parameter1=value2&parameter2=value",
        "headers": [
            ("Header1", "value1"),
            ("Header2", "value1"),
            ("Header2", "value2"),
            ("Cookie", "cookie1; cookie2"),
            ("Content-Type", "application/octet-stream"),
        ],
        "body": b'{"test":"body"}',
        "route_key": "POST /path/to/resource",
        "path_parameters": {"parameter1": "value1"},
    }
    args.update(overrides)
    return build_event(**args)


def test_same_keys_as_the_sam_sample():
    event = _event()
    # API Gateway adds authentication/authorizer/stageVariables only when configured.
    optional = {"stageVariables"}
    assert set(SAMPLE) - optional == set(event)
    ctx_optional = {"authentication", "authorizer"}
    assert set(SAMPLE["requestContext"]) - ctx_optional == set(event["requestContext"])
    assert set(SAMPLE["requestContext"]["http"]) == set(event["requestContext"]["http"])


def test_values_follow_api_gateway_rules():
    event = _event()
    assert event["headers"] == {
        "header1": "value1",
        "header2": "value1,value2",
        "content-type": "application/octet-stream",
        # added by API Gateway (the local gateway says what the browser used)
        "x-forwarded-for": "127.0.0.1",
        "x-forwarded-proto": "https",
    }
    plain = _event(scheme="http", headers=[("X-Forwarded-Proto", "https")])
    assert plain["headers"]["x-forwarded-proto"] == "http"  # a client cannot claim HTTPS
    assert event["cookies"] == SAMPLE["cookies"]
    assert event["queryStringParameters"] == SAMPLE["queryStringParameters"]
    assert event["rawQueryString"] == SAMPLE["rawQueryString"]
    assert event["isBase64Encoded"] is True and event["body"] == SAMPLE["body"]
    assert event["requestContext"]["stage"] == "$default"
    assert isinstance(event["requestContext"]["timeEpoch"], int)


def test_text_bodies_stay_text_and_empty_parts_are_left_out():
    event = _event(
        headers=[("content-type", "application/json; charset=utf-8")],
        raw_query="",
        path_parameters=None,
        body='{"a":"ж"}'.encode(),
    )
    assert event["isBase64Encoded"] is False and event["body"] == '{"a":"ж"}'
    assert "cookies" not in event and "queryStringParameters" not in event
    assert "pathParameters" not in event


def test_responses_full_and_shorthand():
    full = parse_response(
        {
            "statusCode": 201,
            "headers": {"X-A": "1"},
            "cookies": ["a=b"],
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert full.status == 201 and full.body == b"\x00\x01"
    assert ("set-cookie", "a=b") in full.headers and ("X-A", "1") in full.headers
    short = parse_response({"ok": True})
    assert short.status == 200 and json.loads(short.body) == {"ok": True}
