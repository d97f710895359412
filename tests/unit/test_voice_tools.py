"""The voice assistant's pieces that need no I/O: the tool registry and its argument checks,
the function's event, and the webhook's import weight (no `openai` outside the function)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fpv.voice.assistant import parse_event
from fpv.voice.tools import Refused, registry


def test_every_tool_has_a_schema_and_every_change_a_preview():
    tools = registry()
    assert set(tools.tools) == {
        "list_trainings",
        "training_pilots",
        "move_pilot_channel",
        "cancel_training",
        "message_pilots",
        "create_training",
        "move_training",
        "stats",
    }
    for spec in tools.openai_tools():
        assert spec["type"] == "function"
        assert spec["function"]["parameters"]["type"] == "object"
        assert spec["function"]["parameters"]["additionalProperties"] is False
    mutating = {n for n, tool in tools.tools.items() if tool.mutating}
    assert mutating == {
        "move_pilot_channel",
        "cancel_training",
        "message_pilots",
        "create_training",
        "move_training",
    }
    assert all(tools.tools[n].preview is not None for n in mutating)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("cancel_training", "{}"),
        ("cancel_training", '{"training_id": "twelve"}'),
        ("cancel_training", '{"training_id": 0}'),
        ("cancel_training", '{"training_id": 1, "admin_id": 1}'),  # no smuggled extras
        ("move_pilot_channel", '{"training_id": 1, "pilot_nickname": "", "channel": "R3"}'),
        ("create_training", '{"venue_id": 1, "date": "someday", "start_time": "18:00"}'),
        ("message_pilots", "not json"),
    ],
)
def test_model_arguments_are_validated(name, raw):
    with pytest.raises(Refused) as refused:
        registry().get(name).parse(raw)
    assert refused.value.key == "voice.refused.bad_arguments"
    assert name in refused.value.text("en")


def test_valid_arguments_parse():
    args = (
        registry()
        .get("move_pilot_channel")
        .parse('{"training_id": 7, "pilot_nickname": "Pasha", "channel": "R3"}')
    )
    assert args.model_dump() == {"training_id": 7, "pilot_nickname": "Pasha", "channel": "R3"}


def test_the_function_event():
    voice = parse_event({"chat_id": 5, "telegram_id": 5, "language": "en", "file_id": "f"})
    assert voice is not None and voice.file_id == "f" and voice.language == "en"
    text = parse_event({"chat_id": "5", "telegram_id": 5, "text": "list", "language": "ru-RU"})
    assert text is not None and text.text == "list" and text.language == "ru"
    assert parse_event({"chat_id": 5, "telegram_id": 5}) is None  # nothing to answer
    assert parse_event({"telegram_id": 5, "text": "x"}) is None
    assert parse_event({"chat_id": "x", "telegram_id": 5, "text": "x"}) is None


def test_openai_is_imported_only_by_the_voice_function():
    code = (
        "import sys\n"
        "import fpv.bot.webhook, fpv.bot.application, fpv.voice.tools, fpv.voice.proposals\n"
        "import fpv.voice.assistant\n"
        "assert 'openai' not in sys.modules, 'imported too early'\n"
        "from fpv.voice.assistant import OpenAIPort\n"
        "OpenAIPort(api_key='k', base_url='http://127.0.0.1:9/v1', transcription_model='w',"
        " chat_model='c', timeout=1, max_retries=0)\n"
        "assert 'openai' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
