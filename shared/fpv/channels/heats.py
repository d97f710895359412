"""Splitting pilots into heats (groups that fly one after the other, so frequencies may repeat
across heats).

The split uses the fewest heats that can each fly on distinct channels, and among those splits
the one whose *worst* heat is best: the largest (spacing floor, IMD rating) of the worst heat,
where the floor is min(minimum spacing, 35 MHz) (``heat_value``). Pilots whose candidate
channels, bandwidth and lock are the same are interchangeable for that value, so the search runs
over how many pilots of each such *type* each heat gets (a group of identical VTXs has only a
handful of splits), starting from a balanced split and cutting a split as soon as one of its
heats is no better than the best worst heat found. Each heat's value is an exact optimum,
cached per multiset of types. A work budget (search nodes spent on heat values, about a second
of CPU by default; a count rather than a clock so that the result depends only on the input)
bounds the search: the plan says whether the split is proven best or the best found within it.
A worst heat that is clean with rating 100 cannot be beaten: the search stops there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fpv.channels.matching import hall_violation
from fpv.channels.model import EquipmentCannotFit, PilotSlot

DEFAULT_SPLIT_BUDGET = 20_000  # search nodes, ~1 s of CPU
BEST_POSSIBLE: tuple[float, int] = (35, 100)

HeatValue = tuple[float, int]  # (spacing floor MHz, IMD rating); larger is better


@dataclass
class HeatPlan:
    heats: list[list[PilotSlot]]
    worst: HeatValue | None  # the worst heat's value
    proven: bool  # every split with this many heats was compared (or bounded away)
    compared: int  # splits whose value was computed


def balanced_split(
    pilots: list[PilotSlot], options: dict[str, list[int]], k: int
) -> list[list[PilotSlot]]:
    """Pilots dealt out in a snake over k heats, the most constrained first."""
    order = sorted(pilots, key=lambda p: (len(options[p.pilot_id]), p.pilot_id))
    heats: list[list[PilotSlot]] = [[] for _ in range(k)]
    for i, p in enumerate(order):
        rnd, pos = divmod(i, k)
        heats[pos if rnd % 2 == 0 else k - 1 - pos].append(p)
    return heats


def best_split(
    pilots: list[PilotSlot],
    options: dict[str, list[int]],
    max_heat_size: int,
    heat_value: Callable[[list[PilotSlot]], tuple[HeatValue | None, int]],
    *,
    budget: int = DEFAULT_SPLIT_BUDGET,
) -> HeatPlan:
    """The fewest heats, split to maximise the worst heat's value; ``heat_value(group)`` gives
    (value or None when the heat cannot fly, work spent). Raises EquipmentCannotFit when no
    split fits."""
    n = len(pilots)
    spent = 0
    type_of: dict[str, tuple] = {}
    for p in pilots:
        type_of[p.pilot_id] = (
            tuple(options[p.pilot_id]),
            p.equipment.bandwidth_mhz,
            p.current_mhz if p.locked else -1,
        )
    types = sorted(set(type_of.values()))
    members = {t: sorted((p for p in pilots if type_of[p.pilot_id] == t), key=_pid) for t in types}
    counts = [len(members[t]) for t in types]
    cache: dict[tuple[int, ...], HeatValue | None] = {}

    def value(vec: tuple[int, ...]) -> HeatValue | None:
        nonlocal spent
        if vec not in cache:
            group = _group_of(vec, [0] * len(types), types, members)
            opts = {p.pilot_id: options[p.pilot_id] for p in group}
            if hall_violation(opts) is not None:
                cache[vec] = None
            else:
                cache[vec], work = heat_value(group)
                spent += work
        return cache[vec]

    for k in range(max(1, math.ceil(n / max_heat_size)), n + 1):
        best: list[tuple[int, ...]] | None = None
        best_worst: HeatValue | None = None
        compared = 0
        proven = True
        start = [_vector(h, type_of, types) for h in balanced_split(pilots, options, k)]
        candidates = _splits(counts, k, max_heat_size)
        for split in _chain([_canonical(start)], candidates):
            if best_worst is not None and best_worst >= BEST_POSSIBLE:
                break
            if spent > budget and best is not None:
                proven = False
                break
            worst: HeatValue | None = None
            cut = False
            for vec in sorted(split, key=lambda v: v not in cache):  # cached heats first
                v = value(vec)
                if v is None or (best_worst is not None and v <= best_worst):
                    cut = True
                    break
                worst = v if worst is None or v < worst else worst
            compared += 1
            if not cut and worst is not None:
                best, best_worst = list(split), worst
        if best is not None:
            taken = [0] * len(types)
            heats = [_group_of(vec, taken, types, members) for vec in best]
            heats.sort(key=lambda h: _pid(h[0]))
            return HeatPlan([sorted(h, key=_pid) for h in heats], best_worst, proven, compared)
    raise EquipmentCannotFit("cannot split the pilots into heats that fit their equipment")


def _pid(p: PilotSlot) -> str:
    return p.pilot_id


def _vector(heat: list[PilotSlot], type_of: dict[str, tuple], types: list[tuple]):
    index = {t: i for i, t in enumerate(types)}
    vec = [0] * len(types)
    for p in heat:
        vec[index[type_of[p.pilot_id]]] += 1
    return tuple(vec)


def _canonical(split: list[tuple[int, ...]]) -> tuple[tuple[int, ...], ...]:
    return tuple(sorted(split, reverse=True))


def _group_of(vec, taken: list[int], types, members) -> list[PilotSlot]:
    """The pilots of a heat with `vec` pilots per type, each type's next ones in id order."""
    out = []
    for i, c in enumerate(vec):
        out.extend(members[types[i]][taken[i] : taken[i] + c])
        taken[i] += c
    return out


def _chain(first, rest) -> Iterator[tuple[tuple[int, ...], ...]]:
    seen = set()
    for split in first:
        seen.add(split)
        yield split
    for split in rest:
        if split not in seen:
            seen.add(split)
            yield split


def _splits(counts: list[int], k: int, size: int) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every split of the type counts into k non-empty heats of at most `size` pilots, each
    once (heats unordered)."""
    m = len(counts)
    heats = [[0] * m for _ in range(k)]
    sizes = [0] * k

    def rec(t: int, h: int, left: int) -> Iterator[tuple[tuple[int, ...], ...]]:
        if t == m:
            if all(sizes):
                vecs = tuple(tuple(v) for v in heats)
                if all(vecs[i] >= vecs[i + 1] for i in range(k - 1)):
                    yield vecs
            return
        if h == k - 1:
            if sizes[h] + left <= size:
                heats[h][t] = left
                sizes[h] += left
                yield from rec(t + 1, 0, counts[t + 1] if t + 1 < m else 0)
                sizes[h] -= left
                heats[h][t] = 0
            return
        for c in range(min(left, size - sizes[h]), -1, -1):
            heats[h][t] = c
            sizes[h] += c
            yield from rec(t, h + 1, left - c)
            sizes[h] -= c
            heats[h][t] = 0

    if m:
        yield from rec(0, 0, counts[0])
