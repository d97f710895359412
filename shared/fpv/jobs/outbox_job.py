"""The outbox worker's run (every minute): queue the reminders of passes ending in three days,
deliver every due outbox row — what a request could not send after its commit (a Bot API 5xx, a
crash, an EventBridge hiccup) — then purge rows delivered more than a week ago."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fpv import apikeys, app_auth, delivery, outbox, passes, runtime
from fpv.db import Database
from fpv.outbox import Deliverers, DeliveryReport
from fpv.settings import Settings


def run(
    db: Database,
    ports: Deliverers,
    *,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch: int = 100,
) -> tuple[DeliveryReport, int]:
    """Deliver in batches until nothing is due (or `should_stop`); returns the summed report
    and the number of purged rows."""
    now = now or datetime.now(UTC)
    passes.remind_expiring(db, now=now)  # queued once per pass (dedupe key), sent below
    total = DeliveryReport()
    while not (should_stop and should_stop()):
        report = outbox.deliver(
            db, ports, now=now, limit=batch, on_blocked=delivery.mark_unreachable
        )
        for name, value in report.as_dict().items():
            setattr(total, name, getattr(total, name) + value)
        total.ids += report.ids
        total.delivered_ids += report.delivered_ids
        if len(report.ids) + report.retried < batch:
            break
    # leftovers of the public APIs: old rate-limit windows, sign-ins expired a day ago
    apikeys.purge(db, now=now)
    app_auth.purge(db, now=now)
    return total, outbox.purge(db, now=now)


def run_from_settings(
    settings: Settings, *, should_stop: Callable[[], bool] | None = None
) -> tuple[DeliveryReport, int]:
    bus = runtime.event_bus(settings)
    return run(
        runtime.database(settings),
        delivery.from_settings(settings, bus),
        should_stop=should_stop,
    )
