"""Random mixed analog/digital heats: the allocator's CPU time (p50/p99/max) and its result
compared with an independent exhaustive search, heat by heat.

Objective (as documented in fpv.channels.allocator), compared as a key, larger is better:
(min(S, 35 MHz), IMD rating, -moves, S), S = smallest edge-aware spacing
``|fa - fb| - (max(0, bwa - 20) + max(0, bwb - 20)) / 2`` (kept in half-MHz here). Preferences
and the final tie order are not part of the key (the bench has no preferences).

The exhaustive search shares no code with the allocator: its own IMD formula (checked against
``imd_rating`` by bench_channels first), its own spacing, and a plain depth-first enumeration of
every assignment of distinct frequencies, most constrained pilot first. It cuts a branch only
when the branch is certainly worse than the best complete assignment found: the spacing floor
and the rating can only drop as frequencies are added (adding a frequency never lowers the IMD
total, whose terms only grow as nearest frequencies get closer, and the total is divided by the
final n), and moves and spacing only count among equal (floor, rating).
"""

from __future__ import annotations

import contextlib
import random
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence

from fpv.channels import Equipment, PilotSlot, allocate, allocator, pick_for_new_pilot, rebalance
from fpv.channels import search as channel_search

LO, HI = 5645, 5945  # the 5.8 GHz band
ANALOG = ["R", "F", "A", "B", "E", "R,F", "F,R", "A,B", "B,E", "R,F,A", "analog", "analog"]
DIGITAL = [
    "dji-o3",
    "dji-o4",
    "dji-v1-25",
    "dji-v1-50",
    "dji-o3-40",
    "dji-o4-race",
    "walksnail",
    "walksnail-50",
    "walksnail-race",
    "hdzero",
]
CLEAN_H = 70


def _excess(bw: int) -> int:
    return max(0, bw - 20)


def ref_total(fs: Sequence[int]) -> int:
    """IMDTabler v1.3 penalty total (own implementation)."""
    s = sorted(fs)
    n = len(s)
    total = 0
    for a in s:
        for b in s:
            if a == b:
                continue
            p = 2 * a - b
            if p < 5100 or p > 6099:
                continue
            i = bisect_left(s, p)
            d = min(abs(p - s[j]) for j in (i - 1, i) if 0 <= j < n)
            if d < 35:
                total += (35 - d) ** 2
    return total


