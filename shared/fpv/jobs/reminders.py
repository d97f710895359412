"""Reminders 24 h and 1 h before a training: exactly once, on time, within Telegram's limits.

When a reminder goes out (the policy, also in the operations notes of the report):
- Its moment is `start - lead` (24 h, 1 h). A run sends it when the moment has come, at most
  `grace` late (24 h: 3 h, 1 h: 20 min) and before the start. Runs come every 5 minutes, so the
  grace absorbs a few failed or slow runs.
- Later than that it is not sent as if it were on time: the claim is recorded as
  'skipped_late'. The same when the pilot registered after the moment (someone signing up 30
  minutes before the start gets no "starts in an hour" message; the sign-up confirmation
  already told them everything).
- Pilots who blocked the bot (reachable = false) are skipped ('skipped_unreachable').

Exactly once: each reminder is claimed in the database (reminders_sent row) before it is sent;
the primary key lets one run win. The row is marked 'sending' right before the Bot API request,
so a run that dies leaves either an unattempted claim (released after a lease and sent later)
or a 'sending' row (maybe delivered: becomes 'unknown', never sent twice).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import quote
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpv.dal import reminders as dal
from fpv.db import Database, Row
from fpv.jobs.clock import Clock
from fpv.jobs.ratelimit import TelegramRateLimiter
from fpv.texts import LANGUAGES, t

log = logging.getLogger("fpv.jobs.reminders")


@dataclass(frozen=True)
class ReminderKind:
    kind: str  # reminders_sent.kind
    lead: timedelta  # how long before the start
    grace: timedelta  # how late it may still go out


KINDS: tuple[ReminderKind, ...] = (
    ReminderKind("24h", timedelta(hours=24), timedelta(hours=3)),
    ReminderKind("1h", timedelta(hours=1), timedelta(minutes=20)),
)
KIND_BY_NAME = {k.kind: k for k in KINDS}

Decision = Literal["not_yet", "send", "late"]


def training_moved(tx: Any, training_id: int, new_starts_at: datetime) -> int:
    """A training moved: a reminder already sent before its new moment (new start - lead) went
    out for the old time and is due again at the new moment; one sent after it still holds.
    Called in the transaction of the move; returns how many claims were dropped."""
    return sum(
        dal.forget_sent_before(tx, training_id, kind.kind, new_starts_at - kind.lead)
        for kind in KINDS
    )


def classify(
    kind: ReminderKind, *, starts_at: datetime, registered_at: datetime, now: datetime
) -> Decision:
    moment = starts_at - kind.lead
    if now < moment:
        return "not_yet"
    if now >= starts_at or now > moment + kind.grace or registered_at > moment:
        return "late"
    return "send"


# --- the message -------------------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("venue has an unknown time zone; showing UTC")
        return ZoneInfo("UTC")


def utc_offset_label(local: datetime) -> str:
    """UTC+3, UTC+7, UTC+5:30, UTC-3."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def map_url(
    lang: str, *, latitude: float | None, longitude: float | None, address: str | None
) -> str | None:
    """Yandex Maps for Russian speakers, OpenStreetMap otherwise; by coordinates when known."""
    if latitude is not None and longitude is not None:
        if lang == "ru":
            return f"https://yandex.ru/maps/?pt={longitude:.6f},{latitude:.6f}&z=16&l=map"
        return (
            f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
            f"#map=17/{latitude:.6f}/{longitude:.6f}"
        )
    if address and address.strip():
        if lang == "ru":
            return f"https://yandex.ru/maps/?text={quote(address.strip())}"
        return f"https://www.openstreetmap.org/search?query={quote(address.strip())}"
    return None


def render_reminder(kind: str, details: Row) -> str:
    """The reminder text in the pilot's language, times in the venue's time zone."""
    lang = details.get("language") if details.get("language") in LANGUAGES else "ru"
    zone = _zone(details.get("time_zone"))
    local = details["starts_at"].astimezone(zone)
    lines = [
        t(f"reminders.head.{kind}", lang, title=details["title"]),
        t(
            "reminders.when",
            lang,
            date=t("reminders.date", lang, d=local),
            time=f"{local:%H:%M}",
            offset=utc_offset_label(local),
            zone=zone.key,
        ),
    ]
    address = (details.get("address") or "").strip()
    if address:
        lines.append(t("reminders.where", lang, venue=details["venue_name"], address=address))
    else:
        lines.append(t("reminders.where_no_address", lang, venue=details["venue_name"]))
    mhz, label = details.get("channel_mhz"), details.get("channel_label")
    if mhz and label:
        lines.append(t("reminders.channel", lang, label=label, mhz=mhz))
    elif mhz:
        lines.append(t("reminders.channel_mhz_only", lang, mhz=mhz))
    else:
        lines.append(t("reminders.channel_none", lang))
    url = map_url(
        lang,
        latitude=details.get("latitude"),
        longitude=details.get("longitude"),
        address=address,
    )
    if url:
        lines.append(t("reminders.map", lang, url=url))
    lines.append("")
    lines.append(t("reminders.footer", lang))
    return "\n".join(lines)


