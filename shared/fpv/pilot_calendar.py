"""Calendars that follow each pilot (issue #15): a private iCal feed of the pilot's own
trainings (channel and heat in the description; a cancelled sign-up drops out), and per-training
"Add to Google Calendar" / `.ics` links for the site, the bot and the app.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from icalendar import Calendar, Event

from fpv.dal import apis as dal
from fpv.db import Database, Row
from fpv.texts import t

PRODID = "-//FPV Training Platform//My trainings//RU"
UID_DOMAIN = "fpv-training"
KEEP_PAST = timedelta(days=30)


def _description(row: Row, lang: str) -> str:
    if row["registration_status"] == "waitlisted":
        return t("apis.ics.waitlisted", lang)
    channel = (
        f"{row['channel_label'] or '?'} ({row['channel_mhz']} MHz)" if row["channel_mhz"] else "—"
    )
    key = "apis.ics.unpaid" if row["registration_status"] == "pending_payment" else "apis.ics.seat"
    return t(key, lang, channel=channel, heat=row["heat"])


def pilot_feed(
    db: Database, telegram_id: int, *, now: datetime | None = None, base_url: str = ""
) -> bytes:
    """The pilot's feed: their active registrations from a month ago on, one VEVENT each with a
    stable UID per registration (a calendar updates it in place and removes it once gone)."""
    now = now or datetime.now(UTC)
    with db.transaction(readonly=True) as tx:
        pilot = dal.pilot_feed_rows(tx, telegram_id, now - KEEP_PAST)
        language = tx.value("SELECT language FROM pilots WHERE telegram_id = :t", t=telegram_id)
    lang = language or "ru"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", t("apis.ics.name", lang))
    for row in pilot:
        event = Event()
        event.add("uid", f"registration-{row['registration_id']}@{UID_DOMAIN}")
        event.add("dtstamp", max(row["updated_at"], row["registration_updated_at"]))
        event.add("dtstart", row["starts_at"].astimezone(UTC))
        event.add("dtend", row["ends_at"].astimezone(UTC))
        event.add("summary", f"{row['title']} — {row['venue_name']}")
        location = ", ".join(p for p in (row["venue_name"], row["venue_address"]) if p)
        event.add("location", location)
        event.add("description", _description(row, lang))
        cancelled = row["status"] == "cancelled"
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if base_url:
            event.add("url", f"{base_url.rstrip('/')}/api/v1/trainings/{row['id']}.ics")
        cal.add_component(event)
    return cal.to_ical()


def training_ics(training: Row, *, base_url: str = "") -> bytes:
    """One training as a calendar file (the per-training `.ics` link)."""
    cal = Calendar()
    cal.add("prodid", "-//FPV Training Platform//Training//RU")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"{training['id']}@{UID_DOMAIN}")
    event.add("dtstamp", training["updated_at"])
    event.add("dtstart", training["starts_at"].astimezone(UTC))
    event.add("dtend", training["ends_at"].astimezone(UTC))
    event.add("summary", f"{training['title']} — {training['venue_name']}")
    event.add(
        "location", ", ".join(p for p in (training["venue_name"], training["venue_address"]) if p)
    )
    event.add("status", "CANCELLED" if training["status"] == "cancelled" else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()


def google_calendar_url(training: dict[str, Any] | Row) -> str:
    """An "Add to Google Calendar" link (the render?action=TEMPLATE form Google documents)."""

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    location = ", ".join(p for p in (training["venue_name"], training["venue_address"]) if p)
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": f"{training['title']} — {training['venue_name']}",
            "dates": f"{stamp(training['starts_at'])}/{stamp(training['ends_at'])}",
            "location": location,
            "ctz": training["time_zone"],
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"
