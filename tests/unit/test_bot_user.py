"""The bot user is known without asking Telegram."""

from __future__ import annotations

from fpv.bot.application import bot_user


def test_bot_user_from_the_token():
    user = bot_user("123456:ABC", "fpv_training_bot")
    assert (user.id, user.username, user.is_bot) == (123456, "fpv_training_bot", True)
    assert bot_user("not-a-token", "x").id == 0