# --- delivery ----------------------------------------------------------------------------------


class MessageSender(Protocol):
    """What we need from python-telegram-bot's Bot."""

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any: ...


@dataclass
class DeliveryPolicy:
    kinds: tuple[ReminderKind, ...] = KINDS
    per_second: float = 25.0  # Telegram: ~30/s overall; we stay below
    per_chat_interval: float = 1.0  # Telegram: about one message per second per chat
    chunk: int = 100  # claims taken at a time (at most this many unattempted claims exist)
    lease: timedelta = timedelta(minutes=15)  # longer than a run can live
    max_attempts: int = 5  # 429s in a row before the reminder is left to the next run
    max_pause: float = 60.0  # a longer retry_after ends the run; the next run resumes
    max_network_errors: int = 10  # consecutive: Telegram unreachable, stop for now
    max_in_flight: int = 16  # concurrent Bot API requests (25/s at 0.3 s latency needs ~8)


@dataclass
class DeliveryReport:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    skipped_late: int = 0
    skipped_unreachable: int = 0
    released: int = 0
    rate_limited: int = 0
    stale_released: int = 0
    stale_unknown: int = 0
    busy: bool = False  # another run was sending; this one did nothing
    stopped_early: bool = False
    grants: list[tuple[float, int]] = field(default_factory=list, repr=False)
    pauses: list[tuple[float, float]] = field(default_factory=list, repr=False)  # (from, until)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("grants", "pauses")}


@dataclass
class _Item:
    registration_id: int
    kind: str
    pilot_id: int
    chat_id: int
    text: str


