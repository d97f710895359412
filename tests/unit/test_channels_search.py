"""The search's candidate filter: the viability cap and the old-gain margin stay exact."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_channels_allocator import assert_valid, brute_force, freqs_of

from fpv.channels import ChannelError, Equipment, PilotSlot, allocate, search

ints = st.integers(min_value=-5, max_value=5000)


@given(ints, ints, ints, ints, ints, st.integers(min_value=0, max_value=6000))
def test_total_cap_is_the_viability_test(s, Tm1, Tm0, need0, s_tie, t):
    viable = (t <= Tm1 and s >= need0) or (t <= Tm0 and s >= s_tie)
    assert (t <= search.total_cap(s, Tm1, Tm0, need0, s_tie)) == viable


MIXED = ["R", "F", "R,F", "A,B", "E", "dji-o3", "dji-o4", "walksnail", "hdzero", "dji-o3-40"]


def _mixed_heat(rnd: random.Random, n: int, lo: int, hi: int) -> list[PilotSlot]:
    """Mixed widths; some pilots seated (the moves tier) or with a preference (ties)."""
    slots = []
    taken: set[int] = set()
    for i in rnd.sample(range(10, 99), n):
        eq = Equipment.parse(rnd.choice(MIXED))
        usable = [f for f in eq.frequencies() if lo <= f <= hi]
        if not usable:
            continue
        current = rnd.choice(usable) if rnd.random() < 0.3 else None
        if current in taken:
            current = None
        if current is not None:
            taken.add(current)
        preferred = rnd.choice(usable) if rnd.random() < 0.3 else None
        slots.append(PilotSlot(f"p{i}", eq, current, False, preferred))
    return slots


def _nodes(monkeypatch, slots, lo, hi) -> tuple[dict[str, int] | None, int]:
    """The allocator's result and search nodes, on the pure-Python search (whose module
    constants the tests patch; see the pure_search fixture)."""
    runs: list[search.PureSearch] = []
    optimise = search.pure_optimise

    def counting(s):
        runs.append(s)
        return optimise(s)

    monkeypatch.setattr("fpv.channels.allocator.optimise", counting)
    try:
        result = allocate(slots, min_mhz=lo, max_mhz=hi, max_heat_size=None)
    except ChannelError:
        return None, sum(s.nodes for s in runs)
    assert_valid(slots, result, lo, hi)
    return freqs_of(result), sum(s.nodes for s in runs)


@pytest.mark.parametrize("margin", [0, 300, search.OLD_GAIN_MARGIN, search.INF])
def test_old_gain_margin_keeps_the_brute_force_optimum(monkeypatch, pure_search, margin):
    """0: every candidate's old gain is computed (the full filter); INF: never (the weakest
    filter; the exact gain of a pick still decides). Each keeps the exhaustive optimum."""
    rnd = random.Random(1313)
    lo, hi = 5700, 5880
    for _ in range(12):
        slots = _mixed_heat(rnd, 5, lo, hi)
        monkeypatch.setattr(search, "OLD_GAIN_MARGIN", margin)
        got, _nodes_spent = _nodes(monkeypatch, slots, lo, hi)
        assert got == brute_force(slots, lo, hi)


def test_old_gain_margin_changes_what_the_filter_keeps(monkeypatch, pure_search):
    """Without the old gain the filter keeps candidates the full filter drops (the search
    takes other nodes): the brute-force test above does exercise both filters."""
    rnd = random.Random(1313)
    lo, hi = 5700, 5880
    differs = False
    for _ in range(12):
        slots = _mixed_heat(rnd, 5, lo, hi)
        monkeypatch.setattr(search, "OLD_GAIN_MARGIN", 0)
        full = _nodes(monkeypatch, slots, lo, hi)
        monkeypatch.setattr(search, "OLD_GAIN_MARGIN", search.INF)
        weak = _nodes(monkeypatch, slots, lo, hi)
        assert weak[0] == full[0]
        differs = differs or weak[1] != full[1]
    assert differs
