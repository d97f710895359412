"""The every-few-minutes job (the `reminders` function): expire unpaid holds (seats go back, the
waitlist moves up, "schedule changed" is published by the registration core), tell promoted
pilots, purge expired idempotency records, send due reminders.

Each step runs even when an earlier one failed; the job then fails as a whole (so the
function's error metric and alarms see it) after doing everything it could.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fpv.channels.plan import freeze_due
from fpv.dal import reminders as dal
from fpv.db import Database
from fpv.jobs.clock import Clock
from fpv.jobs.reminders import DeliveryPolicy, DeliveryReport, MessageSender, deliver_due_reminders
from fpv.ports.events import EventBus
from fpv.registrations import Promotion, expire_holds
from fpv.settings import Settings

log = logging.getLogger("fpv.jobs")

PURGE_BATCH = 5000
PURGE_MAX_BATCHES = 40  # at most 200k rows a run; the rest next time


class JobFailed(RuntimeError):
    """One or more steps failed (the others ran); the message lists them."""

    def __init__(self, message: str, report: JobReport) -> None:
        super().__init__(message)
        self.report = report


PromotionNotifier = Callable[[Any, list[Promotion]], Any]


def default_promotion_notifier() -> PromotionNotifier | None:
    """The bot's notifier (`fpv.bot.notifications.notify_promotions(bot, promotions)`), looked
    up at run time: telling a promoted pilot is the bot's job and wording."""
    try:
        module = importlib.import_module("fpv.bot.notifications")
    except ModuleNotFoundError as exc:
        if exc.name and "fpv.bot.notifications".startswith(exc.name):
            return None
        raise
    return getattr(module, "notify_promotions", None)


@dataclass
class JobReport:
    holds_expired: int = 0
    promotions: int = 0
    promotions_notified: bool = False
    idempotency_purged: int = 0
    reminders: DeliveryReport | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "reminders"}
        out["reminders"] = self.reminders.as_dict() if self.reminders else None
        return out


def purge_idempotency(db: Database, clock: Clock) -> int:
    purged = 0
    for _ in range(PURGE_MAX_BATCHES):
        with db.transaction() as tx:
            n = dal.purge_processed_updates(tx, now=clock.now(), limit=PURGE_BATCH)
        purged += n
        if n < PURGE_BATCH:
            break
    return purged


async def run_reminders_job(
    db: Database,
    bus: EventBus,
    *,
    clock: Clock,
    sender: MessageSender | None,
    hold_minutes: int = 15,
    notify_promotions: PromotionNotifier | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    policy: DeliveryPolicy | None = None,
) -> JobReport:
    """`sender` None (no bot token configured) skips the Telegram parts, not the rest."""
    report = JobReport()

    try:  # the channel freeze first: the 24 h reminder then carries the final channel
        freeze_due(db, clock.now())
    except Exception as exc:
        log.exception("channel freeze failed")
        report.errors.append(f"channel freeze: {type(exc).__name__}")

    promotions: list[Promotion] = []
    try:
        results = expire_holds(db, bus, now=clock.now(), hold_minutes=hold_minutes)
        report.holds_expired = len(results)
        promotions = [p for r in results for p in r.promotions]
        report.promotions = len(promotions)
    except Exception as exc:
        log.exception("hold expiry failed")
        report.errors.append(f"hold expiry: {type(exc).__name__}")

    if promotions:
        if sender is None or notify_promotions is None:
            log.warning(
                "%d promoted pilot(s) not notified: %s",
                len(promotions),
                "no bot token" if sender is None else "fpv.bot.notifications is missing",
            )
        else:
            try:
                outcome = notify_promotions(sender, promotions)
                if inspect.isawaitable(outcome):
                    await outcome
                report.promotions_notified = True
            except Exception as exc:
                log.exception("promotion notices failed")
                report.errors.append(f"promotion notices: {type(exc).__name__}")

    try:
        report.idempotency_purged = purge_idempotency(db, clock)
    except Exception as exc:
        log.exception("idempotency purge failed")
        report.errors.append(f"idempotency purge: {type(exc).__name__}")

    if sender is None:
        log.warning("TELEGRAM_BOT_TOKEN is not set: reminders are not sent")
    else:
        try:
            report.reminders = await deliver_due_reminders(
                db, sender, clock=clock, policy=policy, should_stop=should_stop
            )
        except Exception as exc:
            log.exception("reminder delivery failed")
            report.errors.append(f"reminders: {type(exc).__name__}")

    if report.errors:
        raise JobFailed("; ".join(report.errors), report)
    return report


def run_from_settings(
    settings: Settings,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Clock | None = None,
) -> JobReport:
    """Entry point for the Lambda handler and the CLI: adapters from settings, one event loop."""
    from fpv import runtime
    from fpv.jobs.clock import SystemClock
    from fpv.jobs.telegram import make_bot

    db = runtime.database(settings)
    bus = runtime.event_bus(settings)
    clock = clock or SystemClock()

    notifier = default_promotion_notifier()

    def notify(bot: Any, promotions: list[Promotion]) -> Any:
        assert notifier is not None
        return notifier(bot, promotions, db=db)

    async def main() -> JobReport:
        bot = make_bot(settings) if settings.telegram_bot_token else None
        try:
            return await run_reminders_job(
                db,
                bus,
                clock=clock,
                sender=bot,
                hold_minutes=settings.hold_minutes,
                notify_promotions=notify if notifier else None,
                should_stop=should_stop,
            )
        finally:
            if bot is not None:
                await bot.shutdown()

    return asyncio.run(main())