class _Delivery:
    def __init__(
        self,
        db: Database,
        sender: MessageSender,
        clock: Clock,
        limiter: TelegramRateLimiter,
        policy: DeliveryPolicy,
        should_stop: Callable[[], bool],
        run_id: UUID,
        record_grants: bool,
    ) -> None:
        self.db, self.sender, self.clock, self.limiter = db, sender, clock, limiter
        self.policy, self.should_stop, self.run_id = policy, should_stop, run_id
        self.report = DeliveryReport()
        self.stopping = False
        self._network_errors = 0
        self._record_grants = record_grants
        self._in_flight = asyncio.Semaphore(policy.max_in_flight)
        self._retry_released = False
        # Database work runs on threads of its own (each with its own connection), so the event
        # loop only paces and sends. Each message needs two writes: the 'sending' mark right
        # before its request (waits for the disk) on a thread that does nothing else, so a
        # claim of the next batch never holds a send up; claims and outcomes (which need not
        # wait for the disk) on the other.
        self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="fpv-reminders-db")
        self._start_thread = ThreadPoolExecutor(1, thread_name_prefix="fpv-reminders-start")

    async def _on_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db_thread, fn, *args)

    def _close_threads(self) -> None:
        """Close each thread's connection (connections are per thread), then the thread."""
        for thread in (self._db_thread, self._start_thread):
            thread.submit(self.db.close)
            thread.shutdown(wait=True)

    def _stop_requested(self) -> bool:
        if not self.stopping and self.should_stop():
            self.stopping = True
            self.report.stopped_early = True
        return self.stopping

    # -- claiming --
    def claim_batch(self) -> tuple[list[_Item], Counter[str]] | None:
        """Claim the next due reminders (database thread); None when nothing is due any more.
        Returns the reminders to send and the count of claims recorded as skipped."""
        now = self.clock.now()
        kinds = self.policy.kinds
        with self.db.transaction() as tx:
            candidates = dal.due_candidates(
                tx,
                now=now,
                kinds=[k.kind for k in kinds],
                lead_seconds=[int(k.lead.total_seconds()) for k in kinds],
                grace_seconds=[int(k.grace.total_seconds()) for k in kinds],
                limit=self.policy.chunk,
            )
        if not candidates:
            return None
        ids, names, outcomes = [], [], []
        for c in candidates:
            decision = classify(
                KIND_BY_NAME[c["kind"]],
                starts_at=c["starts_at"],
                registered_at=c["registered_at"],
                now=now,
            )
            if decision == "not_yet":  # cannot happen with the query's filter; be safe
                continue
            outcome = None
            if decision == "late":
                outcome = "skipped_late"
            elif not c["reachable"]:
                outcome = "skipped_unreachable"
            ids.append(c["registration_id"])
            names.append(c["kind"])
            outcomes.append(outcome)
        if not ids:
            return None
        with self.db.transaction() as tx:
            won = dal.claim(
                tx,
                registration_ids=ids,
                kinds=names,
                outcomes=outcomes,
                run_id=self.run_id,
                now=now,
            )
            to_send = [w for w in won if w["outcome"] is None]
            details = (
                {
                    d["registration_id"]: d
                    for d in dal.message_details(tx, [w["registration_id"] for w in to_send])
                }
                if to_send
                else {}
            )
        skipped = Counter(w["outcome"] for w in won if w["outcome"] is not None)
        items = []
        for w in to_send:
            d = details.get(w["registration_id"])
            if d is None:  # the pilot was deleted a moment ago: nobody to remind
                with self.db.transaction() as tx:
                    dal.release(
                        tx, registration_id=w["registration_id"], kind=w["kind"], run_id=self.run_id
                    )
                continue
            items.append(
                _Item(
                    w["registration_id"],
                    w["kind"],
                    d["pilot_id"],
                    d["telegram_id"],
                    render_reminder(w["kind"], d),
                )
            )
        return items, skipped

    # -- sending --
    def _finish(self, item: _Item, outcome: str, sent_at: datetime | None) -> None:
        """Record an outcome, one statement without waiting for the disk: if the database
        server crashed before it was written, the row would stay 'sending' and become 'unknown'
        (never sent twice), as after a crash of this run."""
        with self.db.autocommit(durable=False) as tx:
            dal.finish_many(
                tx,
                registration_ids=[item.registration_id],
                kinds=[item.kind],
                outcomes=[outcome],
                sent_at=[sent_at],
                run_id=self.run_id,
            )
            if outcome == "blocked":
                dal.mark_unreachable(tx, pilot_ids=[item.pilot_id])

    def _release(self, item: _Item) -> None:
        with self.db.autocommit() as tx:
            dal.release(
                tx, registration_id=item.registration_id, kind=item.kind, run_id=self.run_id
            )

    def _start(self, item: _Item, now: datetime) -> bool:
        """Mark the claim 'sending', durably (a transaction's commit always is): from now on a
        crash never sends it again."""
        with self.db.transaction() as tx:
            return dal.start_attempt(
                tx,
                registration_id=item.registration_id,
                kind=item.kind,
                run_id=self.run_id,
                now=now,
            )

    async def _give_back(self, item: _Item) -> None:
        await self._on_db(self._release, item)
        self.report.released += 1

    async def _record(self, item: _Item, outcome: str) -> None:
        sent_at = self.clock.now() if outcome == "sent" else None
        await self._on_db(self._finish, item, outcome, sent_at)

    async def send(self, item: _Item) -> None:
        from telegram import LinkPreviewOptions
        from telegram.error import (
            BadRequest,
            Forbidden,
            InvalidToken,
            NetworkError,
            RetryAfter,
        )

        started = False
        for _attempt in range(self.policy.max_attempts):
            if self._stop_requested():
                break
            await self.limiter.wait_turn(item.chat_id)
            if self._stop_requested():
                break
            if not started:
                started = await asyncio.get_running_loop().run_in_executor(
                    self._start_thread, self._start, item, self.clock.now()
                )
                if not started:  # cancelled meanwhile (or our claim is gone): nothing to send
                    await self._give_back(item)
                    return
            try:
                async with self._in_flight:
                    # the last word on pacing: after the database write, right before the request
                    slot = await self.limiter.gate(item.chat_id)
                    if self._record_grants:
                        self.report.grants.append((slot, item.chat_id))
                    await self.sender.send_message(
                        chat_id=item.chat_id,
                        text=item.text,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
            except RetryAfter as exc:  # rejected, not delivered: wait and try again
                self.report.rate_limited += 1
                pause = _retry_after_seconds(exc)
                paused_at = self.clock.monotonic()
                self.limiter.pause(pause)
                if self._record_grants:
                    self.report.pauses.append((paused_at, self.limiter.paused_until))
                if pause > self.policy.max_pause:
                    log.warning("Telegram asks to wait %.0f s; the next run goes on", pause)
                    self.stopping = self.report.stopped_early = True
                continue
            except Forbidden:
                await self._record(item, "blocked")
                self.report.blocked += 1
                return
            except BadRequest as exc:
                log.warning("reminder %s rejected: %s", item.registration_id, exc.message)
                await self._record(item, "failed")
                self.report.failed += 1
                return
            except InvalidToken:
                await self._give_back(item)
                raise
            except NetworkError as exc:
                self._network_errors += 1
                if self._network_errors >= self.policy.max_network_errors:
                    self.stopping = self.report.stopped_early = True
                if _maybe_delivered(exc):  # never send it twice
                    log.warning("reminder %s: delivery unknown (%r)", item.registration_id, exc)
                    await self._record(item, "unknown")
                    self.report.unknown += 1
                else:  # refused before Telegram took it: try again (this run or the next)
                    log.warning("Bot API unavailable: %r", exc)
                    await self._give_back(item)
                    self._retry_released = True
                return
            self._network_errors = 0
            await self._record(item, "sent")
            self.report.sent += 1
            return
        # out of attempts or asked to stop: nothing was delivered, the next run takes it
        await self._give_back(item)

    async def run(self) -> None:
        pending: set[asyncio.Task[None]] = set()
        low_water = max(1, self.policy.chunk // 2)
        exhausted = False
        try:
            while True:
                if exhausted and self._retry_released:  # claims given back after errors
                    exhausted = self._retry_released = False
                if not exhausted and len(pending) < low_water and not self._stop_requested():
                    self._retry_released = False
                    batch = await self._on_db(self.claim_batch)
                    if batch is None:
                        exhausted = True
                    else:
                        items, skipped = batch
                        self.report.skipped_late += skipped["skipped_late"]
                        self.report.skipped_unreachable += skipped["skipped_unreachable"]
                        pending.update(asyncio.create_task(self.send(i)) for i in items)
                        if not items:  # only skips in this batch, or others won: go on
                            continue
                if not pending:
                    if exhausted or self.stopping:
                        return
                    continue
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # surface a bug or a fatal error (InvalidToken)
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            try:
                released = await self._on_db(self._release_unattempted)
                self.report.released += released
            finally:
                self._close_threads()

    def _release_unattempted(self) -> int:
        with self.db.transaction() as tx:
            return dal.release_unattempted(tx, run_id=self.run_id)


def _maybe_delivered(exc: BaseException) -> bool:
    """Whether Telegram may have sent a message despite the error. An error status (5xx) or a
    connection never made means no; a connection lost after the request went out means maybe."""
    import httpx

    cause = exc.__cause__
    if cause is None:
        return False
    return not isinstance(
        cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError)
    )


def _retry_after_seconds(exc: Any) -> float:
    from telegram.warnings import PTBDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(1.0, seconds)


async def deliver_due_reminders(
    db: Database,
    sender: MessageSender,
    *,
    clock: Clock,
    policy: DeliveryPolicy | None = None,
    limiter: TelegramRateLimiter | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    single_sender: bool = True,
    record_grants: bool = False,
) -> DeliveryReport:
    """Send every due reminder once. With `single_sender`, a run that finds another one sending
    returns at once (report.busy): together they would exceed Telegram's overall limit; the
    claims alone already make duplicates impossible."""
    policy = policy or DeliveryPolicy()
    limiter = limiter or TelegramRateLimiter(
        clock, per_second=policy.per_second, per_chat_interval=policy.per_chat_interval
    )
    delivery = _Delivery(db, sender, clock, limiter, policy, should_stop, uuid4(), record_grants)
    if single_sender:
        with db.transaction() as tx:
            if not dal.try_sender_lock(tx):
                delivery.report.busy = True
                return delivery.report
    try:
        with db.transaction() as tx:
            released, unknown = dal.expire_stale_claims(tx, now=clock.now(), lease=policy.lease)
        delivery.report.stale_released, delivery.report.stale_unknown = released, unknown
        await delivery.run()
    finally:
        if single_sender:
            with db.transaction() as tx:
                dal.sender_unlock(tx)
    return delivery.report


def reminder_outcomes(db: Database, registration_ids: Iterable[int]) -> list[Row]:
    with db.transaction(readonly=True) as tx:
        return dal.claims_for(tx, list(registration_ids))
