"""A training's channel plan, and the channel freeze that makes the optimum what pilots fly on.

Two phases: at sign-up a pilot takes the best free channel at once and nobody else
moves (:mod:`fpv.registrations.seating`). At the *freeze* - by default when the 24 h reminder
goes out (the venue's ``channel_freeze_hours``), or when an organiser applies the plan - each
heat is re-planned with the exact allocator: channels pilots picked by hand or admins locked
(``channel_pinned``) stay, everyone else may move, and the objective moves as few pilots as
possible among the best plans (:mod:`fpv.channels.allocator`). Each moved pilot gets one message
through the outbox saying the new channel and why. The freeze is recorded on the training
(``channels_frozen_at``) in the same transaction, under the training lock sign-ups take: a
second freeze changes nothing, and after it newcomers get the best free channel and nobody
moves. It is audited with the actor that asked ("system via job", "system via cli").

``plan`` only reads: the current channels and the optimum per heat, the moves and the gain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from fpv import audit as fpv_audit
from fpv import outbox
from fpv.actors import SYSTEM, Actor
from fpv.channels.allocator import allocate
from fpv.channels.imd import imd_rating
from fpv.channels.model import (
    CLEAN_SPACING_MHZ,
    ChannelError,
    Equipment,
    PilotSlot,
    fmt_mhz,
    min_effective_spacing,
)
from fpv.dal import channels as dal
from fpv.db import Database, Row, Tx
from fpv.texts import t

log = logging.getLogger("fpv.channels")


class TrainingNotFound(LookupError):
    pass


@dataclass(frozen=True)
class SeatMove:
    registration_id: int
    heat: int
    nickname: str | None
    from_mhz: int | None
    from_label: str | None
    to_mhz: int
    to_label: str


@dataclass
class HeatPlan:
    heat: int
    seats: list[Row]
    pinned: list[int]  # registration ids whose channel stays
    current_rating: int | None  # None when some seat has no usable channel
    current_spacing: float | None
    rating: int
    spacing: float | None
    assignments: dict[int, tuple[int, str]]  # registration id -> (MHz, label)
    moves: list[SeatMove] = field(default_factory=list)
    error: str | None = None  # the heat could not be planned (kept as it is)

    @property
    def gain(self) -> str:
        if self.error:
            return f"not planned: {self.error}"
        if not self.moves:
            return f"no change: the current channels are the best (IMD rating {self.rating})"
        n = len(self.moves)
        cost = f"{n} pilot{'s' if n != 1 else ''} move{'s' if n == 1 else ''}"
        if self.current_rating is None:
            return f"IMD rating {self.rating}, {cost}"
        parts = [f"{self.rating - self.current_rating:+d} rating"]
        if _floor(self.spacing) > _floor(self.current_spacing):
            parts.insert(
                0,
                f"min spacing {fmt_mhz(self.current_spacing)} -> {fmt_mhz(self.spacing)} MHz",
            )
        return ", ".join([*parts, cost])


@dataclass
class TrainingPlan:
    training_id: int
    title: str
    frozen_at: datetime | None
    freeze_hours: int
    heats: list[HeatPlan]

    @property
    def moves(self) -> list[SeatMove]:
        return [m for h in self.heats for m in h.moves]


@dataclass
class FreezeResult:
    training_id: int
    frozen: bool  # this call froze it (False: it was frozen already, nothing changed)
    plan: TrainingPlan | None
    messages: list[int] = field(default_factory=list)  # outbox ids


def _floor(spacing: float | None) -> float:
    return CLEAN_SPACING_MHZ if spacing is None else min(spacing, CLEAN_SPACING_MHZ)


def _usable(row: Row, equipment: Equipment, lo: int, hi: int) -> bool:
    mhz = row["channel_mhz"]
    return mhz is not None and lo <= mhz <= hi and equipment.label(mhz) is not None


def _plan_heat(heat: int, seats: list[Row], lo: int, hi: int) -> HeatPlan:
    slots = []
    usable_all = True
    pinned = []
    for r in seats:
        eq = Equipment.parse(r["equipment"])
        usable = _usable(r, eq, lo, hi)
        usable_all = usable_all and usable
        locked = bool(r["channel_pinned"]) and usable
        if locked:
            pinned.append(r["id"])
        current = r["channel_mhz"] if usable else None
        slots.append(PilotSlot(str(r["id"]), eq, current_mhz=current, locked=locked))
    current_rating = current_spacing = None
    if usable_all and seats:
        current_rating = imd_rating(r["channel_mhz"] for r in seats)
        current_spacing = min_effective_spacing(
            (r["channel_mhz"], s.equipment.bandwidth_mhz) for r, s in zip(seats, slots, strict=True)
        )
    try:
        result = allocate(slots, min_mhz=lo, max_mhz=hi, max_heat_size=None)
    except ChannelError as exc:
        keep = {
            r["id"]: (r["channel_mhz"], r["channel_label"])
            for r in seats
            if r["channel_mhz"] is not None
        }
        return HeatPlan(
            heat,
            seats,
            pinned,
            current_rating,
            current_spacing,
            current_rating if current_rating is not None else 100,
            current_spacing,
            keep,
            error=str(exc),
        )
    assignments = {int(pid): (ch.mhz, ch.label) for pid, ch in result.assignments.items()}
    moves = [
        SeatMove(
            r["id"],
            heat,
            r["nickname"],
            r["channel_mhz"],
            r["channel_label"],
            *assignments[r["id"]],
        )
        for r in seats
        if assignments[r["id"]][0] != r["channel_mhz"]
    ]
    return HeatPlan(
        heat,
        seats,
        pinned,
        current_rating,
        current_spacing,
        result.rating,
        result.min_spacing,
        assignments,
        moves,
    )


def _plan(tx: Tx, training: Row) -> TrainingPlan:
    by_heat: dict[int, list[Row]] = {}
    for row in dal.seats(tx, training["id"]):
        by_heat.setdefault(row["heat"], []).append(row)
    lo, hi = training["min_mhz"], training["max_mhz"]
    return TrainingPlan(
        training_id=training["id"],
        title=training["title"],
        frozen_at=training["channels_frozen_at"],
        freeze_hours=training["channel_freeze_hours"],
        heats=[_plan_heat(h, by_heat[h], lo, hi) for h in sorted(by_heat)],
    )


def plan(db: Database, training_id: int) -> TrainingPlan:
    """The current channels and the optimal plan of every heat (reads only)."""
    with db.transaction(readonly=True) as tx:
        training = dal.training(tx, training_id)
        if training is None:
            raise TrainingNotFound(f"training {training_id} not found")
        return _plan(tx, training)


def freeze_training(
    db: Database, training_id: int, now: datetime, *, actor: Actor = SYSTEM
) -> FreezeResult:
    """Re-plan every heat (pinned channels stay, fewest moves), tell each moved pilot once,
    record the freeze. Idempotent: a frozen, cancelled or started training is left as it is."""
    with db.transaction() as tx:
        training = dal.training(tx, training_id, for_update=True)
        if training is None:
            raise TrainingNotFound(f"training {training_id} not found")
        if (
            training["channels_frozen_at"] is not None
            or training["status"] != "scheduled"
            or training["starts_at"] <= now
        ):
            return FreezeResult(training_id, False, None)
        the_plan = _plan(tx, training)
        dal.move_seats(tx, [(m.registration_id, m.to_mhz, m.to_label) for m in the_plan.moves])
        contacts = {r["id"]: r for h in the_plan.heats for r in h.seats}
        messages = []
        for heat in the_plan.heats:
            for m in heat.moves:
                who = contacts[m.registration_id]
                queued = outbox.message(
                    tx,
                    who["telegram_id"],
                    _moved_text(training["title"], m, heat, who["language"]),
                    dedupe_key=f"channels.freeze:{training_id}:{m.registration_id}",
                )
                if queued is not None:
                    messages.append(queued)
        dal.mark_frozen(tx, training_id, now)
        fpv_audit.record(
            tx,
            actor,
            "channels.freeze",
            f"training:{training_id}",
            details={
                "actor": actor.audit_label(),
                "moves": [
                    {"registration_id": m.registration_id, "from": m.from_mhz, "to": m.to_mhz}
                    for m in the_plan.moves
                ],
                "heats": {str(h.heat): h.gain for h in the_plan.heats},
            },
        )
    log.info(
        "channels frozen: training %s, %d move(s), %d message(s)",
        training_id,
        len(the_plan.moves),
        len(messages),
    )
    return FreezeResult(training_id, True, the_plan, messages)


def freeze_due(db: Database, now: datetime, *, actor: Actor = SYSTEM) -> list[FreezeResult]:
    """Freeze every scheduled training whose start is within its venue's freeze offset (run by
    the reminders job before the reminders, so the 24 h reminder carries the final channel)."""
    with db.transaction(readonly=True) as tx:
        due = dal.due_for_freeze(tx, now)
    return [freeze_training(db, training_id, now, actor=actor) for training_id in due]


def _moved_text(title: str, move: SeatMove, heat: HeatPlan, language: str) -> str:
    was = (
        t("channels.moved.was", language, label=move.from_label, mhz=move.from_mhz)
        if move.from_mhz is not None
        else ""
    )
    if heat.current_rating is None:
        why = t("channels.moved.why_unusable", language)
    elif _floor(heat.spacing) > _floor(heat.current_spacing):
        why = t(
            "channels.moved.why_spacing",
            language,
            before=fmt_mhz(heat.current_spacing),
            after=fmt_mhz(heat.spacing),
        )
    else:
        why = t(
            "channels.moved.why_rating",
            language,
            before=heat.current_rating,
            after=heat.rating,
        )
    return t(
        "channels.moved",
        language,
        title=title,
        label=move.to_label,
        mhz=move.to_mhz,
        was=was,
        why=why,
    )
