"""The optional seams: a missing module is None, a module with a missing dependency is an error;
the bot user is known without asking Telegram."""

from __future__ import annotations

import pytest

from fpv.bot import payments_seam
from fpv.bot.application import bot_user


def test_a_missing_optional_module_is_none():
    assert payments_seam._optional("fpv.no_such_feature.telegram") is None


def test_a_broken_optional_module_is_not_hidden(tmp_path, monkeypatch):
    package = tmp_path / "fpv_seam_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "telegram.py").write_text("import fpv_seam_probe_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as raised:
        payments_seam._optional("fpv_seam_probe.telegram")
    assert raised.value.name == "fpv_seam_probe_missing_dependency"


def test_bot_user_from_the_token():
    user = bot_user("123456:ABC", "fpv_training_bot")
    assert (user.id, user.username, user.is_bot) == (123456, "fpv_training_bot", True)
    assert bot_user("not-a-token", "x").id == 0
