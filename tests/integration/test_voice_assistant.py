"""The admins' voice assistant end to end: the webhook (real HTTP) hands an admin's voice or
text message to the voice_assistant function (the local runner's background invoke), which
fetches the file from the fake Bot API, talks to a fake OpenAI server on 127.0.0.1, and answers
with Confirm / Cancel; confirming runs the use cases with the admin's own role and venues."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from fpv.dal import payments as payments_dal
from fpv.local.fake_openai import CHAT, TRANSCRIPTIONS, FakeOpenAI, tool_call
from fpv.local.fake_telegram import Call
from fpv.registrations.service import settle_payment, sign_up
from tests.support.bot import BotPlatform, Chat, bot_platform, user
from tests.support.factories import make_pilot, make_training, make_venue

ADMIN = 910_001
LOCAL_ADMIN = 910_002
PILOT_A = 910_101
PILOT_B = 910_102
OUTSIDER = 910_199
AUDIO = b"OggS-fake-voice-bytes"
_ids = itertools.count(50_000)


@dataclass
class Voice:
    p: BotPlatform
    openai: FakeOpenAI

    @property
    def db(self):
        return self.p.db

    def q(self, sql: str, **params):
        with self.db.transaction(readonly=True) as tx:
            return tx.all(sql, **params)

    def admin(self, telegram_id: int, role: str = "superadmin", venues: tuple = ()) -> int:
        with self.db.transaction() as tx:
            return tx.value(
                "INSERT INTO admins (telegram_id, display_name, role, venue_ids)"
                " VALUES (:t, 'Org', :r, CAST(:v AS bigint[])) RETURNING id",
                t=telegram_id,
                r=role,
                v=list(venues),
            )

    def say(self, telegram_id: int, *, duration: int = 3, language: str = "ru") -> Chat:
        """A voice message (its audio served by the fake Bot API) through the webhook."""
        file_id = f"voice{next(_ids)}"
        self.p.fake.add_file(file_id, AUDIO)
        chat = self.p.chat(telegram_id, language)
        update = {
            "update_id": next(_ids),
            "message": {
                "message_id": next(_ids),
                "date": int(time.time()),
                "chat": {"id": telegram_id, "type": "private"},
                "from": user(telegram_id, language),
                "voice": {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "duration": duration,
                    "mime_type": "audio/ogg",
                    "file_size": len(AUDIO),
                },
            },
        }
        response = chat.post(update)
        assert response.status_code == 200 and response.json()["outcome"] == "processed"
        return chat

    def answer(self, telegram_id: int, after: int = 0, timeout: float = 15.0) -> Call:
        """The assistant's answer (the n-th after `after` earlier ones)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.p.fake.sent_to(telegram_id) if c.method == "sendMessage"]
            if len(found) > after:
                return found[after]
            time.sleep(0.05)
        raise AssertionError("the assistant did not answer")

    def proposals(self):
        return self.q("SELECT status, actions FROM voice_proposals ORDER BY created_at")

    def audit(self, action: str):
        return self.q(
            "SELECT admin_id, actor, target, details, after FROM admin_audit_log WHERE action = :a",
            a=action,
        )


@pytest.fixture
def voice(app_env, tmp_path, monkeypatch):
    with FakeOpenAI() as openai:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-voice")
        monkeypatch.setenv("OPENAI_BASE_URL", openai.base_url)
        monkeypatch.setenv("OPENAI_MAX_RETRIES", "0")
        monkeypatch.setenv("OPENAI_TIMEOUT_SECONDS", "3")
        with bot_platform(tmp_path, monkeypatch) as p:
            yield Voice(p, openai)


def seated(v: Voice, training: int, telegram_id: int, nickname: str, mhz: int | None = None):
    make_pilot(v.db, telegram_id, nickname=nickname)
    return sign_up(v.db, v.p.bus, training_id=training, telegram_id=telegram_id, channel_mhz=mhz)


