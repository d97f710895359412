"""VTX channel allocator: the best channel per pilot for a training, exactly, in milliseconds.

Objective (lexicographic):

1. every hard constraint holds: each pilot gets a channel of its own equipment inside the legal
   range, locked pilots keep theirs, no two pilots share a centre frequency, at most
   ``max_moves`` already-seated pilots move;
2. every pair of signals is at least 35 MHz apart (``CLEAN_SPACING_MHZ``) where possible; where
   not, the minimum spacing is as large as possible;
3. the IMD rating (:mod:`fpv.channels.imd`, on centre frequencies) is as high as possible;
4. as few already-seated pilots as possible move (a wider spacing alone never moves anyone);
5. the minimum spacing is as large as possible;
6. as many pilots as possible get their preferred channel;
7. ties: the assignment listed by pilot id is lexicographically smallest (lowest frequencies to
   the first pilot ids). The result is fully determined by the input.

Spacing is edge-aware (digital signals wider than analog count their extra width; see
:mod:`fpv.channels.model`), in half-MHz integers internally. The legal range applies to centre
frequencies.

Exactness. ``allocate`` solves the problem exactly with a branch and bound over distinct candidate
frequencies (pilots with the same candidate list and bandwidth are interchangeable, so they pick
a *set* in ascending order and are matched to it afterwards). It relies on two monotonicity facts
of the IMDTabler total: adding a frequency never lowers the penalty of an existing product (its
nearest frequency can only get closer) and adds non-negative terms for the new products; and the
minimum spacing can only shrink. Bounds: the exact penalty of every product already formed, the
products each remaining candidate would form with the chosen set, a sum of the cheapest remaining
picks, greedy packing tests (can the remaining picks still be spaced as needed, class by class
and all together), and a lower bound of the seated pilots that must move; nodes that repeat
an earlier one (the same signals attributed to the classes differently, no better for the
ties) are skipped. A node
budget guards against pathological inputs; if it is ever exhausted the result says
``optimal=False`` (it never happens for the product's sizes: 8 pilots over every analog channel
take a few thousand nodes).

Where things are:

* :mod:`fpv.channels.model` - equipment, pilots, results, errors, spacing, input checks;
* :mod:`fpv.channels.search` - the branch and bound and the tiers of the objective;
* :mod:`fpv.channels.bounds` - the exact IMD gain of a pick and the pruning bounds;
* :mod:`fpv.channels.matching` - Hall's condition, pilots matched to a chosen set;
* :mod:`fpv.channels.heats` - splitting pilots into heats;
* this module - one heat's solve, the reports, and the public functions;
* :mod:`fpv.channels.plan` - the use case on the database: a training's plan and the channel
  freeze (not imported by ``fpv.channels``, which stays free of I/O).

The rating is ET's IMDTabler v1.3 (:mod:`fpv.channels.imd`); band tables in
:mod:`fpv.channels.bands`; ``bench/bench_channels.py`` compares every result with an
independent exhaustive search.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from fpv.channels.bands import ANALOG_BANDWIDTH_MHZ
from fpv.channels.heats import DEFAULT_SPLIT_BUDGET, HeatValue, best_split
from fpv.channels.imd import ImdReport as ImdReport
from fpv.channels.imd import imd_rating, imd_report
from fpv.channels.matching import assign_class, fit_message, hall_violation
from fpv.channels.model import (
    CLEAN_SPACING_MHZ,
    DEFAULT_MAX_HEAT_SIZE,
    Allocation,
    Channel,
    ChannelError,
    Equipment,
    EquipmentCannotFit,
    InvalidPilots,
    LockedChannelConflict,
    Move,
    NoChannelAvailable,
    NoChannelInRange,
    PilotSlot,
    Range,
    RankedChannel,
    TooManyPilots,
    check_own_channels,
    effective_spacing,
    excess_mhz,
    fmt_mhz,
    min_effective_spacing,
    validate,
)
from fpv.channels.search import BEST, LEX, Class, Search, optimise

__all__ = [
    "CLEAN_SPACING_MHZ",
    "DEFAULT_MAX_HEAT_SIZE",
    "DEFAULT_NODE_LIMIT",
    "DEFAULT_REBALANCE_MIN_GAIN",
    "Allocation",
    "Channel",
    "ChannelError",
    "Equipment",
    "EquipmentCannotFit",
    "InvalidPilots",
    "LockedChannelConflict",
    "Move",
    "NoChannelAvailable",
    "NoChannelInRange",
    "PilotSlot",
    "RankedChannel",
    "TooManyPilots",
    "allocate",
    "effective_spacing",
    "min_effective_spacing",
    "pick_for_new_pilot",
    "rank_free_channels",
    "rebalance",
]

DEFAULT_NODE_LIMIT = 400_000
# A rebalance that keeps the spacing floor is proposed only for at least this IMD rating gain.
DEFAULT_REBALANCE_MIN_GAIN = 10


# --------------------------------------------------------------------------- one heat


class _GroupResult(NamedTuple):
    freqs: dict[str, int]
    optimal: bool
    nodes: int = 0  # search nodes spent (the work measure of split budgets)


def _solve_group(
    pilots: list[PilotSlot],
    options: dict[str, list[int]],
    max_moves: int | None,
    node_limit: int,
) -> _GroupResult:
    """Exact optimum for one heat (all pilots transmit at the same time)."""
    fixed_p = sorted((p for p in pilots if p.locked), key=lambda p: p.pilot_id)
    fixed = [(p.current_mhz, excess_mhz(p.equipment.bandwidth_mhz)) for p in fixed_p]
    fixed_f = {f for f, _ in fixed}
    groups: dict[tuple[tuple[int, ...], int], list[PilotSlot]] = {}
    for p in pilots:
        if p.locked:
            continue
        cands = tuple(f for f in options[p.pilot_id] if f not in fixed_f)
        groups.setdefault((cands, excess_mhz(p.equipment.bandwidth_mhz)), []).append(p)
    keys = sorted(groups, key=lambda g: (len(g[0]), g[0], g[1]))
    classes = [Class(list(g[0]), g[1], len(groups[g])) for g in keys]
    members = [sorted(groups[g], key=lambda p: p.pilot_id) for g in keys]
    n = len(pilots)
    locked_assign = {p.pilot_id: p.current_mhz for p in fixed_p}
    seated_counts = [sum(1 for p in m if p.current_mhz is not None) for m in members]
    current_sets = [{p.current_mhz for p in m if p.current_mhz is not None} for m in members]
    cache: dict[tuple[int, tuple[int, ...]], tuple[int, int, dict[str, int]]] = {}

    def moves_of(picks: list[list[int]]) -> int:
        total = 0
        for i, ch in enumerate(picks):
            if seated_counts[i]:
                total += seated_counts[i] - len(current_sets[i].intersection(ch))
        return total

    def assign(picks: list[list[int]]) -> tuple[int, int, dict[str, int]]:
        moves = prefs = 0
        out: dict[str, int] = dict(locked_assign)
        for i, ch in enumerate(picks):
            key = (i, tuple(ch))
            if key not in cache:
                cache[key] = assign_class(members[i], ch)
            m, pr, a = cache[key]
            moves += m
            prefs += pr
            out.update(a)
        return moves, prefs, out

    order = sorted(p.pilot_id for p in pilots)

    def leaf_key(picks: list[list[int]]):
        # the moves cap (max_moves, or the tighter cap of a ties run) is checked by the search
        if search.mode not in (BEST, LEX) or not search.has_secondary:
            return ()
        moves, prefs, out = assign(picks)
        return (moves, -prefs, tuple(out[i] for i in order))

    def class_part(i: int, ch: tuple[int, ...]) -> tuple[int, int, list[int]]:
        key = (i, ch)
        if key not in cache:
            cache[key] = assign_class(members[i], list(ch))
        m, pr, a = cache[key]
        return m, pr, [a[p.pilot_id] for p in members[i]]

    if not classes:
        return _GroupResult(dict(locked_assign), True)
    search = Search(n, fixed, classes, leaf_key, node_limit)
    search.currents = current_sets
    search.seated = seated_counts
    search.any_seated = any(seated_counts)
    search.move_cap = max_moves
    search.moves_of = moves_of
    search.class_part = class_part
    place_of = {pid: r for r, pid in enumerate(order)}
    search.set_ranks([[place_of[p.pilot_id] for p in m] for m in members])
    # one class and nobody seated or with a preference: the search order is the tie order
    search.has_secondary = (
        len(classes) > 1
        or any(seated_counts)
        or any(p.preferred_mhz is not None for m in members for p in m)
    )
    picks = optimise(search)
    if picks is None:
        if search.aborted:
            raise ChannelError("channel search budget exhausted before any assignment")
        raise ChannelError(
            f"no assignment moves at most {max_moves} seated pilot(s); allow more moves"
        )
    optimal = not search.aborted
    _moves_count, _prefs, out = assign(picks)
    return _GroupResult(out, optimal, search.nodes)


# --------------------------------------------------------------------------- reporting


def _conflicts(pilots: list[PilotSlot], chans: dict[str, Channel]) -> list[str]:
    out = []
    sig = sorted(((chans[p.pilot_id], p.pilot_id) for p in pilots), key=lambda s: (s[0].mhz, s[1]))
    for i, (ca, pa) in enumerate(sig):
        for cb, pb in sig[i + 1 :]:
            sp = effective_spacing(ca.mhz, ca.bandwidth_mhz, cb.mhz, cb.bandwidth_mhz)
            if sp < CLEAN_SPACING_MHZ:
                what = "overlapping signals" if sp < ANALOG_BANDWIDTH_MHZ else "too close"
                out.append(
                    f"{pa} on {ca} and {pb} on {cb}: {fmt_mhz(sp)} MHz apart "
                    f"(< {CLEAN_SPACING_MHZ} MHz, {what})"
                )
    return out


def _group_spacing(pilots: list[PilotSlot], freqs: dict[str, int]) -> float | None:
    return min_effective_spacing((freqs[p.pilot_id], p.equipment.bandwidth_mhz) for p in pilots)


def _channels_for(pilots: list[PilotSlot], freqs: dict[str, int]) -> dict[str, Channel]:
    return {p.pilot_id: p.equipment.channel(freqs[p.pilot_id]) for p in pilots}


def _moves(pilots: list[PilotSlot], chans: dict[str, Channel]) -> list[Move]:
    out = []
    for p in sorted(pilots, key=lambda p: p.pilot_id):
        if p.current_mhz is not None and p.current_mhz != chans[p.pilot_id].mhz:
            out.append(Move(p.pilot_id, p.equipment.channel(p.current_mhz), chans[p.pilot_id]))
    return out


# --------------------------------------------------------------------------- public API


def allocate(
    pilots: Iterable[PilotSlot],
    *,
    min_mhz: int | None = None,
    max_mhz: int | None = None,
    max_moves: int | None = None,
    max_heat_size: int | None = DEFAULT_MAX_HEAT_SIZE,
    node_limit: int = DEFAULT_NODE_LIMIT,
    split_budget: int = DEFAULT_SPLIT_BUDGET,
) -> Allocation:
    """The optimal channel for every pilot (objective in the module docstring).

    Pilots with ``current_mhz`` are already seated: moving them costs (fewest moves win among
    otherwise equal sets; ``max_moves`` caps them). ``locked`` pilots keep ``current_mhz``.
    When there are more pilots than ``max_heat_size`` or than their equipment can seat at once,
    they are split into the fewest heats (``heats``, with a note), chosen so that the worst
    heat's (spacing floor, IMD rating) is as good as possible (:mod:`fpv.channels.heats`;
    ``split_proven`` says whether that split is proven best or the best found within a work
    budget of ``split_budget`` search nodes, about a second of CPU: a count, not a clock, so
    the result stays fully determined by the input); each heat gets its own optimum and
    frequencies may
    repeat across heats. ``max_heat_size=None`` never splits and
    raises instead. Raises a :class:`ChannelError` subclass with a specific message for
    impossible input.
    """
    pilots = list(pilots)
    rng = Range(min_mhz, max_mhz)
    options = validate(pilots, rng)
    if not pilots:
        return Allocation({}, 100, None)
    if max_moves is not None and max_moves < 0:
        raise InvalidPilots("max_moves cannot be negative")
    violation = hall_violation(options)
    n = len(pilots)
    too_many = max_heat_size is not None and n > max_heat_size
    if violation is None and not too_many:
        return _allocate_heat(pilots, options, max_moves, node_limit)
    if max_heat_size is None:
        assert violation is not None
        distinct = {f for fs in options.values() for f in fs}
        if len(distinct) < n:
            raise TooManyPilots(
                f"{n} pilots but only {len(distinct)} distinct channels{rng.where} for their "
                "equipment; split them into heats"
            )
        raise EquipmentCannotFit(fit_message(pilots, violation, rng))
    if max_heat_size < 1:
        raise InvalidPilots("max_heat_size must be at least 1")

    def heat_value(group: list[PilotSlot]) -> tuple[HeatValue | None, int]:
        # the heat's best (spacing floor, rating) whoever sits where now, and the work spent
        bare = [p if p.locked else PilotSlot(p.pilot_id, p.equipment) for p in group]
        try:
            solved = _solve_group(bare, options, None, node_limit)
        except ChannelError:
            return None, 1
        spacing = _group_spacing(bare, solved.freqs)
        floor = CLEAN_SPACING_MHZ if spacing is None else min(spacing, CLEAN_SPACING_MHZ)
        return (floor, imd_rating(solved.freqs.values())), solved.nodes + 1

    plan = best_split(pilots, options, max_heat_size, heat_value, budget=split_budget)
    heats = plan.heats
    parts = [_allocate_heat(h, options, max_moves, node_limit) for h in heats]
    why = (
        f"more than {max_heat_size} pilots"
        if too_many
        else "their equipment cannot all fly at once on distinct channels"
    )
    if violation is not None and too_many:
        why += " and their equipment cannot all fly at once"
    sizes = "+".join(str(len(h)) for h in heats)
    result = Allocation(
        assignments={},
        rating=min(p.rating for p in parts),
        min_spacing=_min_or_none([p.min_spacing for p in parts]),
        heats=[[p.pilot_id for p in h] for h in heats],
        heat_ratings=[p.rating for p in parts],
        notes=[f"{n} pilots split into {len(heats)} heats ({sizes}): {why}"],
        optimal=all(p.optimal for p in parts),
        split_proven=plan.proven,
    )
    if plan.proven:
        result.notes.append(
            f"split proven best: no split into {len(heats)} heats has a better worst heat "
            f"({plan.compared} compared)"
        )
    else:
        result.notes.append(
            f"split: the best of {plan.compared} compared within the search budget "
            f"({split_budget} nodes), not proven best"
        )
    for i, part in enumerate(parts, start=1):
        result.assignments.update(part.assignments)
        result.moves.extend(part.moves)
        result.conflicts.extend(f"heat {i}: {c}" for c in part.conflicts)
        result.notes.extend(f"heat {i}: {note}" for note in part.notes)
    return result


def _min_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _allocate_heat(
    pilots: list[PilotSlot],
    options: dict[str, list[int]],
    max_moves: int | None,
    node_limit: int,
) -> Allocation:
    solved = _solve_group(pilots, options, max_moves, node_limit)
    chans = _channels_for(pilots, solved.freqs)
    report = imd_report(solved.freqs[p.pilot_id] for p in pilots)
    alloc = Allocation(
        assignments={pid: chans[pid] for pid in sorted(chans)},
        rating=report.rating,
        min_spacing=_group_spacing(pilots, solved.freqs),
        moves=_moves(pilots, chans),
        conflicts=_conflicts(pilots, chans),
        optimal=solved.optimal,
        imd=report,
    )
    if not solved.optimal:
        alloc.notes.append("search budget exhausted: best found, not proven optimal")
    return alloc


def _seated_freqs(seated: Sequence[PilotSlot], rng: Range) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in seated:
        if p.current_mhz is None:
            raise InvalidPilots(f"seated pilot {p.pilot_id} has no channel")
        check_own_channels(p, rng)
        if p.pilot_id in out:
            raise InvalidPilots(f"pilot {p.pilot_id!r} is listed twice")
        out[p.pilot_id] = p.current_mhz
    return out


def rank_free_channels(
    seated: Sequence[PilotSlot],
    newcomer: PilotSlot,
    *,
    min_mhz: int | None = None,
    max_mhz: int | None = None,
) -> list[RankedChannel]:
    """Every channel the newcomer could take without moving anyone, best first, with the
    IMD rating and minimum (edge-aware) spacing the whole group would then have. Same order as
    the allocator's objective: clean (>= 35 MHz) first, then rating, spacing, the newcomer's
    preference, frequency."""
    rng = Range(min_mhz, max_mhz)
    if rng.lo is not None and rng.hi is not None and rng.lo > rng.hi:
        raise InvalidPilots(f"empty legal range: min {rng.lo} MHz > max {rng.hi} MHz")
    current = _seated_freqs(seated, rng)
    if newcomer.pilot_id in current:
        raise InvalidPilots(f"pilot {newcomer.pilot_id} is already seated")
    taken = set(current.values())
    now = list(current.values())
    signals = [(current[p.pilot_id], p.equipment.bandwidth_mhz) for p in seated]
    base_spacing = min_effective_spacing(signals)
    bw = newcomer.equipment.bandwidth_mhz
    ranked = []
    for f in newcomer.equipment.frequencies():
        if not rng.contains(f) or f in taken:
            continue
        sp = base_spacing
        for g, gbw in signals:
            e = effective_spacing(f, bw, g, gbw)
            if sp is None or e < sp:
                sp = e
        rating = imd_rating([*now, f])
        ranked.append((f, rating, sp))

    def sort_key(item: tuple[int, int, float | None]):
        f, rating, sp = item
        s = math.inf if sp is None else sp
        return (-min(s, CLEAN_SPACING_MHZ), -rating, -s, f != newcomer.preferred_mhz, f)

    ranked.sort(key=sort_key)
    return [RankedChannel(newcomer.equipment.channel(f), r, sp) for f, r, sp in ranked]


def pick_for_new_pilot(
    seated: Sequence[PilotSlot],
    newcomer: PilotSlot,
    *,
    min_mhz: int | None = None,
    max_mhz: int | None = None,
) -> Channel:
    """The best free channel for one more pilot, moving nobody."""
    ranked = rank_free_channels(seated, newcomer, min_mhz=min_mhz, max_mhz=max_mhz)
    if ranked:
        return ranked[0].channel
    rng = Range(min_mhz, max_mhz)
    usable = [f for f in newcomer.equipment.frequencies() if rng.contains(f)]
    if not usable:
        name = newcomer.equipment.display_name
        raise NoChannelInRange(f"pilot {newcomer.pilot_id}: {name} has no channel{rng.where}")
    raise NoChannelAvailable(
        f"all {len(usable)} channel(s) of {newcomer.equipment.display_name}{rng.where} are taken "
        f"by the {len(seated)} seated pilot(s); pilot {newcomer.pilot_id} needs another heat "
        "or a rebalance"
    )


def rebalance(
    seated: Sequence[PilotSlot],
    *,
    min_mhz: int | None = None,
    max_mhz: int | None = None,
    max_moves: int | None = None,
    max_heat_size: int | None = DEFAULT_MAX_HEAT_SIZE,
    node_limit: int = DEFAULT_NODE_LIMIT,
    min_gain: int = DEFAULT_REBALANCE_MIN_GAIN,
) -> Allocation:
    """The optimal set for the pilots (fewest moves among equally good sets), proposed only when
    it is worth the moves: it restores the spacing floor (>= 35 MHz where the current channels
    are closer, or a wider minimum where 35 is out of reach) or raises the IMD rating by at
    least ``min_gain``. ``gain`` states the real gain and cost ("+35 rating, 2 pilots move").
    When not worth it, the result keeps the current channels (``proposed`` is False, no moves)
    and ``gain`` says what the optimum would have given."""
    seated = list(seated)
    if min_gain < 0:
        raise InvalidPilots("min_gain cannot be negative")
    result = allocate(
        seated,
        min_mhz=min_mhz,
        max_mhz=max_mhz,
        max_moves=max_moves,
        max_heat_size=max_heat_size,
        node_limit=node_limit,
    )
    if result.heats:
        result.gain = (
            f"split into {len(result.heats)} heats; worst heat IMD rating {result.rating}, "
            f"{_pilots_move(len(result.moves))}"
        )
        return result
    if not result.moves:
        result.gain = (
            f"no change: the current channels are already the best (IMD rating {result.rating})"
        )
        return result
    if any(p.current_mhz is None for p in seated):
        result.gain = f"IMD rating {result.rating}, {_pilots_move(len(result.moves))}"
        return result
    before_rating = imd_rating(p.current_mhz for p in seated)
    before_spacing = min_effective_spacing(
        (p.current_mhz, p.equipment.bandwidth_mhz) for p in seated if p.current_mhz is not None
    )
    floor_before = _floor(before_spacing)
    floor_after = _floor(result.min_spacing)
    delta = result.rating - before_rating
    cost = _pilots_move(len(result.moves))
    what = f"{delta:+d} rating, {cost}"
    if floor_after > floor_before:
        what = (
            f"min spacing {fmt_mhz(before_spacing)} -> {fmt_mhz(result.min_spacing)} MHz, " + what
        )
    if floor_after > floor_before or delta >= min_gain:
        result.gain = what
        return result
    keep = {p.pilot_id: p.equipment.channel(p.current_mhz) for p in seated if p.current_mhz}
    return Allocation(
        assignments=dict(sorted(keep.items())),
        rating=before_rating,
        min_spacing=before_spacing,
        conflicts=_conflicts(seated, keep),
        imd=imd_report(p.current_mhz for p in seated),
        proposed=False,
        gain=f"not worth it: the best set gives {what} (a rebalance needs +{min_gain} rating "
        "or a restored spacing floor)",
    )


def _floor(spacing: float | None) -> float:
    return CLEAN_SPACING_MHZ if spacing is None else min(spacing, CLEAN_SPACING_MHZ)


def _pilots_move(n: int) -> str:
    return f"{n} pilot{'s' if n != 1 else ''} move{'s' if n == 1 else ''}"
