"""Alarm texts: size limits and record bookkeeping of a long storm."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fpv.ops.alarms import MAX_BURST_LINES, Notice, items_from_event, render, zone_label

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _items(count: int, name_len: int = 200):
    alarm = json.loads(
        json.loads((EVENTS / "sns-cloudwatch-alarm.json").read_text())["Records"][0]["Sns"][
            "Message"
        ]
    )
    start = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    event = {
        "Records": [
            {
                "Sns": {
                    "MessageId": f"m{i}",
                    "Message": json.dumps(
                        alarm
                        | {
                            "AlarmName": f"{i:03d}-" + "x" * name_len,
                            "StateChangeTime": f"{start + timedelta(seconds=i):%Y-%m-%dT%H:%M:%S}"
                            ".000+0000",
                        }
                    ),
                }
            }
            for i in range(count)
        ]
    }
    return items_from_event(event)


def test_a_long_storm_stays_within_telegram_limits_and_every_record_is_carried():
    messages = render(_items(150), zone=ZoneInfo("Europe/Moscow"))
    assert len(messages) > 1
    assert all(len(m.text) < 4096 for m in messages)
    carried = [rid for m in messages for rid in m.record_ids]
    assert sorted(carried) == sorted(f"m{i}" for i in range(150))
    listed = sum(1 for m in messages for line in m.text.splitlines() if line.startswith("🔴"))
    assert listed == MAX_BURST_LINES
    assert "… и ещё 110" in messages[-1].text


def test_zone_labels():
    at = datetime(2026, 12, 2, tzinfo=UTC)
    assert zone_label(ZoneInfo("Europe/Moscow"), at.astimezone(ZoneInfo("Europe/Moscow"))) == "МСК"
    assert (
        zone_label(ZoneInfo("Asia/Novosibirsk"), at.astimezone(ZoneInfo("Asia/Novosibirsk")))
        == "UTC+7"
    )
    assert (
        zone_label(ZoneInfo("Asia/Kolkata"), at.astimezone(ZoneInfo("Asia/Kolkata"))) == "UTC+5:30"
    )
    assert zone_label(ZoneInfo("UTC"), at) == "UTC"


def test_garbage_bodies_are_notices_not_crashes():
    event = {"Records": [{"messageId": "a", "body": "{not json"}, {"messageId": "b", "body": "[]"}]}
    assert [item for _, item in items_from_event(event)] == [Notice("—"), Notice("—")]
