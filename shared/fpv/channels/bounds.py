"""Bounds for the allocator's branch and bound: the exact IMD cost of adding a frequency, and
the cheap tests that tell a partial choice cannot reach a target.

IMD state. While the search places frequencies one by one it keeps, for every product
frequency p (MHz), ``pa[p - base]``: the penalty p already pays, i.e. ``PENALTY[d]`` for the
distance d from p to the nearest placed frequency (0 when none is within 34 MHz); and ``prods``,
the sorted list of the products already formed (``2*f_i - f_j`` of placed pairs inside
5100..6099 MHz, :mod:`fpv.channels.imd`). Adding a frequency c raises the IMD total by exactly
``gain(c)``:

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

from bisect import bisect_left, bisect_right
from heapq import heappush, heappushpop

from fpv.channels.imd import PENALTY, PRODUCT_MAX_MHZ, PRODUCT_MIN_MHZ

INF = 10**9
RADIUS = 34  # products closer than 35 MHz to a frequency are penalised
WINDOW = tuple(PENALTY[abs(d)] for d in range(-RADIUS, RADIUS + 1))


def pair_gain(pa: list[int], base: int, c: int, y: int) -> int:
    """Penalty of the two products of c and y (d = |c - y|): ``2y - c`` is d from y and 2d from
    c; ``2c - y`` is d from c. Each pays the larger of what it pays now and its penalty from c."""
    d = c - y if c > y else y - c
    g = 0
    p = 2 * y - c
    if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
        a = pa[p - base]
        s = PENALTY[2 * d]
        g += s if s > a else a
    p = 2 * c - y
    if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
        a = pa[p - base]
        s = PENALTY[d]
        g += s if s > a else a
    return g


def old_gain(pa: list[int], base: int, prods: list[int], c: int) -> int:
    """How much c raises the penalty of the products already formed."""
    g = 0
    i = bisect_left(prods, c - RADIUS)
    j = bisect_right(prods, c + RADIUS, i)
    for q in range(i, j):
        p = prods[q]
        e = PENALTY[abs(p - c)] - pa[p - base]
        if e > 0:
            g += e
    return g


def gain(pa: list[int], base: int, prods: list[int], placed: list[int], c: int) -> int:
    """Exact increase of the IMD total when c joins the placed frequencies."""
    g = old_gain(pa, base, prods, c)
    for y in placed:
        g += pair_gain(pa, base, c, y)
    return g


def place(pa: list[int], base: int, prods: list[int], placed: list[int], c: int):
    """Record c as placed: returns (new sorted products, undo token for ``unplace``)."""
    new = []
    for y in placed:
        p = 2 * c - y
        if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
            new.append(p)
        p = 2 * y - c
        if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
            new.append(p)
    if new:
        prods = sorted(prods + new)
    wa = max(PRODUCT_MIN_MHZ, c - RADIUS)
    wb = min(PRODUCT_MAX_MHZ, c + RADIUS) + 1
    saved = None
    if wa < wb:
        saved = pa[wa - base : wb - base]
        pa[wa - base : wb - base] = map(max, saved, WINDOW[wa - c + RADIUS : wb - c + RADIUS])
    return prods, (wa, wb, saved)


def unplace(pa: list[int], base: int, token) -> None:
    wa, wb, saved = token
    if saved is not None:
        pa[wa - base : wb - base] = saved


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
