"""The one catalogue of user-facing texts, Russian first, English second.

Each feature keeps its keys in its own file, `texts/<feature>.json`, shaped
{"key": {"ru": ..., "en": ...}},
so features do not collide; keys are global and must be unique across files. Values are
`str.format` templates. A test checks that every key has both languages and the same placeholders.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for entry in sorted(resources.files("fpv.texts").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        for key, value in json.loads(entry.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"text key {key!r} is defined twice (again in {entry.name})")
            merged[key] = value
    return merged


def language_for(code: str | None) -> str:
    """Telegram's language_code → one of ours (Russian unless the user's is English)."""
    if code and code.lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    entry = catalogue()[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format(**values) if values else template
