"""The pilots' app (mobile/fpv_app) as its web build in headless Chromium at 390×844, against the
local platform (template routes, real PostgreSQL, demo data, the bot on the fake Bot API), with
Flutter's semantics tree switched on so the page can be driven by what it says: sign in with the
confirmation in the bot, sign up for a demo training, find it under "My trainings". No request
may leave 127.0.0.1 (Rive's runtime included: served locally). Screenshots go to
test-artifacts/mobile-*.png."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from fpv import outbox
from fpv_app.serve import RIVE_PACKAGE
from tests.support.bot import BotPlatform, bot_platform
from tests.support.factories import make_pilot
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
PILOT = 740_001

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium not installed (/usr/bin/chromium; apt-get install chromium)",
    ),
    pytest.mark.skipif(
        not (RIVE_PACKAGE / "wasm" / "rive_native.js").exists(),
        reason="mobile/node_modules missing: run `make app` or `npm ci --prefix mobile`",
    ),
]


@contextmanager
def app_server(api_url: str, data_dir: Path) -> Iterator[str]:
    """What `make app` runs (`python -m fpv_app.serve`), as its own process, until it answers."""
    port = free_port()
    env = {
        **os.environ,
        "FPV_APP_API_URL": api_url,
        "FPV_APP_DATA_DIR": str(data_dir),
        "FPV_APP_TILE_URL": "",  # no map tiles from the internet in a test
        "FPV_APP_SIGN_IN_POLL_SECONDS": "0.3",
        "FPV_APP_DEVICE_NAME": "Chromium test",
        "FPV_APP_POLL_SECONDS": "1",
    }
    log = (data_dir.parent / "app.log").open("w")  # a file: a full pipe would stall the app
    proc = subprocess.Popen(
        [sys.executable, "-m", "fpv_app.serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (
                "the app exited: " + (data_dir.parent / "app.log").read_text()
            )
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def p(app_env, tmp_path, monkeypatch):
    with bot_platform(tmp_path, monkeypatch) as platform:
        yield platform


@pytest.fixture
def app_url(p: BotPlatform, tmp_path):
    with app_server(p.base_url, tmp_path / "app") as url:
        yield url


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page, name: str) -> None:
    """The semantics tree can be a frame ahead of the pixels: let two frames paint first."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(250)
    page.screenshot(path=str(ARTIFACTS / f"mobile-{name}.png"))


def enable_semantics(page) -> None:
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=30_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    page.wait_for_selector("flt-semantics", state="attached", timeout=10_000)


