"""A pilot moves their seat to another free channel (from "My trainings").

Built on the registrations data access and seating rules, under the same training-row lock as
sign-ups, so a channel is never handed out twice (the unique index in 0001 backs this up).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fpv.dal import registrations as dal
from fpv.db import Database
from fpv.ports.events import SCHEDULE_CHANGED, EventBus
from fpv.registrations import (
    ChannelChoice,
    ChannelUnavailable,
    RegistrationNotFound,
    TrainingClosed,
    seating,
)


def change_channel(
    db: Database,
    bus: EventBus,
    *,
    registration_id: int,
    telegram_id: int,
    channel_mhz: int,
    now: datetime | None = None,
) -> ChannelChoice:
    now = now or datetime.now(UTC)
    with db.transaction() as tx:
        found = dal.registration(tx, registration_id)
        if found is None or found["telegram_id"] != telegram_id:
            raise RegistrationNotFound(f"registration {registration_id} not found")
        training = dal.lock_training(tx, found["training_id"])
        reg = dal.registration(tx, registration_id, for_update=True)
        if training is None or reg is None or reg["status"] not in dal.SEATED:
            raise RegistrationNotFound(f"registration {registration_id} holds no seat")
        if training["status"] != "scheduled" or training["starts_at"] <= now:
            raise TrainingClosed("the training is cancelled or has started")
        pilot = dal.pilot_by_telegram(tx, telegram_id)
        assert pilot is not None
        others = [r for r in dal.seated(tx, training["id"]) if r["id"] != registration_id]
        options = seating.choices(
            others,
            pilot["id"],
            pilot["equipment"],
            min_mhz=training["min_mhz"],
            max_mhz=training["max_mhz"],
        )
        chosen = next((c for c in options if c.mhz == channel_mhz), None)
        if chosen is None:
            raise ChannelUnavailable(f"channel {channel_mhz} MHz is not free")
        if chosen.mhz != reg["channel_mhz"]:
            dal.set_status(
                tx,
                registration_id,
                reg["status"],
                hold_expires_at=reg["hold_expires_at"],
                channel_mhz=chosen.mhz,
                channel_label=chosen.label,
                keep_channel=False,
            )
    bus.publish(SCHEDULE_CHANGED, {"training_id": training["id"], "reason": "channel_change"})
    return chosen
