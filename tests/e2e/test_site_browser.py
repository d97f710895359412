"""The public site in headless Chromium against the local platform (what `make run` serves):
the demo trainings are listed, a sign-up shows up on the open training page within one poll
interval without a reload, and hostile text stays text. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from fpv import runtime
from fpv.dal import catalog
from fpv.local.runner import platform
from fpv.ports.events import SCHEDULE_CHANGED
from fpv.registrations import sign_up
from fpv.site.model import SiteConfig
from tests.support.factories import make_pilot
from tests.support.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium not installed (/usr/bin/chromium; apt-get install chromium)",
    ),
]


@pytest.fixture
def site_url(app_env, tmp_path, monkeypatch):
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


def _schedule(url: str) -> dict:
    return httpx.get(f"{url}/schedule.json", timeout=5).json()


def test_home_lists_demo_trainings_and_a_sign_up_appears_live(site_url, browser, db):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone first
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{site_url}/")
    doc = _schedule(site_url)
    assert page.locator("html").get_attribute("lang") == "ru"
    listed = page.locator("li.training")
    assert listed.count() == len(doc["trainings"]) >= 3
    for tr in doc["trainings"][:3]:
        assert page.locator(f'li.training[data-training="{tr["id"]}"]').is_visible()

    target = next(t for t in doc["trainings"] if t["price_kopecks"] == 0 and not t["channels"])
    page.goto(f"{site_url}{target['url']['ru']}")
    seats = page.locator(f'[data-seats-left="{target["id"]}"]')
    assert int(seats.inner_text()) == target["seats_left"]
    page.wait_for_selector("html[data-live=ok]")  # the first poll went through
    page.evaluate("window.__sameDocument = true")

    make_pilot(db, 990_001, nickname="BrowserAce")
    with db.transaction() as tx:
        tx.execute("UPDATE pilots SET show_on_site = true WHERE telegram_id = 990001")
    started = time.monotonic()
    # a sign-up as the bot makes it; the process's event bus triggers the site publisher
    sign_up(db, runtime.event_bus(), training_id=target["number"], telegram_id=990_001)
    poll = SiteConfig().poll_seconds
    page.wait_for_function(
        '([id, n]) => document.querySelector(`[data-seats-left="${id}"]`).textContent == n',
        arg=[target["id"], str(target["seats_left"] - 1)],
        timeout=(poll + 5) * 1000,
    )
    elapsed = time.monotonic() - started
    assert elapsed <= poll + 5
    assert page.evaluate("window.__sameDocument") is True  # updated in place, no reload
    board = page.locator(f'[data-channels="{target["id"]}"]')
    assert "BrowserAce" in board.inner_text()
    assert page.locator(f'[data-channels-table="{target["id"]}"]').is_visible()
    assert page.locator("[data-updated]").first.inner_text() != ""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-training-live.png"), full_page=True)
    assert dialogs == []


def test_hostile_text_renders_inert_in_the_browser(site_url, browser, db):
    hostile = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'
    with db.transaction() as tx:
        venue = tx.value("SELECT id FROM venues ORDER BY id LIMIT 1")
        now = tx.value("SELECT now()")
    from datetime import timedelta

    with db.transaction() as tx:
        training = catalog.insert_training(
            tx,
            venue_id=venue,
            title=hostile,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=2),
            capacity=4,
        )
    runtime.event_bus().publish(SCHEDULE_CHANGED, {"training_id": training, "reason": "test"})
    deadline = time.monotonic() + 30
    target = None
    while target is None and time.monotonic() < deadline:
        target = next(
            (t for t in _schedule(site_url)["trainings"] if t["number"] == training), None
        )
        time.sleep(0.2)
    assert target is not None, "the site was not rebuilt after the event"

    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{site_url}{target['url']['en']}")
    page.wait_for_selector("html[data-live=ok]")
    assert page.locator("h1").inner_text().startswith(hostile)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert json.loads(json.dumps(target))["title"] == hostile
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-hostile-text.png"), full_page=True)


_A11Y_AUDIT = """() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const problems = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest("[hidden]") || !el.getClientRects().length) continue;
    const fg = lum(parse(getComputedStyle(el).color).slice(0, 3));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) problems.push(`${el.tagName}.${el.className}: contrast ${ratio.toFixed(2)}`);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.getAttribute("alt")) problems.push(`img without alt: ${img.src}`);
  }
  for (const a of document.querySelectorAll("a")) {
    if (!(a.textContent.trim() || a.getAttribute("aria-label"))) problems.push("link without text");
  }
  for (const th of document.querySelectorAll("th")) {
    if (!th.getAttribute("scope")) problems.push("th without scope");
  }
  if (!document.documentElement.lang) problems.push("no lang");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  const external = [...document.querySelectorAll("script[src], link[href], img[src]")]
    .map((e) => e.src || e.href)
    .filter((u) => new URL(u).origin !== location.origin);
  if (external.length) problems.push(`external resources: ${external}`);
  return problems;
}"""


def test_pages_pass_basic_accessibility_checks(site_url, browser):
    doc = _schedule(site_url)
    busy = next(t for t in doc["trainings"] if t["channels"])
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors: list[str] = []  # script errors and Content-Security-Policy violations
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in (
        "/",
        "/en/",
        busy["url"]["ru"],
        busy["url"]["en"],
        doc["cities"][0]["url"]["ru"],
        doc["venues"][0]["url"]["en"],
        "/no-such-page.html",
    ):
        page.goto(f"{site_url}{path}")
        page.wait_for_selector("html[data-live=ok]")  # the page's script ran and polled
        assert page.evaluate(_A11Y_AUDIT) == [], path
    assert [e for e in errors if "404" not in e] == []
    page.goto(f"{site_url}/")
    page.keyboard.press("Tab")  # the first Tab lands on the skip link, which becomes visible
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator("a.skip").is_visible()
