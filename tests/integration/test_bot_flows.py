"""The bot's other paths: paid trainings (seat hold + invoice), profile settings, pagination,
deep links by public id, promotions to a pilot who blocked the bot."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fpv import notices
from fpv.bot.application import make_bot
from fpv.bot.notifications import notify_promotions
from fpv.registrations import Promotion
from tests.support.bot import BotPlatform, bot_platform
from tests.support.factories import make_pilot, make_training, make_venue

PILOT = 730_001


@pytest.fixture
def bot(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch, full_template=False) as p:
        yield p


def one(p: BotPlatform, sql: str, **params):
    with p.db.transaction(readonly=True) as tx:
        return tx.one(sql, **params)


def test_paid_training_holds_the_seat_and_hands_over_to_payments(bot: BotPlatform):
    training = make_training(bot.db, price_kopecks=50_000)
    make_pilot(bot.db, PILOT, nickname="Payer")
    chat = bot.chat(PILOT)
    chat.press(f"tr:{training}")
    assert "500 ₽" in chat.last().text
    chat.press(f"su:{training}:0")
    reg = one(
        bot,
        "SELECT id, status, hold_expires_at FROM registrations WHERE training_id = :t",
        t=training,
    )
    assert reg["status"] == "pending_payment"
    assert reg["hold_expires_at"] > datetime.now(UTC) + timedelta(minutes=10)
    held = next(c for c in chat.sent() if "за вами до" in c.text)
    assert "Оплатите 500 ₽" in held.text
    invoices = bot.fake.calls_to("sendInvoice", PILOT)
    assert len(invoices) == 1  # the payments module sent the invoice for the held seat
    assert sum(int(x["amount"]) for x in invoices[0].params["prices"]) == 50_000
    assert chat.responses[-1].json()["outcome"] == "processed"
    # the card now says the seat is held, with no second sign-up button
    chat.press(f"tr:{training}")
    assert "ждём оплату" in chat.last().text
    assert f"su:{training}:0" not in chat.last().button_data()


def test_profile_language_equipment_nickname_and_visibility(bot: BotPlatform):
    training = make_training(bot.db)
    make_pilot(bot.db, PILOT, nickname="Before")
    chat = bot.chat(PILOT)
    chat.send("/profile")
    assert "Ник: Before" in chat.last().text
    chat.press("lang:en")
    assert "Nickname: Before" in chat.last().text and "Language: English" in chat.last().text
    assert one(bot, "SELECT language FROM pilots WHERE telegram_id = :t", t=PILOT)["language"] == (
        "en"
    )
    chat.press("eq")
    chat.press("eqd:dji-o3")
    assert "digital, DJI O3" in chat.last().text
    chat.press("eqb:R")
    chat.press("eqb:R")  # the only band: refused, stays
    assert any("at least one band" in (t.get("text") or "") for t in chat.toasts())
    assert one(bot, "SELECT equipment FROM pilots WHERE telegram_id = :t", t=PILOT)[
        "equipment"
    ] == ("R")
    chat.press("eqok")
    assert "Profile" in chat.last().text  # not onboarding: back to the profile

    # nickname change while on a public board: the board is refreshed
    chat.press(f"su:{training}:0")
    chat.press("show:1")
    before = len(bot.events("profile"))
    chat.press("nick")
    chat.send("After")
    assert "Nickname saved: After" in "\n".join(c.text for c in chat.sent()[-2:])
    assert len(bot.events("profile")) == before + 1
    # opting out refreshes it too; pressing the same state again changes nothing
    chat.press("show:0")
    chat.press("show:0")
    assert len(bot.events("profile")) == before + 2
    assert (
        one(bot, "SELECT show_on_site FROM pilots WHERE telegram_id = :t", t=PILOT)["show_on_site"]
        is False
    )


def test_trainings_are_paginated(bot: BotPlatform):
    venue = make_venue(bot.db)
    ids = [make_training(bot.db, venue_id=venue, starts_in=timedelta(days=1 + i)) for i in range(7)]
    chat = bot.chat(PILOT)
    chat.press(f"venue:{venue}:0")
    page0 = chat.buttons()
    assert [d for d in page0 if d.startswith("tr:")] == [f"tr:{i}" for i in ids[:5]]
    assert f"venue:{venue}:1" in page0 and f"venue:{venue}:-1" not in page0
    chat.press(f"venue:{venue}:1")
    page1 = chat.buttons()
    assert [d for d in page1 if d.startswith("tr:")] == [f"tr:{i}" for i in ids[5:]]
    assert f"venue:{venue}:0" in page1  # previous
    assert f"venue:{venue}:2" not in page1
    chat.press(f"venue:{venue}:9")  # a page that no longer exists: the first one
    assert [d for d in chat.buttons() if d.startswith("tr:")] == [f"tr:{i}" for i in ids[:5]]


def test_deep_link_by_public_id_for_a_known_pilot(bot: BotPlatform):
    training = make_training(bot.db, title="Ночной фристайл")
    make_pilot(bot.db, PILOT, nickname="Linked")
    public_id = one(bot, "SELECT public_id::text AS p FROM trainings WHERE id = :t", t=training)
    chat = bot.chat(PILOT)
    chat.send(f"/start training_{public_id['p']}")
    assert "Ночной фристайл" in chat.last().text
    chat.send("/start training_999999")
    assert "больше недоступна" in chat.last().text
    chat.send("/start")
    assert "С возвращением, Linked" in chat.last().text


def test_promotion_to_a_pilot_who_blocked_the_bot(bot: BotPlatform):
    training = make_training(bot.db)
    make_pilot(bot.db, PILOT, nickname="Gone", language="en")
    make_pilot(bot.db, PILOT + 1, nickname="Here", language="ru")
    bot.fake.block(PILOT)

    def promotion(telegram_id: int, language: str) -> Promotion:
        seat = Promotion(
            registration_id=1,
            telegram_id=telegram_id,
            language=language,
            training_id=training,
            status="confirmed",
            channel_mhz=5732,
            channel_label="R3",
            hold_expires_at=None,
        )
        with bot.db.transaction() as tx:  # as promote_waitlist queues it, with the seat
            return replace(seat, outbox_ids=tuple(notices.promoted(tx, seat)))

    async def run():
        tg = make_bot(bot.fake.token, bot.fake.base_url, "fpv_training_bot")
        async with tg:
            return await notify_promotions(
                tg, [promotion(PILOT, "en"), promotion(PILOT + 1, "ru")], db=bot.db
            )

    reached = asyncio.run(run())
    assert reached == [PILOT + 1]
    told = bot.fake.sent_to(PILOT + 1)[-1].text
    assert "Освободилось место" in told and "R3 · 5732 МГц" in told
    with bot.db.transaction(readonly=True) as tx:
        rows = tx.all(
            "SELECT telegram_id, reachable FROM pilots WHERE telegram_id IN (:a, :b)",
            a=PILOT,
            b=PILOT + 1,
        )
    assert {r["telegram_id"]: r["reachable"] for r in rows} == {PILOT: False, PILOT + 1: True}


def test_the_nickname_rule_agrees_with_the_database(db):
    from fpv.bot.handlers.profile import valid_nickname
    from fpv.db import IntegrityViolation

    make_pilot(db, PILOT, nickname="Start")
    samples = ["Ёжик", "a.b-c", "Коршун_77", "xx", "x" * 32, "A", "x" * 33, "two words", "ник!"]
    for sample in samples:
        try:
            with db.transaction() as tx:
                tx.execute(
                    "UPDATE pilots SET nickname = :n WHERE telegram_id = :t", n=sample, t=PILOT
                )
            accepted = True
        except IntegrityViolation:
            accepted = False
        assert accepted is valid_nickname(sample), sample
