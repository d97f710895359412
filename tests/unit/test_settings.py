"""The one settings model reads the environment itself (no pydantic-settings): each field from the
variable of its name or alias, case-insensitively; keyword arguments win; bad values are refused
with the field's name; secrets never show in a repr."""

from __future__ import annotations

import pytest

from fpv.settings import Settings


def test_fields_come_from_their_variables_case_insensitively(monkeypatch):
    monkeypatch.setenv("HOLD_MINUTES", "30")
    monkeypatch.setenv("ops_chat_id", "-100500")
    monkeypatch.setenv("YOOKASSA_CHECK_SOURCE_IP", "true")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret-token")
    monkeypatch.setenv("SOMETHING_ELSE_ENTIRELY", "ignored")
    settings = Settings()
    assert settings.hold_minutes == 30
    assert settings.ops_chat_id == -100500
    assert settings.yookassa_check_source_ip is True
    assert settings.telegram_bot_token.get_secret_value() == "123:secret-token"
    assert "secret-token" not in repr(settings)
    assert not hasattr(settings, "something_else_entirely")


def test_keyword_arguments_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("HOLD_MINUTES", "30")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    assert Settings(hold_minutes=5).hold_minutes == 5
    assert Settings(log_level="ERROR").log_level == "ERROR"
    assert Settings().log_level == "DEBUG"


def test_the_first_alias_wins(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    assert Settings().log_level == "ERROR"


def test_defaults_without_variables(monkeypatch):
    for name in ("HOLD_MINUTES", "TELEGRAM_API_BASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.hold_minutes == 15
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.database_url_value() is None


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("HOLD_MINUTES", "0", "hold_minutes"),
        ("HOLD_MINUTES", "soon", "hold_minutes"),
        ("PAYMENT_PROVIDER", "paypal", "payment_provider"),
        ("OPS_CHAT_ID", "", "ops_chat_id"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(monkeypatch, variable, value, field):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=field):
        Settings()
