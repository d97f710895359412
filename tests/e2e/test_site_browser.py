"""The public site in headless Chromium against the local platform (what `make run` serves):
the demo trainings are listed, a sign-up shows up on the open training page within one poll
interval without a reload, hostile text stays text, filters narrow the list exactly as
schedule.json says, the map has one marker per venue (tiles from a local stub; still useful when
tiles fail), calendar links carry UTC dates, axe-core (from npm) finds nothing serious and no
request leaves 127.0.0.1. Screenshots at 1280 and 390 px go to test-artifacts/."""

from __future__ import annotations

import json
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from fpv import runtime
from fpv.dal import catalog
from fpv.local.runner import platform
from fpv.ports.events import SCHEDULE_CHANGED
from fpv.registrations import sign_up
from fpv.site.filters import matches
from fpv.site.model import SiteConfig
from fpv.site.security import content_security_policy
from tests.support.factories import make_pilot
from tests.support.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "frontend" / "site" / "node_modules" / "axe-core" / "axe.min.js"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _png(width: int = 256, height: int = 256) -> bytes:
    """A plain light tile (a real PNG, so the browser draws it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xe4\xec\xf4" * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def tile_server():
    """A local tile server: the map's tiles never come from the internet in tests."""
    tile = _png()
    served: list[str] = []

    def tiles(request):
        served.append(request.url.path)
        return Response(tile, media_type="image/png", headers={"Cache-Control": "no-store"})

    app = Starlette(routes=[Route("/tiles/{z}/{x}/{y}.png", tiles)])
    with serve_in_thread(app) as url:
        yield url, served


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium not installed (/usr/bin/chromium; apt-get install chromium)",
    ),
]


@pytest.fixture
def site_url(app_env, tmp_path, monkeypatch, tile_server):
    monkeypatch.setattr(runtime, "_bus", None)  # a bus of our own: no other test's subscribers
    monkeypatch.setenv("SITE_TILE_URL", f"{tile_server[0]}/tiles/{{z}}/{{x}}/{{y}}.png")
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
  for (const img of document.querySelectorAll("img:not(.leaflet-tile)")) {
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
  // map tiles come from the configured tile server (a local stub in tests), nothing else
  const loaded = "script[src], link[href], img[src]:not(.leaflet-tile)";
  const external = [...document.querySelectorAll(loaded)]
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
        "/schedule.html",
        "/en/when/week.html",
        busy["url"]["ru"],
        busy["url"]["en"],
        doc["cities"][0]["url"]["ru"],
        doc["venues"][0]["url"]["en"],
        "/no-such-page.html",
        "/en/no-such-page.html",
    ):
        page.goto(f"{site_url}{path}")
        page.wait_for_selector("html[data-live=ok]")  # the page's script ran and polled
        assert page.evaluate(_A11Y_AUDIT) == [], path
    assert [e for e in errors if "404" not in e] == []
    page.goto(f"{site_url}/")
    page.keyboard.press("Tab")  # the first Tab lands on the skip link, which becomes visible
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator("a.skip").is_visible()


# --- v2.1 (issue #17) and the visitor items of #10.8 -------------------------------------------


def _local_only(page) -> list[str]:
    """Aborts and records every request that would leave 127.0.0.1."""
    outside: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def _add_training(db, *, starts_in: timedelta, price: int = 0, track: str = "whoop") -> int:
    with db.transaction() as tx:
        venue = tx.value("SELECT id FROM venues ORDER BY id DESC LIMIT 1")
        now = tx.value("SELECT now()")
        return catalog.insert_training(
            tx,
            venue_id=venue,
            title="Tiny whoop night",
            track_type=track,
            starts_at=now + starts_in,
            ends_at=now + starts_in + timedelta(hours=2),
            capacity=6,
            price_kopecks=price,
        )


def _soon_today(db) -> timedelta:
    """A start still today in the venue's own time zone (the site's "today" is the venue's):
    20 minutes from now, or half of what is left of the venue's day when that is less."""
    with db.transaction() as tx:
        zone = ZoneInfo(tx.value("SELECT time_zone FROM venues ORDER BY id DESC LIMIT 1"))
        now = tx.value("SELECT now()")
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    left = midnight - local
    if left < timedelta(minutes=2):
        pytest.skip("less than two minutes of the venue's day are left: no training can be today")
    return min(timedelta(minutes=20), left / 2)


