"""The local scheduler understands what the template's schedules say."""

from __future__ import annotations

from datetime import datetime

import pytest

from fpv.local.scheduler import cron_matches, rate_seconds


def test_rate_expressions():
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(1 hour)") == 3600
    assert rate_seconds("rate(2 days)") == 172800
    assert rate_seconds("cron(0 2 * * ? *)") is None


def test_aws_cron_fields():
    nightly = "cron(0 2 * * ? *)"
    assert cron_matches(nightly, datetime(2026, 11, 26, 2, 0))
    assert not cron_matches(nightly, datetime(2026, 11, 26, 2, 1))
    weekdays = "cron(*/15 9-17 ? * MON-FRI *)"
    assert cron_matches(weekdays, datetime(2026, 11, 26, 9, 45))  # a Thursday
    assert not cron_matches(weekdays, datetime(2026, 11, 28, 9, 45))  # Saturday
    assert not cron_matches(weekdays, datetime(2026, 11, 26, 9, 50))


def test_unsupported_cron_is_refused_clearly():
    with pytest.raises(ValueError, match="unsupported cron token"):
        cron_matches("cron(0 2 L * ? *)", datetime(2026, 11, 26))
    with pytest.raises(ValueError, match="6 fields"):
        cron_matches("cron(0 2 * *)", datetime(2026, 11, 26))
