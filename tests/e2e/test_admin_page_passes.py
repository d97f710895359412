"""The admin page's passes and results sections in headless Chromium against the local platform
(the built page, the admin API through the template's routes, the demo data): a pass product
created and retired, an unused pass refunded after a confirmation, a RotorHazard export uploaded
as a file, its unmatched callsign matched to a pilot, and the leaderboard the API computes — under
the strict CSP, at 1280 and 390 px. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpv import actors, passes, ratings
from tests.e2e.test_admin_page_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    Watch,
    admin_url,
    browser,
    built_page,
    log_in,
    no_sideways_scroll,
    q,
    shot,
    telegram,
)
from tests.support.admin import make_admin
from tests.support.factories import make_pilot, make_training

DATA = Path(__file__).resolve().parents[1] / "data"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium not installed (/usr/bin/chromium; apt-get install chromium)",
    ),
]


def test_passes_and_results_in_the_browser(admin_url, browser, db, telegram):  # noqa: F811
    make_admin(db, "root", 961_001)
    venue = q(db, "SELECT id, name, city_id FROM venues ORDER BY id LIMIT 1")[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    watch = Watch(page, admin_url)
    log_in(page, admin_url, telegram, "root", 961_001)

    # 1. A product for one venue: on sale, then retired after a confirmation.
    page.click("#nav >> text=Абонементы")
    page.wait_for_selector("#pass-products table")
    page.click("text=Новый абонемент")
    page.fill("#pass-product-form input[name=title]", "Пять тренировок")
    page.select_option("#pass-product-form select[name=venue]", str(venue["id"]))
    page.fill("#pass-product-form input[name=trainings]", "5")
    page.fill("#pass-product-form input[name=price]", "2500")
    page.check("#pass-product-form input[value=race]")
    page.click("#pass-product-form button[type=submit]")
    assert "«Пять тренировок» в продаже" in page.wait_for_selector(".msg-ok").inner_text()
    [made] = q(db, "SELECT * FROM pass_products WHERE title = 'Пять тренировок'")
    assert (made["venue_id"], made["trainings"], made["price_kopecks"]) == (venue["id"], 5, 250_000)
    assert made["track_types"] == ["race"] and made["active"]

    # 2. A pilot bought it (through the use case, paid as the payments flow records it): the
    # sold list shows the credits; the unused pass is refunded after a confirmation.
    pass_id, _ = passes.buy(db, actors.pilot(9_000_001), made["id"])
    with db.transaction() as tx:
        passes.activate_paid(tx, {"id": pass_id}, datetime.now(UTC))
    page.reload()
    row = page.wait_for_selector(f"tr[data-pass='{pass_id}']")
    assert "Skywalker" in row.inner_text() and "0 / 5" in row.inner_text()
    page.click(f"[data-refund='{pass_id}']")
    dialog = page.wait_for_selector("dialog.confirm")
    assert "Пять тренировок" in dialog.inner_text() and "Skywalker" in dialog.inner_text()
    page.click("dialog.confirm [data-confirm=yes]")
    assert "возвращён" in page.wait_for_selector(".msg-ok").inner_text()
    assert q(db, "SELECT status FROM passes WHERE id = :id", id=pass_id)[0]["status"] == "refunded"
    shot(page, "passes-1280")

    page.click(f"[data-retire='{made['id']}']")
    page.click("dialog.confirm [data-confirm=yes]")
    retired = page.wait_for_selector(f"tr[data-product='{made['id']}'] .badge")
    assert retired.inner_text() == "снят с продажи"
    assert not q(db, "SELECT active FROM pass_products WHERE id = :id", id=made["id"])[0]["active"]

    # 3. Results: a training that took place, its RotorHazard export uploaded as a file.
    training = make_training(db, venue_id=venue["id"], starts_in=timedelta(hours=-3), title="Кубок")
    make_pilot(db, 9_300_001, nickname="Newbie")
    page.goto(f"{admin_url}/admin/#/results?training={training}")
    page.wait_for_selector("#results-import")
    assert page.locator("#results-training").input_value() == str(training)
    page.set_input_files("#results-import input[type=file]", str(DATA / "rotorhazard-results.json"))
    page.click("#results-import button[type=submit]")
    done = page.wait_for_selector(".msg-ok")
    assert "Загружено результатов: 11, сопоставлено: 9, без пилота: 1" in done.inner_text()
    assert page.locator("table.results tbody tr").count() == 11

    # the unmatched callsign decided: it joins the ratings
    form = page.wait_for_selector("#unmatched form[data-callsign='Stranger']")
    form.query_selector("input[name=nickname]").fill("Newbie")
    form.query_selector("button[type=submit]").click()
    page.wait_for_selector("#unmatched", state="detached")
    assert "Stranger → Newbie" in page.locator(".msg-ok").inner_text()
    assert q(db, "SELECT count(*) AS n FROM heat_results WHERE pilot_id IS NULL")[0]["n"] == 0

    # 4. The leaderboard: what the API (and `fpv ratings board`) computes, opted-in only.
    page.select_option("#board-city", str(venue["city_id"]))
    page.click("#board-form button[type=submit]")
    page.wait_for_selector("table.board tbody tr")
    season = datetime.now(UTC).year
    expected = [r["nickname"] for r in ratings.leaderboard(db, venue["city_id"], season=season)]
    shown = page.locator("table.board tbody tr td:nth-child(2)").all_inner_texts()
    assert shown == expected and "Newbie" not in shown  # make_pilot: not shown on the site
    shot(page, "results-1280")

    # 5. A phone: the sections fit 390 px without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{admin_url}/admin/#/passes")
    page.wait_for_selector("#passes-sold table")
    no_sideways_scroll(page)
    shot(page, "passes-390")
    assert watch.problems == []
