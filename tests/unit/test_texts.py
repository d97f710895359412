"""The whole text catalogue: every key of every texts/*.json has Russian and English with the
same {placeholders}; keys are unique across files; every key the bot uses exists."""

from __future__ import annotations

import json
import re
import string
from importlib import resources
from pathlib import Path

import pytest

from fpv.texts import LANGUAGES, catalogue, language_for, t

TEXT_FILES = sorted(
    (e for e in resources.files("fpv.texts").iterdir() if e.name.endswith(".json")),
    key=lambda e: e.name,
)
BOT_SOURCES = Path(__file__).resolve().parents[2] / "shared" / "fpv" / "bot"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_there_are_text_files():
    names = [e.name for e in TEXT_FILES]
    assert "common.json" in names and "bot.json" in names


@pytest.mark.parametrize("entry", TEXT_FILES, ids=lambda e: e.name)
def test_every_key_has_both_languages_with_the_same_placeholders(entry):
    data = json.loads(entry.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data, f"{entry.name} must be a non-empty object"
    problems = []
    for key, value in data.items():
        if not isinstance(value, dict):
            problems.append(f"{key}: not an object")
            continue
        missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
        if missing:
            problems.append(f"{key}: missing {missing}")
            continue
        extra = set(value) - set(LANGUAGES)
        if extra:
            problems.append(f"{key}: unknown languages {sorted(extra)}")
        try:
            fields = {lang: _fields(value[lang]) for lang in LANGUAGES}
        except ValueError as exc:
            problems.append(f"{key}: bad template ({exc})")
            continue
        if fields["ru"] != fields["en"]:
            problems.append(f"{key}: ru {sorted(fields['ru'])} != en {sorted(fields['en'])}")
    assert not problems, "\n".join(problems)


def test_keys_are_unique_across_files():
    seen: dict[str, str] = {}
    clashes = []
    for entry in TEXT_FILES:
        for key in json.loads(entry.read_text(encoding="utf-8")):
            if key in seen:
                clashes.append(f"{key}: {seen[key]} and {entry.name}")
            seen[key] = entry.name
    assert not clashes
    assert set(seen) == set(catalogue())


def test_every_key_the_bot_uses_exists():
    used = set()
    dynamic_prefixes = set()
    for path in BOT_SOURCES.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"[\"'](bot\.[a-z_]+(?:\.[a-z_]+)+)[\"']", source))
        dynamic_prefixes |= set(re.findall(r"f[\"'](bot\.[a-z_.]+)\{", source))
    assert used, "no text keys found in the bot sources"
    missing = sorted(k for k in used if k not in catalogue())
    assert not missing, missing
    for prefix in dynamic_prefixes:  # f"bot.status.{...}" and friends
        assert any(k.startswith(prefix) for k in catalogue()), prefix


@pytest.mark.parametrize("status", ["confirmed", "pending_payment", "waitlisted"])
def test_dynamic_status_keys(status):
    assert t(f"bot.status.{status}", "ru") != t(f"bot.status.{status}", "en")


@pytest.mark.parametrize("track", ["race", "freestyle", "whoop", "open"])
def test_track_types_of_the_schema_have_names(track):
    assert t(f"bot.track.{track}", "ru") and t(f"bot.track.{track}", "en")


def test_language_choice_and_fallback():
    assert language_for("en-GB") == "en"
    assert language_for("ru") == "ru"
    assert language_for("de") == "ru"  # Russian first
    assert language_for(None) == "ru"
    assert t("bot.yes", "en") == "yes" and t("bot.yes", "ru") == "да"
    assert t("bot.yes", "xx") == "да"  # unknown language -> Russian


def test_formatting_fills_placeholders():
    text = t("bot.profile.nickname_taken", "en", nickname="Ace")
    assert '"Ace"' in text and "{" not in text
