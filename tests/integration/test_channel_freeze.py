"""The channel freeze against real PostgreSQL: sign-ups take the best free channel one by one,
the freeze re-plans to the exact optimum with the fewest moves, tells exactly the moved pilots
once, keeps hand-picked channels, and a second freeze changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bench.channels_mixed import exhaustive, key_of
from fpv.channels import Equipment, PilotSlot
from fpv.channels.plan import freeze_due, freeze_training, plan
from fpv.ports.events import InProcessEventBus
from fpv.registrations import change_channel, sign_up
from tests.support.factories import make_pilot, make_training

# mixed equipment whose greedy sign-ups end 8.5 MHz apart (edge-aware); the best plan keeps 24
MIXED = ["dji-v1-25", "dji-v1-25", "dji-v1-25", "walksnail-50", "hdzero", "hdzero", "dji-o3", "E"]
LO, HI = 5650, 5925


@pytest.fixture
def bus() -> InProcessEventBus:
    return InProcessEventBus()


def _seats(db, training_id: int) -> dict[int, dict]:
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT r.id, r.channel_mhz, r.channel_label, r.channel_pinned, p.telegram_id,"
            " p.equipment FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
            " WHERE r.training_id = :tr AND r.status IN ('pending_payment', 'confirmed')",
            tr=training_id,
        )
    return {r["telegram_id"]: dict(r) for r in rows}


def _freeze_messages(db, training_id: int) -> list[dict]:
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT telegram_id, kind, payload FROM outbox WHERE dedupe_key LIKE :k ORDER BY id",
            k=f"channels.freeze:{training_id}:%",
        )
    return [dict(r) for r in rows]


def _slots(seats: dict[int, dict]) -> list[PilotSlot]:
    return [
        PilotSlot(
            str(tid),
            Equipment.parse(s["equipment"]),
            current_mhz=s["channel_mhz"],
            locked=s["channel_pinned"],
        )
        for tid, s in sorted(seats.items())
    ]


def test_freeze_reaches_the_exhaustive_optimum_with_fewest_moves_and_tells_the_moved(db, bus):
    now = datetime.now(UTC)
    training = make_training(db, min_mhz=LO, max_mhz=HI, starts_in=timedelta(hours=20), now=now)
    for i, equipment in enumerate(MIXED):
        make_pilot(db, 9000 + i, equipment=equipment, language="en" if i % 2 else "ru")
        sign_up(db, bus, training_id=training, telegram_id=9000 + i, now=now)
    before = _seats(db, training)
    assert len(before) == 8 and all(s["channel_mhz"] for s in before.values())
    slots = _slots(before)
    greedy = key_of(slots, {p.pilot_id: p.current_mhz for p in slots})

    result = freeze_training(db, training, now)

    assert result.frozen and result.plan is not None
    after = _seats(db, training)
    final = key_of(slots, {str(tid): s["channel_mhz"] for tid, s in after.items()})
    best, _nodes = exhaustive(slots, LO, HI)
    assert final == best  # (spacing floor, rating, -moves, spacing): the optimum, fewest moves
    assert final > greedy and best[2] < 0  # the sign-ups were not optimal: someone moved
    moved = {tid for tid in after if after[tid]["channel_mhz"] != before[tid]["channel_mhz"]}
    assert len(moved) == -best[2]
    messages = _freeze_messages(db, training)
    assert sorted(m["telegram_id"] for m in messages) == sorted(moved)  # one each, nobody else
    for m in messages:
        payload = m["payload"] if isinstance(m["payload"], dict) else json.loads(m["payload"])
        new = after[m["telegram_id"]]
        assert m["kind"] == "telegram.message" and payload["chat_id"] == m["telegram_id"]
        assert f"{new['channel_label']} — {new['channel_mhz']}" in payload["text"]
    with db.transaction() as tx:
        audit = tx.all(
            "SELECT admin_id, details FROM admin_audit_log WHERE action = 'channels.freeze'"
            " AND target = :t",
            t=f"training:{training}",
        )
    assert len(audit) == 1 and audit[0]["admin_id"] is None
    details = audit[0]["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["actor"] == "system via job" and len(details["moves"]) == len(moved)

    # idempotent: a second freeze (and freeze_due) changes nothing and tells nobody again
    again = freeze_training(db, training, now + timedelta(minutes=5))
    assert not again.frozen
    assert freeze_due(db, now + timedelta(minutes=5)) == []
    assert _seats(db, training) == after
    assert len(_freeze_messages(db, training)) == len(messages)

    # after the freeze a newcomer takes a free channel and nobody moves
    make_pilot(db, 9100, equipment="R,F")
    sign_up(db, bus, training_id=training, telegram_id=9100, now=now)
    later = _seats(db, training)
    assert {tid: s["channel_mhz"] for tid, s in later.items() if tid != 9100} == {
        tid: s["channel_mhz"] for tid, s in after.items()
    }


def test_hand_picked_channels_stay_and_plan_reads_only(db, bus):
    now = datetime.now(UTC)
    training = make_training(db, min_mhz=LO, max_mhz=HI, now=now)
    # two R pilots: one picks R2 by hand, one changes to R1 by hand; two take what is given
    for tid in (1, 2, 3, 4):
        make_pilot(db, tid, equipment="R")
    sign_up(db, bus, training_id=training, telegram_id=1, channel_mhz=5695, now=now)
    second = sign_up(db, bus, training_id=training, telegram_id=2, now=now)
    change_channel(
        db, bus, registration_id=second.registration_id, telegram_id=2, channel_mhz=5658, now=now
    )
    sign_up(db, bus, training_id=training, telegram_id=3, now=now)
    sign_up(db, bus, training_id=training, telegram_id=4, now=now)
    before = _seats(db, training)
    assert [before[t]["channel_pinned"] for t in (1, 2, 3, 4)] == [True, True, False, False]

    proposal = plan(db, training)  # reads only
    assert _seats(db, training) == before and proposal.frozen_at is None
    assert all(m.registration_id not in proposal.heats[0].pinned for m in proposal.moves)

    result = freeze_training(db, training, now)
    after = _seats(db, training)
    assert after[1]["channel_mhz"] == 5695 and after[2]["channel_mhz"] == 5658
    assert result.plan is not None
    assert {m.registration_id for m in result.plan.moves} <= {
        before[3]["id"],
        before[4]["id"],
    }


def test_freeze_due_follows_the_venue_offset(db):
    now = datetime.now(UTC)
    soon = make_training(db, starts_in=timedelta(hours=23), now=now)
    later = make_training(db, starts_in=timedelta(hours=30), now=now)
    with db.transaction() as tx:
        venue = tx.value("SELECT venue_id FROM trainings WHERE id = :id", id=later)
        tx.execute("UPDATE venues SET channel_freeze_hours = 36 WHERE id = :id", id=venue)
    far = make_training(db, starts_in=timedelta(hours=30), now=now)
    frozen = {r.training_id for r in freeze_due(db, now)}
    assert frozen == {soon, later}
    assert far not in frozen
    assert freeze_due(db, now) == []


def test_the_reminders_job_freezes_first_so_the_24h_reminder_has_the_final_channel(db, bus):
    import asyncio

    from telegram import Bot

    from fpv.jobs.clock import ScaledClock
    from fpv.jobs.reminders_job import run_reminders_job
    from fpv.local.fake_telegram import FakeTelegram

    now = datetime.now(UTC)
    training = make_training(db, min_mhz=LO, max_mhz=HI, starts_in=timedelta(hours=30), now=now)
    for i, equipment in enumerate(MIXED):
        make_pilot(db, 9200 + i, equipment=equipment)
        sign_up(db, bus, training_id=training, telegram_id=9200 + i, now=now)
    before = _seats(db, training)
    at = now + timedelta(hours=6, minutes=30)  # 23.5 h before the start: freeze and 24 h reminder

    async def main(fake):
        bot = Bot(fake.token, base_url=f"{fake.base_url}/bot")
        try:
            return await run_reminders_job(db, bus, clock=ScaledClock(20, start=at), sender=bot)
        finally:
            await bot.shutdown()

    with FakeTelegram() as fake:
        asyncio.run(main(fake))
        after = _seats(db, training)
        moved = [tid for tid in after if after[tid]["channel_mhz"] != before[tid]["channel_mhz"]]
        assert moved
        for tid in moved:
            texts = [c.text for c in fake.calls_to("sendMessage", tid)]
            reminder = [x for x in texts if str(after[tid]["channel_mhz"]) in x]
            assert reminder, texts  # the reminder names the final channel
            assert all(str(before[tid]["channel_mhz"]) not in x for x in reminder)


def test_cli_plan_shows_current_optimal_moves_and_gain_and_apply_freezes(app_env, db, bus, capsys):
    from fpv.cli import main

    now = datetime.now(UTC)
    training = make_training(db, min_mhz=LO, max_mhz=HI, now=now, title="Вечерняя")
    for i, equipment in enumerate(MIXED):
        make_pilot(db, 9300 + i, equipment=equipment, nickname=f"ace{i}")
        sign_up(db, bus, training_id=training, telegram_id=9300 + i, now=now)
    before = _seats(db, training)

    assert main(["channels", "plan", str(training)]) == 0
    out = capsys.readouterr().out
    assert "channels not frozen yet (they freeze 24 h before the start)" in out
    assert "current IMD rating" in out and "optimal IMD rating" in out
    assert "move ace" in out and "gain: " in out and "pilots move" in out
    assert _seats(db, training) == before  # plan only reads

    assert main(["channels", "plan", str(training), "--apply"]) == 0
    out = capsys.readouterr().out
    moved = [
        tid
        for tid, s in _seats(db, training).items()
        if s["channel_mhz"] != before[tid]["channel_mhz"]
    ]
    assert moved and f"applied: {len(moved)} move(s), {len(moved)} message(s)" in out
    assert main(["channels", "plan", str(training), "--apply"]) == 0
    assert "nothing changed: the channels are frozen already" in capsys.readouterr().out
    with db.transaction() as tx:
        actor = tx.value(
            "SELECT details->>'actor' FROM admin_audit_log WHERE target = :t",
            t=f"training:{training}",
        )
    assert actor == "system via cli"

    assert main(["channels", "plan", "999999"]) == 2
    assert "training 999999 not found" in capsys.readouterr().err


def test_a_started_or_cancelled_training_is_not_frozen(db, bus):
    now = datetime.now(UTC)
    started = make_training(db, starts_in=timedelta(hours=1), now=now)
    make_pilot(db, 9400, equipment="R")
    sign_up(db, bus, training_id=started, telegram_id=9400, now=now)
    assert not freeze_training(db, started, now + timedelta(hours=2)).frozen
    cancelled = make_training(db, now=now)
    with db.transaction() as tx:
        tx.execute("UPDATE trainings SET status = 'cancelled' WHERE id = :id", id=cancelled)
    assert not freeze_training(db, cancelled, now).frozen
    with db.transaction() as tx:
        frozen = tx.all(
            "SELECT id FROM trainings WHERE channels_frozen_at IS NOT NULL AND id IN (:a, :b)",
            a=started,
            b=cancelled,
        )
    assert frozen == []