# --- who may talk to it ---------------------------------------------------------------------------
def test_non_admin_voice_gets_the_polite_answer_and_reaches_no_model(voice: Voice, caplog):
    make_pilot(voice.db, PILOT_A, nickname="Pasha")
    voice.say(PILOT_A)
    voice.say(OUTSIDER)  # not even a pilot
    assert "для организаторов" in voice.answer(PILOT_A).text
    assert "для организаторов" in voice.answer(OUTSIDER).text
    assert voice.openai.requests == []
    assert voice.p.fake.calls_to("getFile") == [] and voice.p.fake.downloads == []
    assert "voice message answered" not in caplog.text  # the webhook answered; no hand-over
    # a pilot's plain text still means what it meant (no assistant)
    voice.p.chat(PILOT_A).send("привет")
    assert voice.openai.requests == []


# --- read-only tools answer at once ---------------------------------------------------------------
def test_list_trainings_and_pilots_answer_without_confirmation(voice: Voice, caplog):
    voice.admin(ADMIN)
    training = make_training(voice.db, title="Вечерняя гонка")
    seated(voice, training, PILOT_A, "Pasha", 5658)
    voice.openai.script(
        "что у нас на неделе и кто летит",
        tool_call("list_trainings", days=7),
        tool_call("training_pilots", training_id=training),
    )
    gate = voice.openai.hold(TRANSCRIPTIONS)  # OpenAI "thinks" until the gate opens
    voice.say(ADMIN)  # the webhook answered Telegram (200) while OpenAI still holds
    assert not gate.is_set() and voice.p.fake.sent_to(ADMIN) == []
    gate.set()
    answer = voice.answer(ADMIN)
    assert "«что у нас на неделе и кто летит»" in answer.text
    assert f"№{training}" in answer.text and "Вечерняя гонка" in answer.text
    assert "Pasha" in answer.text and "R1" in answer.text
    assert answer.button_data() == []
    assert voice.proposals() == []
    assert "voice message answered" in caplog.text  # the function's own log line
    # the audio from getFile went to the transcription model; the transcript to the chat model
    [stt] = voice.openai.requests_to(TRANSCRIPTIONS)
    assert stt.params["model"] == "whisper-1" and stt.params["file"]["content"] == AUDIO
    assert stt.authorization == "Bearer sk-test-voice"
    [chat] = voice.openai.requests_to(CHAT)
    assert chat.params["messages"][-1]["content"] == "что у нас на неделе и кто летит"
    names = {t["function"]["name"] for t in chat.params["tools"]}
    assert names == {
        "list_trainings",
        "training_pilots",
        "move_pilot_channel",
        "cancel_training",
        "message_pilots",
        "create_training",
        "move_training",
        "stats",
    }
    # the model sees ids and times, never a pilot's nickname
    assert f"- {training}:" in chat.params["messages"][0]["content"]
    assert "Pasha" not in json.dumps(chat.params)


# --- move a pilot's channel: Confirm executes once ----------------------------------------------
def test_move_channel_is_proposed_and_a_double_confirm_executes_once(voice: Voice, caplog):
    admin_id = voice.admin(ADMIN)
    training = make_training(voice.db)
    seated(voice, training, PILOT_A, "Pasha", 5658)
    voice.openai.script(
        "перенеси Пашу на R3",
        tool_call("move_pilot_channel", training_id=training, pilot_nickname="pasha", channel="R3"),
    )
    chat = voice.say(ADMIN)
    answer = voice.answer(ADMIN)
    assert "Перевести Pasha" in answer.text and "R3" in answer.text
    confirm, cancel = answer.button_data()
    assert confirm.startswith("vok:") and cancel.startswith("vno:")
    channel = "SELECT channel_mhz FROM registrations WHERE training_id = :t"
    assert voice.q(channel, t=training) == [{"channel_mhz": 5658}]  # nothing before Confirm

    chat.press(confirm)
    chat.press(confirm)  # the double tap
    assert voice.q(channel, t=training) == [{"channel_mhz": 5732}]
    [entry] = voice.audit("registration.channel")
    assert entry["admin_id"] == admin_id and entry["details"]["via"] == "voice"
    assert any(t.get("text") == "Уже выполнено." for t in chat.toasts())
    done = [c for c in voice.p.fake.calls_to("editMessageText", ADMIN) if "✅" in c.text]
    assert len(done) == 1 and "Pasha теперь на R3" in done[0].text
    assert voice.proposals() == [{"status": "done", "actions": []}]  # nothing said is kept
    # neither the database nor the logs hold what was said
    for table in ("voice_proposals", "outbox", "admin_audit_log", "processed_updates"):
        rows = voice.q(f"SELECT * FROM {table}")
        assert "перенеси" not in json.dumps(rows, default=str, ensure_ascii=False), table
    assert "перенеси" not in caplog.text


