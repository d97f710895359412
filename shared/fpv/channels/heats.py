"""Splitting pilots into heats (groups that fly one after the other, so frequencies may repeat
across heats)."""

from __future__ import annotations

import math

from fpv.channels.matching import hall_violation
from fpv.channels.model import EquipmentCannotFit, PilotSlot


def balanced_split(
    pilots: list[PilotSlot], options: dict[str, list[int]], max_heat_size: int
) -> list[list[PilotSlot]]:
    """Fewest balanced heats in which every heat can be seated on distinct channels."""
    n = len(pilots)
    order = sorted(pilots, key=lambda p: (len(options[p.pilot_id]), p.pilot_id))
    for k in range(max(1, math.ceil(n / max_heat_size)), n + 1):
        heats: list[list[PilotSlot]] = [[] for _ in range(k)]
        for i, p in enumerate(order):
            rnd, pos = divmod(i, k)
            heats[pos if rnd % 2 == 0 else k - 1 - pos].append(p)
        fits = (hall_violation({p.pilot_id: options[p.pilot_id] for p in h}) is None for h in heats)
        if all(fits):
            return [sorted(h, key=lambda p: p.pilot_id) for h in heats]
    raise EquipmentCannotFit("cannot split the pilots into heats that fit their equipment")
