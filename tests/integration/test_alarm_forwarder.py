"""alarm_forwarder through the real handler (as the template declares it) against the fake Bot
API: real-shaped SNS/SQS events (events/*cloudwatch*.json, from `sam local generate-event`
with CloudWatch's alarm notification as the message)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpv.local.fake_telegram import FakeTelegram
from fpv.local.invoker import FunctionInvoker
from fpv.local.template import load_template
from fpv.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
OPS_CHAT = -1001234567890


def sample(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def fake(monkeypatch) -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        monkeypatch.delenv("SECRETS_ARN", raising=False)
        monkeypatch.delenv("DEFAULT_LANGUAGE", raising=False)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", server.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", server.base_url)
        monkeypatch.setenv("OPS_CHAT_ID", str(OPS_CHAT))
        monkeypatch.setenv("OPS_TIMEZONE", "Europe/Moscow")
        get_settings.cache_clear()
        yield server
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def forwarder():
    template = load_template(ROOT / "template.yaml")
    fn = template.functions["AlarmForwarderFunction"]
    invoker = FunctionInvoker()
    return lambda event: invoker.invoke(fn, event)


def sent(fake: FakeTelegram) -> list[str]:
    return [c.text for c in fake.calls_to("sendMessage") if c.chat_id == OPS_CHAT]


def alarm_of(event: dict) -> dict:
    return json.loads(event["Records"][0]["Sns"]["Message"])


def sqs_batch(alarms: list[dict]) -> dict:
    """An SQS batch as the queue subscribed to the topic delivers it (SNS envelope bodies)."""
    template = sample("sqs-cloudwatch-alarm.json")["Records"][0]
    envelope = json.loads(template["body"])
    records = []
    for i, alarm in enumerate(alarms):
        record = copy.deepcopy(template)
        record["messageId"] = f"msg-{i}"
        record["body"] = json.dumps(
            {**envelope, "MessageId": f"sns-{i}", "Message": json.dumps(alarm)}
        )
        records.append(record)
    return {"Records": records}


def test_alarm_gives_one_readable_message_in_the_club_zone(fake, forwarder):
    forwarder(sample("sns-cloudwatch-alarm.json"))
    [text] = sent(fake)
    assert text.startswith("🔴 ТРЕВОГА: fpv-dev-TelegramWebhookFunction-Errors")
    assert "Errors [fpv-dev-TelegramWebhookFunction-abc123] ≥ 1 (sum за 5 мин); было 3" in text
    assert "02.12 09:05 МСК" in text  # 06:05 UTC
    assert "The bot's webhook function failed" in text
    assert (
        "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1"
        "#alarmsV2:alarm/fpv-dev-TelegramWebhookFunction-Errors" in text
    )
    # nothing of the raw notification: no account id, no ARNs, no token
    assert "123456789012" not in text and "arn:" not in text and fake.token not in text


def test_ok_and_insufficient_data_transitions(fake, forwarder):
    forwarder(sample("sns-cloudwatch-alarm-ok.json"))
    event = sample("sns-cloudwatch-alarm.json")
    alarm = alarm_of(event) | {
        "NewStateValue": "INSUFFICIENT_DATA",
        "NewStateReason": "Insufficient Data: 1 datapoint was unknown"
        " (no datapoints were received).",
    }
    event["Records"][0]["Sns"]["Message"] = json.dumps(alarm)
    forwarder(event)
    ok, no_data = sent(fake)
    assert ok.startswith("✅ Норма: fpv-dev-TelegramWebhookFunction-Errors") and "было 0" in ok
    assert "09:20 МСК" in ok
    assert no_data.startswith("⚪ Нет данных:") and "данных нет" in no_data


def test_composite_alarm_names_the_children_that_fired(fake, forwarder):
    forwarder(sample("sns-cloudwatch-composite-alarm.json"))
    [text] = sent(fake)
    assert text.startswith("🔴 ТРЕВОГА: fpv-dev-PlatformDown")
    assert "составная тревога; сработали: fpv-dev-DatabaseUnreachable" in text
    assert "arn:" not in text


def test_english_when_the_club_speaks_english(fake, forwarder, monkeypatch):
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("OPS_TIMEZONE", "Asia/Novosibirsk")
    get_settings.cache_clear()
    forwarder(sample("sns-cloudwatch-alarm.json"))
    [text] = sent(fake)
    assert text.startswith("🔴 ALARM: ") and "(sum over 5 min); it was 3" in text
    assert "02.12 13:05 UTC+7" in text


def test_a_storm_of_20_in_a_minute_is_one_message_listing_them(fake, forwarder):
    base = alarm_of(sample("sns-cloudwatch-alarm.json"))
    start = datetime(2026, 12, 2, 6, 5, tzinfo=UTC)
    alarms = [
        base
        | {
            "AlarmName": f"fpv-dev-Function{i:02d}-Errors",
            "StateChangeTime": (start + timedelta(seconds=3 * i)).strftime(
                "%Y-%m-%dT%H:%M:%S.000+0000"
            ),
        }
        for i in range(20)
    ]
    alarms.reverse()  # arrival order is not time order
    result = forwarder(sqs_batch(alarms))
    assert result == {"batchItemFailures": []}
    [text] = sent(fake)
    assert text.startswith("🚨 Изменений тревог: 20 (02.12 09:05 МСК – 09:05 МСК)")
    assert "сейчас в тревоге: 20" in text
    names = [line.split(": ", 1)[1].split(" — ")[0] for line in text.splitlines()[1:21]]
    assert names == [f"fpv-dev-Function{i:02d}-Errors" for i in range(20)]
    assert text.rstrip().endswith("#alarmsV2:") and len(text) < 4096


def test_a_redelivered_notification_in_the_same_batch_counts_once(fake, forwarder):
    alarm = alarm_of(sample("sns-cloudwatch-alarm.json"))
    result = forwarder(sqs_batch([alarm, alarm]))
    assert result == {"batchItemFailures": []}
    [text] = sent(fake)
    assert text.startswith("🔴 ТРЕВОГА: ")  # one transition: the single-alarm message


def test_429_is_honoured_and_the_message_goes_once(fake, forwarder):
    fake.fail("sendMessage", error_code=429, description="Too Many Requests", retry_after=1)
    result = forwarder(sample("sqs-cloudwatch-alarm.json"))
    assert result == {"batchItemFailures": []}
    calls = fake.calls_to("sendMessage")
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 1.0
    assert len(sent(fake)) == 2  # the refused attempt and the delivered one
    assert calls[0].text == calls[1].text


def test_a_429_longer_than_the_invocation_returns_the_records_to_the_queue(fake, forwarder):
    fake.fail("sendMessage", error_code=429, description="Too Many Requests", retry_after=120)
    result = forwarder(sample("sqs-cloudwatch-alarm.json"))
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "19dd0b57-b21e-4ac1-bd88-01bbb068cb78"}]
    }
    assert len(fake.calls_to("sendMessage")) == 1  # no waiting past the timeout


def test_undeliverable_direct_sns_invocation_fails_for_lambda_to_retry(fake, forwarder):
    fake.fail("sendMessage", error_code=400, description="Bad Request: chat not found")
    with pytest.raises(RuntimeError, match="not delivered"):
        forwarder(sample("sns-cloudwatch-alarm.json"))


def test_a_notification_that_is_not_an_alarm_shows_only_its_subject(fake, forwarder):
    event = sample("sns-notification.json")
    forwarder(event)
    [text] = sent(fake)
    assert "example subject" in text and "example message" not in text


def test_without_ops_chat_the_function_says_so(fake, forwarder, monkeypatch):
    monkeypatch.setenv("OPS_CHAT_ID", "0")
    get_settings.cache_clear()
    with pytest.raises(Exception, match="OPS_CHAT_ID"):
        forwarder(sample("sns-cloudwatch-alarm.json"))
    assert fake.calls_to("sendMessage") == []


def test_fpv_invoke_delivers_one_message_to_the_ops_chat(fake, capsys):
    from fpv.cli import main

    code = main(["invoke", "AlarmForwarder", "--event", str(EVENTS / "sns-cloudwatch-alarm.json")])
    assert code == 0
    [text] = sent(fake)
    assert "fpv-dev-TelegramWebhookFunction-Errors" in text
    assert json.loads(capsys.readouterr().out) == {
        "records": 1,
        "messages": 1,
        "sent": 1,
        "waited_s": 0.0,
        "failed_records": 0,
    }


def test_fpv_invoke_names_the_known_functions_and_reports_handler_errors(fake, capsys):
    from fpv.cli import main

    assert main(["invoke", "NoSuch", "--event", str(EVENTS / "health-get.json")]) == 2
    assert "AlarmForwarder" in capsys.readouterr().err
    fake.fail("sendMessage", error_code=400, description="Bad Request: chat not found")
    event = str(EVENTS / "sns-cloudwatch-alarm.json")
    assert main(["invoke", "alarm_forwarder", "-e", event]) == 1
    assert json.loads(capsys.readouterr().out)["errorType"] == "AlarmNotDelivered"
