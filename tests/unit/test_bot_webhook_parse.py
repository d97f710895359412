"""Webhook input checks that need no I/O: the secret and the body."""

from __future__ import annotations

import pytest

from fpv.bot.webhook import parse_update, secret_ok


def test_secret_must_match_exactly():
    assert secret_ok("s3cret", "s3cret")
    assert not secret_ok("s3cret", "s3cre")
    assert not secret_ok("s3cret", "S3CRET")
    assert not secret_ok("s3cret", None)
    assert not secret_ok("s3cret", "")
    assert secret_ok("секрет", "секрет")  # non-ASCII header values do not crash


def test_no_configured_secret_accepts_nothing():
    assert not secret_ok(None, "anything")
    assert not secret_ok("", "")


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        b"",
        "not json",
        "[1, 2]",
        '"text"',
        "{}",
        '{"update_id": "7"}',
        '{"update_id": -1}',
        '{"update_id": true}',
        '{"update_id": 1.5}',
        b"\xff\xfe",
    ],
)
def test_malformed_bodies(body):
    assert parse_update(body) is None


def test_valid_body():
    assert parse_update('{"update_id": 7, "message": {}}') == {"update_id": 7, "message": {}}
    assert parse_update(b'{"update_id": 0}') == {"update_id": 0}