def test_cancel_button_executes_nothing(voice: Voice):
    voice.admin(ADMIN)
    training = make_training(voice.db)
    voice.openai.reply(tool_call("cancel_training", training_id=training))
    chat = voice.p.chat(ADMIN)
    chat.send("отмени тренировку")  # typed: no transcription
    confirm, cancel = voice.answer(ADMIN).button_data()
    chat.press(cancel)
    chat.press(confirm)  # too late: cancelled
    assert voice.q("SELECT status FROM trainings WHERE id = :t", t=training)[0]["status"] == (
        "scheduled"
    )
    assert voice.audit("training.cancel") == []
    assert voice.proposals() == [{"status": "cancelled", "actions": []}]
    assert voice.openai.requests_to(TRANSCRIPTIONS) == []


def test_expired_proposal_is_refused(voice: Voice):
    voice.admin(ADMIN)
    training = make_training(voice.db)
    voice.openai.reply(tool_call("cancel_training", training_id=training))
    chat = voice.p.chat(ADMIN)
    chat.send("отмени тренировку")
    confirm, _cancel = voice.answer(ADMIN).button_data()
    with voice.db.transaction() as tx:
        tx.execute(
            "UPDATE voice_proposals SET created_at = now() - interval '11 minutes',"
            " expires_at = now() - interval '1 minute'"
        )
    chat.press(confirm)
    assert "устарело" in chat.toasts()[-1]["text"]
    assert voice.q("SELECT status FROM trainings WHERE id = :t", t=training)[0]["status"] == (
        "scheduled"
    )


# --- cancel a training: refunds through the existing use case -----------------------------------
def test_cancel_training_refunds_the_paid_seat_and_tells_the_pilots(voice: Voice):
    admin_id = voice.admin(ADMIN)
    training = make_training(voice.db, price_kopecks=50_000)
    held = seated(voice, training, PILOT_A, "Payer")
    with voice.db.transaction() as tx:
        payments_dal.insert_payment(
            tx,
            registration_id=held.registration_id,
            training_id=training,
            pilot_id=tx.value("SELECT id FROM pilots WHERE telegram_id = :t", t=PILOT_A),
            provider="stars",
            amount=50_000,
            currency="RUB",
            telegram_charge_id="stars-charge-1",
            provider_charge_id=None,
        )
        settle_payment(tx, registration_id=held.registration_id)
    seated(voice, training, PILOT_B, "Free")  # unpaid hold
    voice.openai.script("отмени тренировку", tool_call("cancel_training", training_id=training))
    chat = voice.say(ADMIN)
    answer = voice.answer(ADMIN)
    assert "Отменить тренировку" in answer.text and "будут возвращены" in answer.text
    chat.press(answer.button_data()[0])
    assert voice.q("SELECT status FROM trainings WHERE id = :t", t=training)[0]["status"] == (
        "cancelled"
    )
    assert [r["status"] for r in voice.q("SELECT status FROM payments")] == ["refunded"]
    assert len(voice.p.fake.calls_to("refundStarPayment")) == 1
    [entry] = voice.audit("training.cancel")
    assert entry["admin_id"] == admin_id and entry["details"]["via"] == "voice"
    for pilot in (PILOT_A, PILOT_B):
        assert any("отмен" in c.text.lower() for c in voice.p.fake.sent_to(pilot))


# --- message a training's pilots (outbox) ---------------------------------------------------------
def test_message_pilots_goes_through_the_outbox(voice: Voice):
    voice.admin(ADMIN)
    training = make_training(voice.db, title="Утро")
    seated(voice, training, PILOT_A, "Pasha", 5658)
    seated(voice, training, PILOT_B, "Masha", 5695)
    voice.openai.script(
        "напиши всем что начинаем на полчаса позже",
        tool_call("message_pilots", training_id=training, text="Начинаем на 30 минут позже"),
    )
    chat = voice.say(ADMIN)
    answer = voice.answer(ADMIN)
    assert "(2 чел.)" in answer.text
    assert not any("30 минут" in c.text for c in voice.p.fake.sent_to(PILOT_A))
    chat.press(answer.button_data()[0])
    for pilot in (PILOT_A, PILOT_B):
        [note] = [c for c in voice.p.fake.sent_to(pilot) if "30 минут" in c.text]
        assert "Сообщение организатора" in note.text and "Утро" in note.text
    rows = voice.q("SELECT outcome FROM outbox WHERE kind = 'telegram.message'")
    assert [r["outcome"] for r in rows] == ["delivered", "delivered"]
    assert voice.audit("training.message")[0]["details"] == {"via": "voice", "pilots": 2}


