"""The one settings model (a msgspec Struct) reads the environment itself: each field from the
variable of its name or alias, case-insensitively; keyword arguments win; bad values are refused
with the field's name, all at once; secrets never show in a repr or an error."""

from __future__ import annotations

import copy
import pickle

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


def test_every_bad_value_is_reported_at_once_without_echoing_secrets(monkeypatch):
    monkeypatch.setenv("HOLD_MINUTES", "0")
    monkeypatch.setenv("RECEIPT_VAT_CODE", "13")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:do-not-print")
    with pytest.raises(ValueError) as refused:
        Settings(openai_timeout_seconds="slow")
    message = str(refused.value)
    assert "hold_minutes" in message and "receipt_vat_code" in message
    assert "openai_timeout_seconds" in message
    assert "do-not-print" not in message


def test_lax_values_like_the_environment_gives_them(monkeypatch):
    settings = Settings(
        hold_minutes=" 20 ", openai_timeout_seconds="2.5", yookassa_check_source_ip="off"
    )
    assert settings.hold_minutes == 20
    assert settings.openai_timeout_seconds == 2.5
    assert settings.yookassa_check_source_ip is False
    with pytest.raises(ValueError, match="yookassa_check_source_ip"):
        Settings(yookassa_check_source_ip="maybe")
    with pytest.raises(ValueError, match="telegram_api_base_url"):
        Settings(telegram_api_base_url=None)  # not optional


def test_a_copy_with_changes_leaves_the_original_alone():
    settings = Settings(hold_minutes=15, database_url="postgresql://a@h/db")
    copy = settings.model_copy(update={"hold_minutes": 30})
    assert copy.hold_minutes == 30 and settings.hold_minutes == 15
    assert copy.database_url_value() == "postgresql://a@h/db"
    assert copy != settings and Settings(hold_minutes=15, database_url="postgresql://a@h/db") == (
        settings
    )


@pytest.mark.parametrize(
    ("word", "meaning"),
    [
        *[(w, True) for w in ("1", "on", "t", "true", "y", "yes", "TRUE", " Yes ", "On")],
        *[(w, False) for w in ("0", "off", "f", "false", "n", "no", "FALSE", " No ", "Off")],
    ],
)
def test_the_environments_words_for_booleans(monkeypatch, word, meaning):
    monkeypatch.setenv("YOOKASSA_CHECK_SOURCE_IP", word)
    assert Settings().yookassa_check_source_ip is meaning


def test_a_refusal_shows_a_plain_value_but_never_a_secret():
    with pytest.raises(ValueError) as refused:
        Settings(hold_minutes="soon", telegram_bot_token=987654321, stripe_api_key=["sk_live_x"])
    message = str(refused.value)
    assert "3 invalid setting(s)" in message
    assert "hold_minutes" in message and "'soon'" in message
    assert "telegram_bot_token" in message and "987654321" not in message
    assert "stripe_api_key" in message and "sk_live_x" not in message


def test_secrets_given_as_secrets_stay_secrets():
    first = Settings(telegram_bot_token="1:abc")
    again = Settings(telegram_bot_token=first.telegram_bot_token)
    assert again.telegram_bot_token.get_secret_value() == "1:abc"
    assert str(again.telegram_bot_token) == "**********" and "1:abc" not in repr(again)


def test_copies_take_the_values_they_have_not_the_environment(monkeypatch):
    settings = Settings(hold_minutes=15, telegram_bot_token="1:abc")
    monkeypatch.setenv("HOLD_MINUTES", "44")
    for other in (
        settings.model_copy(update={"site_dir": "elsewhere"}),
        copy.copy(settings),
        pickle.loads(pickle.dumps(settings)),  # noqa: S301 - our own bytes
    ):
        assert other.hold_minutes == 15 and other.telegram_bot_token == settings.telegram_bot_token
    assert Settings().hold_minutes == 44
