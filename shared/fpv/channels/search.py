"""The allocator's branch and bound (see :mod:`fpv.channels.allocator` for the objective).

Pilots with the same candidate list and bandwidth form a *class*: they are interchangeable, so
the search picks a set of frequencies per class in ascending order (a class of k pilots picks k)
and the pilots are matched to the set afterwards (:mod:`fpv.channels.matching`). Classes are
searched one after the other; every node keeps, per remaining class, the candidates still
possible with a stale lower bound of their IMD gain and their spacing to the placed signals, and
filters them against each new pick. Bounds (:mod:`fpv.channels.bounds`): the exact IMD total of
the placed set plus the cheapest remaining gains; the spacing floor; greedy packing of the
remaining picks; a lower bound of the moves of seated pilots. A node whose placed signals
were already reached through another attribution to the earlier classes, with an attribution at
least as good for the ties, is skipped (``Search._repeated``).

``optimise`` drives the search through the objective's tiers with a few runs of different
modes; each run's incumbent tightens its own bounds.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fpv.channels.bounds import (
    FAR,
    INF,
    gain,
    lowest_sum,
    old_gain,
    packs,
    packs_together,
    pair_gain,
    pair_gain_with,
    place,
    suffix_lowest_sums,
    suffix_packing,
    unplace,
)
from fpv.channels.imd import (
    PRODUCT_MAX_MHZ,
    PRODUCT_MIN_MHZ,
    imd_rating,
    imd_total,
    max_total_for_rating,
    rating_from_total,
)
from fpv.channels.model import CLEAN_SPACING_MHZ, half_spacing

CLEAN_H: Final = 2 * CLEAN_SPACING_MHZ  # clean spacing in half-MHz


@dataclass
class Class:
    cands: list[int]  # ascending, in range, not a locked frequency
    x: int  # excess width (MHz) over analog
    k: int  # how many pilots of this class


# per remaining class: (candidates, stale IMD-gain lower bounds, spacing to the placed signals)
Lists = list[tuple[list[int], list[int], list[int]]]

FEASIBLE: Final = 0
BEST: Final = 1
LEX: Final = 2
SEEN_LIMIT: Final = 100_000  # nodes remembered per run to skip repeated ones (memory: tens of MB)
# The candidate filter computes a candidate's old-product gain (bounds.old_gain, the costliest
# part of its gain) only when its other terms come within this much of the cap: further away
# the old gain almost never decides (measured on the 11-pilot bench: the same nodes as with no
# margin, 20% less CPU). Any value keeps the search exact.
OLD_GAIN_MARGIN = 6000


def total_cap(s: int, Tm1: int, Tm0: int, need0: int, s_tie: int) -> int:
    """The largest IMD total still viable for a set whose spacing is s: viable(t, s) is
    ``(t <= Tm1 and s >= need0) or (t <= Tm0 and s >= s_tie)``, i.e. ``t <= total_cap(s)``
    (-1 when no total is: totals are never negative)."""
    cap = -1
    if s >= need0:
        cap = Tm1
    if s >= s_tie and Tm0 > cap:
        cap = Tm0
    return cap


class Search:
    """Branch and bound over per-class ascending picks. See the module docstring.

    ``leaf_key(picks)`` returns None when a complete pick violates a side constraint, else a
    secondary key (smaller is better) used among equal (rating, spacing). ``move_cap`` (how many
    seated pilots may move; ``max_moves``, or the tighter cap of a ties-by-moves run) is enforced
    by the search itself: ``_check`` prunes nodes on a lower bound of the moves, and ``_leaf``
    rejects every complete pick above the cap (the last pick reaches ``_leaf`` without a
    ``_check``).
    """

    def __init__(
        self,
        n: int,
        fixed: list[tuple[int, int]],
        classes: list[Class],
        leaf_key: Callable[[list[list[int]]], tuple | None],
        node_limit: int,
    ) -> None:
        self.n = n
        self.fixed = fixed
        self.classes = classes
        self.leaf_key = leaf_key
        self.nodes = 0
        self.node_limit = node_limit
        self.aborted = False
        self.has_secondary = True
        # seated pilots per class (for the moves bound): distinct current MHz and their count
        self.currents: list[set[int]] = [set() for _ in classes]
        self.seated: list[int] = [0 for _ in classes]
        self.any_seated = False
        self.move_cap: int | None = None
        self.moves_of: Callable[[list[list[int]]], int] = lambda picks: 0
        # the ties' part of the earlier classes (see _repeated, _prefix_key): class_part(i, picks)
        # gives (moves, preferences, frequency of each member) of class i's best matching to its
        # picks, members in id order; ranks[i][j]: the place of member j of class i among all
        # pilots in id order. Defaults: no one seated or preferring, members in class order.
        self.class_part: Callable[[int, tuple], tuple[int, int, list[int]]] = lambda i, ch: (
            0,
            0,
            list(ch),
        )
        self.parts: dict[tuple, tuple[int, int, list[int]]] = {}
        self.last_prefix: list[tuple[tuple, tuple] | None] = [None for _ in classes]
        ranks: list[list[int]] = []
        start = 0
        for cls in classes:
            ranks.append(list(range(start, start + cls.k)))
            start += cls.k
        self.set_ranks(ranks)
        # the state of one run (set by run/_reset)
        self.mode = FEASIBLE
        self.need0 = 0
        self.best_key: tuple[int, int] | None = None
        self.best_sec: tuple = ()  # the incumbent's leaf key (when best_key is set)
        self.best_picks: list[list[int]] | None = None
        self.best_moves = INF  # LEX: the incumbent's moves and (rating, -moves, spacing)
        self.best_k3: tuple[int, int, int] = (-INF, -INF, -INF)
        self.stop = False
        # placed signals -> (the earlier classes' picks, their prefix key or None)
        self.seen: dict[tuple, tuple] = {}
        self.use_T = False
        self.Tm1 = self.Tm0 = self.s_tie = 0
        self.picks: list[list[int]] = [[] for _ in classes]
        # _repeated's node keys: a bit per candidate signal (frequency, excess width), the
        # placed ones OR-ed in `mask`; the picks of classes[:ci] are placed[nfixed:][:before[ci]]
        self.bits: dict[int, int] = {}
        for cls in classes:
            for f in cls.cands:
                self.bits.setdefault(f * 64 + cls.x, 1 << len(self.bits))
        self.mask = 0
        self.nfixed = len(fixed)
        self.before: list[int] = [0]
        for cls in classes:
            self.before.append(self.before[-1] + cls.k)
        total = self.before[-1]
        self.after = [total - self.before[i + 1] for i in range(len(classes))]  # picks after ci
        freqs = [f for f, _ in fixed] + [f for c in classes for f in c.cands]
        lo, hi = (min(freqs), max(freqs)) if freqs else (PRODUCT_MIN_MHZ, PRODUCT_MIN_MHZ)
        self.base = min(2 * lo - hi, PRODUCT_MIN_MHZ) - 1
        top = max(2 * hi - lo, PRODUCT_MAX_MHZ) + 1
        self.near = [FAR] * (top - self.base + 1)
        self.pc = [0] * len(self.near)  # products formed per MHz (bounds: the IMD state)
        self.placed: list[int] = []
        self.placed_x: list[int] = []
        self.T0 = 0
        self.s0 = INF
        for f, x in fixed:
            self.T0, self.s0 = self._push(f, x, self.T0, self.s0)

    def set_ranks(self, ranks: list[list[int]]) -> None:
        """ranks[i][j]: the place of member j of class i among all pilots in id order. Keeps,
        per ci, where each member of classes[:ci] goes in the prefix key's id-ordered tuple."""
        self.slots: list[list[list[int]]] = []
        for ci in range(len(self.classes) + 1):
            every = sorted((ranks[i][j], i, j) for i in range(ci) for j in range(len(ranks[i])))
            where = [[0] * len(ranks[i]) for i in range(ci)]
            for pos, (_r, i, j) in enumerate(every):
                where[i][j] = pos
            self.slots.append(where)

    def _prefix_key(self, flat: tuple, ci: int) -> tuple:
        """(moves, -preferences, frequencies of the pilots of classes[:ci] in id order) of the
        picks of classes[:ci] given as one flat tuple; smaller is better (see _repeated)."""
        moves = prefs = start = 0
        where = self.slots[ci]
        out = [0] * len(flat)
        for i in range(ci):
            k = self.classes[i].k
            ch = flat[start : start + k]
            start += k
            key = (i, ch)
            part = self.parts.get(key)
            if part is None:
                part = self.class_part(i, ch)
                self.parts[key] = part
            moves += part[0]
            prefs += part[1]
            fs = part[2]
            places = where[i]
            for j in range(k):
                out[places[j]] = fs[j]
        return (moves, -prefs, tuple(out))

    # -- state

    def _push(self, c: int, x: int, T: int, smin: int) -> tuple[int, int]:
        """Place a fixed (locked) signal for good: returns the new (total, min spacing)."""
        T += gain(self.near, self.base, self.pc, self.placed, c)
        for y, xy in zip(self.placed, self.placed_x, strict=True):
            smin = min(smin, half_spacing(c, x, y, xy))
        place(self.near, self.base, self.pc, self.placed, c)
        self.placed.append(c)
        self.placed_x.append(x)
        return T, smin

    # -- public entry

    def run(
        self, mode: int, need0: int, r_lo: int | None = None, seed: list[list[int]] | None = None
    ) -> tuple[tuple[int, int] | None, list[list[int]] | None]:
        """One search; returns (best (rating, spacing) or None, picks or None).

        FEASIBLE: the first set with spacing >= need0.  BEST: the best (rating, spacing) with
        rating >= r_lo and spacing >= need0, every tie compared by the leaf key.
        LEX: the best (rating, -moves, spacing) with rating >= r_lo and spacing >= need0, every
        tie compared by the leaf key (seated pilots).
        ``seed``: a complete set already known, taken as the first incumbent (tighter bounds
        from the start).
        """
        self._reset(mode, need0)
        t_lo = INF if r_lo is None else max_total_for_rating(r_lo, self.n)
        self.use_T = mode != FEASIBLE and t_lo < INF
        # viable(t, s) = (t <= Tm1 and s >= need0) or (t <= Tm0 and s >= s_tie)
        if mode in (BEST, LEX):
            self.Tm1, self.Tm0, self.s_tie = t_lo, -1, INF
        else:
            self.Tm1, self.Tm0, self.s_tie = INF, -1, INF
        if seed is not None:
            self.picks = [list(p) for p in seed]
            T, smin = self._measure(seed)
            self._leaf(T, smin)
        self.picks = [[] for _ in self.classes]
        lists = self._root_lists()
        if self._check(lists, 0, self.T0, self.s0):
            self._expand(0, lists, self.T0, self.s0)
        return self._result()

    def _reset(self, mode: int, need0: int) -> None:
        self.mode = mode
        self.need0 = need0
        self.best_key = None
        self.best_sec = ()
        self.best_picks = None
        self.best_moves = INF
        self.best_k3 = (-INF, -INF, -INF)
        self.stop = False
        self.seen = {}

    def _result(self) -> tuple[tuple[int, int] | None, list[list[int]] | None]:
        return self.best_key, self.best_picks

    def _measure(self, picks: list[list[int]]) -> tuple[int, int]:
        """(IMD total, min half-spacing) of a complete set with the fixed signals."""
        signals = list(zip(self.placed, self.placed_x, strict=True))
        signals += [(f, cls.x) for cls, fs in zip(self.classes, picks, strict=True) for f in fs]
        smin = INF
        for i, (f, x) in enumerate(signals):
            for g, y in signals[i + 1 :]:
                smin = min(smin, half_spacing(f, x, g, y))
        return imd_total(f for f, _x in signals), smin

    def _root_lists(self) -> Lists:
        out: Lists = []
        fixed_f = set(self.placed)
        T = self.T0
        for cls in self.classes:
            F: list[int] = []
            H: list[int] = []
            CS: list[int] = []
            for c in cls.cands:
                if c in fixed_f:
                    continue
                cs = INF
                for y, xy in zip(self.placed, self.placed_x, strict=True):
                    cs = min(cs, half_spacing(c, cls.x, y, xy))
                s = min(cs, self.s0)
                h = 0
                if self.use_T:
                    for y in self.placed:
                        h += pair_gain(self.near, self.base, c, y)
                if self.use_T and not self._viable(
                    T + h + old_gain(self.near, self.base, self.pc, c), s
                ):
                    continue
                if not self.use_T and not self._viable(T, s):
                    continue
                F.append(c)
                H.append(h)
                CS.append(cs)
            out.append((F, H, CS))
        return out

    def _pre_ok(self, t: int, smin: int, cs: int) -> bool:
        s = cs if cs < smin else smin
        return (t <= self.Tm1 and s >= self.need0) or (t <= self.Tm0 and s >= self.s_tie)

    def _viable(self, t: int, s: int) -> bool:
        return (t <= self.Tm1 and s >= self.need0) or (t <= self.Tm0 and s >= self.s_tie)

    def _moves_lb(self, lists: Lists, ci: int) -> int:
        """Seated pilots that must move whatever the remaining picks are."""
        lb = 0
        for j, cur in enumerate(self.currents):
            if not cur:
                continue
            keep = cur.intersection(self.picks[j])
            if j >= ci:
                keep |= cur.intersection(lists[j - ci][0])
            lb += self.seated[j] - len(keep)
        return lb

    def _check(self, lists: Lists, ci: int, T: int, smin: int) -> bool:
        """Bounds for the node whose remaining classes are classes[ci:] with `lists`."""
        classes = self.classes
        if (
            self.any_seated
            and self.move_cap is not None
            and self._moves_lb(lists, ci) > self.move_cap
        ):
            return False
        lb = T
        if self.use_T:
            for off, (_f, H, _cs) in enumerate(lists):
                cls = classes[ci + off]
                r = cls.k - len(self.picks[ci + off])
                if r <= 0:
                    continue
                if len(H) < r:
                    return False
                lb += lowest_sum(H, r)
        if lb <= self.Tm1 and smin >= self.need0:
            need = self.need0
        elif lb <= self.Tm0 and smin >= self.s_tie:
            need = self.s_tie
            # LEX: the same rating can still win only with fewer moves, or as many moves and
            # as wide a spacing (the spacing only shrinks further down)
            if self.mode == LEX:
                lb_moves = self._moves_lb(lists, ci) if self.any_seated else 0
                if lb_moves > self.best_moves or (
                    lb_moves == self.best_moves and smin < self.best_k3[2]
                ):
                    return False
        else:
            return False
        widths: set[int] = set()
        for off, (F, _h, _cs) in enumerate(lists):
            cls = classes[ci + off]
            r = cls.k - len(self.picks[ci + off])
            if r <= 0:
                continue
            widths.add(cls.x)
            if r == 1:
                if not F:
                    return False
                continue
            if len(F) < r:
                return False
            if not packs(F, max(1, cls.x + (need + 1) // 2), r):
                return False
        if len(lists) > 1:
            # the remaining picks of every class at least X wide (excess), together: distinct
            # frequencies, each pair at least X + need/2 apart
            for x in widths:
                wide: list[list[int]] = []
                total = 0
                for off, (F, _h, _cs) in enumerate(lists):
                    cls = classes[ci + off]
                    r = cls.k - len(self.picks[ci + off])
                    if r > 0 and cls.x >= x:
                        wide.append(F)
                        total += r
                if total > 1 and not packs_together(wide, max(1, x + (need + 1) // 2), total):
                    return False
        return True

    def _leaf(self, T: int, smin: int) -> None:
        picks = [list(p) for p in self.picks]
        if self.move_cap is not None and self.moves_of(picks) > self.move_cap:
            return
        sec = self.leaf_key(picks)
        if sec is None:
            return
        key = (rating_from_total(T, self.n), smin)
        if self.mode == FEASIBLE:
            self.best_key, self.best_sec, self.best_picks = key, sec, picks
            self.stop = True
            return
        if self.mode == LEX:
            moves = self.moves_of(picks)
            k3 = (key[0], -moves, smin)
            if (
                self.best_key is None
                or k3 > self.best_k3
                or (k3 == self.best_k3 and sec < self.best_sec)
            ):
                self.best_key, self.best_sec, self.best_picks = key, sec, picks
                self.best_moves, self.best_k3 = moves, k3
                # from now on: a better rating, or the same one with fewer moves, or the same
                # moves with as wide a spacing (ties compared by the leaf key)
                self.Tm1 = max_total_for_rating(key[0] + 1, self.n)
                self.Tm0 = max_total_for_rating(key[0], self.n)
                self.s_tie = self.need0
            return
        if self.best_key is None or key > self.best_key:
            self.best_key, self.best_sec, self.best_picks = key, sec, picks
            r, s = key
            self.Tm1 = max_total_for_rating(r + 1, self.n)
            self.Tm0 = max_total_for_rating(r, self.n)
            # ties matter only with a leaf key; without one the first tie found is kept
            self.s_tie = s if self.has_secondary else s + 1
        elif key == self.best_key and sec < self.best_sec:
            self.best_sec, self.best_picks = sec, picks

    def _last_pick_viable(
        self,
        c: int,
        cx: int,
        T2: int,
        s2: int,
        F: list[int],
        H: list[int],
        CS: list[int],
        start: int,
        x: int,
    ) -> bool:
        """Can some candidate of the last pick (F[start:]) still be viable once c (excess width
        cx) is placed? Lower bounds of its gain without placing c: its stale pair gains, its
        products with c, and what it adds to the products already formed."""
        near, base = self.near, self.base
        Tm1, Tm0, need0, s_tie = self.Tm1, self.Tm0, self.need0, self.s_tie
        floor = need0 if need0 < s_tie else s_tie
        for j in range(start, len(F)):
            f = F[j]
            d = f - c if f > c else c - f
            if d == 0:
                continue
            cs = 2 * d - cx - x
            if CS[j] < cs:
                cs = CS[j]
            sc = cs if cs < s2 else s2
            if sc < floor:
                continue
            cap = total_cap(sc, Tm1, Tm0, need0, s_tie)
            t = T2 + H[j] + pair_gain_with(near, base, f, c)
            if t <= cap and t + old_gain(near, base, self.pc, f, c) <= cap:
                return True
        return False

    def _repeated(self, ci: int) -> bool:
        """Was a node with the same future already searched, with an attribution of the
        placed frequencies to the earlier classes at least as good?

        Classes of the same width often share frequencies (an all-band analog VTX, an R,F one
        and DJI O4 on RaceBand), so the same placed signals are reached through several
        attributions to the classes before ci (a set of 6 such frequencies over classes of 3, 2
        and 1 pilots: 60 ways). The remaining search only depends on the placed signals
        (frequency and width) and on class ci's picks so far; every set completing the later
        node completes the earlier one with the same IMD total and spacing, and the leaf keys
        of the two differ only in the earlier classes' part (``_prefix_key``: moves, preferences
        and the frequencies of those pilots in id order, which decides the comparison whatever
        the completion). The earlier node's subtree was searched under bounds no tighter than
        now, so the later node can only repeat or lose: it is skipped unless its prefix is
        strictly better."""
        if ci == 0 or len(self.seen) >= SEEN_LIMIT:
            return False
        bits, x = self.bits, self.classes[ci].x
        mine_now = 0
        for f in self.picks[ci]:
            mine_now |= bits[f * 64 + x]
        key = (ci, mine_now, self.mask)
        start = self.nfixed
        mine = tuple(self.placed[start : start + self.before[ci]])
        other = self.seen.get(key)
        if other is None:
            self.seen[key] = (mine, None)  # its prefix key is computed when first needed
            return False
        if not self.has_secondary:
            return True
        prefix, other_key = other
        if other_key is None:
            other_key = self._prefix_key(prefix, ci)
        # the earlier classes' picks stay the same through all of class ci's nodes below one
        # entry into it: their key is computed once per entry
        last = self.last_prefix[ci]
        if last is not None and last[0] == mine:
            my_key = last[1]
        else:
            my_key = self._prefix_key(mine, ci)
            self.last_prefix[ci] = (mine, my_key)
        if other_key <= my_key:
            self.seen[key] = (prefix, other_key)
            return True
        self.seen[key] = (mine, my_key)
        return False

    def _expand(self, ci: int, lists: Lists, T: int, smin: int) -> None:
        """Try every next pick of class ci (ascending)."""
        if self.stop or self._repeated(ci):
            return
        self.nodes += 1
        if self.nodes > self.node_limit:
            self.aborted = True
            self.stop = True
            return
        classes = self.classes
        cls = classes[ci]
        my_picks = self.picks[ci]
        r = cls.k - len(my_picks)
        F, H, CS = lists[0]
        rest = lists[1:]
        last_class = ci == len(classes) - 1
        after = self.after[ci]
        x_next = classes[ci + 1].x if not last_class else 0
        use_T = self.use_T
        near, base, pc = self.near, self.base, self.pc
        placed, placed_x = self.placed, self.placed_x
        cx = cls.x
        L = len(F)
        if r > 1:
            # suffix packing counts for the current class: fit[i] = most picks from F[i:]
            # spaced by `gap`; a child at idx needs fit[first index >= F[idx] + gap] >= r - 1.
            # (The need can only grow during the loop, so these counts stay upper bounds.)
            need = self.need0 if self.need0 < self.s_tie else self.s_tie
            gap = max(1, cx + (need + 1) // 2)
            fit, nxt = suffix_packing(F, gap)
            if use_T:
                # low[i] = sum of the r-1 smallest (stale, hence lower-bound) gains in H[i:]
                low = suffix_lowest_sums(H, r - 1)
        for idx in range(L - r + 1):
            if self.stop:
                return
            if r > 1 and fit[nxt[idx]] < r - 1:
                continue
            c = F[idx]
            s2 = CS[idx]
            if smin < s2:
                s2 = smin
            if use_T and r > 1 and not self._pre_ok(T + H[idx] + low[nxt[idx]], smin, CS[idx]):
                continue
            # exact IMD gain of c
            T2 = T + gain(near, base, pc, placed, c) if use_T else 0
            if not self._pre_ok(T2, s2, s2):
                continue
            if r == 1 and last_class:
                my_picks.append(c)
                self._leaf(T2, s2)
                my_picks.pop()
                continue
            if use_T and r - 1 + after == 1:
                # the child has one pick left: skip it (and placing c) when no candidate of
                # that pick passes the filter's test without the old products, as the child's
                # filter would then leave nothing and its check fail
                if r == 2:
                    last_ok = self._last_pick_viable(c, cx, T2, s2, F, H, CS, idx + 1, cx)
                else:
                    F1, H1, CS1 = rest[0]
                    last_ok = self._last_pick_viable(c, cx, T2, s2, F1, H1, CS1, 0, x_next)
                if not last_ok:
                    continue
            # ---- place c
            if use_T:
                undo = place(near, base, pc, placed, c)
            placed.append(c)
            placed_x.append(cx)
            my_picks.append(c)
            bit = self.bits[c * 64 + cx]
            self.mask |= bit
            # ---- filter the remaining candidate lists against c
            Tm1, Tm0, need0, s_tie = self.Tm1, self.Tm0, self.need0, self.s_tie
            floor = need0 if need0 < s_tie else s_tie
            t_max = Tm1 if Tm1 > Tm0 else Tm0
            margin = OLD_GAIN_MARGIN
            child: Lists = []
            if r > 1:
                todo: list[tuple[int, list[int], list[int], list[int]]] = [
                    (cx, F[idx + 1 :], H[idx + 1 :], CS[idx + 1 :])
                ]
                nci = ci
            else:
                todo = []
                nci = ci + 1
            for off, (F2, H2, CS2) in enumerate(rest):
                todo.append((classes[ci + 1 + off].x, F2, H2, CS2))
            for x2, F2, H2, CS2 in todo:
                nF: list[int] = []
                nH: list[int] = []
                nCS: list[int] = []
                for j2 in range(len(F2)):  # (indexing: faster than zip once compiled)
                    f2 = F2[j2]
                    h2 = H2[j2]
                    cs2 = CS2[j2]
                    d = f2 - c if f2 > c else c - f2
                    if d == 0:
                        continue
                    sp = 2 * d - cx - x2
                    if sp < cs2:
                        cs2 = sp
                    sc = cs2 if cs2 < s2 else s2
                    if sc < floor:
                        continue
                    if use_T:
                        h2 += pair_gain(near, base, f2, c)
                        t = T2 + h2
                        if t > t_max:  # cheap test first: the old products only add
                            continue
                        cap = total_cap(sc, Tm1, Tm0, need0, s_tie)
                        if t > cap:
                            continue
                        # the old products' rise is worth computing only close to the cap;
                        # a candidate kept without it is checked with its exact gain when
                        # picked (a weaker filter, never a wrong one)
                        if t > cap - margin and t + old_gain(near, base, pc, f2) > cap:
                            continue
                    nF.append(f2)
                    nH.append(h2)
                    nCS.append(cs2)
                child.append((nF, nH, nCS))
            if self._check(child, nci, T2, s2):
                self._expand(nci, child, T2, s2)
            # ---- undo
            self.mask ^= bit
            my_picks.pop()
            placed.pop()
            placed_x.pop()
            if use_T:
                unplace(near, pc, undo)


def optimise(search: Search) -> list[list[int]] | None:
    """The best set of picks (see ``_optimise``), with the cyclic garbage collector paused: the
    search makes no reference cycles, only a great many short-lived lists and tuples and its
    table of nodes seen, which the collector would otherwise scan over and over (5 % of an
    11-pilot heat's time)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _optimise(search)
    finally:
        if paused:
            gc.enable()


def _optimise(search: Search) -> list[list[int]] | None:
    """Drive the branch and bound through the objective's tiers.

    1. spacing tier: is a clean set (every pair >= 35 MHz) possible? else the largest minimum
       spacing S0 reachable (probes, then bisection); later searches keep spacing >= S0;
    2. nobody seated: one search for the best (rating, spacing), improving from the rating of
       a set already found (each improvement tightens the bounds), ties by preferences and
       order;
    3. seated pilots: one search for the best (rating, fewest moves, spacing), ties by
       preferences and order.
    """
    key, picks = search.run(FEASIBLE, CLEAN_H)
    if key is not None:
        need0 = CLEAN_H
    else:
        # no clean set: the largest reachable minimum spacing. Probe 69, 68, 66, 62, 54, 38,
        # 6, -58, ... (half-MHz) until a set is found, then bisect between it and the last miss
        miss = CLEAN_H
        step = 1
        found = None
        while found is None:
            t = CLEAN_H - step if step < 4096 else -INF
            key, got = search.run(FEASIBLE, t)
            if search.aborted:
                return None
            if key is not None:
                found, picks = key[1], got
            elif t == -INF:
                return None
            else:
                miss = t
                step *= 2
        while miss - found > 1:
            t = (found + miss) // 2 if miss - found > 2 else found + 1
            key, got = search.run(FEASIBLE, t)
            if search.aborted:
                break
            if key is not None:
                found, picks = key[1], got
            else:
                miss = t
        need0 = found
    fallback = picks
    assert fallback is not None
    floor_rating = rating_of_picks(fallback, search.fixed)
    if not search.any_seated:
        # nobody can move: the objective is (floor, rating, spacing, preferences, order), one
        # run improving from a set already found and comparing the ties on (rating, spacing)
        # by the leaf key. Without preferences and with a single class the leaf key is empty:
        # the first tie found is kept, and the search meets the sets in ascending order.
        _k, best = search.run(BEST, need0, floor_rating, seed=fallback)
        return best or fallback
    # seated pilots: (floor, rating, FEWEST MOVES, spacing, preferences, order) in one run:
    # a node that cannot beat the incumbent's rating survives only if a lower bound of its
    # moves says it may still move fewer pilots, or as many with as wide a spacing. The moves
    # cap (max_moves) must hold for every set a run returns, not only for the nodes it
    # prunes: _leaf enforces it.
    _k, best = search.run(LEX, need0, floor_rating, seed=fallback)
    return best or fallback


def rating_of_picks(picks: list[list[int]], fixed: list[tuple[int, int]]) -> int:
    return imd_rating([f for f, _ in fixed] + [f for ch in picks for f in ch])


# ---- the compiled copy: everything below stays out of it (fpv.tooling.native)


def _compiled():
    """The mypyc-compiled copy of bounds.py and this module (``make native``, built on
    bootstrap and for the Lambda layer; the same source, several times faster), or None when it
    is absent, built for another platform, or built from other sources than these (then this
    pure-Python module runs: the same results, slower)."""
    try:
        from fpv.channels import _native_search as native  # type: ignore[attr-defined]
    except Exception:  # absent, or a build that cannot load here: the pure search serves
        return None
    return native if source_sha() == native.SOURCE_SHA else None


def source_sha(here: Path | None = None) -> str:
    """SHA-256 of bounds.py and search.py (of this package, or of the channels folder given)."""
    here = here or Path(__file__).parent
    body = (here / "bounds.py").read_bytes() + (here / "search.py").read_bytes()
    return hashlib.sha256(body).hexdigest()


PureClass, PureSearch, pure_optimise = Class, Search, optimise
NATIVE = _compiled()
if NATIVE is not None:
    Class, Search, optimise = NATIVE.Class, NATIVE.Search, NATIVE.optimise  # type: ignore[misc]
