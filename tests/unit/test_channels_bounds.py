"""The bounds' shortcuts against what they stand for: the gains of a frequency computed
without placing the last one, packing over several lists without their union, the r
smallest values without sorting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fpv.channels import bounds
from fpv.channels.imd import PRODUCT_MAX_MHZ, PRODUCT_MIN_MHZ, imd_total

freq = st.integers(min_value=5600, max_value=6000)


def _state(placed: list[int]):
    base = PRODUCT_MIN_MHZ - 1000
    near = [bounds.FAR] * (PRODUCT_MAX_MHZ + 1000 - base)
    pc = [0] * len(near)
    done: list[int] = []
    for f in placed:
        bounds.place(near, base, pc, done, f)
        done.append(f)
    return near, base, pc


@given(st.lists(freq, min_size=1, max_size=7, unique=True), freq, freq)
def test_gains_without_placing_y_bound_those_after_placing_it(placed, y, c):
    (*before,) = placed
    if y in before or c in before or c == y:
        return
    near, base, pc = _state(before)
    with_y = bounds.pair_gain_with(near, base, c, y)
    old_with_y = bounds.old_gain(near, base, pc, c, y)
    bounds.place(near, base, pc, before, y)
    # the pair's products: the same value; the old products: never more
    assert with_y == bounds.pair_gain(near, base, c, y)
    assert old_with_y <= bounds.old_gain(near, base, pc, c)
    # and gain() is exactly the rise of the IMD total
    assert bounds.gain(near, base, pc, [*before, y], c) == imd_total([*before, y, c]) - imd_total(
        [*before, y]
    )


@given(
    st.lists(st.lists(freq, max_size=8), min_size=1, max_size=4),
    st.integers(1, 60),
    st.integers(1, 6),
)
def test_packs_together_is_packs_on_the_union(lists, gap, r):
    lists = [sorted(set(F)) for F in lists]
    union = sorted(set().union(*lists))
    assert bounds.packs_together(lists, gap, r) == bounds.packs(union, gap, r)


@given(st.lists(st.integers(0, 5000), min_size=1, max_size=12), st.integers(1, 12))
def test_lowest_sum(values, r):
    r = min(r, len(values))
    assert bounds.lowest_sum(values, r) == sum(sorted(values)[:r])
