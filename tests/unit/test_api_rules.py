"""Small rules of the public APIs, without I/O: webhook event patterns and receiver URLs, cursors,
deep-link nonces, Google Calendar links."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from fpv import webhooks
from fpv.api.common import ApiProblem, encode_cursor, id_cursor, timestamp_cursor
from fpv.bot.handlers.app_signin import app_nonce
from fpv.pilot_calendar import google_calendar_url


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [
        ("*", True),
        ("registration.*", True),
        ("training.cancelled", True),
        ("payment.*", True),
        ("registration.deleted", False),
        ("nonsense.*", False),
        ("", False),
    ],
)
def test_event_patterns(pattern, ok):
    assert webhooks.valid_pattern(pattern) is ok


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://crm.example/hooks", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://localhost/hook", True),
        ("http://crm.example/hooks", False),
        ("ftp://crm.example/", False),
        ("https://", False),
        ("https://crm.example/a b", False),
        ("https://[::1/x", False),
    ],
)
def test_receiver_urls(url, ok):
    assert webhooks._acceptable_url(url) is ok


def test_cursors_round_trip_and_refuse_forgeries():
    moment = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
    assert timestamp_cursor(encode_cursor(moment, 42)) == (moment, 42)
    assert id_cursor(encode_cursor(7)) == 7
    assert timestamp_cursor(None) is None and id_cursor(None) == 0
    for forged in ("%%%", encode_cursor("x", 1), encode_cursor(1), encode_cursor(True), "e30"):
        with pytest.raises(ApiProblem):
            timestamp_cursor(forged)
    for forged in (encode_cursor(-1), encode_cursor(2**63), encode_cursor("7")):
        with pytest.raises(ApiProblem):
            id_cursor(forged)


def test_deep_link_nonces():
    assert app_nonce("app_" + "a" * 24) == "a" * 24
    assert app_nonce("training_5") is None
    assert app_nonce("app_short") == ""  # an app link, but not one we made
    assert app_nonce("app_" + "a" * 24 + "!") == ""


def test_google_calendar_link():
    training = {
        "title": "Night race",
        "venue_name": "Hangar",
        "venue_address": "Main st. 1",
        "starts_at": datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
        "time_zone": "Europe/Moscow",
    }
    query = parse_qs(urlsplit(google_calendar_url(training)).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20261201T150000Z/20261201T180000Z"]
    assert query["text"] == ["Night race — Hangar"]
    assert query["location"] == ["Hangar, Main st. 1"] and query["ctz"] == ["Europe/Moscow"]
