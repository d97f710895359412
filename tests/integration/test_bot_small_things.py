"""Small things a pilot sees (v1.0 acceptance): a button of an inline message (no `message`),
no cancel button past the cut-off, no promise of a reminder that cannot happen, what /delete_me
says about money before it is confirmed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.bot import BotPlatform, bot_platform, callback_update
from tests.support.factories import make_pilot, make_training

A = 890_001


@pytest.fixture
def bot(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch, full_template=False) as platform:
        yield platform


def test_a_button_without_a_message_is_answered_in_the_private_chat(bot: BotPlatform):
    make_pilot(bot.db, A, nickname="Inline")
    update = callback_update(A, "menu")
    del update["callback_query"]["message"]
    update["callback_query"]["inline_message_id"] = "AAQ123"
    chat = bot.chat(A)
    response = chat.post(update)
    assert response.status_code == 200
    assert chat.last().method == "sendMessage" and chat.last().chat_id == A


def _my_buttons(bot: BotPlatform, chat, training: int) -> list[str]:
    chat.press(f"su:{training}:0")
    chat.press("my")
    return chat.buttons()


def test_no_cancel_button_after_the_cut_off(bot: BotPlatform):
    make_pilot(bot.db, A, nickname="Late")
    chat = bot.chat(A)
    soon = make_training(bot.db, starts_in=timedelta(hours=6), cancel_cutoff_hours=12)
    buttons = _my_buttons(bot, chat, soon)
    assert not any(b.startswith("cx:") for b in buttons)
    assert any(b.startswith("chg:") for b in buttons)  # the channel can still change

    later = make_training(bot.db, starts_in=timedelta(days=3), cancel_cutoff_hours=12)
    buttons = _my_buttons(bot, chat, later)
    assert sum(b.startswith("cx:") for b in buttons) == 1  # only the later one


@pytest.mark.parametrize(
    ("starts_in", "promised"),
    [
        (timedelta(days=2), "Напомним за сутки и за час."),
        (timedelta(hours=5), "Напомним за час."),
        (timedelta(minutes=40), None),
    ],
)
def test_the_sign_up_promises_only_reminders_that_will_come(bot: BotPlatform, starts_in, promised):
    make_pilot(bot.db, A, nickname="Soon")
    chat = bot.chat(A)
    training = make_training(bot.db, starts_in=starts_in)
    chat.press(f"su:{training}:0")
    text = chat.last().text
    assert "Вы записаны" in text
    if promised is None:
        assert "Напомним" not in text
    else:
        assert text.endswith(promised)


def test_delete_me_says_what_happens_to_each_seat_before_it_is_confirmed(bot: BotPlatform):
    make_pilot(bot.db, A, nickname="Careful")
    chat = bot.chat(A)
    free = make_training(bot.db, title="Бесплатная")
    chat.press(f"su:{free}:0")
    chat.send("/delete_me")
    text = chat.last().text
    assert "«Бесплатная»" in text and "место освободится" in text
    assert "del" in chat.buttons()
    with bot.db.transaction(readonly=True) as tx:  # nothing happened yet
        assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = :t", t=A) == 1


def test_times_carry_the_zone_as_people_name_it(bot: BotPlatform):
    make_pilot(bot.db, A, nickname="Zoned")
    chat = bot.chat(A)
    moscow = make_training(bot.db, price_kopecks=50_000)
    chat.press(f"tr:{moscow}")
    assert "(МСК)" in chat.last().text and "Europe/Moscow" not in chat.last().text
    chat.press(f"su:{moscow}:0")  # a paid seat held until ... (the venue's clock, named)
    held = next(c.text for c in chat.sent() if "за вами до" in c.text)
    assert " МСК." in held
    novosibirsk = make_training(bot.db, time_zone="Asia/Novosibirsk")
    chat.press(f"tr:{novosibirsk}")
    assert "(UTC+7)" in chat.last().text
