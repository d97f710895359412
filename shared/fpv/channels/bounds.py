"""Bounds for the allocator's branch and bound: the exact IMD cost of adding a frequency, and
the cheap tests that tell a partial choice cannot reach a target.

IMD state. While the search places frequencies one by one it keeps, for every product
frequency p (MHz), ``near[p - base]``: the distance d from p to the nearest placed frequency,
at most ``FAR`` (35 MHz: no penalty), so that p already pays ``PENALTY[d]`` (small ints,
which Python never allocates, unlike the penalties); and
``pc[p - base]``, how many of the products already formed lie on p (``2*f_i - f_j`` of placed
pairs inside 5100..6099 MHz, :mod:`fpv.channels.imd`). Adding a frequency c raises the IMD
total by exactly ``gain(c)``:

* the two products of c with each placed y (``2y - c`` and ``2c - y``), each paying the larger
  of its current penalty and its penalty from c (``pair_gain``);
* every existing product within 34 MHz of c whose nearest frequency becomes c
  (``old_gain``: the increase, never negative).

Both parts only grow as more frequencies are placed (a product's nearest frequency can only get
closer), which makes a gain computed earlier a lower bound later: the search keeps such stale
gains per candidate (``H``) to bound a node without recomputing them.

Packing. ``r`` more picks from an ascending candidate list F, pairwise at least ``gap`` MHz
apart, exist iff the greedy that takes the lowest candidate and then the next one ``gap`` above
finds r (the classic interval-scheduling argument); ``suffix_packing`` gives that count for
every suffix of F at once.
"""

from __future__ import annotations

from heapq import heappush, heappushpop
from typing import Final

from fpv.channels.imd import PENALTY, PRODUCT_MAX_MHZ, PRODUCT_MIN_MHZ

# Final: compiled (fpv.tooling.native), these are C constants rather than module lookups
INF: Final = 10**9
RADIUS: Final = 34  # products closer than 35 MHz to a frequency are penalised
FAR: Final = RADIUS + 1  # the distance of a product no placed frequency penalises
PEN: Final[tuple[int, ...]] = PENALTY


def pair_gain(near: list[int], base: int, c: int, y: int) -> int:
    """Penalty of the two products of c and y (d = |c - y|): ``2y - c`` is d from y and 2d from
    c; ``2c - y`` is d from c. Each pays for the nearer of its nearest placed frequency and c."""
    d = c - y if c > y else y - c
    g = 0
    p = 2 * y - c
    if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
        a = near[p - base]
        g += PEN[a if a < 2 * d else 2 * d]
    p = 2 * c - y
    if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
        a = near[p - base]
        g += PEN[a if a < d else d]
    return g


def pair_gain_with(near: list[int], base: int, c: int, y: int) -> int:
    """``pair_gain(c, y)`` as it will be once y is placed, without placing it: y itself brings
    both products within d (``2y - c`` is d from y, ``2c - y`` d from c)."""
    d = c - y if c > y else y - c
    g = 0
    p = 2 * y - c
    if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
        a = near[p - base]
        g += PEN[a if a < d else d]
    p = 2 * c - y
    if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
        a = near[p - base]
        g += PEN[a if a < d else d]
    return g


def old_gain(near: list[int], base: int, pc: list[int], c: int, y: int = -INF) -> int:
    """How much c raises the penalty of the products already formed. With y (a frequency not
    placed yet): a lower bound of that once y is placed, without placing it (each product taken
    at least as near y as it is; y's own products left out)."""
    g = 0
    lo = c - RADIUS - base
    hi = c + RADIUS - base + 1
    for i in range(lo if lo > 0 else 0, hi if hi < len(pc) else len(pc)):
        k = pc[i]
        if k:
            dc = i + base - c
            if dc < 0:
                dc = -dc
            a = near[i]
            dy = i + base - y
            if dy < 0:
                dy = -dy
            if dy < a:
                a = dy
            if dc < a:
                g += k * (PEN[dc] - PEN[a])
    return g


