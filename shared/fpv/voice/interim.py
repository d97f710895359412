"""INTERIM use cases for the voice tools whose admin use cases are not on main yet: create a
training or a weekly series, move a training, stats for a period.

TO BE REPLACED by the admin use cases of `shared/fpv/admin/` (branch `admin`) once they land:
keep the tool names and argument schemas, swap the `run` functions for calls into
`fpv.admin` (which then own validation, the audit record and "schedule changed"). Until then
these follow the same rules: the actor decides (a local admin only at their venues), the
change, its audit record ({"via": "voice"}) and its outbox rows commit together.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from fpv import audit as fpv_audit
from fpv import outbox
from fpv.actors import Actor
from fpv.bot import render
from fpv.dal import catalog
from fpv.dal import registrations as reg_dal
from fpv.dal import voice as dal
from fpv.ports.events import SCHEDULE_CHANGED
from fpv.texts import t
from fpv.voice.tools import (
    Args,
    Refused,
    Tool,
    ToolContext,
    TrainingRef,
    _brief,
    actor_zone,
    local_moment,
    venue_filter,
    visible_training,
)


# --- create a training or a weekly series --------------------------------------------------------
class CreateTraining(Args):
    venue_id: int = Field(ge=1)
    date: dt.date = Field(description="local date of the (first) training, YYYY-MM-DD")
    start_time: dt.time = Field(description="local start time, HH:MM")
    duration_minutes: int = Field(default=120, ge=15, le=12 * 60)
    capacity: int = Field(ge=1, le=200)
    price_rub: int = Field(default=0, ge=0, le=1_000_000)
    title: str = Field(default="", max_length=200, description="empty: 'Training'")
    track_type: Literal["race", "freestyle", "whoop", "open"] = "race"
    weeks: int = Field(default=1, ge=1, le=26, description="1 = one training; N = weekly series")


def _plan(ctx: ToolContext, actor: Actor, args: CreateTraining) -> tuple[dict, list[datetime]]:
    with ctx.db.transaction(readonly=True) as tx:
        venue = dal.venue(tx, args.venue_id)
    if venue is None or not actor.sees_venue(args.venue_id):
        raise Refused("voice.refused.venue_not_found", id=args.venue_id)
    first = local_moment(args.date, args.start_time, venue["time_zone"])
    if first <= ctx.now:
        raise Refused("voice.refused.in_the_past")
    zone = ZoneInfo(venue["time_zone"])
    starts = [
        datetime.combine(args.date + timedelta(weeks=i), args.start_time).replace(tzinfo=zone)
        for i in range(args.weeks)
    ]
    return venue, starts


def _title(args: CreateTraining, lang: str) -> str:
    return args.title.strip() or t("voice.tool.create.default_title", lang)


def preview_create(ctx: ToolContext, actor: Actor, args: CreateTraining) -> str:
    venue, starts = _plan(ctx, actor, args)
    lang = ctx.language
    text = t(
        "voice.tool.create.summary",
        lang,
        title=_title(args, lang),
        venue=venue["name"],
        when=render.when(starts[0], venue["time_zone"], lang),
        minutes=args.duration_minutes,
        capacity=args.capacity,
        price=render.price(args.price_rub * 100, lang),
    )
    if args.weeks > 1:
        text += t("voice.tool.create.series", lang, count=args.weeks)
    return text


def create_training(ctx: ToolContext, actor: Actor, args: CreateTraining) -> str:
    _venue, starts = _plan(ctx, actor, args)
    ids, events = [], []
    with ctx.db.transaction() as tx:
        for start in starts:
            training_id = catalog.insert_training(
                tx,
                venue_id=args.venue_id,
                title=_title(args, ctx.language),
                starts_at=start,
                ends_at=start + timedelta(minutes=args.duration_minutes),
                capacity=args.capacity,
                price_kopecks=args.price_rub * 100,
                track_type=args.track_type,
            )
            ids.append(training_id)
            events.append(
                outbox.event(
                    tx, SCHEDULE_CHANGED, {"training_id": training_id, "reason": "created"}
                )
            )
        fpv_audit.record(
            tx,
            actor,
            "training.create",
            f"venue:{args.venue_id}",
            details={"via": actor.via, "trainings": ids},
        )
    outbox.publish_now(ctx.db, ctx.bus, events)
    return t(
        "voice.tool.create.done",
        ctx.language,
        count=len(ids),
        ids=", ".join(f"№{i}" for i in ids),
    )


# --- move a training -----------------------------------------------------------------------------
class MoveTraining(TrainingRef):
    date: dt.date = Field(description="new local date, YYYY-MM-DD")
    start_time: dt.time = Field(description="new local start time, HH:MM")


def _new_times(ctx: ToolContext, row: dict, args: MoveTraining) -> tuple[datetime, datetime]:
    if row["status"] != "scheduled":
        raise Refused("voice.refused.already_cancelled", id=args.training_id)
    starts = local_moment(args.date, args.start_time, row["time_zone"])
    if starts <= ctx.now or row["starts_at"] <= ctx.now:
        raise Refused("voice.refused.in_the_past")
    return starts, starts + (row["ends_at"] - row["starts_at"])


def preview_move_training(ctx: ToolContext, actor: Actor, args: MoveTraining) -> str:
    with ctx.db.transaction(readonly=True) as tx:
        row = visible_training(tx, actor, args.training_id)
        count = len(dal.roster(tx, args.training_id))
    starts, _ends = _new_times(ctx, row, args)
    lang = ctx.language
    return t(
        "voice.tool.move_training.summary",
        lang,
        new=render.when(starts, row["time_zone"], lang),
        count=count,
        **_brief(row, lang),
    )


def move_training(ctx: ToolContext, actor: Actor, args: MoveTraining) -> str:
    notices: list[int] = []
    with ctx.db.transaction() as tx:
        if reg_dal.lock_training(tx, args.training_id) is None:
            raise Refused("voice.refused.training_not_found", id=args.training_id)
        row = visible_training(tx, actor, args.training_id)
        starts, ends = _new_times(ctx, row, args)
        dal.move_training(tx, args.training_id, starts_at=starts, ends_at=ends)
        for pilot in dal.roster(tx, args.training_id):
            lang = pilot["language"] or "ru"
            text = t(
                "voice.notice.moved",
                lang,
                title=row["title"],
                old=render.when(row["starts_at"], row["time_zone"], lang),
                new=render.when(starts, row["time_zone"], lang),
            )
            queued = outbox.message(tx, pilot["telegram_id"], text)
            notices += [queued] if queued is not None else []
        fpv_audit.record(
            tx,
            actor,
            "training.move",
            f"training:{args.training_id}",
            details={
                "via": actor.via,
                "from": row["starts_at"].isoformat(),
                "to": starts.isoformat(),
            },
        )
        event = outbox.event(
            tx, SCHEDULE_CHANGED, {"training_id": args.training_id, "reason": "moved"}
        )
    outbox.publish_now(ctx.db, ctx.bus, [event])
    if ctx.deliverers is not None and notices:
        from fpv import delivery

        delivery.send(ctx.db, ctx.deliverers, notices)
    return t(
        "voice.tool.move_training.done",
        ctx.language,
        id=args.training_id,
        new=render.when(starts, row["time_zone"], ctx.language),
        count=len(notices),
    )


# --- stats for a period --------------------------------------------------------------------------
class Stats(Args):
    date_from: dt.date = Field(description="first day, YYYY-MM-DD")
    date_to: dt.date = Field(description="last day (included), YYYY-MM-DD")


def stats(ctx: ToolContext, actor: Actor, args: Stats) -> str:
    if args.date_to < args.date_from or (args.date_to - args.date_from).days > 366:
        raise Refused("voice.refused.bad_period")
    with ctx.db.transaction(readonly=True) as tx:
        zone = ZoneInfo(actor_zone(tx, actor))
        start = datetime.combine(args.date_from, time()).replace(tzinfo=zone)
        end = datetime.combine(args.date_to + timedelta(days=1), time()).replace(tzinfo=zone)
        counts = dal.stats(tx, start=start, end=end, venue_ids=venue_filter(actor))
        money = dal.paid_between(tx, start=start, end=end, venue_ids=venue_filter(actor))
    return t(
        "voice.tool.stats.result",
        ctx.language,
        start=args.date_from.strftime("%d.%m.%Y"),
        end=args.date_to.strftime("%d.%m.%Y"),
        trainings=counts["trainings"],
        cancelled=counts["cancelled"],
        confirmed=counts["confirmed"],
        waitlisted=counts["waitlisted"],
        pilots=counts["pilots"],
        money=(
            render.price(int(money["net_kopecks"]), ctx.language)
            if money["net_kopecks"]
            else t("voice.fmt.no_money", ctx.language)
        ),
    )


TOOLS = [
    Tool(
        "create_training",
        "Create a training at a venue, or a weekly series of them (weeks > 1).",
        CreateTraining,
        True,
        create_training,
        preview_create,
        interim=True,
    ),
    Tool(
        "move_training",
        "Move a training to another local date and start time (same duration); pilots are told.",
        MoveTraining,
        True,
        move_training,
        preview_move_training,
        interim=True,
    ),
    Tool(
        "stats",
        "Statistics for a period: trainings, registrations, pilots, money.",
        Stats,
        False,
        stats,
        interim=True,
    ),
]
