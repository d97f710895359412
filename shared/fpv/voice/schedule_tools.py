"""Voice tools over the organizer's schedule use cases (`fpv.admin.trainings`, `fpv.admin.stats`):
create a training or a weekly series, move a training, figures for a period.

The rules (who may touch which venue, a start in the future, the audit record, "schedule changed",
telling the pilots of a moved training) live in those use cases, as for the admin API; a tool
here only turns the model's arguments into their input, previews in words, and turns their
refusals into the admin's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from fpv import audit
from fpv.actors import Actor
from fpv.admin import stats as stats_uc
from fpv.admin import trainings as trainings_uc
from fpv.admin.errors import AdminError, NotFound, TrainingClosedError
from fpv.bot import render
from fpv.dal import voice as dal
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
    visible_training,
)

VOICE_CLIENT = audit.Client()  # no address or agent: the request came through Telegram


@contextmanager
def _refusals(not_found: Callable[[], Refused], training_id: int | None = None) -> Iterator[None]:
    """The admin use cases' refusals, said in the admin's language (nothing was changed)."""
    try:
        yield
    except NotFound:
        raise not_found() from None
    except TrainingClosedError:
        raise Refused("voice.refused.training_closed", id=training_id) from None
    except AdminError as exc:
        if "future" in str(exc):
            raise Refused("voice.refused.in_the_past") from None
        raise Refused("voice.refused.not_allowed", reason=str(exc)) from None


# --- create a training or a weekly series --------------------------------------------------------
class CreateTraining(Args):
    venue_id: int = Field(ge=1)
    date: dt.date = Field(description="local date of the (first) training, YYYY-MM-DD")
    start_time: dt.time = Field(description="local start time, HH:MM")
    duration_minutes: int = Field(default=120, ge=15, le=12 * 60)
    capacity: int | None = Field(default=None, ge=1, le=200, description="empty: venue default")
    price_rub: int | None = Field(
        default=None, ge=0, le=1_000_000, description="empty: the venue's default price"
    )
    title: str = Field(default="", max_length=200, description="empty: 'Training'")
    track_type: Literal["race", "freestyle", "whoop", "open"] = "race"
    weeks: int = Field(default=1, ge=1, le=26, description="1 = one training; N = weekly series")


def _venue(ctx: ToolContext, actor: Actor, venue_id: int) -> dict:
    with ctx.db.transaction(readonly=True) as tx:
        venue = dal.venue(tx, venue_id)
    if venue is None or not actor.sees_venue(venue_id):
        raise Refused("voice.refused.venue_not_found", id=venue_id)
    return venue


def _title(args: CreateTraining, lang: str) -> str:
    return args.title.strip() or t("voice.tool.create.default_title", lang)


def _price_kopecks(args: CreateTraining) -> int | None:
    return None if args.price_rub is None else args.price_rub * 100


def preview_create(ctx: ToolContext, actor: Actor, args: CreateTraining) -> str:
    venue = _venue(ctx, actor, args.venue_id)
    first = local_moment(args.date, args.start_time, venue["time_zone"])
    if first <= ctx.now:
        raise Refused("voice.refused.in_the_past")
    lang = ctx.language
    price = _price_kopecks(args)
    text = t(
        "voice.tool.create.summary",
        lang,
        title=_title(args, lang),
        venue=venue["name"],
        when=render.when(first, venue["time_zone"], lang),
        minutes=args.duration_minutes,
        capacity=args.capacity or venue["default_capacity"],
        price=render.price(venue["default_price_kopecks"] if price is None else price, lang),
    )
    if args.weeks > 1:
        text += t("voice.tool.create.series", lang, count=args.weeks)
    return text


def create_training(ctx: ToolContext, actor: Actor, args: CreateTraining) -> str:
    venue = _venue(ctx, actor, args.venue_id)
    lang = ctx.language
    with _refusals(lambda: Refused("voice.refused.venue_not_found", id=args.venue_id)):
        if args.weeks == 1:
            starts = local_moment(args.date, args.start_time, venue["time_zone"])
            fields = {
                "venue_id": args.venue_id,
                "title": _title(args, lang),
                "track_type": args.track_type,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=args.duration_minutes),
                "capacity": args.capacity,
                "price_kopecks": _price_kopecks(args),
            }
            rows = [
                trainings_uc.create_training(
                    ctx.db, ctx.bus, actor, fields, VOICE_CLIENT, now=ctx.now
                )
            ]
        else:
            spec = trainings_uc.SeriesSpec(
                venue_id=args.venue_id,
                title=_title(args, lang),
                first_date=args.date,
                start_time=args.start_time,
                duration_minutes=args.duration_minutes,
                count=args.weeks,
                track_type=args.track_type,
                capacity=args.capacity,
                price_kopecks=_price_kopecks(args),
            )
            rows = trainings_uc.create_series(
                ctx.db, ctx.bus, actor, spec, VOICE_CLIENT, now=ctx.now
            )
    ids = [row["id"] for row in rows]
    return t("voice.tool.create.done", lang, count=len(ids), ids=", ".join(f"№{i}" for i in ids))


# --- move a training -----------------------------------------------------------------------------
class MoveTraining(TrainingRef):
    date: dt.date = Field(description="new local date, YYYY-MM-DD")
    start_time: dt.time = Field(description="new local start time, HH:MM")


def _new_start(ctx: ToolContext, actor: Actor, args: MoveTraining) -> tuple[dict, datetime, int]:
    with ctx.db.transaction(readonly=True) as tx:
        row = visible_training(tx, actor, args.training_id)
        count = len(dal.roster(tx, args.training_id))
    if row["status"] != "scheduled":
        raise Refused("voice.refused.already_cancelled", id=args.training_id)
    starts = local_moment(args.date, args.start_time, row["time_zone"])
    if starts <= ctx.now or row["starts_at"] <= ctx.now:
        raise Refused("voice.refused.in_the_past")
    return row, starts, count


def preview_move_training(ctx: ToolContext, actor: Actor, args: MoveTraining) -> str:
    row, starts, count = _new_start(ctx, actor, args)
    lang = ctx.language
    return t(
        "voice.tool.move_training.summary",
        lang,
        new=render.when(starts, row["time_zone"], lang),
        count=count,
        **_brief(row, lang),
    )


def move_training(ctx: ToolContext, actor: Actor, args: MoveTraining) -> str:
    row, starts, _count = _new_start(ctx, actor, args)
    fields = {"starts_at": starts, "ends_at": starts + (row["ends_at"] - row["starts_at"])}

    def not_found() -> Refused:
        return Refused("voice.refused.training_not_found", id=args.training_id)

    with _refusals(not_found, args.training_id):
        after = trainings_uc.update_training(
            ctx.db, ctx.bus, actor, args.training_id, fields, VOICE_CLIENT,
            now=ctx.now, deliverers=ctx.deliverers,
        )  # fmt: skip
    return t(
        "voice.tool.move_training.done",
        ctx.language,
        id=args.training_id,
        new=render.when(starts, row["time_zone"], ctx.language),
        count=after["pilots_told"],
    )


# --- figures for a period ------------------------------------------------------------------------
class Stats(Args):
    date_from: dt.date = Field(description="first day, YYYY-MM-DD")
    date_to: dt.date = Field(description="last day (included), YYYY-MM-DD")


def stats(ctx: ToolContext, actor: Actor, args: Stats) -> str:
    """The admin dashboard's figures (the admin's venues only), summed over venues."""
    if args.date_to < args.date_from or (args.date_to - args.date_from).days > 366:
        raise Refused("voice.refused.bad_period")
    with ctx.db.transaction(readonly=True) as tx:
        zone = ZoneInfo(actor_zone(tx, actor))
    since = datetime.combine(args.date_from, time()).replace(tzinfo=zone)
    until = datetime.combine(args.date_to + timedelta(days=1), time()).replace(tzinfo=zone)
    with _refusals(lambda: Refused("voice.refused.bad_period")):
        figures = stats_uc.venue_stats(ctx.db, actor, since=since, until=until)
    venues = figures["venues"]

    def total(key: str) -> int:
        return sum(int(v[key] or 0) for v in venues)

    net = int(figures["revenue"])  # seats by training date, passes when bought (the dashboard's)
    return t(
        "voice.tool.stats.result",
        ctx.language,
        start=args.date_from.strftime("%d.%m.%Y"),
        end=args.date_to.strftime("%d.%m.%Y"),
        trainings=total("trainings"),
        cancelled=total("cancelled"),
        confirmed=total("confirmed"),
        no_shows=total("no_shows"),
        money=(render.price(net, ctx.language) if net else t("voice.fmt.no_money", ctx.language)),
    )


TOOLS = [
    Tool(
        "create_training",
        "Create a training at a venue, or a weekly series of them (weeks > 1).",
        CreateTraining,
        True,
        create_training,
        preview_create,
    ),
    Tool(
        "move_training",
        "Move a training to another local date and start time (same duration); pilots are told.",
        MoveTraining,
        True,
        move_training,
        preview_move_training,
    ),
    Tool(
        "stats",
        "Figures for a period: trainings, confirmed registrations, no-shows, money.",
        Stats,
        False,
        stats,
    ),
]
