"""The assistant's tool registry: what a chat model may ask for, mapped to use cases.

Each tool has a name, a JSON schema of its arguments (a pydantic model), whether it changes
anything, and a function (ctx, actor, args) -> the result in the admin's language. A mutating
tool also has a `preview`: it checks now what can be checked (the training exists and is the
admin's, the pilot is there, the channel is a channel) and says in plain words what Confirm
will do; nothing runs before the confirmation. The model's arguments are untrusted input: they
are validated here and every permission is decided by the use cases with the admin's actor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fpv import audit as fpv_audit
from fpv import outbox
from fpv.actors import Actor
from fpv.bot import render
from fpv.channels.bands import parse_analog_label
from fpv.dal import voice as dal
from fpv.db import Database, Row, Tx
from fpv.ports.events import EventBus
from fpv.texts import t

log = logging.getLogger("fpv.voice")
DEFAULT_ZONE = "Europe/Moscow"


class Refused(Exception):
    """The tool cannot do this; `text(lang)` tells the admin why (nothing was changed)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


@dataclass
class ToolContext:
    db: Database
    bus: EventBus
    language: str
    now: datetime
    payment_ports: Callable[[], Any] = lambda: None  # fpv.payments.ports.PaymentPorts, lazily
    deliverers: Any = None  # fpv.outbox.Deliverers: pilots' messages sent at once when given
    hold_minutes: int = 15


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[Args]
    mutating: bool
    run: Callable[[ToolContext, Actor, Any], str]
    preview: Callable[[ToolContext, Actor, Any], str] | None = None

    def openai_schema(self) -> dict[str, Any]:
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": schema},
        }

    def parse(self, raw: str | dict[str, Any] | None) -> Args:
        try:
            data = json.loads(raw) if isinstance(raw, str) else (raw or {})
            return self.args.model_validate(data)
        except (ValueError, ValidationError):
            raise Refused("voice.refused.bad_arguments", tool=self.name) from None


# --- shared helpers ----------------------------------------------------------------------------
def venue_filter(actor: Actor) -> list[int] | None:
    """None: every venue (superadmin); else the admin's own venues."""
    return None if actor.is_superadmin else sorted(actor.venue_ids)


def visible_training(tx: Tx, actor: Actor, training_id: int) -> Row:
    """The training if this admin may see it; another venue's is 'not found' (ids are not
    confirmed to outsiders)."""
    row = dal.training(tx, training_id)
    if row is None or not actor.sees_venue(row["venue_id"]):
        raise Refused("voice.refused.training_not_found", id=training_id)
    return row


def actor_zone(tx: Tx, actor: Actor) -> str:
    rows = dal.venues(tx, venue_filter(actor))
    return rows[0]["time_zone"] if rows else DEFAULT_ZONE


def training_line(row: Row, lang: str) -> str:
    line = t(
        "voice.fmt.training",
        lang,
        id=row["id"],
        when=render.when(row["starts_at"], row["time_zone"], lang),
        title=row["title"],
        venue=row["venue_name"],
        taken=row["seats_taken"],
        capacity=row["capacity"],
    )
    return line + (t("voice.fmt.cancelled", lang) if row["status"] == "cancelled" else "")


def _brief(row: Row, lang: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "when": render.when(row["starts_at"], row["time_zone"], lang),
    }


def local_moment(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=ZoneInfo(zone))


# --- list trainings ------------------------------------------------------------------------------
class ListTrainings(Args):
    date_from: date | None = Field(
        default=None, description="first day (YYYY-MM-DD); today if omitted"
    )
    days: int = Field(default=7, ge=1, le=31, description="how many days from date_from")


def list_trainings(ctx: ToolContext, actor: Actor, args: ListTrainings) -> str:
    with ctx.db.transaction(readonly=True) as tx:
        zone = ZoneInfo(actor_zone(tx, actor))
        first = args.date_from or ctx.now.astimezone(zone).date()
        start = max(datetime.combine(first, time()).replace(tzinfo=zone), ctx.now)
        end = datetime.combine(first + timedelta(days=args.days), time()).replace(tzinfo=zone)
        rows = dal.trainings_between(
            tx, start=start, end=end, venue_ids=venue_filter(actor), include_cancelled=True
        )
    if not rows:
        return t("voice.tool.list.empty", ctx.language)
    lines = [training_line(r, ctx.language) for r in rows]
    return "\n".join([t("voice.tool.list.header", ctx.language, count=len(rows)), *lines])


