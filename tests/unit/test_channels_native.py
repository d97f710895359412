"""The compiled copy of the channel search (fpv.tooling.native, `make native`): the same
results as the pure-Python search, used only when built from the sources beside it, and built
wherever a C compiler is at hand (so `make test` and `make bench` run what Lambda runs)."""

from __future__ import annotations

import importlib.util
import random
import shutil

import pytest
from test_channels_allocator import assert_valid, freqs_of

from fpv.channels import ChannelError, Equipment, PilotSlot, allocate, search

KINDS = ["R", "F", "R,F", "F,R", "A,B", "analog", "dji-o3", "dji-o4", "walksnail", "hdzero"]


def _heat(rnd: random.Random, n: int, lo: int, hi: int) -> list[PilotSlot]:
    """Mixed equipment; some pilots seated (the moves tier), some preferring a channel (ties),
    now and then one locked."""
    slots: list[PilotSlot] = []
    taken: set[int] = set()
    for i in rnd.sample(range(10, 99), n):
        eq = Equipment.parse(rnd.choice(KINDS))
        usable = [f for f in eq.frequencies() if lo <= f <= hi]
        if not usable:
            continue
        current = rnd.choice(usable) if rnd.random() < 0.35 else None
        if current in taken:
            current = None
        if current is not None:
            taken.add(current)
        locked = current is not None and rnd.random() < 0.15
        preferred = rnd.choice(usable) if rnd.random() < 0.3 else None
        slots.append(PilotSlot(f"p{i}", eq, current, locked, preferred))
    return slots


def _solve(slots, lo, hi):
    try:
        result = allocate(slots, min_mhz=lo, max_mhz=hi, max_heat_size=None, max_moves=None)
    except ChannelError as e:
        return type(e).__name__
    assert_valid(slots, result, lo, hi)
    return freqs_of(result), result.rating, result.optimal


needs_native = pytest.mark.skipif(
    search.NATIVE is None, reason="the compiled search is not built here (`make native`)"
)


@needs_native
def test_compiled_and_pure_search_agree(pure_search):
    """Seated, preferring and locked pilots, mixed widths, 3 to 9 pilots: the same
    assignment from both (the compiled copy is the same source; this catches a build from a
    stale or mangled joined source and mypyc's semantics where they differ from Python's)."""
    from fpv.channels import allocator

    rnd = random.Random(5800)
    compared = 0
    for _ in range(40):
        lo, hi = rnd.choice([(5645, 5945), (5700, 5880), (5725, 5875)])
        slots = _heat(rnd, rnd.randint(3, 9), lo, hi)
        pure = _solve(slots, lo, hi)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(allocator, "Search", search.NATIVE.Search)
            mp.setattr(allocator, "Class", search.NATIVE.Class)
            mp.setattr(allocator, "optimise", search.NATIVE.optimise)
            native = _solve(slots, lo, hi)
        assert native == pure, [str(p) for p in slots]
        compared += isinstance(pure, tuple)
    assert compared >= 30


def test_a_build_from_other_sources_is_not_used(monkeypatch):
    """An edited search.py or bounds.py never runs a stale compiled copy."""
    monkeypatch.setattr(search, "source_sha", lambda: "0" * 64)
    assert search._compiled() is None


def test_the_compiled_search_is_built_where_it_can_be():
    """`make test` builds it first (Makefile: native); where a C compiler and mypyc exist it
    must be in use, or the tests and benchmarks would measure another program than Lambda's."""
    if not (shutil.which("cc") or shutil.which("gcc")) or not importlib.util.find_spec("mypyc"):
        pytest.skip("no C compiler or mypyc here: the pure-Python search runs")
    assert search.NATIVE is not None, "run `make native` (a build of other sources is ignored)"
    assert search.Search is search.NATIVE.Search
    assert search.PureSearch is not search.Search
