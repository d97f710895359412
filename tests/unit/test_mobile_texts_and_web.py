"""The pilots' app without a server: its words (Russian and English, the same keys and
placeholders; every error code the client can raise has words), the filters, and the web build's
page (Rive's runtime pointed at the local copy, nothing else changed)."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import pytest

from fpv_app import client
from fpv_app.client import ApiError, Training
from fpv_app.state import Filters
from fpv_app.texts import age_text, catalogue, error_text, money, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_russian_and_english_have_the_same_keys_and_placeholders():
    ru, en = catalogue("ru"), catalogue("en")
    assert ru.keys() == en.keys()
    for key in ru:
        assert placeholders(ru[key]) == placeholders(en[key]), key


def test_every_error_code_has_words():
    codes = set(client._KINDS.values()) | set(client._STATUSES.values())
    codes |= {"offline", "timeout", "server", "bad_answer", "bad_request", "unknown"}
    for code in codes:
        for lang in ("ru", "en"):
            assert f"error.{code}" in catalogue(lang), code
    assert error_text("no-such-code", "en") == t("error.unknown", "en")


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (
            409,
            {"type": "https://x/problems/AlreadyRegistered", "title": "Already registered"},
            "already_registered",
        ),
        (409, {"type": "https://x/problems/CancelTooLate"}, "too_late"),
        (409, {"type": "https://x/problems/pending"}, "pending"),
        (410, {"type": "about:blank"}, "sign_in_over"),
        (401, {}, "unauthorized"),
        (502, None, "server"),
        (418, None, "bad_request"),
    ],
)
def test_problem_answers_become_codes(status, body, code):
    import httpx

    response = httpx.Response(status, json=body) if body is not None else httpx.Response(status)
    assert client._error_from(response).code == code


def test_words_for_money_and_age():
    assert money(0, "ru") == "Бесплатно"
    assert money(50_000, "ru") == "500 ₽"
    assert money(150_050, "en") == "1\u00a0500.50 ₽"
    assert age_text(30, "ru") == "только что"
    assert age_text(5 * 60, "en") == "5 min ago"
    assert age_text(3 * 3600, "ru") == "3 ч назад"
    assert age_text(3 * 86400, "en") == "3 days ago"
    assert not ApiError("offline").status and ApiError("offline").is_network


def training(price: int, seats: int, starts: str) -> Training:
    return Training.of(
        {
            "id": 1,
            "title": "T",
            "starts_at": starts,
            "ends_at": starts,
            "time_zone": "Asia/Novosibirsk",
            "capacity": 8,
            "seats_free": seats,
            "price_kopecks": price,
            "venue": {"id": 3, "name": "V", "time_zone": "Asia/Novosibirsk", "city_id": 2},
        }
    )


def test_the_day_filter_uses_the_venues_clock():
    late = training(0, 1, "2026-12-02T20:30:00+00:00")  # 03:30 on the 3rd in Novosibirsk
    assert Filters(day=datetime(2026, 12, 3, tzinfo=UTC).date()).match(late)
    assert not Filters(day=datetime(2026, 12, 2, tzinfo=UTC).date()).match(late)
    assert Filters(price="free", free_seats=True, city=2, venue=3).match(late)
    assert not Filters(price="paid").match(late)
    assert not Filters(free_seats=True).match(training(0, 0, "2026-12-02T10:00:00+00:00"))


def test_the_web_page_loads_rive_from_this_server(tmp_path):
    from fpv_app.serve import RIVE_CDN, RIVE_PACKAGE, prepare_assets, web_dir

    if not (RIVE_PACKAGE / "wasm" / "rive_native.js").exists():
        pytest.skip("mobile/node_modules missing: run `make app` or `npm ci --prefix mobile`")
    assets = prepare_assets(tmp_path / "web")
    index = (assets / "index.html").read_text(encoding="utf-8")
    original = (web_dir() / "index.html").read_text(encoding="utf-8")
    # the shim runs before Flutter's scripts, and the page is otherwise Flet's own
    assert index.index('src="rive-local.js"') < index.index('src="flutter_bootstrap.js"')
    stripped = index.replace('<script src="rive-local.js"></script>\n  ', "")
    assert stripped.replace('<html lang="ru">', "<html>") == original
    shim = (assets / "rive-local.js").read_text(encoding="utf-8")
    assert RIVE_CDN in shim
    for sub in ("wasm", "wasm_compatibility"):
        for name in ("rive_native.js", "rive_native.wasm"):
            assert (assets / "rive" / sub / name).read_bytes() == (
                RIVE_PACKAGE / sub / name
            ).read_bytes()
    # the client asks for exactly the version the npm package pins
    main_js = (web_dir() / "main.dart.js").read_text(encoding="utf-8", errors="replace")
    asked = set(re.findall(r"flutter-native-wasm@([0-9.]+)/", main_js))
    pinned = __import__("json").loads((RIVE_PACKAGE / "package.json").read_text())["version"]
    assert asked == {pinned}


def test_reminder_plan_for_confirmed_seats_still_ahead():
    from datetime import timedelta

    from fpv_app.client import MyTraining
    from fpv_app.state import reminder_plan

    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def mine(reg_id: int, status: str, starts_in: timedelta) -> MyTraining:
        starts = now + starts_in
        return MyTraining.of(
            {
                "id": reg_id,
                "training_id": reg_id,
                "status": status,
                "heat": 1,
                "title": f"T{reg_id}",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat(),
                "venue_name": "V",
                "time_zone": "Europe/Moscow",
                "price_kopecks": 0,
            }
        )

    plan = reminder_plan(
        [
            mine(1, "confirmed", timedelta(days=2)),  # both ahead
            mine(2, "confirmed", timedelta(hours=5)),  # the 24 h one has passed
            mine(3, "pending_payment", timedelta(days=2)),  # unpaid: none
            mine(4, "waitlisted", timedelta(days=2)),
            mine(5, "confirmed", timedelta(minutes=30)),  # both passed
        ],
        now,
    )
    assert [(r.registration_id, r.kind) for r in plan] == [(2, "1h"), (1, "24h"), (1, "1h")]
    assert plan[1].at == now + timedelta(days=1)
