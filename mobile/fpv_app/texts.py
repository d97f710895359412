"""The app's words, Russian first and English (`texts/ru.json`, `texts/en.json`: the same keys
and placeholders, checked by a test)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("ru", "en")
_DIR = Path(__file__).parent / "texts"


@cache
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def t(key: str, lang: str = "ru", **values: object) -> str:
    texts = catalogue(lang if lang in LANGUAGES else "ru")
    text = texts.get(key) or catalogue("ru").get(key) or key
    return text.format(**values) if values else text


def error_text(code: str, lang: str = "ru") -> str:
    """An ApiError's code in words; an unknown code gets the general message."""
    key = f"error.{code}"
    return t(key, lang) if key in catalogue("ru") else t("error.unknown", lang)


def age_text(seconds: float, lang: str = "ru") -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return t("age.now", lang)
    if minutes < 60:
        return t("age.minutes", lang, n=minutes)
    hours = minutes // 60
    if hours < 48:
        return t("age.hours", lang, n=hours)
    return t("age.days", lang, n=hours // 24)


def money(kopecks: int, lang: str = "ru") -> str:
    if kopecks == 0:
        return t("price.free", lang)
    rub = kopecks / 100
    amount = f"{rub:,.0f}" if kopecks % 100 == 0 else f"{rub:,.2f}"
    return t("price.rub", lang, amount=amount.replace(",", "\u00a0"))