def ref_rating_of_total(total: int, n: int) -> int:
    return 100 - (total // 5) // n


def exhaustive(
    slots: Sequence[PilotSlot], lo: int = LO, hi: int = HI
) -> tuple[tuple[int, int, int, int], int]:
    """(best key (floor, rating, -moves, S) in half-MHz, nodes visited); locked pilots keep
    their channel."""
    n = len(slots)
    cands = []
    for p in slots:
        if p.locked:
            assert p.current_mhz is not None
            cands.append(([p.current_mhz], _excess(p.equipment.bandwidth_mhz), p.current_mhz))
            continue
        fs = [f for f in p.equipment.frequencies() if lo <= f <= hi]
        cands.append((fs, _excess(p.equipment.bandwidth_mhz), p.current_mhz))
    order = sorted(range(n), key=lambda i: len(cands[i][0]))
    best: list[tuple[int, int, int, int] | None] = [None]
    nodes = [0]
    chosen: list[tuple[int, int]] = []  # (MHz, excess)
    moves = [0]

    def rec(depth: int, smin: int) -> None:
        nodes[0] += 1
        if depth == n:
            fs = [f for f, _ in chosen]
            key = (min(smin, CLEAN_H), ref_rating_of_total(ref_total(fs), n), -moves[0], smin)
            if best[0] is None or key > best[0]:
                best[0] = key
            return
        if best[0] is not None and depth >= 2:
            fs = [f for f, _ in chosen]
            bound = (min(smin, CLEAN_H), ref_rating_of_total(ref_total(fs), n))
            if bound < best[0][:2]:
                return
        fs_list, x, cur = cands[order[depth]]
        for f in fs_list:
            s = smin
            dup = False
            for g, xg in chosen:
                if g == f:
                    dup = True
                    break
                h = 2 * abs(f - g) - x - xg
                if h < s:
                    s = h
            if dup:
                continue
            if best[0] is not None and min(s, CLEAN_H) < best[0][0]:
                continue
            moved = cur is not None and cur != f
            chosen.append((f, x))
            moves[0] += moved
            rec(depth + 1, s)
            moves[0] -= moved
            chosen.pop()

    rec(0, 10**9)
    assert best[0] is not None
    return best[0], nodes[0]


def key_of(slots: Sequence[PilotSlot], freqs: dict[str, int]) -> tuple[int, int, int, int]:
    n = len(slots)
    smin = 10**9
    for i in range(n):
        for j in range(i + 1, n):
            a, b = slots[i], slots[j]
            h = (
                2 * abs(freqs[a.pilot_id] - freqs[b.pilot_id])
                - _excess(a.equipment.bandwidth_mhz)
                - _excess(b.equipment.bandwidth_mhz)
            )
            smin = min(smin, h)
    moves = sum(
        1 for p in slots if p.current_mhz is not None and p.current_mhz != freqs[p.pilot_id]
    )
    rating = ref_rating_of_total(ref_total(list(freqs.values())), n)
    return (min(smin, CLEAN_H), rating, -moves, smin)


def implementation() -> str:
    if channel_search.NATIVE is not None:
        return "compiled by mypyc (make native)"
    return "pure Python (no compiled copy built: make native)"


@contextlib.contextmanager
def pure_search() -> Iterator[None]:
    """The allocator on the pure-Python search for a while (the baseline of the compiled one)."""
    saved = allocator.Search, allocator.Class, allocator.optimise
    allocator.Search = channel_search.PureSearch
    allocator.Class = channel_search.PureClass
    allocator.optimise = channel_search.pure_optimise
    try:
        yield
    finally:
        allocator.Search, allocator.Class, allocator.optimise = saved


def random_heat(rnd: random.Random, n: int, *, seated: bool = False) -> list[PilotSlot]:
    """n pilots, at least a quarter analog and a quarter digital; `seated`: they signed up one
    by one and each took the best free channel (what sign-up does), in random order."""
    k = rnd.randint(max(1, n // 4), n - max(1, n // 4))
    kinds = [rnd.choice(ANALOG) for _ in range(k)] + [rnd.choice(DIGITAL) for _ in range(n - k)]
    rnd.shuffle(kinds)
    slots = [PilotSlot(f"p{i:02d}", Equipment.parse(e)) for i, e in enumerate(kinds)]
    if not seated:
        return slots
    out: list[PilotSlot] = []
    for p in slots:
        ch = pick_for_new_pilot(out, p, min_mhz=LO, max_mhz=HI)
        out.append(PilotSlot(p.pilot_id, p.equipment, current_mhz=ch.mhz))
    return out


def cpu(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Least CPU time of `repeats` runs (the least disturbed by other processes)."""
    best = None
    result = None
    for _ in range(repeats):
        t0 = time.process_time()
        result = fn()
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
    assert best is not None
    return best, result


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.999999))]


def scenario(
    label: str,
    n: int,
    heats: int,
    *,
    seated: bool,
    target_ms: float,
    exhaustive_every: int = 1,
    repeats: int = 3,
    seed: int = 13,
) -> None:
    rnd = random.Random(seed)
    times: list[float] = []
    ex_times: list[float] = []
    compared = equal = 0
    slowest: list[PilotSlot] = []

    def solve(slots: list[PilotSlot]):
        if seated:
            return rebalance(slots, min_mhz=LO, max_mhz=HI, max_heat_size=None, min_gain=0)
        return allocate(slots, min_mhz=LO, max_mhz=HI, max_heat_size=None)

    for h in range(heats):
        while True:
            try:
                slots = random_heat(rnd, n, seated=seated)
                dt, result = cpu(lambda slots=slots: solve(slots), repeats)
                break
            except ValueError:
                continue  # equipment that cannot fly together: draw again
        if not times or dt > max(times):
            slowest = slots
        times.append(dt)
        assert result.optimal
        if exhaustive_every and h % exhaustive_every == 0:
            freqs = {pid: ch.mhz for pid, ch in result.assignments.items()}
            t0 = time.process_time()
            opt, _nodes = exhaustive(slots)
            ex_times.append(time.process_time() - t0)
            compared += 1
            equal += key_of(slots, freqs) == opt
    p50, p99, worst = (1000 * pct(times, q) for q in (0.5, 0.99, 1.0))
    ex_med = sorted(ex_times)[len(ex_times) // 2] if ex_times else 0.0
    verdict = "meets" if p99 < target_ms else "MISSES"
    print(
        f"{label:<34} heats {heats:>3}  CPU p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms  "
        f"max {worst:>7.1f} ms  goal < {target_ms:g} ms: {verdict}",
        flush=True,
    )
    if channel_search.NATIVE is not None:
        # the same slowest heat on the pure-Python search: the baseline, in this process
        with pure_search():
            pure_dt, pure_result = cpu(lambda: solve(slowest), 1)
        fast_dt, fast_result = cpu(lambda: solve(slowest), 1)
        same = pure_result.assignments == fast_result.assignments
        print(
            f"{'':<34} slowest heat: compiled {fast_dt * 1000:.0f} ms, pure Python "
            f"{pure_dt * 1000:.0f} ms (x{pure_dt / max(1e-9, fast_dt):.1f}), same result: {same}",
            flush=True,
        )
    if compared:
        print(
            f"{'':<34} exhaustive equal {equal}/{compared}  exhaustive median "
            f"{ex_med * 1000:.0f} ms  (x{ex_med / max(1e-9, pct(times, 0.5)):.0f} the allocator)",
            flush=True,
        )
    else:
        print(
            f"{'':<34} exhaustive: not run (the plain enumeration needs minutes per heat of 11)",
            flush=True,
        )


CASES = ("mixed8", "rebalance8", "eleven")


def main(cases: Sequence[str] = CASES) -> None:
    """`cases`: a subset of CASES (``make bench BENCH=channels CASE=eleven``)."""
    print(f"channel search: {implementation()}")
    print(
        "random mixed heats in 5645-5945 MHz; CPU time (least of 3 runs per heat); exhaustive = "
        "independent depth-first enumeration, key (floor, rating, -moves, spacing); "
        "p99 of 60 heats is the nearest-rank p99, i.e. the slowest heat"
    )
    if "mixed8" in cases:
        scenario("8 mixed analog/digital pilots", 8, 60, seated=False, target_ms=50)
    if "rebalance8" in cases:
        scenario("rebalance of 8 seated mixed pilots", 8, 60, seated=True, target_ms=50)
    if "eleven" in cases:
        scenario(
            "11 mixed pilots in one heat", 11, 60, seated=False, target_ms=1000, exhaustive_every=0
        )