# --- a local admin only at their venues -----------------------------------------------------------
def test_local_admin_is_refused_another_venues_training(voice: Voice):
    mine, theirs = make_venue(voice.db), make_venue(voice.db)
    voice.admin(LOCAL_ADMIN, role="local", venues=(mine,))
    other = make_training(voice.db, venue_id=theirs, title="Чужая")
    own = make_training(voice.db, venue_id=mine, title="Своя")
    seated(voice, other, PILOT_A, "Pasha", 5658)
    voice.openai.script(
        "покажи пилотов и отмени чужую",
        tool_call("training_pilots", training_id=other),
        tool_call("cancel_training", training_id=other),
        tool_call("move_pilot_channel", training_id=other, pilot_nickname="Pasha", channel="R3"),
        tool_call("list_trainings", days=7),
    )
    voice.say(LOCAL_ADMIN)
    answer = voice.answer(LOCAL_ADMIN)
    assert answer.text.count(f"Тренировка №{other} не найдена среди ваших") == 3
    assert "Pasha" not in answer.text and "Чужая" not in answer.text
    assert f"№{own}" in answer.text  # its own venue's list
    assert answer.button_data() == [] and voice.proposals() == []
    [chat] = voice.openai.requests_to(CHAT)
    assert f"- {other}:" not in chat.params["messages"][0]["content"]


def test_a_forged_proposal_is_still_refused_by_the_use_case(voice: Voice):
    """The model's (or anyone's) arguments are not trusted even past the preview: the use case
    decides with the admin's actor when Confirm runs it."""
    mine, theirs = make_venue(voice.db), make_venue(voice.db)
    admin_id = voice.admin(LOCAL_ADMIN, role="local", venues=(mine,))
    other = make_training(voice.db, venue_id=theirs)
    with voice.db.transaction() as tx:
        proposal = tx.value(
            "INSERT INTO voice_proposals (admin_id, chat_id, actions, expires_at)"
            " VALUES (:a, :c, CAST(:actions AS jsonb), now() + interval '10 minutes')"
            " RETURNING replace(id::text, '-', '')",
            a=admin_id,
            c=LOCAL_ADMIN,
            actions=json.dumps([{"tool": "cancel_training", "args": {"training_id": other}}]),
        )
    chat = voice.p.chat(LOCAL_ADMIN)
    chat.press(f"vok:{proposal}")
    assert voice.q("SELECT status FROM trainings WHERE id = :t", t=other)[0]["status"] == (
        "scheduled"
    )
    assert "не найдена среди ваших" in chat.last().text
    assert voice.audit("training.cancel") == []
    # and someone else's proposal cannot be confirmed by another admin
    voice.admin(ADMIN)
    with voice.db.transaction() as tx:
        tx.execute("UPDATE voice_proposals SET status = 'pending'")
    voice.p.chat(ADMIN).press(f"vok:{proposal}")
    assert voice.q("SELECT status FROM trainings WHERE id = :t", t=other)[0]["status"] == (
        "scheduled"
    )


# --- OpenAI failures get a clear message ----------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        (TRANSCRIPTIONS, 429, "перегружен"),
        (CHAT, 500, "недоступен"),
        (TRANSCRIPTIONS, None, "не ответил вовремя"),
    ],
)
def test_openai_errors_and_timeouts_get_a_clear_message(voice: Voice, path, status, expected):
    voice.admin(ADMIN)
    training = make_training(voice.db)
    voice.openai.script("отмени", tool_call("cancel_training", training_id=training))
    if status is None:
        voice.openai.stall(path, seconds=4.5)
    else:
        voice.openai.fail(path, status=status)
    voice.say(ADMIN)
    answer = voice.answer(ADMIN)
    assert expected in answer.text
    assert answer.button_data() == [] and voice.proposals() == []
    assert voice.q("SELECT status FROM trainings WHERE id = :t", t=training)[0]["status"] == (
        "scheduled"
    )