# --- a training's pilots and channels ------------------------------------------------------------
class TrainingRef(Args):
    training_id: int = Field(ge=1, description="the training's number (id)")


def training_pilots(ctx: ToolContext, actor: Actor, args: TrainingRef) -> str:
    lang = ctx.language
    with ctx.db.transaction(readonly=True) as tx:
        row = visible_training(tx, actor, args.training_id)
        roster = dal.roster(tx, args.training_id)
    lines = [t("voice.tool.pilots.header", lang, count=len(roster), **_brief(row, lang))]
    if not roster:
        lines.append(t("voice.tool.pilots.empty", lang))
    for reg in roster:
        lines.append(
            t(
                "voice.tool.pilots.item",
                lang,
                nickname=reg["nickname"] or "—",
                channel=(
                    t("voice.fmt.waitlist", lang, position=reg["waitlist_position"] or "?")
                    if reg["status"] == "waitlisted"
                    else render.channel(reg["channel_label"], reg["channel_mhz"], lang, reg["heat"])
                ),
                status=t(f"voice.status.{reg['status']}", lang),
            )
        )
    return "\n".join(lines)


# --- move a pilot's channel ----------------------------------------------------------------------
class MovePilotChannel(Args):
    training_id: int = Field(ge=1)
    pilot_nickname: str = Field(min_length=1, max_length=32)
    channel: str = Field(
        min_length=1, max_length=12, description="analog channel name like R3 or F4, or MHz"
    )


def _channel_mhz(text: str) -> int:
    text = text.strip()
    mhz = int(text) if text.isdigit() else parse_analog_label(text)
    if mhz is None or not 5000 <= mhz <= 6100:
        raise Refused("voice.refused.channel_unknown", channel=text)
    return mhz


def _seated(tx: Tx, args: MovePilotChannel) -> Row:
    reg = dal.registration_by_nickname(tx, args.training_id, args.pilot_nickname)
    if reg is None or reg["status"] == "waitlisted":
        raise Refused(
            "voice.refused.pilot_not_found", nickname=args.pilot_nickname, id=args.training_id
        )
    return reg


def preview_move_channel(ctx: ToolContext, actor: Actor, args: MovePilotChannel) -> str:
    mhz = _channel_mhz(args.channel)
    with ctx.db.transaction(readonly=True) as tx:
        row = visible_training(tx, actor, args.training_id)
        reg = _seated(tx, args)
    return t(
        "voice.tool.move_channel.summary",
        ctx.language,
        nickname=reg["nickname"],
        old=render.channel(reg["channel_label"], reg["channel_mhz"], ctx.language),
        new=render.channel(args.channel.strip().upper(), mhz, ctx.language),
        **_brief(row, ctx.language),
    )


def move_pilot_channel(ctx: ToolContext, actor: Actor, args: MovePilotChannel) -> str:
    from fpv.registrations import errors
    from fpv.registrations.service import change_channel

    mhz = _channel_mhz(args.channel)
    with ctx.db.transaction(readonly=True) as tx:
        visible_training(tx, actor, args.training_id)
        reg = _seated(tx, args)
    try:
        chosen = change_channel(
            ctx.db,
            ctx.bus,
            registration_id=reg["id"],
            telegram_id=reg["telegram_id"],
            channel_mhz=mhz,
            now=ctx.now,
            actor=actor,
        )
    except errors.ChannelUnavailable:
        raise Refused("voice.refused.channel_taken", channel=args.channel) from None
    except errors.TrainingClosed:
        raise Refused("voice.refused.training_closed", id=args.training_id) from None
    except errors.RegistrationNotFound:
        raise Refused(
            "voice.refused.pilot_not_found", nickname=args.pilot_nickname, id=args.training_id
        ) from None
    return t(
        "voice.tool.move_channel.done",
        ctx.language,
        nickname=reg["nickname"],
        channel=render.channel(chosen.label, chosen.mhz, ctx.language),
    )


# --- cancel a training ---------------------------------------------------------------------------
def preview_cancel(ctx: ToolContext, actor: Actor, args: TrainingRef) -> str:
    with ctx.db.transaction(readonly=True) as tx:
        row = visible_training(tx, actor, args.training_id)
        roster = dal.roster(tx, args.training_id)
    if row["status"] == "cancelled":
        raise Refused("voice.refused.already_cancelled", id=args.training_id)
    paid = row["price_kopecks"] > 0 and any(r["status"] == "confirmed" for r in roster)
    return t(
        "voice.tool.cancel.summary",
        ctx.language,
        count=len(roster),
        refunds=t(
            "voice.tool.cancel.refunds" if paid else "voice.tool.cancel.no_refunds", ctx.language
        ),
        **_brief(row, ctx.language),
    )


