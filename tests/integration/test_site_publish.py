"""Publishing the site into a folder from real PostgreSQL: pages, data and feeds agree with the
database, only changed objects are rewritten, past trainings drop off, hostile text is inert,
an empty schedule is friendly, and concurrent publishers coalesce."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from fpv.dal import catalog, people
from fpv.demo import seed_demo
from fpv.ports.events import InProcessEventBus
from fpv.ports.storage import MANIFEST_KEY, LocalDirStorage
from fpv.registrations import cancel, sign_up
from fpv.site.build import build_site, publish_site
from fpv.site.model import SiteConfig
from tests.support.factories import make_pilot, make_training, make_venue

CONFIG = SiteConfig(bot_username="fpv_test_bot", public_base_url="https://schedule.example")


@pytest.fixture
def site(tmp_path) -> LocalDirStorage:
    return LocalDirStorage(tmp_path / "site")


def _doc(site: LocalDirStorage) -> dict:
    return json.loads(site.get("schedule.json"))


def _training(doc: dict, number: int) -> dict:
    return next(t for t in doc["trainings"] if t["number"] == number)


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_demo_site_has_pages_data_and_feeds_that_agree_with_the_database(db, site):
    seed_demo(db)
    report = publish_site(db, site, config=CONFIG)
    assert not report.skipped and report.trainings > 3
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT id, public_id::text AS pid, capacity - seats_taken AS left FROM trainings"
        )
        slugs = [r["slug"] for r in tx.all("SELECT slug FROM venues")]
    files = _files(site.root)
    for row in rows:
        assert f"training/{row['pid']}.html" in files and f"en/training/{row['pid']}.html" in files
        page = site.get(f"training/{row['pid']}.html").decode()
        seats = re.search(rf'data-seats-left="{row["pid"]}">(\d+)<', page)
        assert seats and int(seats[1]) == row["left"]
        assert _training(_doc(site), row["id"])["seats_left"] == row["left"]
        assert f"https://t.me/fpv_test_bot?start=training_{row['id']}" in page
    for slug in slugs:
        assert {
            f"venue/{slug}.html",
            f"en/venue/{slug}.html",
            f"calendar/venue/{slug}.ics",
        } <= files
    assert {"index.html", "en/index.html", "404.html", "calendar/all.ics", "qr/bot.svg"} <= files
    assert {"city/moscow.html", "en/city/novosibirsk.html", "calendar/city/moscow.ics"} <= files
    home = site.get("index.html").decode()
    assert '<html lang="ru"' in home and home.count('<li class="card training') == len(rows)
    assert '<html lang="en"' in site.get("en/index.html").decode()
    # nicknames of demo pilots who opted in are on the board
    board = _training(_doc(site), min(r["id"] for r in rows))["channels"]
    assert {c["pilot"] for c in board} == {"Skywalker", "Korvin", "Vortex"}
    assert b"<svg" in site.get("qr/bot.svg")


def test_nothing_changed_means_nothing_rendered_or_written(db, site):
    seed_demo(db)
    assert build_site(db, site, config=CONFIG) > 0
    before = {k: site.get(k) for k in _files(site.root)}
    report = publish_site(db, site, config=CONFIG)
    assert report.skipped and report.uploaded == []
    assert {k: site.get(k) for k in _files(site.root)} == before


def _lists_showing(doc: dict, tr: dict) -> set[str]:
    """The schedule page and the filter pages (ru + en) that list this training."""
    from fpv.site.filters import list_pages

    venues = {v["slug"]: v for v in doc["venues"]}
    found = {
        page.url(lang).lstrip("/")
        for page in list_pages(doc)
        for lang in ("ru", "en")
        if tr in page.select(doc, venues)
    }
    assert {"schedule.html", "en/schedule.html"} <= found
    return found


def test_one_sign_up_rewrites_only_the_pages_that_show_it(db, site):
    venue = make_venue(db)
    other_venue = make_venue(db)
    training = make_training(db, venue_id=venue, capacity=5)
    make_training(db, venue_id=other_venue, capacity=5)
    make_pilot(db, 501, nickname="Ace")
    publish_site(db, site, config=CONFIG)
    doc = _doc(site)
    tr = _training(doc, training)
    venue_slug, city_slug = tr["venue"], tr["city"]

    sign_up(db, InProcessEventBus(), training_id=training, telegram_id=501)
    report = publish_site(db, site, config=CONFIG)

    pid = tr["id"]
    assert set(report.uploaded) == {
        "schedule.json",
        "index.html",
        "en/index.html",
        f"city/{city_slug}.html",
        f"en/city/{city_slug}.html",
        f"venue/{venue_slug}.html",
        f"en/venue/{venue_slug}.html",
        f"training/{pid}.html",
        f"en/training/{pid}.html",
    } | _lists_showing(doc, tr)
    assert report.deleted == []
    assert _training(_doc(site), training)["seats_left"] == 4
    assert f'data-seats-left="{pid}">4<' in site.get(f"training/{pid}.html").decode()


def test_past_trainings_drop_off_and_their_pages_are_removed(db, site):
    now = datetime.now(UTC)
    venue = make_venue(db)
    soon = make_training(db, venue_id=venue, starts_in=timedelta(hours=2), now=now)
    later = make_training(db, venue_id=venue, starts_in=timedelta(days=3), now=now)
    publish_site(db, site, config=CONFIG, now=now)
    soon_pid = _training(_doc(site), soon)["id"]
    assert site.get(f"training/{soon_pid}.html") is not None

    # the first training started two hours from now and lasts three: six hours on, it is over
    report = publish_site(db, site, config=CONFIG, now=now + timedelta(hours=6))
    assert f"training/{soon_pid}.html" in report.deleted
    assert f"qr/training-{soon}.svg" in report.deleted
    assert site.get(f"training/{soon_pid}.html") is None
    assert [t["number"] for t in _doc(site)["trainings"]] == [later]
    assert soon_pid not in site.get("index.html").decode()
    feed = Calendar.from_ical(site.get("calendar/all.ics"))
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [
        f"{_training(_doc(site), later)['id']}@fpv-training"
    ]
    manifest = json.loads(site.get(MANIFEST_KEY))
    assert f"training/{soon_pid}.html" not in manifest["objects"]


def test_a_started_training_stays_until_it_ends_without_a_sign_up_link(db, site):
    now = datetime.now(UTC)
    training = make_training(db, starts_in=timedelta(hours=1), now=now)
    publish_site(db, site, config=CONFIG, now=now + timedelta(hours=2))
    tr = _training(_doc(site), training)
    assert tr["started"] is True
    page = site.get(f"training/{tr['id']}.html").decode()
    assert "start=training_" not in page and "Уже идёт" in page


def test_empty_schedule_renders_a_friendly_page(db, site):
    report = publish_site(db, site, config=CONFIG)
    assert not report.skipped
    home = site.get("index.html").decode()
    assert "Ближайших тренировок пока нет" in home and 'class="training"' not in home
    assert "No upcoming trainings yet" in site.get("en/index.html").decode()
    assert _doc(site)["trainings"] == []
    feed = Calendar.from_ical(site.get("calendar/all.ics"))
    assert feed.walk("VEVENT") == [] and feed.walk("VTIMEZONE")  # valid: one component


HOSTILE = '<script>alert("x")</script>'
HOSTILE_IMG = "<img src=x onerror=alert(1)>"


def test_hostile_text_is_inert_in_pages_data_and_feeds(db, site):
    with db.transaction() as tx:
        city = catalog.upsert_city(tx, slug="evil", name_ru=HOSTILE, name_en=HOSTILE_IMG)
        venue = catalog.upsert_venue(
            tx,
            city_id=city,
            slug="evil-venue",
            name=HOSTILE,
            address=f'"><a href="javascript:alert(1)">{HOSTILE_IMG}',
            time_zone="Europe/Moscow",
        )
    training = make_training(db, venue_id=venue, title=HOSTILE_IMG)
    with db.transaction() as tx:
        tx.execute("UPDATE trainings SET notes = :n WHERE id = :id", n=HOSTILE, id=training)
    publish_site(db, site, config=CONFIG)
    pid = _training(_doc(site), training)["id"]
    for key in (
        "index.html",
        "en/index.html",
        "city/evil.html",
        "en/city/evil.html",
        "venue/evil-venue.html",
        f"training/{pid}.html",
        f"en/training/{pid}.html",
    ):
        page = site.get(key).decode()
        assert "<script>alert" not in page and "<img src=x" not in page, key
        assert 'href="javascript:' not in page, key
        # our own script tag is the only one
        assert len(re.findall(r"<script\b", page)) == 1, key
    page = site.get(f"training/{pid}.html").decode()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    raw_json = site.get("schedule.json")
    assert b"<" not in raw_json and _training(_doc(site), training)["title"] == HOSTILE_IMG
    event = Calendar.from_ical(site.get("calendar/venue/evil-venue.ics")).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == f"{HOSTILE_IMG} — {HOSTILE}"


def test_cancelled_training_stays_listed_as_cancelled(db, site):
    training = make_training(db)
    with db.transaction() as tx:
        tx.execute("UPDATE trainings SET status = 'cancelled' WHERE id = :id", id=training)
    publish_site(db, site, config=CONFIG)
    tr = _training(_doc(site), training)
    assert tr["status"] == "cancelled"
    page = site.get(f"training/{tr['id']}.html").decode()
    assert f'data-cancelled="{tr["id"]}">' in page  # the badge is shown (not hidden)
    assert "start=training_" not in page  # no sign-up link for a cancelled training
    assert site.get(f"qr/training-{training}.svg") is None


def test_concurrent_publishers_render_once_and_leave_the_right_state(db_url, db, site):
    from fpv.db import Database

    training = make_training(db, capacity=6)
    for telegram_id in (601, 602, 603):
        make_pilot(db, telegram_id)
    publish_site(db, site, config=CONFIG)
    bus = InProcessEventBus()
    for telegram_id in (601, 602, 603):
        sign_up(db, bus, training_id=training, telegram_id=telegram_id)

    reports, errors = [], []
    barrier = threading.Barrier(8)

    def publisher() -> None:
        own = Database(db_url)  # its own connection, like another Lambda container
        try:
            barrier.wait()
            reports.append(publish_site(own, site, config=CONFIG))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=publisher) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(r.skipped for r in reports) == [False] + [True] * 7
    assert _training(_doc(site), training)["seats_left"] == 3


def test_cancel_after_publish_frees_the_seat_on_the_site(db, site):
    training = make_training(db, capacity=3)
    make_pilot(db, 701)
    bus = InProcessEventBus()
    result = sign_up(db, bus, training_id=training, telegram_id=701)
    publish_site(db, site, config=CONFIG)
    assert _training(_doc(site), training)["seats_left"] == 2
    cancel(db, bus, registration_id=result.registration_id, telegram_id=701)
    publish_site(db, site, config=CONFIG)
    tr = _training(_doc(site), training)
    assert tr["seats_left"] == 3 and tr["channels"] == []


def test_nicknames_only_of_pilots_who_opted_in(db, site):
    training = make_training(db)
    make_pilot(db, 801, nickname="Shown")
    make_pilot(db, 802, nickname="Secret")
    with db.transaction() as tx:
        people.update_pilot(tx, 801, show_on_site=True)
    bus = InProcessEventBus()
    sign_up(db, bus, training_id=training, telegram_id=801)
    sign_up(db, bus, training_id=training, telegram_id=802)
    publish_site(db, site, config=CONFIG)
    tr = _training(_doc(site), training)
    assert sorted(str(c["pilot"]) for c in tr["channels"]) == ["None", "Shown"]
    everything = b"".join(site.get(k) or b"" for k in _files(site.root))
    assert b"Secret" not in everything
    assert b"telegram_id" not in site.get("schedule.json")  # no Telegram ids either
