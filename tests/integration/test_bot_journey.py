"""The pilot's whole journey through the local gateway over HTTP: python-telegram-bot talks to a
fake Bot API server on 127.0.0.1, the data lives in real PostgreSQL.

start → consent → profile → browse → sign up → my trainings → cancel → waitlist promotion →
channel change → delete_me, asserting the messages sent and the database state at each step.
"""

from __future__ import annotations

import pytest

from fpv.bot.deps import POLICY_VERSION
from tests.support.bot import BotPlatform, Chat, bot_platform
from tests.support.factories import make_training

A, B, C = 710_001, 710_002, 710_003


@pytest.fixture
def bot(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch) as p:
        yield p


def q(p: BotPlatform, sql: str, **params):
    with p.db.transaction(readonly=True) as tx:
        return tx.all(sql, **params)


def pilot_row(p: BotPlatform, telegram_id: int):
    rows = q(p, "SELECT * FROM pilots WHERE telegram_id = :t", t=telegram_id)
    return rows[0] if rows else None


def registrations_of(p: BotPlatform, training_id: int):
    return q(
        p,
        "SELECT r.id, r.status, r.channel_mhz, r.channel_label, p.telegram_id"
        " FROM registrations r LEFT JOIN pilots p ON p.id = r.pilot_id"
        " WHERE r.training_id = :t ORDER BY r.id",
        t=training_id,
    )


def onboard(chat: Chat, nickname: str, training_id: int = 0) -> None:
    chat.send(f"/start training_{training_id}" if training_id else "/start")
    chat.press(f"ok:{training_id}")
    chat.send(nickname)
    chat.press("eqok")


