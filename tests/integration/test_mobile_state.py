"""The pilots' app's state/API-client layer (mobile/fpv_app, no UI) against the real local
platform over HTTP: the template's routes served by uvicorn, real PostgreSQL, the bot talking to
the fake Bot API. Sign-in through the bot, sign up free and paid (the Telegram invoice link),
cancel, change channel, the notifications feed, errors in words, and the schedule cache shown
offline with its age once the server is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fpv import outbox
from fpv.registrations import sign_up
from fpv_app.client import ApiError
from fpv_app.config import AppConfig
from fpv_app.state import AppState, Filters, local_start
from fpv_app.texts import error_text
from tests.support.bot import BotPlatform, Chat, bot_platform
from tests.support.factories import make_pilot, make_training, make_venue

PILOT = 730_001


@pytest.fixture
def p(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch) as platform:
        yield platform


def app_state(p: BotPlatform, tmp_path, **kw) -> AppState:
    config = AppConfig(api_url=p.base_url, data_dir=tmp_path / "app", device_name="Pixel 9")
    return AppState(config, **kw)


def confirm_in_bot(chat: Chat, deep_link: str) -> None:
    payload = deep_link.split("?start=", 1)[1]
    chat.send(f"/start {payload}")
    nonce = payload.removeprefix("app_")
    chat.press(f"app:{nonce}")


def signed_in(p: BotPlatform, tmp_path, **kw) -> AppState:
    state = app_state(p, tmp_path, **kw)
    started = state.start_sign_in()
    confirm_in_bot(p.chat(PILOT), started.deep_link)
    assert state.poll_sign_in() is True
    return state


def test_sign_in_through_the_bot_keeps_the_token(p: BotPlatform, tmp_path):
    make_pilot(p.db, PILOT, nickname="Ace")
    kept: list[str | None] = []
    state = app_state(p, tmp_path, on_token=kept.append)
    started = state.start_sign_in()
    assert started.deep_link.startswith("https://t.me/fpv_training_bot?start=app_")

    assert state.poll_sign_in() is False  # not confirmed yet: wait, no error
    assert not state.signed_in

    confirm_in_bot(p.chat(PILOT), started.deep_link)
    assert state.poll_sign_in() is True
    assert state.signed_in and kept == [state.token]
    assert state.profile is not None and state.profile.nickname == "Ace"
    assert [d.name for d in state.devices()] == ["Pixel 9"]

    # polling again after the token was issued: the sign-in is over, nothing breaks
    with pytest.raises(ApiError) as over:
        state.poll_sign_in()
    assert over.value.code == "sign_in_over"

    # a token revoked elsewhere (the bot's Devices button): the app notices and forgets it
    token = state.token
    state.sign_out()
    assert kept[-1] is None and not state.signed_in
    other = app_state(p, tmp_path / "other")
    other.token = token
    with pytest.raises(ApiError) as gone:
        other.load_profile()
    assert gone.value.code == "unauthorized"
    assert "Войдите снова" in error_text(gone.value.code, "ru")


def test_expired_sign_in_is_said_in_words(p: BotPlatform, tmp_path):
    make_pilot(p.db, PILOT, nickname="Ace")
    state = app_state(p, tmp_path)
    state.start_sign_in()
    with p.db.transaction() as tx:
        tx.execute("UPDATE app_sign_ins SET expires_at = now() - interval '1 minute'")
    with pytest.raises(ApiError) as over:
        state.poll_sign_in()
    assert over.value.code == "sign_in_over" and state.sign_in is None
    assert error_text("sign_in_over", "en") == "The sign-in link has expired. Start again."


def test_sign_up_free_and_paid_cancel_and_change_channel(p: BotPlatform, tmp_path):
    make_pilot(p.db, PILOT, nickname="Ace")
    free = make_training(p.db, title="Free")
    paid = make_training(p.db, price_kopecks=50_000, title="Paid")
    state = signed_in(p, tmp_path)

    card = state.training(free)
    assert card.mine is None and card.training.title == "Free" and card.channels
    wanted = card.channels[1].mhz  # a chosen channel, with its rating shown in the app
    done = state.sign_up(free, wanted)
    assert done.registration.status == "confirmed" and done.registration.channel_mhz == wanted
    assert done.invoice_link is None

    with pytest.raises(ApiError) as twice:  # a double tap: one seat, a clear answer
        state.sign_up(free)
    assert twice.value.code == "already_registered"
    assert "уже записаны" in error_text(twice.value.code, "ru")

    board = state.training(free)
    assert board.mine is not None and board.mine.id == done.registration.id
    assert [s.channel_mhz for s in board.board] == [wanted]

    bill = state.sign_up(paid)  # automatic channel
    assert bill.registration.status == "pending_payment" and bill.price_kopecks == 50_000
    assert bill.invoice_link is not None and bill.invoice_link.startswith("https://t.me/$")

    mine = state.my_trainings()
    assert {m.registration.training_id for m in mine} == {free, paid}
    assert {m.title for m in mine} == {"Free", "Paid"}

    # what a phone schedules as local notifications: the confirmed seat only, 24 h and 1 h before
    assert [(r.registration_id, r.kind) for r in state.reminders()] == [
        (done.registration.id, "24h"),
        (done.registration.id, "1h"),
    ]

    other = next(c.mhz for c in card.channels if c.mhz != wanted)
    moved = state.change_channel(done.registration.id, other)
    assert moved.mhz == other
    assert state.training(free).mine.channel_mhz == other

    assert state.cancel(done.registration.id) is False  # free: no money to return
    with pytest.raises(ApiError) as again:
        state.cancel(done.registration.id)
    assert again.value.code == "not_found"
    assert {m.registration.training_id for m in state.my_trainings()} == {paid}


def test_too_late_to_cancel_is_said_in_words(p: BotPlatform, tmp_path):
    make_pilot(p.db, PILOT, nickname="Ace")
    soon = make_training(p.db, starts_in=timedelta(hours=2), cancel_cutoff_hours=12)
    state = signed_in(p, tmp_path)
    seat = state.sign_up(soon)
    with pytest.raises(ApiError) as late:
        state.cancel(seat.registration.id)
    assert late.value.code == "too_late"
    assert "срок отмены" in error_text("too_late", "ru")


def test_notifications_polling_reports_only_new(p: BotPlatform, tmp_path):
    make_pilot(p.db, PILOT, nickname="Ace")
    state = signed_in(p, tmp_path)
    with p.db.transaction() as tx:
        outbox.message(tx, PILOT, "Before the app opened")
    assert state.poll_notifications() == []  # the first poll: history, not news
    assert [n.text for n in state.notifications] == ["Before the app opened"]

    with p.db.transaction() as tx:
        outbox.message(tx, PILOT, "Channel moved to R2")
    fresh = state.poll_notifications()
    assert [n.text for n in fresh] == ["Channel moved to R2"]
    assert state.poll_notifications() == []
    assert state.notifications[0].text == "Channel moved to R2"


def test_schedule_filters_and_offline_cache_with_age(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch) as p:
        home, away = make_venue(p.db), make_venue(p.db)
        free = make_training(p.db, venue_id=home, title="Free evening")
        paid = make_training(
            p.db, venue_id=away, title="Paid morning", price_kopecks=80_000, starts_in=timedelta(3)
        )
        full = make_training(p.db, venue_id=home, title="Full", capacity=1, starts_in=timedelta(4))
        make_pilot(p.db, PILOT + 1, nickname="Early")
        sign_up(p.db, p.bus, training_id=full, telegram_id=PILOT + 1, hold_minutes=15)
        state = app_state(p, tmp_path)
        schedule = state.load_schedule()
        assert not schedule.from_cache
        assert {t.id for t in schedule.trainings} >= {free, paid, full}
        assert len(schedule.cities) >= 2

        by_id = {t.id: t for t in schedule.trainings}
        ours = (free, paid, full)  # the platform also has its demo trainings

        def shown(**filters) -> list[int]:
            state.filters = Filters(**filters)
            return [t.id for t in state.visible() if t.id in ours]

        assert shown() == [free, paid, full]  # by start time
        assert shown(price="paid") == [paid]
        assert shown(price="free", venue=home) == [free, full]
        assert shown(free_seats=True) == [free, paid]
        assert shown(city=by_id[paid].venue.city_id) == [paid]
        assert shown(day=local_start(by_id[free]).date()) == [free]
        assert {home, away} <= set(state.venues())

    # the server is gone: the same schedule from the cache, with when it was loaded
    offline = app_state(p, tmp_path)
    later = datetime.now(UTC) + timedelta(minutes=5)
    cached = offline.load_schedule()
    assert cached.from_cache
    assert [t.id for t in cached.trainings] == [t.id for t in schedule.trainings]
    assert cached.fetched_at == schedule.fetched_at
    assert timedelta(minutes=4) < cached.age(later) < timedelta(minutes=6)


def test_offline_without_a_cache_is_said_in_words(tmp_path):
    from tests.support.server import free_port

    state = AppState(AppConfig(api_url=f"http://127.0.0.1:{free_port()}", data_dir=tmp_path))
    with pytest.raises(ApiError) as nothing:
        state.load_schedule()
    assert nothing.value.code == "offline"
    assert "Нет связи" in error_text("offline", "ru")
    # a broken cache file is as good as none: still a clear error, not a crash
    (tmp_path / "schedule.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ApiError):
        state.load_schedule()


def test_the_app_may_call_at_once_from_several_threads(p: BotPlatform, tmp_path):
    """The app polls the feed while a screen loads: concurrent requests reach the local runner's
    worker threads, each of which needs its own event loop for the public API's Mangum."""
    from concurrent.futures import ThreadPoolExecutor

    make_pilot(p.db, PILOT, nickname="Ace")
    state = signed_in(p, tmp_path)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: len(state.api.schedule_raw()), range(12)))
    assert len(set(results)) == 1 and results[0] > 0


