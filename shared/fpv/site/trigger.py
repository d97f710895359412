"""What may start a publication, and what is refused (with the reason, never silently)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fpv.ports.events import SCHEDULE_CHANGED, SOURCE

SCHEDULED_DETAIL_TYPE = "Scheduled Event"


@dataclass(frozen=True)
class Trigger:
    reason: str  # schedule_changed | periodic | manual
    force: bool = False


class BadTrigger(ValueError):
    """The event is not one this function handles; the message says why."""


def parse_trigger(event: Any) -> Trigger:
    """EventBridge "schedule changed" events, the periodic refresh ({"trigger": "periodic"}
    or a plain scheduled event) and manual runs ({"trigger": "manual", "force": true})."""
    if not isinstance(event, dict):
        raise BadTrigger(f"event must be a JSON object, got {type(event).__name__}")
    if "detail-type" in event:
        detail_type, source = event.get("detail-type"), event.get("source")
        if detail_type == SCHEDULE_CHANGED and source == SOURCE:
            return Trigger("schedule_changed")
        if detail_type == SCHEDULED_DETAIL_TYPE and source in ("aws.events", "aws.scheduler"):
            return Trigger("periodic")
        raise BadTrigger(f"unexpected event {source!r}/{detail_type!r}")
    kind = event.get("trigger")
    force = event.get("force", False)
    if not isinstance(force, bool):
        raise BadTrigger("'force' must be true or false")
    if kind == "periodic":
        return Trigger("periodic", force=force)
    if kind == "manual":
        return Trigger("manual", force=force)
    raise BadTrigger(f"unknown trigger {kind!r} (expected 'periodic' or 'manual')")


def queue_rebuild(tx: Any, reason: str, **detail: Any) -> int:
    """Queue (outbox, in the caller's transaction) a "schedule changed" event for a change the
    site shows outside the schedule itself (the leaderboards): the publisher reads everything
    again and publishes what changed. No training id: no integration webhook follows."""
    from fpv import outbox  # lazy: the publisher that imports this module never queues

    return outbox.event(tx, SCHEDULE_CHANGED, {"reason": reason, **detail})