def test_full_journey(bot: BotPlatform):
    p = bot
    training = make_training(p.db, capacity=2, title="Вечерняя гонка", cancel_cutoff_hours=12)
    city_id, venue_id = q(
        p,
        "SELECT v.city_id, v.id FROM trainings t JOIN venues v ON v.id = t.venue_id"
        " WHERE t.id = :t",
        t=training,
    )[0].values()

    # --- /start with a deep link: consent first, nothing stored ----------------------------
    a = p.chat(A)
    a.send(f"/start training_{training}")
    prompt = a.last()
    assert "152-ФЗ" in prompt.text and POLICY_VERSION in prompt.text
    assert "Telegram ID" in prompt.text and "/delete_me" in prompt.text
    assert prompt.button_data() == [f"ok:{training}", "no"]
    assert pilot_row(p, A) is None
    assert q(p, "SELECT * FROM user_consent WHERE telegram_id = :t", t=A) == []
    assert q(p, "SELECT * FROM bot_conversations WHERE telegram_id = :t", t=A) == []

    # --- consent: recorded with the policy version; the bot asks for a nickname -------------
    a.press(f"ok:{training}")
    consent = q(p, "SELECT policy_version FROM user_consent WHERE telegram_id = :t", t=A)
    assert consent == [{"policy_version": POLICY_VERSION}]
    assert pilot_row(p, A)["nickname"] is None and pilot_row(p, A)["language"] == "ru"
    assert "ник" in a.last().text.lower()

    # --- profile: nickname validated and unique (a demo pilot is "Skywalker") ---------------
    a.new()
    a.send("A")
    assert "не подойдёт" in a.last().text
    a.send("skywalker")
    assert "уже занят" in a.last().text
    assert pilot_row(p, A)["nickname"] is None
    a.send("Ace_1")
    assert pilot_row(p, A)["nickname"] == "Ace_1"
    assert "eqok" in a.buttons() and "eqb:L" in a.buttons()

    # equipment: add L, drop E (order kept), then continue to the deep-linked training
    a.press("eqb:L")
    a.press("eqb:E")
    assert pilot_row(p, A)["equipment"] == "R,F,A,B,L"
    a.press("eqok")
    card = a.last()
    assert "Вечерняя гонка" in card.text and "Свободно мест: 2 из 2" in card.text
    assert f"su:{training}:0" in card.button_data()
    assert q(p, "SELECT * FROM bot_conversations WHERE telegram_id = :t", t=A) == []

    # --- browse: city → venue → training ------------------------------------------------------
    a.press("cities:0")
    assert f"city:{city_id}:0" in a.buttons()
    a.press(f"city:{city_id}:0")
    assert f"venue:{venue_id}:0" in a.buttons()
    a.press(f"venue:{venue_id}:0")
    assert f"tr:{training}" in a.buttons()
    assert a.last().method == "editMessageText"  # navigation edits the message in place
    a.press(f"tr:{training}")
    assert "Вечерняя гонка" in a.last().text

    # --- sign up (automatic channel): confirmed at once, channel in the pilot's band --------
    a.press(f"su:{training}:0")
    (reg_a,) = registrations_of(p, training)
    assert reg_a["status"] == "confirmed" and reg_a["telegram_id"] == A
    confirmation = a.last().text
    assert "Вы записаны" in confirmation
    assert f"{reg_a['channel_label']} · {reg_a['channel_mhz']} МГц" in confirmation
    assert reg_a["channel_label"][0] in "RFABL"  # a band the pilot has
    assert {"training_id": training, "reason": "sign_up"} in p.events()

    # --- an English-speaking pilot picks a channel from the list ------------------------------
    b = p.chat(B, language="en")
    b.send("/start")
    assert "Until you agree, we store nothing" in b.last().text
    b.press("ok:0")
    b.send("Bravo")
    b.press("eqok")
    assert "All set" in b.last().text
    b.press(f"chs:{training}")
    choices = [d for d in b.buttons() if d.startswith(f"su:{training}:") and not d.endswith(":0")]
    assert choices, b.last().text
    assert "★" in str(b.last().reply_markup)
    wanted = int(choices[0].rsplit(":", 1)[1])
    assert wanted != reg_a["channel_mhz"]
    b.press(choices[0])
    reg_b = registrations_of(p, training)[1]
    assert reg_b["status"] == "confirmed" and reg_b["channel_mhz"] == wanted
    assert f"{wanted} MHz" in b.last().text and "You are signed up" in b.last().text

    # --- the training is full: a third pilot lands on the waitlist -----------------------------
    c = p.chat(C)
    onboard(c, "Charlie", training)
    assert "Свободно мест: 0 из 2" in c.last().text
    assert c.buttons()[0] == f"su:{training}:0"  # "join the waitlist"
    c.press(f"su:{training}:0")
    assert "листе ожидания" in c.last().text and "номером 1" in c.last().text
    assert registrations_of(p, training)[2]["status"] == "waitlisted"

    # --- my trainings, then cancel: the seat goes to the waitlisted pilot, who is told --------
    a.send("/my")
    assert "Вечерняя гонка" in a.last().text
    assert f"cx:{reg_a['id']}" in a.buttons() and f"chg:{reg_a['id']}" in a.buttons()
    a.press(f"cx:{reg_a['id']}")
    assert "Отменить запись" in a.last().text and "Отменить можно до" in a.last().text
    c.new()
    a.press(f"cxy:{reg_a['id']}")
    assert "Запись отменена" in a.last().text
    regs = {r["telegram_id"]: r for r in registrations_of(p, training) if r["telegram_id"]}
    assert [r["status"] for r in registrations_of(p, training)] == [
        "cancelled",
        "confirmed",
        "confirmed",
    ]
    promoted = c.new()
    assert len(promoted) == 1 and "Освободилось место" in promoted[0].text
    assert f"{regs[C]['channel_mhz']} МГц" in promoted[0].text
    assert regs[C]["channel_mhz"] != regs[B]["channel_mhz"]
    assert {"training_id": training, "reason": "cancel"} in p.events()
    seats = q(p, "SELECT seats_taken FROM trainings WHERE id = :t", t=training)[0]
    assert seats["seats_taken"] == 2

    # --- the nickname on the public board: opting in refreshes the schedule -----------------
    b.send("/profile")
    assert "show:1" in b.buttons()
    b.press("show:1")
    assert pilot_row(p, B)["show_on_site"] is True
    assert {"training_id": training, "reason": "profile"} in p.events()
    assert "show:0" in b.buttons()

    # --- channel change request from "My trainings" -----------------------------------------
    b.send("/my")
    b.press(f"chg:{regs[B]['id']}")
    options = [d for d in b.buttons() if d.startswith(f"chgy:{regs[B]['id']}:")]
    other = next(d for d in options if int(d.rsplit(":", 1)[1]) != regs[B]["channel_mhz"])
    new_mhz = int(other.rsplit(":", 1)[1])
    b.press(other)
    assert "Channel changed" in b.last().text and f"{new_mhz} MHz" in b.last().text
    assert registrations_of(p, training)[1]["channel_mhz"] == new_mhz
    assert {"training_id": training, "reason": "channel_change"} in p.events()

    # --- /schedule: link and QR code ----------------------------------------------------------
    a.send("/schedule")
    photo = a.last()
    assert photo.method == "sendPhoto" and photo.params["photo"]["size"] > 100
    assert "https://fpv.example/schedule" in photo.text

    # --- /delete_me: confirmation, then every trace removed ------------------------------------
    with p.db.transaction() as tx:  # C has paid for the seat: kept for accounting, de-linked
        tx.execute(
            "INSERT INTO payments (registration_id, training_id, pilot_id, provider,"
            " amount_kopecks, status) SELECT r.id, r.training_id, r.pilot_id, 'yookassa', 50000,"
            " 'paid' FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
            " WHERE p.telegram_id = :t",
            t=C,
        )
    c.send("/delete_me")
    assert c.buttons() == ["del", "delno"]
    assert pilot_row(p, C) is not None  # nothing happens before the confirmation
    c.press("del")
    assert "удалены" in c.last().text
    assert pilot_row(p, C) is None
    assert q(p, "SELECT * FROM user_consent WHERE telegram_id = :t", t=C) == []
    assert q(p, "SELECT telegram_id FROM deletion_ledger WHERE telegram_id = :t", t=C) != []
    assert q(p, "SELECT * FROM bot_conversations WHERE telegram_id = :t", t=C) == []
    statuses = [(r["status"], r["telegram_id"]) for r in registrations_of(p, training)]
    assert statuses[2] == ("cancelled", None)  # kept for accounting, de-linked
    assert q(p, "SELECT pilot_id, amount_kopecks FROM payments") == [
        {"pilot_id": None, "amount_kopecks": 50000}
    ]
    seats = q(p, "SELECT seats_taken FROM trainings WHERE id = :t", t=training)[0]
    assert seats["seats_taken"] == 1
    assert {"training_id": training, "reason": "delete_me"} in p.events()

    # after deletion the bot knows nobody: /my asks for consent again
    c.send("/my")
    assert c.last().button_data() == ["ok:0", "no"]

    # every webhook delivery of the journey was answered 200 and processed exactly once
    for chat in (a, b, c):
        assert {r.status_code for r in chat.responses} == {200}
        assert {r.json()["outcome"] for r in chat.responses} == {"processed"}
    assert not p.fake.calls_to("getMe")  # no getMe, not even at cold start