def _publish_and_wait(site_url: str, training: int) -> dict:
    runtime.event_bus().publish(SCHEDULE_CHANGED, {"training_id": training, "reason": "test"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        doc = _schedule(site_url)
        if any(t["number"] == training for t in doc["trainings"]):
            return doc
        time.sleep(0.2)
    raise AssertionError("the site was not rebuilt after the event")


def _expected(doc: dict, **wanted: str) -> set[str]:
    venues = {v["slug"]: v for v in doc["venues"]}
    return {t["id"] for t in doc["trainings"] if matches(t, venues[t["venue"]], **wanted)}


_VISIBLE_CARDS = "els => els.filter(e => e.getClientRects().length).map(e => e.dataset.training)"


def _visible(page) -> set[str]:
    return set(page.eval_on_selector_all("li.card", _VISIBLE_CARDS))


def test_filters_narrow_the_list_as_schedule_json_says(site_url, browser, db):
    _add_training(db, starts_in=_soon_today(db))  # something for "today"
    doc = _publish_and_wait(site_url, _add_training(db, starts_in=timedelta(hours=1), price=30000))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside = _local_only(page)
    combos = [
        {},
        {"when": "today"},
        {"when": "week"},
        {"when": "weekend"},
        {"city": "novosibirsk"},
        {"venue": "moscow-drone-park"},
        {"price": "free"},
        {"price": "paid", "city": "moscow"},
        {"seats": "free", "when": "week"},
        {"track": "whoop"},
    ]
    assert _expected(doc, when="today")  # the check below is not vacuous
    for combo in combos:
        query = "&".join(f"{k}={v}" for k, v in combo.items())
        page.goto(f"{site_url}/schedule.html?{query}")
        page.wait_for_selector("html[data-filtered]")
        expected = _expected(doc, **combo)
        assert _visible(page) == expected, combo
        count = page.locator("[data-count]").inner_text()
        assert count.endswith(f": {len(expected)}"), (combo, count)
        assert page.locator("[data-empty]").is_visible() == (not expected), combo

    # chips combine in place (no reload) and the URL says what is shown
    page.goto(f"{site_url}/schedule.html")
    page.wait_for_selector("html[data-filtered]")
    page.evaluate("window.__sameDocument = true")
    page.locator('a.chip[data-filter="price"][data-value="free"]').click()
    page.locator('a.chip[data-filter="city"][data-value="moscow"]').click()
    assert _visible(page) == _expected(doc, price="free", city="moscow")
    assert "price=free" in page.url and "city=moscow" in page.url
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator('a.chip[data-filter="price"][data-value="free"]').get_attribute(
        "aria-current"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-filters-1280.png"), full_page=True)
    # a filter page's chips lead to the combined view
    page.goto(f"{site_url}/en/when/week.html")
    page.wait_for_selector("html[data-filtered]")
    href = page.locator('a.chip[data-filter="price"][data-value="paid"]').get_attribute("href")
    assert href == "/en/schedule.html?when=week&price=paid"
    assert outside == []


def test_filters_work_without_javascript_as_plain_links(site_url, browser, db):
    doc = _publish_and_wait(site_url, _add_training(db, starts_in=timedelta(minutes=30)))
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    outside = _local_only(page)
    page.goto(f"{site_url}/")
    chip = page.locator('a.chip[data-filter="price"][data-value="free"]')
    chip.click()
    assert page.url.endswith("/price/free.html")
    assert _visible(page) == _expected(doc, price="free")
    for path, wanted in (
        ("/when/today.html", {"when": "today"}),
        ("/en/when/weekend.html", {"when": "weekend"}),
        ("/seats/free.html", {"seats": "free"}),
        ("/en/price/paid.html", {"price": "paid"}),
        (doc["cities"][1]["url"]["ru"], {"city": doc["cities"][1]["slug"]}),
    ):
        page.goto(f"{site_url}{path}")
        assert _visible(page) == _expected(doc, **wanted), path
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site_url}/when/today.html")
    page.screenshot(path=str(ARTIFACTS / "site-today-nojs-390.png"), full_page=True)
    context.close()
    assert outside == []


@pytest.mark.parametrize("width", [1280, 390])
def test_map_has_one_marker_per_venue_and_tiles_from_the_configured_server(
    site_url, browser, tile_server, width
):
    doc = _schedule(site_url)
    with_coordinates = [v for v in doc["venues"] if v["latitude"] is not None]
    page = browser.new_page(viewport={"width": width, "height": 900})
    outside = _local_only(page)
    page.goto(f"{site_url}/")
    page.wait_for_selector("[data-map][data-markers]")
    page.wait_for_selector("[data-map].tiles-ok")
    assert page.locator("#venues .leaflet-marker-icon").count() == len(with_coordinates) >= 2
    titles = set(
        page.eval_on_selector_all(
            "#venues .leaflet-marker-icon", "els => els.map(e => e.getAttribute('title'))"
        )
    )
    assert titles == {v["name"] for v in with_coordinates}
    assert tile_server[1]  # the tiles came from the local stub
    page.locator("#venues .leaflet-marker-icon").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "yandex.ru/maps" in popup.inner_html() and "google.com/maps" in popup.inner_html()
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site_url}/")
    page.wait_for_selector("[data-map].tiles-ok")
    page.screenshot(path=str(ARTIFACTS / f"site-home-{width}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"site-home-{width}-first-screen.png"))
    busy = next(t for t in doc["trainings"] if t["channels"])
    page.goto(f"{site_url}{busy['url']['ru']}")
    page.wait_for_selector("[data-map][data-markers='1']")
    page.screenshot(path=str(ARTIFACTS / f"site-training-{width}.png"), full_page=True)
    page.goto(f"{site_url}/en/schedule.html")
    page.screenshot(path=str(ARTIFACTS / f"site-schedule-en-{width}.png"), full_page=False)
    assert outside == []


def test_page_stays_useful_when_tiles_cannot_load(site_url, browser, tile_server):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    outside = _local_only(page)
    page.route(f"{tile_server[0]}/**", lambda r: r.abort())  # the tile server is unreachable
    page.goto(f"{site_url}/")
    page.wait_for_selector("[data-map].tiles-failed")
    doc = _schedule(site_url)
    assert page.locator("#venues .leaflet-marker-icon").count() == len(doc["venues"])
    items = page.locator("#venues li.venue-item")
    assert items.count() == len(doc["venues"])
    for i in range(items.count()):
        item = items.nth(i)
        assert item.is_visible()
        links = item.locator(".map-links a")
        hrefs = [links.nth(j).get_attribute("href") for j in range(links.count())]
        assert any("yandex.ru/maps" in h for h in hrefs) and any(
            "google.com/maps" in h for h in hrefs
        )
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#venues").screenshot(path=str(ARTIFACTS / "site-map-no-tiles-390.png"))
    assert outside == []


def test_calendar_buttons_carry_the_right_utc_dates(site_url, browser):
    doc = _schedule(site_url)
    tr = next(t for t in doc["trainings"] if t["time_zone"] == "Asia/Novosibirsk")
    page = browser.new_page()
    _local_only(page)
    page.goto(f"{site_url}{tr['url']['en']}")
    google = urlsplit(page.locator("a[data-google-event]").get_attribute("href"))
    assert google.netloc == "calendar.google.com"
    params = parse_qs(google.query)

    def utc(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    assert params["dates"] == [f"{utc(tr['starts_at'])}/{utc(tr['ends_at'])}"]
    assert params["action"] == ["TEMPLATE"] and tr["title"] in params["text"][0]
    ics = page.locator("a[data-event-ics]").get_attribute("href")
    response = httpx.get(f"{site_url}{ics}", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"{tr['id']}@fpv-training"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime.fromisoformat(tr["starts_at"])
    # the zone reads as people say it, and the "updated" stamp keeps its zone after the script
    assert page.locator(".facts-list .zone").first.inner_text() == "UTC+7"
    page.wait_for_selector("html[data-live=ok]")
    assert "UTC" in page.locator("[data-updated]").first.inner_text()


def test_local_server_sends_the_cloudfront_headers_404s_and_favicon(site_url, tile_server):
    tiles = f"{tile_server[0]}/tiles/{{z}}/{{x}}/{{y}}.png"
    home = httpx.get(f"{site_url}/", timeout=5)
    assert home.headers["content-security-policy"] == content_security_policy(tiles)
    assert home.headers["x-frame-options"] == "DENY"
    assert home.headers["x-content-type-options"] == "nosniff"
    assert 'rel="icon" href="/favicon.svg"' in home.text
    icon = httpx.get(f"{site_url}/favicon.svg", timeout=5)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    english = httpx.get(f"{site_url}/en/training/no-such.html", timeout=5)
    assert english.status_code == 404
    assert '<html lang="en"' in english.text and "Page not found" in english.text
    russian = httpx.get(f"{site_url}/training/no-such.html", timeout=5)
    assert russian.status_code == 404
    assert '<html lang="ru"' in russian.text and "Страница не найдена" in russian.text


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed: make test runs npm ci")
def test_axe_core_finds_no_serious_violation(site_url, browser):
    doc = _schedule(site_url)
    busy = next(t for t in doc["trainings"] if t["channels"])
    axe = AXE.read_text()
    # axe is injected by the test, so this context lets the test's script in (pages keep CSP)
    context = browser.new_context(bypass_csp=True)
    found = {}
    for width in (1280, 390):
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        _local_only(page)
        for path in (
            "/",
            "/en/schedule.html",
            busy["url"]["ru"],
            busy["url"]["en"],
            doc["venues"][0]["url"]["ru"],
            "/en/no-such.html",
        ):
            page.goto(f"{site_url}{path}")
            page.wait_for_selector("html[data-live=ok]")
            page.evaluate(axe)
            violations = page.evaluate(
                """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact,
                  nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
            )
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            if serious:
                found[f"{width} {path}"] = serious
        page.close()
    context.close()
    assert found == {}


def test_cdn_404_page_reads_english_under_en(site_url, browser):
    """CloudFront answers every missing key with /404.html (Russian); under /en/ the page's
    script shows its English part (the local server serves en/404.html itself)."""
    russian_404 = httpx.get(f"{site_url}/404.html", timeout=5).text
    page = browser.new_page()
    _local_only(page)
    page.route(
        f"{site_url}/en/gone.html",
        lambda r: r.fulfill(status=404, body=russian_404, content_type="text/html; charset=utf-8"),
    )
    page.goto(f"{site_url}/en/gone.html")
    page.wait_for_selector('[data-notfound="en"]:not([hidden])')
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Page not found"
    assert not page.locator('[data-notfound="ru"]').is_visible()
    page.goto(f"{site_url}/gone.html")  # the Russian one stays Russian
    assert page.locator('[data-notfound="ru"]').is_visible()
    assert page.locator("html").get_attribute("lang") == "ru"


# --- leaderboard and passes (issue #18's site part) ---------------------------------------------


def _rate_pilots(db) -> None:
    """Results of a training flown yesterday: two pilots on the board, one who keeps the
    nickname off the site."""
    from fpv import ratings
    from fpv.actors import SYSTEM
    from fpv.ratings.rotorhazard import HeatResult

    with db.transaction() as tx:
        venue = tx.value("SELECT id FROM venues ORDER BY id DESC LIMIT 1")
        now = tx.value("SELECT now()")
        training = catalog.insert_training(
            tx,
            venue_id=venue,
            title="Вчерашняя гонка",
            track_type="race",
            starts_at=now - timedelta(hours=3),
            ends_at=now - timedelta(hours=1),
            capacity=6,
            price_kopecks=0,
        )
    for tid, nick, shown in ((960_001, "BoardAce", True), (960_002, "BoardTwo", True),
                             (960_003, "HiddenOne", False)):  # fmt: skip
        pid = make_pilot(db, tid, nickname=nick)
        with db.transaction() as tx:
            tx.execute("UPDATE pilots SET show_on_site = :s WHERE id = :id", s=shown, id=pid)
    heat = [("BoardAce", 11_900), ("HiddenOne", 12_400), ("BoardTwo", 12_050)]
    results = [
        HeatResult("Heat 1", round_no, place, nick, 5, lap)
        for round_no in (1, 2)
        for place, (nick, lap) in enumerate(heat, start=1)
    ]
    ratings.record_results(db, SYSTEM, training, results, source="manual")


def test_leaderboard_shows_opted_in_pilots_and_passes_link_to_the_bot(site_url, browser, db):
    _rate_pilots(db)
    runtime.event_bus().publish(SCHEDULE_CHANGED, {"reason": "ratings"})
    deadline = time.monotonic() + 30
    while "BoardAce" not in httpx.get(f"{site_url}/leaderboard.html", timeout=5).text:
        assert time.monotonic() < deadline, "the leaderboard was not published"
        time.sleep(0.2)
    axe = AXE.read_text() if AXE.exists() else ""
    context = browser.new_context(bypass_csp=bool(axe))
    for width in (1280, 390):
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        outside = _local_only(page)
        page.goto(f"{site_url}/")
        page.get_by_role("link", name="Рейтинг", exact=True).click()  # from the navigation
        page.wait_for_selector("html[data-live=ok]")
        rows = page.locator("tr[data-pilot] th").all_inner_texts()
        assert rows[:2] == ["BoardAce", "BoardTwo"] and "HiddenOne" not in page.content()
        page.screenshot(path=str(ARTIFACTS / f"site-leaderboard-{width}.png"), full_page=True)
        page.goto(f"{site_url}/en/leaderboard.html")
        assert page.locator("h1").inner_text().startswith("Pilot leaderboard")
        if axe:
            page.evaluate(axe)
            violations = page.evaluate(
                """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id)"""
            )
            assert violations == [], violations
        doc = _schedule(site_url)
        covered = next(t for t in doc["trainings"] if t["passes"] and t["open"])
        page.goto(f"{site_url}{covered['url']['ru']}")
        buy = page.locator(".passes a.button").first
        assert buy.get_attribute("href").startswith("https://t.me/") and "?start=pass_" in (
            buy.get_attribute("href")
        )
        if width == 390:
            page.locator(".passes").screenshot(path=str(ARTIFACTS / "site-passes-390.png"))
        assert outside == []
        page.close()
    context.close()
