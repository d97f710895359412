"""Channel choice for a seat: the bridge between registrations rows and the allocator."""

from __future__ import annotations

from dataclasses import dataclass

from fpv.channels import ChannelError, Equipment, PilotSlot, pick_for_new_pilot, rank_free_channels
from fpv.db import Row


@dataclass(frozen=True)
class ChannelChoice:
    mhz: int
    label: str
    rating: int
    min_spacing: int


def _slots(seated: list[Row]) -> list[PilotSlot]:
    return [
        PilotSlot(
            pilot_id=str(r["pilot_id"]),
            equipment=Equipment.parse(r["equipment"]),
            current_mhz=r["channel_mhz"],
            locked=True,
        )
        for r in seated
        if r["channel_mhz"] is not None
    ]


def _newcomer(pilot_id: int, equipment: str) -> PilotSlot:
    return PilotSlot(pilot_id=str(pilot_id), equipment=Equipment.parse(equipment))


def choices(
    seated: list[Row], pilot_id: int, equipment: str, *, min_mhz: int, max_mhz: int
) -> list[ChannelChoice]:
    ranked = rank_free_channels(
        _slots(seated), _newcomer(pilot_id, equipment), min_mhz=min_mhz, max_mhz=max_mhz
    )
    return [ChannelChoice(ch.mhz, ch.label, rating, spacing) for ch, rating, spacing in ranked]


def pick(
    seated: list[Row],
    pilot_id: int,
    equipment: str,
    *,
    min_mhz: int,
    max_mhz: int,
    wanted_mhz: int | None = None,
) -> tuple[int, str] | None:
    """The best free channel (or the wanted one if it is free and legal); None when none fits."""
    if wanted_mhz is not None:
        for choice in choices(seated, pilot_id, equipment, min_mhz=min_mhz, max_mhz=max_mhz):
            if choice.mhz == wanted_mhz:
                return choice.mhz, choice.label
        return None
    try:
        channel = pick_for_new_pilot(
            _slots(seated), _newcomer(pilot_id, equipment), min_mhz=min_mhz, max_mhz=max_mhz
        )
    except ChannelError:
        return None
    return channel.mhz, channel.label
