"""The admin page in headless Chromium against the local platform (what `make run` serves: the
built page at /admin/, the admin API through the template's routes, the demo data): two-step
login with the code the fake Bot API received, a weekly series that reaches the public site, a
channel move on the board (the channels the API offers) that changes the heat's rating, the
dashboard's revenue with a season pass, the pilot list and the audit log downloaded as CSV (parsed
back) and PDF (read back with pdftotext, Cyrillic intact), confirmations, the English switch, a
phone-wide layout, a strict CSP, and a local admin kept to their venue. Screenshots at 1280 and
390 px go to test-artifacts/."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from fpv import passes, runtime
from fpv.actors import SYSTEM
from fpv.dal import passes as passes_dal
from fpv.dal import payments, people, seats
from fpv.local.fake_telegram import FakeTelegram
from fpv.local.runner import platform
from tests.support.admin import PASSWORD, make_admin
from tests.support.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
PDFTOTEXT = shutil.which("pdftotext")
PAGE_DIR = ROOT / "static_site" / "admin"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium not installed (/usr/bin/chromium; apt-get install chromium)",
    ),
]


def q(db, sql, **params):
    with db.transaction(readonly=True) as tx:
        return tx.all(sql, **params)


@pytest.fixture(scope="module")
def built_page() -> Path:
    """The bundle `make run` serves; built here when a test run starts without `make`."""
    try:
        subprocess.run(["make", "-s", "admin-page"], cwd=ROOT, check=True, timeout=300)
    except FileNotFoundError:
        pytest.skip("make/npm not available to build the admin page")
    return PAGE_DIR / "dist"


@pytest.fixture(scope="module")
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def admin_url(built_page, app_env, telegram, tmp_path, monkeypatch):
    with telegram._cond:
        telegram.calls.clear()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram.base_url)
    monkeypatch.setattr(runtime, "_bus", None)  # a bus of our own: no other test's subscribers
    with (
        platform(ROOT, data_dir=tmp_path, schedules=False) as gateway,
        serve_in_thread(gateway) as url,
    ):
        yield url


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """What the page must never do: break the CSP, throw, or talk to another origin."""

    def __init__(self, page, origin: str):
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("request", lambda r: self._request(r.url, origin))

    def _console(self, msg) -> None:
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            self.problems.append(f"console: {msg.text}")
        if "Content Security Policy" in msg.text:
            self.problems.append(f"csp: {msg.text}")

    def _request(self, url: str, origin: str) -> None:
        if not (url.startswith(origin) or url.startswith(("blob:", "data:"))):
            self.problems.append(f"foreign request: {url}")


def code_sent_to(telegram: FakeTelegram, telegram_id: int, after: int) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        calls = telegram.calls_to("sendMessage", telegram_id)
        if len(calls) > after:
            found = re.search(r"\b(\d{6})\b", calls[-1].params.get("text", ""))
            assert found, calls[-1].params
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError("the bot sent no code")


def log_in(page, url: str, telegram: FakeTelegram, login: str, telegram_id: int) -> None:
    page.goto(f"{url}/admin/")
    page.wait_for_selector("#login-form")
    assert page.evaluate("location.hash") == "#/login"
    before = len(telegram.calls_to("sendMessage", telegram_id))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")  # keyboard only
    page.wait_for_selector("#code-form")
    code = code_sent_to(telegram, telegram_id, before)
    page.fill("input[name=code]", code)
    page.press("input[name=code]", "Enter")
    page.wait_for_selector("#nav")
    page.wait_for_selector("table.trainings, main .view > .msg-info")
    assert page.evaluate("location.hash") == "#/trainings"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top of a full-page shot
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px window"


def _paid_seat(db) -> tuple[int, int]:
    """A pilot seated and paid in a paid demo training: the demo has no payments of its own."""
    with db.transaction() as tx:
        training = tx.one(
            "SELECT id, venue_id, price_kopecks FROM trainings WHERE price_kopecks > 0"
            " ORDER BY starts_at LIMIT 1"
        )
        people.record_consent(tx, telegram_id=9_100_001, policy_version="demo")
        pilot = people.insert_pilot(tx, telegram_id=9_100_001, nickname="Кэшбэк", show_on_site=True)
        reg = seats.insert_confirmed(
            tx, training_id=training["id"], pilot_id=pilot, channel_mhz=5658, channel_label="R1"
        )
        payments.insert_payment(
            tx, registration_id=reg, training_id=training["id"], pilot_id=pilot,
            provider="yookassa", amount=training["price_kopecks"], currency="RUB",
            telegram_charge_id="tg-charge-admin-page", provider_charge_id="yk-1",
        )  # fmt: skip
    return training["venue_id"], training["price_kopecks"]


def _bought_pass(db, venue_id: int) -> int:
    """A season pass of the venue bought (paid) today: revenue at purchase."""
    product = passes.create_product(
        db, SYSTEM, title="Пять тренировок", valid_days=60, price_kopecks=450_000, trainings=5,
        venue_id=venue_id,
    )  # fmt: skip
    with db.transaction() as tx:
        pilot = people.insert_pilot(
            tx, telegram_id=9_100_002, nickname="Абонент", show_on_site=False
        )
        bought = passes_dal.insert_pass(tx, product_id=product, pilot_id=pilot, credits_total=5)
        passes_dal.activate(tx, bought["id"], now=datetime.now(UTC))
        payments.insert_payment(
            tx, registration_id=None, training_id=None, pilot_id=pilot, provider="yookassa",
            amount=450_000, currency="RUB", telegram_charge_id="tg-charge-pass-admin-page",
            provider_charge_id="yk-pass-1", pass_id=bought["id"],
        )  # fmt: skip
    return 450_000


def pdf_text(path: str) -> str:
    done = subprocess.run(
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", path, "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def test_an_organizers_day_in_the_browser(admin_url, browser, db, telegram):
    root = make_admin(db, "root", 960_001)
    assert root["role"] == "superadmin"
    paid_venue, paid_kopecks = _paid_seat(db)
    pass_kopecks = _bought_pass(db, paid_venue)
    [demo] = q(
        db,
        "SELECT r.training_id AS id FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE p.nickname = 'Vortex'",
    )
    page = browser.new_page(
        viewport={"width": 1280, "height": 900}, locale="ru-RU", accept_downloads=True
    )
    watch = Watch(page, admin_url)

    # 1. The two-step login; a wrong code is refused in words and the right one lets in.
    page.goto(f"{admin_url}/admin/")
    page.wait_for_selector("#login-form")
    assert page.locator("html").get_attribute("lang") == "ru"
    shot(page, "login-1280")
    page.fill("input[name=login]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#code-form")
    code = code_sent_to(telegram, 960_001, 0)
    page.fill("input[name=code]", f"{(int(code) + 1) % 1_000_000:06d}")
    page.press("input[name=code]", "Enter")
    error = page.wait_for_selector(".msg-error")
    assert "Неверный код" in error.inner_text()
    page.fill("input[name=code]", code)
    page.press("input[name=code]", "Enter")
    page.wait_for_selector("table.trainings")
    rows = page.locator("table.trainings tbody tr")
    listed = len(q(db, "SELECT id FROM trainings WHERE starts_at > now()"))
    assert rows.count() == listed > 3
    shot(page, "trainings-1280")

    # 2. A weekly series: four Thursdays, one date skipped (the series goes on past it); it
    # reaches the public site.
    page.click("text=Еженедельная серия")
    page.wait_for_selector("#series-form")
    venue = q(db, "SELECT id, time_zone FROM venues ORDER BY id LIMIT 1")[0]
    today = datetime.now(ZoneInfo(venue["time_zone"])).date()
    first = today + timedelta(days=21 + (3 - today.weekday()) % 7)  # a Thursday
    page.select_option("#series-form select", str(venue["id"]))
    page.fill("input[name=title]", "Четверговая гонка")
    page.fill("input[name=first_date]", first.isoformat())
    page.fill("input[name=start_time]", "19:30")
    page.fill("input[name=count]", "4")
    page.fill("input[name=skip]", (first + timedelta(days=14)).isoformat())
    page.fill("input[name=price]", "700")
    page.click("#series-form button[type=submit]")
    ok = page.wait_for_selector(".msg-ok")
    assert "Создано тренировок: 4" in ok.inner_text()
    created = q(
        db,
        "SELECT starts_at, series_id, price_kopecks FROM trainings"
        " WHERE title = 'Четверговая гонка' ORDER BY starts_at",
    )
    assert len(created) == 4 and len({r["series_id"] for r in created}) == 1
    assert all(r["price_kopecks"] == 70_000 for r in created)
    local = [r["starts_at"].astimezone(ZoneInfo(venue["time_zone"])) for r in created]
    assert [d.date() for d in local] == [first + timedelta(w * 7) for w in (0, 1, 3, 4)]
    assert {(d.hour, d.minute) for d in local} == {(19, 30)}
    assert page.locator("table.trainings tbody tr").count() == 4
    deadline = time.monotonic() + 20
    while True:  # the "schedule changed" event rebuilds the public site
        schedule = httpx.get(f"{admin_url}/schedule.json", timeout=5).json()
        titles = [t["title"] for t in schedule["trainings"]]
        if titles.count("Четверговая гонка") == 4:
            break
        assert time.monotonic() < deadline, "the series never reached the public site"
        time.sleep(0.3)
    shot(page, "series-1280")

    # 3. The channel board: move Vortex, the live preview then the heat's rating change.
    page.goto(f"{admin_url}/admin/#/trainings/{demo['id']}")
    page.wait_for_selector("[data-heat-rating='1']")
    rating = page.locator("[data-heat-rating='1']")
    before = rating.inner_text()
    assert before.endswith(": 100")  # R1 R3 R6: ET's table says 100
    vortex = page.locator("tr", has_text="Vortex")
    # the channels come from the API (channel-options: the allocator's view of the pilot's VTX)
    assert vortex.locator("select.move-select").get_attribute("data-source") == "server"
    vortex.locator("select.move-select").select_option("5695")  # R2: right next to R1
    preview = vortex.locator("output.preview")
    assert "Рейтинг заезда станет" in preview.inner_text()
    shot(page, "board-preview-1280")
    vortex.locator("button", has_text="Переставить").click()
    moved = page.wait_for_selector(".msg-ok")
    text = moved.inner_text()
    server_rating = int(re.search(r"Рейтинг заезда (-?\d+)", text).group(1))
    page.wait_for_function(
        "b => document.querySelector(\"[data-heat-rating='1']\").textContent !== b", arg=before
    )
    after = page.locator("[data-heat-rating='1']").inner_text()
    assert after != before and after.endswith(f": {server_rating}")
    [reg] = q(
        db,
        "SELECT channel_mhz FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE p.nickname = 'Vortex'",
    )
    assert reg["channel_mhz"] == 5695
    shot(page, "board-1280")

    # The rebalance proposal says what it gains; applied after a confirmation, the rating rises.
    page.click("text=Предложить перестановку")
    proposal = page.wait_for_selector(".rebalance-out p:not(.loading)")
    assert proposal.inner_text().startswith("Заезд 1: рейтинг станет")
    assert f"(сейчас {server_rating})" in proposal.inner_text()
    proposed = int(re.search(r"станет (-?\d+)", proposal.inner_text()).group(1))
    assert proposed > server_rating
    shot(page, "rebalance-1280")
    page.click("text=Применить перестановку")
    page.click("dialog.confirm [data-confirm=yes]")
    page.wait_for_selector(".msg-ok >> text=Переставлено пилотов")
    assert page.locator("[data-heat-rating='1']").inner_text().endswith(f": {proposed}")

    # 4. Destructive actions ask first: withdrawing a pilot, cancelled by Escape, changes nothing;
    # confirmed, it withdraws them.
    page.locator("tr", has_text="Korvin").locator("button", has_text="Снять").click()
    dialog = page.wait_for_selector("dialog.confirm")
    assert "Korvin" in dialog.inner_text()
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog.confirm", state="detached")
    statuses = q(
        db,
        "SELECT r.status FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE p.nickname = 'Korvin'",
    )
    assert [r["status"] for r in statuses] == ["confirmed"]
    page.locator("tr", has_text="Korvin").locator("button", has_text="Снять").click()
    page.click("dialog.confirm [data-confirm=yes]")
    done = page.wait_for_selector(".msg-ok >> text=Korvin снят")
    assert "Возвратов: 0" in done.inner_text()
    statuses = q(
        db,
        "SELECT r.status FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE p.nickname = 'Korvin'",
    )
    assert [r["status"] for r in statuses] == ["cancelled"]
    assert page.locator(".heat", has_text="Korvin").count() == 0
    assert "2 из 8" in page.locator("#training-seats").inner_text()  # the header follows

    # 4b. Moving the training an hour later tells its two pilots, and the page says so.
    page.click("details.edit > summary")
    starts = page.locator("details.edit input[type=datetime-local]")
    later = datetime.fromisoformat(starts.input_value()) + timedelta(hours=1)
    starts.fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.click("details.edit button[type=submit]")
    page.wait_for_selector(".msg-ok >> text=Пилотам сообщено о новом времени: 2")

    # The pilot list as CSV from the API: UTF-8 with a BOM, ";" for Excel, parsed back.
    assert page.locator("select[data-csv-sep=pilots]").input_value() == ";"
    with page.expect_download() as got:
        page.click("[data-export-kind=pilots][data-export=csv]")
    raw = Path(got.value.path()).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and got.value.suggested_filename.endswith(".csv")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:4] == ["Пилот", "Канал", "МГц", "Заезд"]
    by_nick = {row[0]: row for row in table[1:]}
    assert set(by_nick) == {"Skywalker", "Vortex", "Korvin"}
    assert by_nick["Korvin"][4] == "отменена" and by_nick["Skywalker"][4] == "подтверждена"
    channels = q(
        db,
        "SELECT p.nickname, r.channel_mhz FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE r.training_id = :t AND r.status = 'confirmed'",
        t=demo["id"],
    )
    assert {(r["nickname"], str(r["channel_mhz"])) for r in channels} == {
        (n, by_nick[n][2]) for n in ("Skywalker", "Vortex")
    }
    page.wait_for_selector(".progress >> text=Сохранено: pilots-")
    # ... and as PDF: the text read back, Cyrillic intact.
    with page.expect_download() as got:
        page.click("[data-export-kind=pilots][data-export=pdf]")
    assert got.value.suggested_filename.endswith(".pdf")
    if PDFTOTEXT:
        text = pdf_text(got.value.path())
        assert "Список пилотов" in text and "подтверждена" in text and "отменена" in text
        assert "Skywalker" in text and "Vortex" in text
    else:
        assert Path(got.value.path()).read_bytes().startswith(b"%PDF-")
    shot(page, "exports-1280")

    # 5. The dashboard: the paid seat is the revenue; charts drawn.
    page.click("#nav >> text=Сводка")
    page.wait_for_selector("[data-tile=paid]")
    page.wait_for_selector("figure[data-chart=revenue] canvas")
    paid_tile = page.locator("[data-tile=paid] strong").inner_text()
    assert re.sub(r"\s", "", paid_tile) == f"{paid_kopecks // 100}₽"
    # the pass counts when bought; its product's credits in use of those sold
    passes_tile = page.locator("[data-tile=passes] strong").inner_text()
    assert re.sub(r"\s", "", passes_tile) == f"{pass_kopecks // 100}₽"
    product_row = page.locator("#dash-passes tr", has_text="Пять тренировок")
    assert product_row.locator("[data-credits-sold]").inner_text().startswith("0 / 5")
    page.wait_for_function("document.querySelectorAll('figure.chart canvas').length === 6")
    page.wait_for_timeout(300)
    shot(page, "dashboard-1280")

    # 6. The audit log: the move is there; the export downloads and parses back.
    page.click("#nav >> text=Журнал")
    page.wait_for_selector("table.audit tbody tr")
    assert page.locator("table.audit", has_text="registration.move_channel").count() == 1
    with page.expect_download() as got:
        page.click("[data-export-kind=audit][data-export=ndjson]")
    path = got.value.path()
    lines = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines()]
    actions = [x["action"] for x in lines]
    assert "registration.move_channel" in actions and "training.create_series" in str(actions)
    assert "export.pilot_list" in actions  # the downloads above are audited
    page.select_option("select[data-csv-sep=audit]", ",")
    with page.expect_download() as got:
        page.click("[data-export-kind=audit][data-export=csv]")
    raw = Path(got.value.path()).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:4] == ["Когда", "Кто", "Действие", "Объект"]
    assert [row[2] for row in table[1:]] == actions  # oldest first, as the chain goes
    page.wait_for_selector(".progress >> text=Сохранено: audit-")
    with page.expect_download() as got:
        page.click("[data-export-kind=audit][data-export=pdf]")
    if PDFTOTEXT:
        text = pdf_text(got.value.path())
        assert "Журнал действий" in text and "registration.move_channel" in text
    shot(page, "audit-1280")

    # 7. English, and a phone: every screen fits 390 px.
    page.click("button.lang")
    page.wait_for_selector("text=Audit log")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("button.lang")
    page.wait_for_selector("h1 >> text=Журнал действий")
    page.set_viewport_size({"width": 390, "height": 844})
    for route, name in [
        ("#/trainings", "trainings"),
        (f"#/trainings/{demo['id']}", "board"),
        ("#/dashboard", "dashboard"),
        ("#/venues", "venues"),
        ("#/audit", "audit"),
        ("#/admins", "admins"),
        ("#/api-keys", "api-keys"),
    ]:
        page.goto(f"{admin_url}/admin/{route}")
        page.wait_for_selector(f"main[data-ready='{route}']")
        if name == "dashboard":
            page.wait_for_function("document.querySelectorAll('figure.chart canvas').length === 6")
            page.wait_for_timeout(300)
        no_sideways_scroll(page)
        shot(page, f"{name}-390")
    page.click("button.menu-toggle")
    assert page.locator("#nav a", has_text="Журнал").is_visible()
    shot(page, "menu-390")
    assert watch.problems == []


def test_a_local_admin_sees_only_their_venue(admin_url, browser, db, telegram):
    venues = q(db, "SELECT id FROM venues ORDER BY id")
    own, other = venues[0]["id"], venues[1]["id"]
    make_admin(db, "local_one", 960_002, role="local", venues=[own])
    [foreign] = q(
        db, "SELECT id FROM trainings WHERE venue_id = :v ORDER BY starts_at LIMIT 1", v=other
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    watch = Watch(page, admin_url)
    log_in(page, admin_url, telegram, "local_one", 960_002)
    listed = page.locator("table.trainings tbody tr")
    mine = q(db, "SELECT id FROM trainings WHERE venue_id = :v AND starts_at > now()", v=own)
    assert listed.count() == len(mine) > 0
    assert {int(x) for x in listed.evaluate_all("rs => rs.map(r => r.dataset.training)")} == {
        r["id"] for r in mine
    }
    assert page.locator("select option").all_inner_texts()[1:] == [
        q(db, "SELECT name FROM venues WHERE id = :v", v=own)[0]["name"]
    ]
    assert page.locator("#nav a", has_text="Администраторы").count() == 0

    # Another venue's training by its address: "not found", the same as an id that never was.
    page.goto(f"{admin_url}/admin/#/trainings/{foreign['id']}")
    error = page.wait_for_selector(".msg-error")
    assert error.inner_text().startswith("Не найдено")
    assert page.locator("#board").count() == 0
    with page.expect_response(lambda r: "/registrations" in r.url) as answer:
        page.evaluate(f"fetch('/api/admin/trainings/{foreign['id']}/registrations')")
    assert answer.value.status == 404
    # nor its exports: the pilot list is "not found", another venue's log refused
    with page.expect_response(lambda r: "/exports/" in r.url) as answer:
        page.evaluate(f"fetch('/api/admin/exports/trainings/{foreign['id']}/pilots?format=pdf')")
    assert answer.value.status == 404
    with page.expect_response(lambda r: "/exports/audit-log" in r.url) as answer:
        page.evaluate(f"fetch('/api/admin/exports/audit-log?venue_id={other}')")
    assert answer.value.status == 403

    # They plan their own venue: a training at 18:00 venue time (the venue's zone, not the
    # browser's), priced in roubles.
    page.goto(f"{admin_url}/admin/#/trainings/new")
    page.wait_for_selector("#training-form")
    assert page.locator("#training-form select").first.locator("option").count() == 1
    [zone] = q(db, "SELECT time_zone FROM venues WHERE id = :v", v=own)
    day = (datetime.now(UTC) + timedelta(days=40)).date()
    form = page.locator("#training-form")
    form.get_by_label("Название").fill("Ночная <b>гонка</b>")
    form.get_by_label("Начало (время площадки)").fill(f"{day.isoformat()}T18:00")
    form.get_by_label("Цена, ₽").fill("350")
    form.get_by_label("Цена, ₽").press("Enter")
    page.wait_for_selector("[data-heat-rating], #board .msg-info")
    [made] = q(
        db,
        "SELECT venue_id, starts_at, ends_at, price_kopecks FROM trainings"
        " WHERE title = 'Ночная <b>гонка</b>'",
    )
    assert made["venue_id"] == own and made["price_kopecks"] == 35_000
    local = made["starts_at"].astimezone(ZoneInfo(zone["time_zone"]))
    assert (local.date(), local.hour, local.minute) == (day, 18, 0)
    assert made["ends_at"] - made["starts_at"] == timedelta(minutes=120)
    assert (
        page.locator("h1").first.inner_text().startswith("Ночная <b>гонка</b>")
    )  # text, not markup

    # The dashboard counts only their venue.
    page.goto(f"{admin_url}/admin/#/dashboard")
    page.wait_for_selector("#dash-table", state="attached")
    assert page.locator("#dash-table tbody tr").evaluate_all(
        "rs => rs.map(r => Number(r.dataset.venue))"
    ) == [own]
    shot(page, "local-admin-1280")
    assert [p for p in watch.problems if "404" not in p and "403" not in p] == []