def gain(near: list[int], base: int, pc: list[int], placed: list[int], c: int) -> int:
    """Exact increase of the IMD total when c joins the placed frequencies."""
    g = old_gain(near, base, pc, c)
    for y in placed:
        g += pair_gain(near, base, c, y)
    return g


# what place() changed: near's window (first, end, the values before) and the products it added
Undo = tuple[int, int, list[int], list[int]]


def place(near: list[int], base: int, pc: list[int], placed: list[int], c: int) -> Undo:
    """Record c as placed: its products with the placed ones counted in pc, its window in near."""
    new: list[int] = []
    for y in placed:
        p = 2 * c - y
        if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
            pc[p - base] += 1
            new.append(p - base)
        p = 2 * y - c
        if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
            pc[p - base] += 1
            new.append(p - base)
    wa = max(PRODUCT_MIN_MHZ, c - RADIUS) - base
    wb = min(PRODUCT_MAX_MHZ, c + RADIUS) + 1 - base
    saved = near[wa:wb] if wa < wb else []
    for i in range(wa, wb):
        d = i + base - c
        if d < 0:
            d = -d
        if d < near[i]:
            near[i] = d
    return wa, wb, saved, new


def unplace(near: list[int], pc: list[int], undo: Undo) -> None:
    wa, wb, saved, new = undo
    for i in new:
        pc[i] -= 1
    if wa < wb:
        near[wa:wb] = saved


def packs(F: list[int], gap: int, r: int) -> bool:
    """Can r frequencies of the ascending list F be pairwise at least `gap` apart?"""
    cnt = 0
    last = -INF
    for c in F:
        if c - last >= gap:
            cnt += 1
            if cnt >= r:
                return True
            last = c
    return cnt >= r


def packs_together(lists: list[list[int]], gap: int, r: int) -> bool:
    """``packs`` on the union of ascending lists, without building it: the greedy takes, each
    time, the lowest frequency of any list at least `gap` above the last one taken."""
    heads = [0] * len(lists)
    cnt = 0
    last = -INF
    while True:
        lowest = INF
        for j in range(len(lists)):
            F = lists[j]
            i = heads[j]
            while i < len(F) and F[i] - last < gap:
                i += 1
            heads[j] = i
            if i < len(F) and F[i] < lowest:
                lowest = F[i]
        if lowest == INF:
            return False
        cnt += 1
        if cnt >= r:
            return True
        last = lowest


def lowest_sum(H: list[int], r: int) -> int:
    """The sum of the r smallest values of H (len(H) >= r >= 1)."""
    if r == 1:
        low = H[0]
        for h in H:
            if h < low:
                low = h
        return low
    return sum(sorted(H)[:r])


def suffix_packing(F: list[int], gap: int) -> tuple[list[int], list[int]]:
    """(fit, nxt): fit[i] = most picks from F[i:] spaced by `gap` (fit[len(F)] = 0), nxt[i] =
    first index whose frequency is at least F[i] + gap (len(F) when none)."""
    L = len(F)
    fit = [0] * (L + 1)
    nxt = [L] * L
    j = L
    for i in range(L - 1, -1, -1):
        lim = F[i] + gap
        while j > i + 1 and F[j - 1] >= lim:
            j -= 1
        jj = j if j > i and (j < L and F[j] >= lim) else L
        nxt[i] = jj
        fit[i] = 1 + fit[jj]
    return fit, nxt


def suffix_lowest_sums(H: list[int], m: int) -> list[int]:
    """low[i] = sum of the m smallest values of H[i:] (INF when fewer than m)."""
    L = len(H)
    low = [0] * (L + 1)
    heap: list[int] = []
    acc = 0
    for i in range(L - 1, -1, -1):
        h = H[i]
        if len(heap) < m:
            heappush(heap, -h)
            acc += h
        elif h < -heap[0]:
            acc += h + heappushpop(heap, -h)
        low[i] = acc if len(heap) == m else INF
    low[L] = 0 if m == 0 else INF
    return low