def test_unintelligible_audio_and_too_long_messages(voice: Voice):
    voice.admin(ADMIN)
    voice.openai.script("")  # nothing recognisable
    voice.say(ADMIN)
    assert "Не разобрал" in voice.answer(ADMIN).text
    assert voice.openai.requests_to(CHAT) == []
    voice.say(ADMIN, duration=600)
    assert "слишком длинное" in voice.answer(ADMIN, after=1).text
    assert len(voice.openai.requests_to(TRANSCRIPTIONS)) == 1
    voice.openai.script("удали базу", tool_call("drop_database"))  # no such tool
    voice.say(ADMIN)
    answer = voice.answer(ADMIN, after=2)
    assert "Такого я не умею" in answer.text and answer.button_data() == []


# --- schedule tools (through the admin use cases) ---------------------------------------------
def test_create_series_move_training_and_stats(voice: Voice):
    venue = make_venue(voice.db)
    admin_id = voice.admin(ADMIN, role="local", venues=(venue,))
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    voice.openai.reply(
        tool_call(
            "create_training",
            venue_id=venue,
            date=day.isoformat(),
            start_time="18:00",
            capacity=8,
            price_rub=500,
            weeks=2,
        )
    )
    chat = voice.p.chat(ADMIN)
    chat.send("добавь тренировки по субботам в 18:00, 8 мест, 500 рублей, две недели")
    answer = voice.answer(ADMIN)
    assert "Каждую неделю, всего 2" in answer.text and "500 ₽" in answer.text
    chat.press(answer.button_data()[0])
    created = voice.q(
        "SELECT id, starts_at, price_kopecks FROM trainings WHERE venue_id = :v ORDER BY id",
        v=venue,
    )
    assert len(created) == 2 and created[1]["starts_at"] - created[0]["starts_at"] == timedelta(
        weeks=1
    )
    assert created[0]["price_kopecks"] == 50_000
    assert created[0]["starts_at"].astimezone(UTC).hour == 15  # 18:00 in Moscow
    series = voice.audit("training.create_series")[0]  # the admin API's use case and record
    assert series["actor"] == f"admin:{admin_id} via voice"
    assert series["after"]["training_ids"] == [r["id"] for r in created]

    first = created[0]["id"]
    seated(voice, first, PILOT_A, "Pasha", 5658)
    voice.openai.reply(
        tool_call("move_training", training_id=first, date=day.isoformat(), start_time="19:30")
    )
    chat.send("перенеси первую на 19:30")
    answer = voice.answer(ADMIN, after=1)
    chat.press(answer.button_data()[0])
    moved = voice.q("SELECT starts_at FROM trainings WHERE id = :t", t=first)[0]["starts_at"]
    assert moved.astimezone(UTC).hour == 16 and moved.astimezone(UTC).minute == 30
    told = [c.text for c in voice.p.fake.sent_to(PILOT_A) if "перенесена" in c.text]
    assert len(told) == 1 and "19:30" in told[0]
    done = [c.text for c in voice.p.fake.calls_to("editMessageText", ADMIN) if "✅" in c.text]
    assert any("уведомлено пилотов: 1" in text for text in done)
    update = voice.audit("training.update")[0]
    assert update["admin_id"] == admin_id and update["actor"].endswith("via voice")

    voice.openai.reply(
        tool_call(
            "stats",
            date_from=day.isoformat(),
            date_to=(day + timedelta(days=14)).isoformat(),
        )
    )
    chat.send("статистика за две недели")
    stats = voice.answer(ADMIN, after=2)
    assert "тренировок 2 (отменено 0)" in stats.text and "оплачено 0 ₽" in stats.text
    assert stats.button_data() == []


