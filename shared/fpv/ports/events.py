"""Event bus port: "schedule changed" and friends. In-process locally, EventBridge in AWS."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("fpv.events")
SOURCE = "fpv.platform"
SCHEDULE_CHANGED = "ScheduleChanged"

Subscriber = Callable[[dict[str, Any]], None]


class EventNotPublished(RuntimeError):
    """EventBridge accepted the request but not the event (throttling, internal failure)."""


class EventBus(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


def eventbridge_event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """The event a rule target receives (the fields our handlers read)."""
    return {"version": "0", "source": SOURCE, "detail-type": detail_type, "detail": detail}


class InProcessEventBus:
    """Delivers to subscribers synchronously; a failing subscriber is logged, not propagated
    (EventBridge delivery is asynchronous too: a publisher never sees a target's failure)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[Callable[[str], bool], Subscriber]] = []
        self._lock = threading.Lock()
        self.published: list[dict[str, Any]] = []

    def subscribe(self, subscriber: Subscriber, detail_types: set[str] | None = None) -> None:
        self._subscribers.append((lambda t: detail_types is None or t in detail_types, subscriber))

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers = [(w, s) for w, s in self._subscribers if s is not subscriber]

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        event = eventbridge_event(detail_type, detail)
        with self._lock:
            self.published.append(event)
        for wants, subscriber in self._subscribers:
            if wants(detail_type):
                try:
                    subscriber(event)
                except Exception:
                    log.exception("subscriber failed for %s", detail_type)


class EventBridgeBus:
    """Publishes to an EventBridge bus; the boto3 client is created on first use and reused."""

    def __init__(self, bus_name: str, endpoint_url: str | None = None) -> None:
        self._bus_name = bus_name
        self._endpoint_url = endpoint_url
        self._client: Any = None

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        if self._client is None:
            import boto3  # lazy: keeps boto3 out of cold starts that never publish

            self._client = boto3.client("events", endpoint_url=self._endpoint_url)
        response = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "EventBusName": self._bus_name,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            codes = [e.get("ErrorCode") for e in response.get("Entries", []) if e.get("ErrorCode")]
            raise EventNotPublished(f"EventBridge refused the event: {codes}")
