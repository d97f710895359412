"""Channel choice for a seat: the bridge between registrations rows and the allocator.

Pilots fly in heats of at most HEAT_SIZE: a newcomer joins the first heat that has room and a
channel their VTX can tune to, else opens the next heat (where frequencies of other heats may be
used again: heats never fly at the same time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fpv.db import Row

if TYPE_CHECKING:  # the allocator loads when a seat is chosen, not at every cold start (#20)
    from fpv.channels import PilotSlot

# How many fly at once: the race norm, and what the allocator solves exactly.
HEAT_SIZE = 8


@dataclass(frozen=True)
class ChannelChoice:
    mhz: int
    label: str
    rating: int
    min_spacing: int
    heat: int = 1


@dataclass(frozen=True)
class Seat:
    mhz: int
    label: str
    heat: int


def _slots(seated: list[Row]) -> list[PilotSlot]:
    from fpv.channels import Equipment, PilotSlot

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
    from fpv.channels import Equipment, PilotSlot

    return PilotSlot(pilot_id=str(pilot_id), equipment=Equipment.parse(equipment))


def _heats_with_room(seated: list[Row]) -> Iterator[tuple[int, list[Row]]]:
    """Existing heats with a free place, in order, then a new empty heat."""
    by_heat: dict[int, list[Row]] = {}
    for row in seated:
        by_heat.setdefault(row["heat"], []).append(row)
    for heat in sorted(by_heat):
        if len(by_heat[heat]) < HEAT_SIZE:
            yield heat, by_heat[heat]
    yield max(by_heat, default=0) + 1, []


def _ranked(
    group: list[Row], pilot_id: int, equipment: str, heat: int, *, min_mhz: int, max_mhz: int
) -> list[ChannelChoice]:
    from fpv.channels import rank_free_channels

    ranked = rank_free_channels(
        _slots(group), _newcomer(pilot_id, equipment), min_mhz=min_mhz, max_mhz=max_mhz
    )
    return [
        ChannelChoice(ch.mhz, ch.label, rating, spacing, heat) for ch, rating, spacing in ranked
    ]


def choices_in_heat(
    seated: list[Row], heat: int, pilot_id: int, equipment: str, *, min_mhz: int, max_mhz: int
) -> list[ChannelChoice]:
    """Free channels, best first, among the pilots of one heat (a channel change stays there)."""
    group = [r for r in seated if r["heat"] == heat]
    return _ranked(group, pilot_id, equipment, heat, min_mhz=min_mhz, max_mhz=max_mhz)


def choices(
    seated: list[Row], pilot_id: int, equipment: str, *, min_mhz: int, max_mhz: int
) -> list[ChannelChoice]:
    """Free channels, best first, in the heat this pilot would join."""
    for heat, group in _heats_with_room(seated):
        ranked = _ranked(group, pilot_id, equipment, heat, min_mhz=min_mhz, max_mhz=max_mhz)
        if ranked or not group:
            return ranked
    return []


def pick(
    seated: list[Row],
    pilot_id: int,
    equipment: str,
    *,
    min_mhz: int,
    max_mhz: int,
    wanted_mhz: int | None = None,
) -> Seat | None:
    """The best free channel in the first heat that fits (or the wanted one, from `choices`);
    None when nothing fits the pilot's equipment in the legal range."""
    if wanted_mhz is not None:
        for choice in choices(seated, pilot_id, equipment, min_mhz=min_mhz, max_mhz=max_mhz):
            if choice.mhz == wanted_mhz:
                return Seat(choice.mhz, choice.label, choice.heat)
        return None
    from fpv.channels import ChannelError, pick_for_new_pilot

    for heat, group in _heats_with_room(seated):
        try:
            channel = pick_for_new_pilot(
                _slots(group), _newcomer(pilot_id, equipment), min_mhz=min_mhz, max_mhz=max_mhz
            )
        except ChannelError:
            continue
        return Seat(channel.mhz, channel.label, heat)
    return None
