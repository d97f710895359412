"""Webhook mechanics and bad input: the secret, malformed bodies, replays, double taps, stale
buttons, transient failures (5xx so Telegram redelivers) and handler bugs (200, no retry storm).

Most tests go through the local gateway over HTTP; the failure-injection ones drive the
`WebhookService` directly with a real database and the fake Bot API server.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest

from fpv.bot import application as bot_application
from fpv.bot.deps import BotDeps
from fpv.bot.webhook import WebhookService
from fpv.db import Database, DatabaseUnavailable
from fpv.local.fake_telegram import FakeTelegram
from fpv.ports.events import InProcessEventBus
from tests.support.bot import (
    WEBHOOK_SECRET,
    BotPlatform,
    bot_platform,
    callback_update,
    message_update,
)
from tests.support.factories import make_pilot, make_training

PILOT = 720_001


@pytest.fixture
def bot(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch, full_template=False) as p:
        yield p


def count(db: Database, sql: str, **params) -> int:
    with db.transaction(readonly=True) as tx:
        return int(tx.value(sql, **params))


def processed_keys(db: Database) -> int:
    return count(db, "SELECT count(*) FROM processed_updates WHERE scope = 'telegram'")


# --- the door: secret and body ---------------------------------------------------------------


def test_wrong_or_missing_secret_is_401_and_nothing_is_processed(bot: BotPlatform):
    body = json.dumps(message_update(PILOT, "/start"))
    for secret in (None, "", "wrong-secret", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        response = httpx.post(bot.webhook_url, content=body, headers=headers)
        assert response.status_code == 401, secret
        assert response.json()["outcome"] == "unauthorized"
    assert processed_keys(bot.db) == 0
    assert bot.fake.calls == []


def test_malformed_body_is_400(bot: BotPlatform):
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
    }
    for body in (
        "{not json",
        "[]",
        '"update"',
        '{"message": {}}',
        '{"update_id": "12"}',
        '{"update_id": 5, "message": "not an object"}',
    ):
        response = httpx.post(bot.webhook_url, content=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["outcome"] == "malformed"
    # the secret is checked first: a malformed body with a wrong secret is 401, not 400
    response = httpx.post(
        bot.webhook_url, content="[]", headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
    )
    assert response.status_code == 401
    assert processed_keys(bot.db) == 0
    assert bot.fake.calls == []


# --- consent first: nothing stored before it ---------------------------------------------------


def test_nothing_is_stored_before_consent(bot: BotPlatform):
    chat = bot.chat(PILOT)
    training = make_training(bot.db)
    for text in ("/start", "/my", "/profile", "hello", f"/start training_{training}"):
        chat.send(text)
        assert chat.last().button_data()[-1] == "no"  # the consent prompt, every time
    chat.press(f"su:{training}:0")  # a sign-up button from a shared message
    assert chat.last().button_data() == [f"ok:{training}", "no"]
    chat.press("no")
    assert "ничего о вас не сохранили" in chat.last().text
    for table in ("pilots", "user_consent", "bot_conversations"):
        sql = f"SELECT count(*) FROM {table} WHERE telegram_id = :t"
        assert count(bot.db, sql, t=PILOT) == 0, table
    assert (
        count(bot.db, "SELECT count(*) FROM registrations WHERE training_id = :t", t=training) == 0
    )


def test_browsing_needs_no_consent_and_stores_nothing(bot: BotPlatform):
    chat = bot.chat(PILOT, language="en")
    chat.send("/trainings")
    assert "Choose a city" in chat.last().text
    assert any(d.startswith("city:") for d in chat.buttons())
    assert count(bot.db, "SELECT count(*) FROM pilots WHERE telegram_id = :t", t=PILOT) == 0


# --- odd input -----------------------------------------------------------------------------------


def test_unknown_command_and_free_text(bot: BotPlatform):
    make_pilot(bot.db, PILOT, nickname="Known")
    chat = bot.chat(PILOT)
    chat.send("/fly_to_the_moon")
    assert "Не знаю такой команды" in chat.last().text and "/help" in chat.last().text
    chat.send("просто текст")
    assert "понимаю команды и кнопки" in chat.last().text
    chat.send("/help")
    assert "/delete_me" in chat.last().text


def test_group_chats_are_ignored(bot: BotPlatform):
    update = message_update(PILOT, "/start")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "club"}
    assert bot.chat(PILOT).post(update).status_code == 200
    assert bot.fake.calls == []


def test_stale_and_forged_buttons_get_a_friendly_answer(bot: BotPlatform):
    make_pilot(bot.db, PILOT, nickname="Known")
    chat = bot.chat(PILOT)
    for data in ("zzz", "tr:abc", "su:1", "tr:99999999999999999999", "eqb:Q", "lang:de"):
        chat.press(data)
    alerts = [t["text"] for t in chat.toasts() if t.get("text")]
    assert len(alerts) == 6 and all("устарела" in a for a in alerts)
    # a training that no longer exists
    chat.press("tr:987654")
    assert "больше недоступна" in chat.last().text
    chat.press("su:987654:0")
    assert "больше недоступна" in chat.last().text
    assert all(r.status_code == 200 for r in chat.responses)


def test_stale_button_for_a_cancelled_training(bot: BotPlatform):
    make_pilot(bot.db, PILOT, nickname="Known")
    training = make_training(bot.db)
    with bot.db.transaction() as tx:
        tx.execute("UPDATE trainings SET status = 'cancelled' WHERE id = :t", t=training)
    chat = bot.chat(PILOT)
    chat.press(f"su:{training}:0")
    assert "больше недоступна" in chat.last().text
    chat.press(f"chs:{training}")
    assert "больше недоступна" in chat.last().text
    assert (
        count(bot.db, "SELECT count(*) FROM registrations WHERE training_id = :t", t=training) == 0
    )


def test_stale_sign_up_button_for_a_full_training_joins_the_waitlist(bot: BotPlatform):
    training = make_training(bot.db, capacity=1)
    make_pilot(bot.db, PILOT, nickname="Late")
    make_pilot(bot.db, PILOT + 1, nickname="Early")
    late, early = bot.chat(PILOT), bot.chat(PILOT + 1)
    late.press(f"chs:{training}")  # the list was drawn while a seat was free
    button = next(d for d in late.buttons() if d.startswith(f"su:{training}:") and d[-2:] != ":0")
    early.press(f"su:{training}:0")  # ... then someone took it
    late.press(button)
    assert "листе ожидания" in late.last().text
    statuses = count(
        bot.db,
        "SELECT count(*) FROM registrations WHERE training_id = :t AND status = 'waitlisted'",
        t=training,
    )
    assert statuses == 1


def test_double_tap_signs_up_once(bot: BotPlatform):
    training = make_training(bot.db)
    make_pilot(bot.db, PILOT, nickname="Quick")
    chat = bot.chat(PILOT)
    chat.press(f"su:{training}:0")
    chat.press(f"su:{training}:0")  # a second update (new update_id) for the same button
    assert "Вы записаны" in chat.sent()[-2].text
    assert "уже записаны" in chat.last().text
    assert (
        count(bot.db, "SELECT count(*) FROM registrations WHERE training_id = :t", t=training) == 1
    )


def test_double_tap_on_cancel_and_consent(bot: BotPlatform):
    training = make_training(bot.db)
    chat = bot.chat(PILOT)
    chat.send("/start")
    chat.press("ok:0")
    chat.press("ok:0")
    assert chat.toasts()[-1]["text"] == "Согласие уже дано."
    assert count(bot.db, "SELECT count(*) FROM user_consent WHERE telegram_id = :t", t=PILOT) == 1
    chat.send("Tapper")
    chat.press(f"su:{training}:0")
    reg = count(bot.db, "SELECT max(id) FROM registrations WHERE training_id = :t", t=training)
    chat.press(f"cxy:{reg}")
    chat.press(f"cxy:{reg}")
    assert "уже неактивна" in chat.last().text


def test_replayed_update_is_processed_once(bot: BotPlatform):
    training = make_training(bot.db)
    make_pilot(bot.db, PILOT, nickname="Replay")
    chat = bot.chat(PILOT)
    update = callback_update(PILOT, f"su:{training}:0")
    first = chat.post(update)
    sent = len(bot.fake.calls)
    again = chat.post(update)  # Telegram redelivers the very same update
    assert first.json()["outcome"] == "processed"
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert len(bot.fake.calls) == sent  # nothing sent twice
    assert (
        count(bot.db, "SELECT count(*) FROM registrations WHERE training_id = :t", t=training) == 1
    )
    assert processed_keys(bot.db) == 1


def test_blocked_user_is_not_retried(bot: BotPlatform):
    bot.fake.block(PILOT)
    response = bot.chat(PILOT).post(message_update(PILOT, "/start"))
    assert response.status_code == 200
    assert bot.fake.calls_to("sendMessage", PILOT)  # tried once, got 403


def test_handler_bug_is_200_logged_with_a_metric_and_an_apology(
    bot: BotPlatform, monkeypatch, capsys
):
    async def broken(update, context, cb):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(bot_application.ROUTES, "my", broken)
    make_pilot(bot.db, PILOT, nickname="Victim")
    chat = bot.chat(PILOT)
    update = callback_update(PILOT, "my")
    response = chat.post(update)
    assert response.status_code == 200 and response.json()["outcome"] == "handler_error"
    assert "Что-то пошло не так" in chat.last().text
    assert '"BotHandlerError"' in capsys.readouterr().out  # the EMF metric line
    again = chat.post(update)  # a redelivery does not run the bug again
    assert again.json()["outcome"] == "duplicate"


# --- failures injected in the service ------------------------------------------------------------


class FlakyDatabase:
    """The real database, except that chosen transactions (1-based) fail as if it were gone."""

    def __init__(self, db: Database, fail_on: set[int]) -> None:
        self._db = db
        self.fail_on = fail_on
        self.calls = 0

    @contextmanager
    def transaction(self, *args, **kwargs):
        self.calls += 1
        if self.calls in self.fail_on:
            raise DatabaseUnavailable("injected: database unreachable")
        with self._db.transaction(*args, **kwargs) as tx:
            yield tx

    @contextmanager
    def autocommit(self, **kwargs):
        self.calls += 1
        if self.calls in self.fail_on:
            raise DatabaseUnavailable("injected: database unreachable")
        with self._db.autocommit(**kwargs) as tx:
            yield tx


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def make_service(db, fake: FakeTelegram) -> WebhookService:
    return WebhookService(
        deps=BotDeps(db=db, bus=InProcessEventBus()),
        token=fake.token,
        api_base_url=fake.base_url,
        secret=WEBHOOK_SECRET,
    )


def deliver(service: WebhookService, update: dict):
    return service.handle(
        {"x-telegram-bot-api-secret-token": WEBHOOK_SECRET}, json.dumps(update).encode()
    )


def test_database_unreachable_is_503_and_the_redelivery_is_processed(db, fake):
    update = message_update(PILOT, "/start")
    down = make_service(Database("postgresql://postgres@127.0.0.1:1/none"), fake)
    try:
        result = deliver(down, update)
    finally:
        down.close()
    assert (result.status, result.outcome) == (503, "transient")
    assert fake.calls == []
    up = make_service(db, fake)
    try:
        assert deliver(up, update).outcome == "processed"
    finally:
        up.close()
    assert len(fake.calls_to("sendMessage", PILOT)) == 1


def test_database_lost_mid_update_releases_the_claim(db, fake):
    make_pilot(db, PILOT, nickname="Midway")
    training = make_training(db)
    flaky = FlakyDatabase(db, fail_on={3})  # 1 = claim, 2 = pilot lookup, 3 = inside sign-up
    service = make_service(flaky, fake)
    try:
        update = callback_update(PILOT, f"su:{training}:0")
        first = deliver(service, update)
        assert (first.status, first.outcome, first.error) == (
            503,
            "transient",
            "DatabaseUnavailable",
        )
        assert processed_keys(db) == 0  # claim given back
        assert count(db, "SELECT count(*) FROM registrations") == 0
        second = deliver(service, update)  # Telegram's redelivery
        assert second.outcome == "processed"
        third = deliver(service, update)
        assert third.outcome == "duplicate"
    finally:
        service.close()
    assert count(db, "SELECT count(*) FROM registrations WHERE training_id = :t", t=training) == 1
    assert sum("Вы записаны" in c.text for c in fake.sent_to(PILOT)) == 1


def test_bot_api_rate_limit_is_503_then_redelivered(db, fake):
    service = make_service(db, fake)
    try:
        fake.fail("sendMessage", chat_id=PILOT, error_code=429, retry_after=1)
        update = message_update(PILOT, "/start")
        assert deliver(service, update).status == 503
        assert deliver(service, update).outcome == "processed"
    finally:
        service.close()
    assert len(fake.calls_to("sendMessage", PILOT)) == 2  # the refused one and the real one


def test_a_live_claim_is_not_taken_over_but_an_expired_one_is(db, fake):
    from fpv.dal import bot as bot_dal

    with db.transaction() as tx:
        assert bot_dal.claim_update(tx, "77", lease_seconds=60) == "claimed"
        assert bot_dal.claim_update(tx, "77", lease_seconds=60) == "busy"
        tx.execute(
            "UPDATE processed_updates SET claimed_until = now() - interval '1 second'"
            " WHERE key = '77'"
        )
        assert bot_dal.claim_update(tx, "77", lease_seconds=60) == "claimed"
        bot_dal.finish_update(tx, "77")
        assert bot_dal.claim_update(tx, "77", lease_seconds=60) == "done"
        tx.execute("UPDATE processed_updates SET expires_at = now() - interval '1 day'")
        assert bot_dal.purge_expired_updates(tx) == 1
    service = make_service(db, fake)
    try:
        with db.transaction() as tx:
            bot_dal.claim_update(tx, "78", lease_seconds=60)
        assert deliver(service, message_update(PILOT, "/start", update_id=78)).status == 503
    finally:
        service.close()


def test_no_secret_or_token_in_logs(db, fake, caplog):
    caplog.set_level(logging.DEBUG)
    service = make_service(db, fake)
    try:
        deliver(service, message_update(PILOT, "/start"))
        deliver(service, callback_update(PILOT, "ok:0"))
        service.handle({"x-telegram-bot-api-secret-token": "guess"}, b"{}")
    finally:
        service.close()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert fake.token not in text and fake.token.split(":")[1] not in text
    assert WEBHOOK_SECRET not in text
    assert str(PILOT) not in text  # no personal data (the Telegram id) either


def test_one_loop_and_application_per_container(db, fake):
    service = make_service(db, fake)
    try:
        loop, application = service.loop, service.application
        for _ in range(3):
            deliver(service, message_update(PILOT, "/help"))
        assert service.loop is loop and service.application is application
        assert not loop.is_closed() and application.running is False
    finally:
        service.close()
    assert fake.calls_to("getMe") == []


def test_cancel_after_the_cutoff_is_refused(bot: BotPlatform):
    training = make_training(bot.db, starts_in=timedelta(hours=3), cancel_cutoff_hours=12)
    make_pilot(bot.db, PILOT, nickname="Late")
    chat = bot.chat(PILOT)
    chat.press(f"su:{training}:0")
    reg = count(bot.db, "SELECT max(id) FROM registrations WHERE training_id = :t", t=training)
    chat.press(f"cx:{reg}")
    assert "Срок отмены прошёл" in chat.last().text
    chat.press(f"cxy:{reg}")
    assert "Отменить уже нельзя" in chat.last().text and "12 ч" in chat.last().text
    status = count(bot.db, "SELECT count(*) FROM registrations WHERE status = 'confirmed'")
    assert status >= 1
