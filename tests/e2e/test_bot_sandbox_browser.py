"""A person chats with the bot in headless Chromium at /dev/chat (the local sandbox that
`make run` serves without a token): consent, nickname, browse, sign up — clicking real buttons."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fpv.settings import get_settings
from tests.support.bot import isolate_event_bus
from tests.support.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHAT = 750_001

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="headless Chromium not installed (/usr/bin/chromium)"
    ),
]


def test_chatting_with_the_bot_in_the_browser(app_env, tmp_path, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from fpv.local.runner import platform

    isolate_event_bus(monkeypatch)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    with (
        platform(ROOT, data_dir=tmp_path, schedules=False) as gateway,
        serve_in_thread(gateway) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{url}/dev/chat")
            page.fill("#chat", str(CHAT))
            page.dispatch_event("#chat", "change")
            page.get_by_role("button", name="/start", exact=True).click()
            expect(page.locator(".msg.bot").last).to_contain_text("152-ФЗ", timeout=15_000)

            page.get_by_role("button", name="✅ Согласен(на)").click()
            expect(page.locator(".msg.bot", has_text="согласие записано")).to_have_count(1)
            expect(page.locator(".msg.bot").last).to_contain_text("Придумайте ник")

            page.fill("#text", "Browser_1")
            page.press("#text", "Enter")
            expect(page.locator(".msg.me").last).to_have_text("Browser_1")
            page.get_by_role("button", name="Продолжить ▶️").click()
            expect(page.locator(".msg.bot").last).to_contain_text("Готово!")

            page.locator(".msg.bot").last.get_by_role("button", name="📅 Тренировки").click()
            expect(page.locator(".msg.bot").last).to_contain_text("Выберите город")
            page.locator(".msg.bot").last.get_by_role("button").first.click()  # a city
            expect(page.locator(".msg.bot").last).to_contain_text("выберите площадку")
            page.locator(".msg.bot").last.get_by_role("button").first.click()  # a venue
            expect(page.locator(".msg.bot").last).to_contain_text("Выберите тренировку")
            page.locator(".msg.bot").last.get_by_role("button").first.click()  # a training
            expect(page.locator(".msg.bot").last).to_contain_text("Свободно мест")
            page.locator(".msg.bot").last.get_by_role(
                "button", name="✅ Записаться (канал подберём)"
            ).click()
            expect(page.locator(".msg.bot", has_text="МГц").last).to_contain_text(
                "Канал", timeout=15_000
            )
        finally:
            browser.close()

    from fpv.db import Database

    db = Database(app_env)
    try:
        with db.transaction(readonly=True) as tx:
            row = tx.one(
                "SELECT p.nickname, r.status FROM registrations r JOIN pilots p"
                " ON p.id = r.pilot_id WHERE p.telegram_id = :t",
                t=CHAT,
            )
    finally:
        db.close()
    assert row is not None and row["nickname"] == "Browser_1"
    assert row["status"] in ("confirmed", "pending_payment")