def test_stats_count_a_pass_in_the_period_it_was_bought(voice: Voice):
    """The voice figures are the dashboard's: a season pass bought today is revenue today."""
    from fpv import passes
    from fpv.actors import SYSTEM
    from fpv.dal import passes as passes_dal
    from fpv.dal import payments as payments_dal

    venue = make_venue(voice.db)
    voice.admin(ADMIN, role="local", venues=(venue,))
    product = passes.create_product(
        voice.db, SYSTEM, title="Пять", valid_days=30, price_kopecks=90_000, trainings=5,
        venue_id=venue,
    )  # fmt: skip
    pilot_id = make_pilot(voice.db, PILOT_A, nickname="Pasha")
    with voice.db.transaction() as tx:
        bought = passes_dal.insert_pass(tx, product_id=product, pilot_id=pilot_id, credits_total=5)
        payments_dal.insert_payment(
            tx, registration_id=None, training_id=None, pilot_id=pilot_id, provider="yookassa",
            amount=90_000, currency="RUB", telegram_charge_id="tg-voice-pass",
            provider_charge_id=None, pass_id=bought["id"],
        )  # fmt: skip
    today = datetime.now(UTC).date()
    voice.openai.reply(
        tool_call("stats", date_from=(today - timedelta(days=1)).isoformat(),
                  date_to=(today + timedelta(days=1)).isoformat())
    )  # fmt: skip
    voice.p.chat(ADMIN).send("сколько заработали за эти дни?")
    assert "оплачено 900 ₽" in voice.answer(ADMIN).text


def test_sample_event_through_the_real_handler(voice: Voice):
    """events/voice-assistant-message.json, as the webhook hands it over, through the function
    the template declares; its sender is no admin, so no model is asked."""
    from fpv.local.invoker import FunctionInvoker
    from fpv.local.runner import project_root
    from fpv.local.template import load_template

    root = project_root()
    event = json.loads((root / "events" / "voice-assistant-message.json").read_text())
    template = load_template(root / "template.yaml")
    result = FunctionInvoker().invoke(template.functions["VoiceAssistantFunction"], event)
    assert result == {"outcome": "not_admin"}
    assert "для организаторов" in voice.answer(event["telegram_id"]).text
    assert voice.openai.requests == []
    voice.admin(event["telegram_id"])
    voice.openai.reply(text="Уточните, о какой площадке речь?")
    result = FunctionInvoker().invoke(template.functions["VoiceAssistantFunction"], event)
    assert result == {"outcome": "no_tool"}
    answer = voice.answer(event["telegram_id"], after=1)
    assert "Уточните" in answer.text and "«сколько записалось на завтра?»" in answer.text


def test_two_confirms_at_the_same_moment_have_one_winner(voice: Voice, db_url):
    """Two devices (or a redelivered callback) confirming at once: one claim wins."""
    import threading

    from fpv.db import Database
    from fpv.voice import proposals
    from fpv.voice.tools import ToolContext, registry

    voice.admin(ADMIN)
    training = make_training(voice.db)
    seated(voice, training, PILOT_A, "Pasha", 5658)
    voice.openai.reply(tool_call("message_pilots", training_id=training, text="Берите очки"))
    voice.p.chat(ADMIN).send("напиши всем: берите очки")
    token = voice.answer(ADMIN).button_data()[0].split(":")[1]
    proposal_id = voice.q("SELECT id::text AS id FROM voice_proposals")[0]["id"]
    assert proposal_id.replace("-", "") == token
    barrier, outcomes = threading.Barrier(2), []

    def press() -> None:
        db = Database(db_url)
        try:
            ctx = ToolContext(db, voice.p.bus, "ru", datetime.now(UTC))
            barrier.wait()
            decision = proposals.confirm(
                db, registry(), ctx, telegram_id=ADMIN, proposal_id=proposal_id
            )
            outcomes.append(decision.outcome)
        finally:
            db.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["already", "done"]
    assert len(voice.q("SELECT id FROM outbox WHERE kind = 'telegram.message'")) == 1
    assert len(voice.audit("training.message")) == 1


def test_nothing_to_hand_over_to_says_so(app_env, tmp_path, monkeypatch):
    """A template without the assistant (the webhook alone): the admin is told at once."""
    with bot_platform(tmp_path, monkeypatch, full_template=False) as p:
        v = Voice(p, FakeOpenAI())
        v.admin(ADMIN)
        v.p.chat(ADMIN).send("кто летит завтра?")
        assert "недоступен" in v.answer(ADMIN).text