def test_profile_devices_and_deleting_the_account(p: BotPlatform, tmp_path):
    make_pilot(p.db, PILOT, nickname="Ace")
    kept: list[str | None] = []
    state = signed_in(p, tmp_path, on_token=kept.append)

    saved = state.update_profile(
        nickname="Ace_2", equipment="dji-o3", language="en", show_on_site=True
    )
    assert (saved.nickname, saved.equipment, saved.language, saved.show_on_site) == (
        "Ace_2",
        "dji-o3",
        "en",
        True,
    )
    assert state.language == "en"  # the app follows the profile's language
    with pytest.raises(ApiError) as bad:
        state.update_profile(equipment="Z,Q")
    assert bad.value.code == "invalid"
    with pytest.raises(ApiError) as bad_nick:
        state.update_profile(nickname="x")
    assert bad_nick.value.code == "nickname_invalid"
    assert state.load_profile().equipment == "dji-o3"  # nothing half-saved
    # the profile's choices come from the platform's own tables, and each one saves
    from fpv.channels.bands import ANALOG_BAND_CODES, DIGITAL_SYSTEM_IDS

    bands, systems = state.equipment_choices()
    assert bands == list(ANALOG_BAND_CODES) and list(systems) == list(DIGITAL_SYSTEM_IDS)
    assert systems["dji-o4-race"] == "DJI O4 Race"
    for system in systems:
        assert state.update_profile(equipment=system).equipment == system
    assert state.update_profile(equipment=",".join(bands)).equipment

    # a second device, signed out from this one
    second = signed_in(p, tmp_path / "second")
    devices = state.devices()
    assert len(devices) == 2 and sum(d.current for d in devices) == 1
    other = next(d for d in devices if not d.current)
    state.revoke_device(other.id, current=False)
    with pytest.raises(ApiError) as out:
        second.my_trainings()
    assert out.value.code == "unauthorized" and not second.signed_in

    seat = state.sign_up(make_training(p.db, title="Soon"))
    state.delete_account()
    assert kept[-1] is None and not state.signed_in
    with p.db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM pilots WHERE telegram_id = :t", t=PILOT) == 0
        status = tx.value("SELECT status FROM registrations WHERE id = :r", r=seat.registration.id)
    assert status == "cancelled"
