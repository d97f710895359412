"""Issue #10.8: an iCal event that moves gets a higher SEQUENCE. The revision is kept by the
database (migration 0010), so every writer bumps it; calendars take the higher SEQUENCE as news."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from icalendar import Calendar

from fpv.ports.storage import LocalDirStorage
from fpv.site.build import publish_site
from fpv.site.model import SiteConfig
from tests.support.factories import make_training, make_venue

CONFIG = SiteConfig(bot_username="fpv_test_bot")


@pytest.fixture
def site(tmp_path) -> LocalDirStorage:
    return LocalDirStorage(tmp_path / "site")


def _sequence(site: LocalDirStorage, db, training: int) -> tuple[int, int]:
    """(SEQUENCE in the training's own .ics, SEQUENCE in the all-trainings feed)."""
    publish_site(db, site, config=CONFIG)
    doc = json.loads(site.get("schedule.json"))
    tr = next(t for t in doc["trainings"] if t["number"] == training)
    [own] = Calendar.from_ical(site.get(tr["ics"].lstrip("/"))).walk("VEVENT")
    [listed] = [
        e
        for e in Calendar.from_ical(site.get("calendar/all.ics")).walk("VEVENT")
        if str(e["UID"]).startswith(tr["id"])
    ]
    return int(own["SEQUENCE"]), int(listed["SEQUENCE"])


def test_moving_a_training_raises_its_sequence_and_other_edits_do_not(db, site):
    venue = make_venue(db)
    training = make_training(db, venue_id=venue)
    assert _sequence(site, db, training) == (0, 0)

    def update(sql: str, **params) -> None:
        with db.transaction() as tx:
            tx.execute(sql + " WHERE id = :id", id=training, **params)

    update("UPDATE trainings SET title = 'Переименована', notes = 'x'")
    assert _sequence(site, db, training) == (0, 0)  # not a move: calendars need not re-sync

    update(
        "UPDATE trainings SET starts_at = starts_at + :d, ends_at = ends_at + :d",
        d=timedelta(hours=1),
    )
    assert _sequence(site, db, training) == (1, 1)

    update("UPDATE trainings SET venue_id = :v", v=make_venue(db))
    assert _sequence(site, db, training) == (2, 2)

    update("UPDATE trainings SET ends_at = ends_at + interval '30 minutes'")
    assert _sequence(site, db, training) == (3, 3)

    update("UPDATE trainings SET revision = 0")  # nobody winds it back by hand
    assert _sequence(site, db, training) == (3, 3)

    update("UPDATE trainings SET status = 'cancelled'")
    assert _sequence(site, db, training) == (4, 4)
    [event] = Calendar.from_ical(site.get("calendar/all.ics")).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