def semantics_text(page) -> str:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('flt-semantics'))
            .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.innerText || ''))
            .join('\\n')"""
    )


class Watch:
    """Every request the page makes: none may leave 127.0.0.1."""

    def __init__(self, page) -> None:
        self.urls: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign(self) -> list[str]:
        local = ("http://127.0.0.1:", "ws://127.0.0.1:", "blob:", "data:")
        return [u for u in self.urls if not u.startswith(local)]


def tap(page, text: str, *, exact: bool = False, role: str | None = None) -> None:
    target = (
        page.get_by_role(role, name=text, exact=exact)
        if role
        else page.locator("flt-semantics").get_by_text(text, exact=exact)
    )
    target.first.click(timeout=15_000)


def see(page, pattern: str, timeout: float = 20) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(pattern, semantics_text(page))
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not on screen: {pattern!r}\n{semantics_text(page)[:2000]}")
        time.sleep(0.1)


def test_sign_in_sign_up_and_my_trainings(p: BotPlatform, app_url: str, browser, tmp_path):
    make_pilot(p.db, PILOT, nickname="Ace")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    watch = Watch(page)
    page.goto(app_url)
    enable_semantics(page)
    see(page, "Открытая тренировка")
    see(page, r"Обновлено только что")
    shot(page, "schedule")

    # sign in: the app shows the bot's deep link; the pilot confirms in the bot
    tap(page, "Мои", role="tab", exact=True)
    see(page, "Вход через Telegram")
    tap(page, "Войти через Telegram", role="button")
    link = see(page, r"https://t\.me/\w+\?start=(app_[A-Za-z0-9_-]+)")
    shot(page, "sign-in")
    chat = p.chat(PILOT)
    chat.send(f"/start {link.group(1)}")
    chat.press("app:" + link.group(1).removeprefix("app_"))
    see(page, "Вы ещё никуда не записаны")
    assert page.title() == "FPV тренировки"

    # sign up for a demo training, automatic channel
    tap(page, "Расписание", role="tab", exact=True)
    see(page, "Открытая тренировка")
    tap(page, "Мест: 8 из 8")
    see(page, "Каналы пилотов")
    title = see(page, r"(Открытая тренировка|Вечерняя гонка)").group(1)
    shot(page, "training")
    tap(page, "Записаться", role="button")
    see(page, r"Вы записаны: канал \w+|Место держится до оплаты")
    shot(page, "signed-up")

    tap(page, "Мои", role="tab", exact=True)
    see(page, "Мои тренировки")
    see(page, title)
    see(page, r"Подтверждена|Ждёт оплаты")
    shot(page, "my-trainings")

    # news while the app is open: the feed is polled, a toast and a badge say so
    with p.db.transaction() as tx:
        outbox.message(tx, PILOT, "Channel moved to R2")
    see(page, "Новое уведомление: Channel moved to R2")

    # the token survives a reload (kept in the client's storage)
    page.reload()
    enable_semantics(page)
    tap(page, "Мои", role="tab", exact=True)
    see(page, r"Подтверждена|Ждёт оплаты")

    # the other screens render (looked at in the artifacts)
    tap(page, "Профиль", role="tab", exact=True)
    see(page, "Устройства, где выполнен вход")
    see(page, r"Chromium test \(это устройство\)")
    shot(page, "profile")
    tap(page, "Карта", role="tab", exact=True)
    see(page, "Открыть в Яндекс Картах")
    shot(page, "map")
    tap(page, "Сообщения", role="tab")  # its name carries the unread badge
    see(page, "Channel moved to R2")
    shot(page, "notifications")

    # profile: show my nickname on the site, saved
    tap(page, "Профиль", role="tab", exact=True)
    see(page, "Показывать мой позывной на сайте")
    page.get_by_role("switch", name="Показывать мой позывной на сайте").first.click()
    tap(page, "Сохранить", role="button")
    see(page, "Сохранено")
    with p.db.transaction(readonly=True) as tx:
        assert tx.value("SELECT show_on_site FROM pilots WHERE telegram_id = :t", t=PILOT)

    # my trainings: the channel dialog opens and closes; cancelling asks first, then cancels
    tap(page, "Мои", role="tab", exact=True)
    tap(page, "Сменить канал", role="button")
    see(page, "Сохранить")
    shot(page, "change-channel")
    tap(page, "Отмена", role="button", exact=True)
    tap(page, "Отменить запись", role="button")
    see(page, "Отменить запись на «")
    tap(page, "Подтвердить", role="button")
    see(page, "Вы ещё никуда не записаны")

    # dark mode follows the system; English on a tap
    dark = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    other = dark.new_page()
    other_watch = Watch(other)
    other.goto(app_url)
    enable_semantics(other)
    see(other, "Открытая тренировка")
    tap(other, "EN", role="button", exact=True)
    see(other, "Open training|Evening race|Updated just now")
    shot(other, "schedule-dark-en")
    dark.close()
    assert other_watch.foreign() == []

    with p.db.transaction(readonly=True) as tx:
        seats = tx.all(
            "SELECT r.status FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
            " WHERE p.telegram_id = :t",
            t=PILOT,
        )
    assert [s["status"] for s in seats] == ["cancelled"]  # one seat, then cancelled in the app
    assert watch.foreign() == []
    assert any("/rive/" in u and u.endswith("rive_native.js") for u in watch.urls), watch.urls
    assert not watch.errors
    assert "Traceback" not in (tmp_path / "app.log").read_text()  # no handler failed