def cancel_training(ctx: ToolContext, actor: Actor, args: TrainingRef) -> str:
    from fpv.payments.cancellation import cancel_training as cancel
    from fpv.registrations import TrainingNotFound

    try:
        result = cancel(
            ctx.db,
            ctx.bus,
            ctx.payment_ports(),
            training_id=args.training_id,
            now=ctx.now,
            actor=actor,
        )
    except TrainingNotFound:
        raise Refused("voice.refused.training_not_found", id=args.training_id) from None
    return t(
        "voice.tool.cancel.done",
        ctx.language,
        id=args.training_id,
        registrations=result.registrations_cancelled,
        refunds=len(result.refunds),
    )


# --- message a training's pilots -----------------------------------------------------------------
class MessagePilots(Args):
    training_id: int = Field(ge=1)
    text: str = Field(min_length=1, max_length=1000, description="the message, as said")


def preview_message(ctx: ToolContext, actor: Actor, args: MessagePilots) -> str:
    with ctx.db.transaction(readonly=True) as tx:
        row = visible_training(tx, actor, args.training_id)
        count = len(dal.roster(tx, args.training_id))
    return t(
        "voice.tool.message.summary",
        ctx.language,
        count=count,
        text=args.text,
        **_brief(row, ctx.language),
    )


def message_pilots(ctx: ToolContext, actor: Actor, args: MessagePilots) -> str:
    """Queues the message for every active pilot of the training (outbox, one transaction with
    the audit record), then delivers at once; what fails is retried by the outbox worker."""
    ids: list[int] = []
    with ctx.db.transaction() as tx:
        row = visible_training(tx, actor, args.training_id)
        pilots = dal.roster(tx, args.training_id)
        for pilot in pilots:
            lang = pilot.get("language") or "ru"
            text = t("voice.notice.message", lang, text=args.text, **_brief(row, lang))
            queued = outbox.message(tx, pilot["telegram_id"], text)
            ids += [queued] if queued is not None else []
        fpv_audit.record(
            tx,
            actor,
            "training.message",
            f"training:{args.training_id}",
            details={"via": actor.via, "pilots": len(ids)},
        )
    if ctx.deliverers is not None and ids:
        from fpv import delivery

        delivery.send(ctx.db, ctx.deliverers, ids)
    return t("voice.tool.message.done", ctx.language, count=len(ids), id=args.training_id)


# --- registry ------------------------------------------------------------------------------------
def _schedule_tools() -> list[Tool]:
    from fpv.voice import schedule_tools

    return schedule_tools.TOOLS


@dataclass
class Registry:
    tools: dict[str, Tool] = field(default_factory=dict)

    def add(self, tool: Tool) -> None:
        if tool.name in self.tools:
            raise ValueError(f"tool {tool.name} registered twice")
        if tool.mutating and tool.preview is None:
            raise ValueError(f"mutating tool {tool.name} needs a preview")
        self.tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self.tools.get(name)

    def openai_tools(self) -> list[dict[str, Any]]:
        return [tool.openai_schema() for tool in self.tools.values()]


def registry() -> Registry:
    reg = Registry()
    for tool in [
        Tool(
            "list_trainings",
            "List trainings (id, local time, title, venue, seats) in a date range.",
            ListTrainings,
            False,
            list_trainings,
        ),
        Tool(
            "training_pilots",
            "Show the pilots registered for one training with their channels and status.",
            TrainingRef,
            False,
            training_pilots,
        ),
        Tool(
            "move_pilot_channel",
            "Move a registered pilot (by nickname) to another video channel at a training.",
            MovePilotChannel,
            True,
            move_pilot_channel,
            preview_move_channel,
        ),
        Tool(
            "cancel_training",
            "Cancel a training: every registration is withdrawn, paid seats are refunded, "
            "pilots are told.",
            TrainingRef,
            True,
            cancel_training,
            preview_cancel,
        ),
        Tool(
            "message_pilots",
            "Send a message to every pilot registered for a training.",
            MessagePilots,
            True,
            message_pilots,
            preview_message,
        ),
        *_schedule_tools(),
    ]:
        reg.add(tool)
    return reg
