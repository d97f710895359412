"""Inline keyboards. Every button's data comes from `callbacks.encode`."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from fpv.bot.callbacks import encode
from fpv.texts import t


def button(text: str, verb: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(verb, *args))


def markup(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in rows if r])


def main_menu(lang: str) -> InlineKeyboardMarkup:
    return markup(
        [
            [button(t("bot.btn.trainings", lang), "cities", 0)],
            [button(t("bot.btn.my", lang), "my"), button(t("bot.btn.profile", lang), "prof")],
            [button(t("bot.btn.passes", lang), "passes")],
        ]
    )


def consent(lang: str, training_id: int) -> InlineKeyboardMarkup:
    return markup(
        [
            [button(t("bot.btn.consent_yes", lang), "ok", training_id)],
            [button(t("bot.btn.consent_no", lang), "no")],
        ]
    )


def pager(
    lang: str, verb: str, prefix_args: tuple[object, ...], page: int, has_next: bool
) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(button(t("bot.btn.prev", lang), verb, *prefix_args, page - 1))
    if has_next:
        row.append(button(t("bot.btn.next", lang), verb, *prefix_args, page + 1))
    return row


def back(lang: str, verb: str, *args: object) -> list[InlineKeyboardButton]:
    return [button(t("bot.btn.back", lang), verb, *args)]
