"""VTX channel allocator: the best channel per pilot for a training, exactly, in milliseconds.

Objective (lexicographic, see DESIGN §6 and the allocator issue):

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

Spacing of two signals (edge-aware). A digital signal occupies ``[centre - bw/2, centre + bw/2]``.
The field's 35 MHz rule is stated for analog video, ~20 MHz wide (``ANALOG_BANDWIDTH_MHZ``), so the
spacing of two signals is their centre distance minus the part of each signal that is wider than
analog::

    spacing(a, b) = |fa - fb| - (max(0, bwa - 20) + max(0, bwb - 20)) / 2

Two analog VTXs 37 MHz apart have spacing 37; an analog VTX and a 50 MHz DJI signal 45 MHz apart
have spacing 30 (their occupied bands are 10 MHz apart, which is what two analog signals 30 MHz
apart have). Spacings are multiples of 0.5 MHz; internally they are kept in half-MHz integers.

The legal range applies to centre frequencies (the convention of Betaflight VTX tables, where
R1 = 5658 is usable in a 5650-5925 allocation).

Exactness. ``allocate`` solves the problem exactly with a branch and bound over distinct candidate
frequencies (pilots with the same candidate list and bandwidth are interchangeable, so they pick
a *set* in ascending order and are matched to it afterwards). It relies on two monotonicity facts
of the IMDTabler total: adding a frequency never lowers the penalty of an existing product (its
nearest frequency can only get closer) and adds non-negative terms for the new products; and the
minimum spacing can only shrink. Bounds: the exact penalty of every product already formed, the
products each remaining candidate would form with the chosen set, a greedy packing test (can the
remaining picks still be spaced as needed), and a sum of the cheapest remaining picks. A node
budget guards against pathological inputs; if it is ever exhausted the result says
``optimal=False`` (it never happens for the product's sizes: 8 pilots over every analog channel
take a few thousand nodes).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from heapq import heappush, heappushpop
from typing import NamedTuple

from fpv.channels.bands import (
    ANALOG_BAND_CODES,
    ANALOG_BANDS,
    ANALOG_BANDWIDTH_MHZ,
    DIGITAL_SYSTEM_IDS,
    DIGITAL_SYSTEMS,
)
from fpv.channels.imd import (
    PENALTY,
    PRODUCT_MAX_MHZ,
    PRODUCT_MIN_MHZ,
    imd_rating,
    imd_report,
    max_total_for_rating,
    rating_from_total,
)
from fpv.channels.imd import ImdReport as ImdReport

CLEAN_SPACING_MHZ = 35
DEFAULT_MAX_HEAT_SIZE = 8
DEFAULT_NODE_LIMIT = 400_000
# A rebalance that keeps the spacing floor is proposed only for at least this IMD rating gain.
DEFAULT_REBALANCE_MIN_GAIN = 10

_CLEAN_H = 2 * CLEAN_SPACING_MHZ  # clean spacing in half-MHz
_INF = 10**9
_RADIUS = 34  # products closer than 35 MHz are penalised
_WINDOW = tuple(PENALTY[abs(d)] for d in range(-_RADIUS, _RADIUS + 1))


# --------------------------------------------------------------------------- errors


class ChannelError(ValueError):
    """A channel request that cannot be satisfied; the message says why, in plain words."""


class InvalidPilots(ChannelError):
    """The input itself is inconsistent (duplicate pilot ids, locked pilot without a channel...)."""


class TooManyPilots(ChannelError):
    """More pilots than distinct channels they can use (and splitting into heats is off)."""


class NoChannelAvailable(ChannelError):
    """Every channel the pilot's equipment can use in the range is taken."""


class NoChannelInRange(ChannelError):
    """The pilot's equipment has no channel at all inside the legal range."""


class LockedChannelConflict(ChannelError):
    """Locked pilots that cannot all keep their channels (same frequency, or out of range)."""


class EquipmentCannotFit(ChannelError):
    """A group of pilots needs more distinct channels than their equipment offers together."""


# --------------------------------------------------------------------------- model

_SYSTEM_ALIASES = {
    "dji": "dji-v1-25",
    "dji-v1": "dji-v1-25",
    "vista": "dji-v1-25",
    "dji-fpv": "dji-v1-25",
    "o3": "dji-o3",
    "o4": "dji-o4",
    "walksnail-25": "walksnail",
    "avatar": "walksnail",
    "hdz": "hdzero",
}


@dataclass(frozen=True)
class Equipment:
    """What a pilot's VTX can transmit on: analog bands, or one digital system.

    Analog: ``bands`` is a tuple of band codes from ``R F A B E L`` in the pilot's own order (the
    order decides the label shown when a frequency is in several bands: 5880 is "R7" for "R,F" and
    "F8" for "F,R"). Digital: ``system`` is one of ``DIGITAL_SYSTEM_IDS``:
    ``dji-v1-25``, ``dji-v1-50`` (DJI FPV/Vista 25 and 50 MHz modes), ``dji-o3`` (10/20 MHz),
    ``dji-o3-40``, ``dji-o4`` (O3 channel plan), ``dji-o4-race`` (RaceBand centres),
    ``walksnail``, ``walksnail-50``, ``walksnail-race``, ``hdzero``.

    String form (CLI, database): ``"R,F"``, ``"analog"`` (all six bands), ``"dji-o3"``;
    ``Equipment.parse(str(e)) == e``.
    """

    bands: tuple[str, ...] = ()
    system: str | None = None

    def __post_init__(self) -> None:
        if self.system is not None:
            if self.bands:
                raise ValueError("equipment is either analog bands or a digital system, not both")
            if self.system not in DIGITAL_SYSTEMS:
                raise ValueError(f"unknown digital system {self.system!r}")
            return
        if not self.bands:
            raise ValueError("analog equipment needs at least one band")
        seen = set()
        for b in self.bands:
            if b not in ANALOG_BANDS:
                known = " ".join(ANALOG_BAND_CODES)
                raise ValueError(f"unknown analog band {b!r} (known: {known})")
            if b in seen:
                raise ValueError(f"band {b!r} listed twice")
            seen.add(b)

    @classmethod
    def analog(cls, *bands: str) -> Equipment:
        return cls(bands=tuple(b.upper() for b in (bands or ANALOG_BAND_CODES)))

    @classmethod
    def digital(cls, system: str) -> Equipment:
        return cls(system=system)

    @classmethod
    def parse(cls, text: str) -> Equipment:
        """Parse "R,F" / "r f" / "RF" / "analog" / "dji-o3" (case-insensitive)."""
        raw = text.strip().lower()
        if not raw:
            raise ValueError("empty equipment")
        system = _SYSTEM_ALIASES.get(raw, raw)
        if system in DIGITAL_SYSTEMS:
            return cls(system=system)
        if raw in ("analog", "all"):
            return cls(bands=ANALOG_BAND_CODES)
        parts = [p for p in raw.replace("+", ",").replace(" ", ",").split(",") if p]
        glued = len(parts) == 1 and len(parts[0]) > 1
        if glued and all(ch.upper() in ANALOG_BANDS for ch in parts[0]):
            parts = list(parts[0])
        bands = tuple(p.upper() for p in parts)
        if not all(b in ANALOG_BANDS for b in bands):
            known = ", ".join(DIGITAL_SYSTEM_IDS)
            raise ValueError(
                f"unknown equipment {text!r}: give analog bands like 'R,F' "
                f"({'/'.join(ANALOG_BAND_CODES)}) or one of: {known}"
            )
        return cls(bands=bands)

    def __str__(self) -> str:
        return self.system if self.system is not None else ",".join(self.bands)

    @property
    def is_digital(self) -> bool:
        return self.system is not None

    @property
    def bandwidth_mhz(self) -> int:
        if self.system is not None:
            return DIGITAL_SYSTEMS[self.system].bandwidth_mhz
        return ANALOG_BANDWIDTH_MHZ

    @property
    def display_name(self) -> str:
        if self.system is not None:
            return DIGITAL_SYSTEMS[self.system].name
        return "analog " + ",".join(self.bands)

    def frequencies(self) -> tuple[int, ...]:
        """Distinct centre frequencies this equipment can use, ascending."""
        if self.system is not None:
            return tuple(sorted(DIGITAL_SYSTEMS[self.system].channels))
        return tuple(sorted({f for b in self.bands for f in ANALOG_BANDS[b].channels}))

    def label(self, mhz: int) -> str | None:
        """The channel's name for this equipment ("R7"), None if it cannot use `mhz`."""
        if self.system is not None:
            return DIGITAL_SYSTEMS[self.system].label(mhz)
        for b in self.bands:
            name = ANALOG_BANDS[b].label(mhz)
            if name:
                return name
        return None

    def channel(self, mhz: int) -> Channel:
        return Channel(mhz, self.label(mhz) or f"{mhz} MHz", self.bandwidth_mhz)


@dataclass(frozen=True, order=True)
class Channel:
    mhz: int
    label: str
    bandwidth_mhz: int = ANALOG_BANDWIDTH_MHZ

    def __str__(self) -> str:
        return self.label if self.label.endswith("MHz") else f"{self.label} ({self.mhz} MHz)"


@dataclass
class PilotSlot:
    pilot_id: str
    equipment: Equipment
    current_mhz: int | None = None  # already seated on this frequency
    locked: bool = False  # must keep current_mhz
    preferred_mhz: int | None = None


@dataclass(frozen=True)
class Move:
    pilot_id: str
    from_channel: Channel
    to_channel: Channel

    def __str__(self) -> str:
        return f"{self.pilot_id}: {self.from_channel} -> {self.to_channel}"


@dataclass
class Allocation:
    assignments: dict[str, Channel]
    rating: int  # IMD rating (the worst heat's when split)
    min_spacing: float | None  # edge-aware MHz (the worst heat's); None with < 2 signals
    moves: list[Move] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # empty when every pair is >= 35 MHz
    heats: list[list[str]] = field(default_factory=list)  # pilot ids per heat when split
    heat_ratings: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gain: str | None = None  # rebalance: what the proposal gains
    optimal: bool = True  # proven optimal (False only if the node budget ran out)
    proposed: bool = True  # rebalance: False when the optimum is not worth its moves
    imd: ImdReport | None = None  # single group only

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def channel_of(self, pilot_id: str) -> Channel:
        return self.assignments[pilot_id]


class RankedChannel(NamedTuple):
    channel: Channel
    rating: int
    min_spacing: float | None


# --------------------------------------------------------------------------- spacing helpers


def _excess(bandwidth_mhz: int) -> int:
    return max(0, bandwidth_mhz - ANALOG_BANDWIDTH_MHZ)


def effective_spacing(f1: int, bw1: int, f2: int, bw2: int) -> float:
    """Edge-aware spacing in MHz (see module docstring): centre distance minus half of each
    signal's width beyond the 20 MHz analog reference."""
    return abs(f1 - f2) - (_excess(bw1) + _excess(bw2)) / 2


def _half_spacing(f1: int, x1: int, f2: int, x2: int) -> int:
    return 2 * abs(f1 - f2) - x1 - x2


def min_effective_spacing(signals: Iterable[tuple[int, int]]) -> float | None:
    """Smallest edge-aware spacing among (centre MHz, bandwidth MHz) signals."""
    sig = sorted(signals)
    best: int | None = None
    for i, (fa, bwa) in enumerate(sig):
        for fb, bwb in sig[i + 1 :]:
            h = _half_spacing(fa, _excess(bwa), fb, _excess(bwb))
            if best is None or h < best:
                best = h
    return None if best is None else best / 2


def _fmt_mhz(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


# --------------------------------------------------------------------------- the search


@dataclass
class _Class:
    cands: list[int]  # ascending, in range, not a locked frequency
    x: int  # excess width (MHz) over analog
    k: int  # how many pilots of this class


_FEASIBLE, _MAX_S, _MAX_R, _MAX_RS, _BEST = 0, 1, 2, 3, 4


class _Search:
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
        classes: list[_Class],
        leaf_key,
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
        self.moves_of = lambda picks: 0
        freqs = [f for f, _ in fixed] + [f for c in classes for f in c.cands]
        lo, hi = (min(freqs), max(freqs)) if freqs else (PRODUCT_MIN_MHZ, PRODUCT_MIN_MHZ)
        self.base = min(2 * lo - hi, PRODUCT_MIN_MHZ) - 1
        top = max(2 * hi - lo, PRODUCT_MAX_MHZ) + 1
        self.pa = [0] * (top - self.base + 1)
        self.prods: list[int] = []
        self.placed: list[int] = []
        self.placed_x: list[int] = []
        self.T0 = 0
        self.s0 = _INF
        for f, x in fixed:
            self.T0, self.s0 = self._push(f, x, self.T0, self.s0)

    # -- state helpers (used for the fixed signals; the hot loop inlines the same logic)

    def _gain(self, c: int) -> int:
        """Exact increase of the IMD total if `c` is added to the placed set."""
        return self._new_products(c) + self._old_products(c)

    def _new_products(self, c: int) -> int:
        """Penalty of the products `c` forms with the placed signals."""
        pa, base, pen = self.pa, self.base, PENALTY
        g = 0
        for x in self.placed:
            d = c - x if c > x else x - c
            p = 2 * x - c
            a = pa[p - base]
            s = pen[2 * d]
            if s > a and PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
                a = s
            g += a
            p = 2 * c - x
            a = pa[p - base]
            s = pen[d]
            if s > a and PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
                a = s
            g += a
        return g

    def _old_products(self, c: int) -> int:
        """How much `c` raises the penalty of the products already formed."""
        pa, base, pen = self.pa, self.base, PENALTY
        g = 0
        prods = self.prods
        i = bisect_left(prods, c - _RADIUS)
        j = bisect_right(prods, c + _RADIUS, i)
        for q in range(i, j):
            p = prods[q]
            e = pen[abs(p - c)] - pa[p - base]
            if e > 0:
                g += e
        return g

    def _push(self, c: int, x: int, T: int, smin: int) -> tuple[int, int]:
        T += self._gain(c)
        for y, xy in zip(self.placed, self.placed_x, strict=True):
            h = _half_spacing(c, x, y, xy)
            smin = min(smin, h)
        new = []
        for y in self.placed:
            for p in (2 * c - y, 2 * y - c):
                if PRODUCT_MIN_MHZ <= p <= PRODUCT_MAX_MHZ:
                    new.append(p)
        self.prods = sorted(self.prods + new)
        a = max(PRODUCT_MIN_MHZ, c - _RADIUS)
        b = min(PRODUCT_MAX_MHZ, c + _RADIUS) + 1
        if a < b:
            pa, base = self.pa, self.base
            pa[a - base : b - base] = map(
                max, pa[a - base : b - base], _WINDOW[a - c + _RADIUS : b - c + _RADIUS]
            )
        self.placed.append(c)
        self.placed_x.append(x)
        return T, smin

    # -- public entry

    def run(
        self,
        mode: int,
        need0: int,
        r_lo: int | None = None,
        *,
        first_only: bool = False,
    ):
        """One search; returns (best (rating, spacing) or None, picks or None).

        _FEASIBLE: any set with spacing >= need0.  _MAX_S: the largest spacing >= need0 (among
        ratings >= r_lo when given).  _MAX_R: the best rating >= r_lo with spacing >= need0.
        _BEST: the best (rating, spacing) with rating >= r_lo and spacing >= need0, every tie
        compared by the leaf key.  ``first_only`` stops at the first set found.
        """
        self.first_only = first_only
        self.mode = mode
        self.need0 = need0
        self.best_key: tuple[int, int] | None = None
        self.best_sec = None
        self.best_picks: list[list[int]] | None = None
        self.stop = False
        t_lo = _INF if r_lo is None else max_total_for_rating(r_lo, self.n)
        self.use_T = mode != _FEASIBLE and t_lo < _INF
        # viable(t, s) = (t <= Tm1 and s >= need0) or (t <= Tm0 and s >= s_tie)
        if mode == _MAX_S:
            self.Tm1, self.Tm0, self.s_tie = -1, t_lo, need0
        elif mode in (_MAX_R, _MAX_RS, _BEST):
            self.Tm1, self.Tm0, self.s_tie = t_lo, -1, _INF
        else:
            self.Tm1, self.Tm0, self.s_tie = _INF, -1, _INF
        self.picks: list[list[int]] = [[] for _ in self.classes]
        lists = self._root_lists()
        if lists is not None and self._check(lists, 0, self.T0, self.s0):
            self._expand(0, lists, self.T0, self.s0)
        return self.best_key, self.best_picks

    def _root_lists(self):
        out = []
        fixed_f = set(self.placed)
        T = self.T0
        for cls in self.classes:
            F, H, CS = [], [], []
            for c in cls.cands:
                if c in fixed_f:
                    continue
                cs = _INF
                for y, xy in zip(self.placed, self.placed_x, strict=True):
                    cs = min(cs, _half_spacing(c, cls.x, y, xy))
                s = min(cs, self.s0)
                h = self._new_products(c) if self.use_T else 0
                if self.use_T and not self._viable(T + h + self._old_products(c), s):
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

    def _moves_lb(self, lists, ci: int) -> int:
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

    def _check(self, lists, ci: int, T: int, smin: int) -> bool:
        """Bounds for the node whose remaining classes are classes[ci:] with `lists`."""
        classes = self.classes
        tie_moves = self.best_sec[0] if self.mode == _BEST and self.best_sec else None
        if self.any_seated and (self.move_cap is not None or tie_moves is not None):
            lb_moves = self._moves_lb(lists, ci)
            if self.move_cap is not None and lb_moves > self.move_cap:
                return False
            if tie_moves is not None and lb_moves > tie_moves:
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
                lb += min(H) if r == 1 else sum(sorted(H)[:r])
        if lb <= self.Tm1 and smin >= self.need0:
            need = self.need0
        elif lb <= self.Tm0 and smin >= self.s_tie:
            need = self.s_tie
        else:
            return False
        for off, (F, _h, _cs) in enumerate(lists):
            cls = classes[ci + off]
            r = cls.k - len(self.picks[ci + off])
            if r <= 1:
                if r == 1 and not F:
                    return False
                continue
            if len(F) < r:
                return False
            gap = max(1, cls.x + (need + 1) // 2)
            cnt = 0
            last = -_INF
            for c in F:
                if c - last >= gap:
                    cnt += 1
                    if cnt >= r:
                        break
                    last = c
            if cnt < r:
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
        if self.first_only or self.mode == _FEASIBLE:
            self.best_key, self.best_sec, self.best_picks = key, sec, picks
            self.stop = True
            return
        if self.mode == _MAX_S:
            if self.best_key is None or smin > self.best_key[1]:
                self.best_key, self.best_picks = key, picks
                self.s_tie = smin + 1
            return
        if self.mode == _MAX_R:
            if self.best_key is None or key[0] > self.best_key[0]:
                self.best_key, self.best_picks = key, picks
                self.Tm1 = max_total_for_rating(key[0] + 1, self.n)
            return
        if self.mode == _MAX_RS:
            if self.best_key is None or key > self.best_key:
                self.best_key, self.best_picks = key, picks
                r, s = key
                self.Tm1 = max_total_for_rating(r + 1, self.n)
                self.Tm0 = max_total_for_rating(r, self.n)
                self.s_tie = s + 1
            return
        if self.best_key is None or key > self.best_key:
            self.best_key, self.best_sec, self.best_picks = key, sec, picks
            r, s = key
            self.Tm1 = max_total_for_rating(r + 1, self.n)
            self.Tm0 = max_total_for_rating(r, self.n)
            self.s_tie = s
        elif key == self.best_key and sec < self.best_sec:
            self.best_sec, self.best_picks = sec, picks

    def _expand(self, ci: int, lists, T: int, smin: int) -> None:
        """Try every next pick of class ci (ascending)."""
        if self.stop:
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
        use_T = self.use_T
        pa, base, pen = self.pa, self.base, PENALTY
        placed, placed_x = self.placed, self.placed_x
        cx = cls.x
        lo_p, hi_p = PRODUCT_MIN_MHZ, PRODUCT_MAX_MHZ
        L = len(F)
        if r > 1:
            # suffix packing counts for the current class: fit[i] = most picks from F[i:]
            # spaced by `gap`; a child at idx needs fit[first index >= F[idx] + gap] >= r - 1.
            # (The need can only grow during the loop, so these counts stay upper bounds.)
            need = self.need0 if self.need0 < self.s_tie else self.s_tie
            gap = max(1, cx + (need + 1) // 2)
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
            if use_T:
                # low[i] = sum of the r-1 smallest (stale, hence lower-bound) gains in H[i:]
                m = r - 1
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
                    low[i] = acc if len(heap) == m else _INF
                low[L] = 0 if m == 0 else _INF
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
            if use_T:
                # exact IMD gain of c (products with every placed signal + existing products)
                g = 0
                for y in placed:
                    d = c - y if c > y else y - c
                    p = 2 * y - c
                    a = pa[p - base]
                    s = pen[2 * d]
                    if s > a and lo_p <= p <= hi_p:
                        a = s
                    g += a
                    p = 2 * c - y
                    a = pa[p - base]
                    s = pen[d]
                    if s > a and lo_p <= p <= hi_p:
                        a = s
                    g += a
                prods = self.prods
                i = bisect_left(prods, c - _RADIUS)
                j = bisect_right(prods, c + _RADIUS, i)
                for q in range(i, j):
                    p = prods[q]
                    e = pen[abs(p - c)] - pa[p - base]
                    if e > 0:
                        g += e
                T2 = T + g
            else:
                T2 = 0
            if not self._pre_ok(T2, s2, s2):
                continue
            if r == 1 and last_class:
                my_picks.append(c)
                self._leaf(T2, s2)
                my_picks.pop()
                continue
            # ---- place c
            old_prods = self.prods
            if use_T:
                new = []
                for y in placed:
                    p = 2 * c - y
                    if lo_p <= p <= hi_p:
                        new.append(p)
                    p = 2 * y - c
                    if lo_p <= p <= hi_p:
                        new.append(p)
                prods = sorted(old_prods + new) if new else old_prods
                self.prods = prods
                wa = max(lo_p, c - _RADIUS)
                wb = min(hi_p, c + _RADIUS) + 1
                if wa < wb:
                    saved = pa[wa - base : wb - base]
                    pa[wa - base : wb - base] = map(
                        max, saved, _WINDOW[wa - c + _RADIUS : wb - c + _RADIUS]
                    )
                else:
                    saved = None
            placed.append(c)
            placed_x.append(cx)
            my_picks.append(c)
            # ---- filter the remaining candidate lists against c
            Tm1, Tm0, need0, s_tie = self.Tm1, self.Tm0, self.need0, self.s_tie
            floor = need0 if need0 < s_tie else s_tie
            child = []
            if r > 1:
                todo = [(cx, F[idx + 1 :], H[idx + 1 :], CS[idx + 1 :])]
                nci = ci
            else:
                todo = []
                nci = ci + 1
            for off, (F2, H2, CS2) in enumerate(rest):
                todo.append((classes[ci + 1 + off].x, F2, H2, CS2))
            for x2, F2, H2, CS2 in todo:
                nF, nH, nCS = [], [], []
                for f2, h2, cs2 in zip(F2, H2, CS2, strict=True):
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
                        p = 2 * c - f2
                        a = pa[p - base]
                        s = pen[2 * d]
                        if s > a and lo_p <= p <= hi_p:
                            a = s
                        h2 += a
                        p = 2 * f2 - c
                        a = pa[p - base]
                        s = pen[d]
                        if s > a and lo_p <= p <= hi_p:
                            a = s
                        h2 += a
                        t = T2 + h2
                        i = bisect_left(prods, f2 - _RADIUS)
                        j = bisect_right(prods, f2 + _RADIUS, i)
                        for q in range(i, j):
                            p = prods[q]
                            e = pen[abs(p - f2)] - pa[p - base]
                            if e > 0:
                                t += e
                        if not ((t <= Tm1 and sc >= need0) or (t <= Tm0 and sc >= s_tie)):
                            continue
                    nF.append(f2)
                    nH.append(h2)
                    nCS.append(cs2)
                child.append((nF, nH, nCS))
            if self._check(child, nci, T2, s2):
                self._expand(nci, child, T2, s2)
            # ---- undo
            my_picks.pop()
            placed.pop()
            placed_x.pop()
            if use_T:
                self.prods = old_prods
                if saved is not None:
                    pa[wa - base : wb - base] = saved


# --------------------------------------------------------------------------- matching helpers


def _hall_violation(options: dict[str, list[int]]) -> tuple[list[str], set[int]] | None:
    """Perfect matching of pilots to distinct frequencies; on failure a Hall violator
    (pilots, the frequencies they can use together) with fewer frequencies than pilots."""
    match_f: dict[int, str] = {}

    def augment(pid: str, seen_p: set[str], seen_f: set[int]) -> bool:
        seen_p.add(pid)
        for f in options[pid]:
            if f in seen_f:
                continue
            seen_f.add(f)
            if f not in match_f or augment(match_f[f], seen_p, seen_f):
                match_f[f] = pid
                return True
        return False

    for pid in sorted(options):
        seen_p: set[str] = set()
        seen_f: set[int] = set()
        if not augment(pid, seen_p, seen_f):
            return sorted(seen_p), seen_f
    return None


def _assign_class(pilots: list[PilotSlot], chans: list[int]) -> tuple[int, int, dict[str, int]]:
    """Best matching of a class's pilots to its chosen channels: fewest moves, then most
    preferences, then lexicographically smallest (pilots by id get the lowest channels)."""
    pil = sorted(pilots, key=lambda p: p.pilot_id)
    k = len(pil)
    special = any(p.current_mhz is not None or p.preferred_mhz is not None for p in pil)
    if not special:
        return 0, 0, {p.pilot_id: f for p, f in zip(pil, chans, strict=True)}
    seated = sum(1 for p in pil if p.current_mhz is not None)
    big = k + 1

    def w(p: PilotSlot, f: int) -> int:
        return (big if p.current_mhz == f else 0) + (1 if p.preferred_mhz == f else 0)

    if k > 10:  # greedy (exact when current/preferred frequencies are distinct)
        free = list(chans)
        out: dict[str, int] = {}
        for attr in ("current_mhz", "preferred_mhz"):
            for p in pil:
                f = getattr(p, attr)
                if p.pilot_id not in out and f in free:
                    out[p.pilot_id] = f
                    free.remove(f)
        for p in pil:
            if p.pilot_id not in out:
                out[p.pilot_id] = free.pop(0)
        stays = sum(1 for p in pil if out[p.pilot_id] == p.current_mhz)
        prefs = sum(1 for p in pil if out[p.pilot_id] == p.preferred_mhz)
        return seated - stays, prefs, out
    memo: dict[tuple[int, int], int] = {}

    def best(i: int, mask: int) -> int:
        if i == k:
            return 0
        key = (i, mask)
        if key in memo:
            return memo[key]
        v = -1
        for b, f in enumerate(chans):
            if not mask >> b & 1:
                v = max(v, w(pil[i], f) + best(i + 1, mask | 1 << b))
        memo[key] = v
        return v

    total = best(0, 0)
    out = {}
    mask = 0
    for i, p in enumerate(pil):
        target = best(i, mask)
        for b, f in enumerate(chans):
            if not mask >> b & 1 and w(p, f) + best(i + 1, mask | 1 << b) == target:
                out[p.pilot_id] = f
                mask |= 1 << b
                break
    stays = total // big
    prefs = total % big
    return seated - stays, prefs, out


# --------------------------------------------------------------------------- group solver


@dataclass
class _Range:
    lo: int | None
    hi: int | None

    def contains(self, f: int) -> bool:
        return (self.lo is None or f >= self.lo) and (self.hi is None or f <= self.hi)

    @property
    def where(self) -> str:
        """ " in 5650-5925 MHz" (empty without limits), to append to a sentence."""
        return "" if self.lo is None and self.hi is None else f" in {self}"

    def __str__(self) -> str:
        if self.lo is None and self.hi is None:
            return "any frequency"
        if self.lo is None:
            return f"<= {self.hi} MHz"
        if self.hi is None:
            return f">= {self.lo} MHz"
        return f"{self.lo}-{self.hi} MHz"


def _validate(pilots: Sequence[PilotSlot], rng: _Range) -> dict[str, list[int]]:
    """Checks the input and returns each pilot's candidate frequencies."""
    if rng.lo is not None and rng.hi is not None and rng.lo > rng.hi:
        raise InvalidPilots(f"empty legal range: min {rng.lo} MHz > max {rng.hi} MHz")
    ids = set()
    options: dict[str, list[int]] = {}
    for p in pilots:
        if not isinstance(p, PilotSlot):
            raise InvalidPilots(f"expected PilotSlot, got {type(p).__name__}")
        if p.pilot_id in ids:
            raise InvalidPilots(f"pilot {p.pilot_id!r} is listed twice")
        ids.add(p.pilot_id)
        _check_own_channels(p, rng)
        if p.locked:
            if p.current_mhz is None:
                raise InvalidPilots(f"pilot {p.pilot_id} is locked but has no current channel")
            options[p.pilot_id] = [p.current_mhz]
            continue
        cands = [f for f in p.equipment.frequencies() if rng.contains(f)]
        if not cands:
            raise NoChannelInRange(
                f"pilot {p.pilot_id}: {p.equipment.display_name} has no channel{rng.where}"
            )
        options[p.pilot_id] = cands
    locked_at: dict[int, str] = {}
    for p in sorted((p for p in pilots if p.locked), key=lambda p: p.pilot_id):
        f = p.current_mhz
        assert f is not None
        if f in locked_at:
            raise LockedChannelConflict(
                f"pilots {locked_at[f]} and {p.pilot_id} are both locked on {f} MHz; "
                "unlock one of them"
            )
        locked_at[f] = p.pilot_id
    return options


def _check_own_channels(p: PilotSlot, rng: _Range) -> None:
    """A seated, locked or preferred frequency must be a whole MHz the pilot's equipment can
    tune, and a seated or locked one must lie inside the legal range."""
    for what, f in (("on", p.current_mhz), ("prefers", p.preferred_mhz)):
        if f is None:
            continue
        if isinstance(f, bool) or not isinstance(f, int):
            raise InvalidPilots(f"pilot {p.pilot_id}: frequency must be whole MHz, got {f!r}")
        if p.equipment.label(f) is None:
            state = "locked on" if p.locked and what == "on" else what
            raise InvalidPilots(
                f"pilot {p.pilot_id} is {state} {f} MHz, which {p.equipment.display_name} "
                "cannot tune"
            )
    f = p.current_mhz
    if f is not None and not rng.contains(f):
        state = "locked" if p.locked else "seated"
        error = LockedChannelConflict if p.locked else InvalidPilots
        raise error(f"pilot {p.pilot_id} is {state} on {f} MHz, outside the legal range {rng}")


def _fit_message(pilots: list[PilotSlot], violator: tuple[list[str], set[int]], rng: _Range) -> str:
    ids, freqs = violator
    by_id = {p.pilot_id: p for p in pilots}
    kinds = sorted({str(by_id[i].equipment) for i in ids})
    locked = [i for i in ids if by_id[i].locked]
    msg = (
        f"{len(ids)} pilots ({', '.join(ids)}; equipment {', '.join(kinds)}) can use only "
        f"{len(freqs)} distinct channel(s){rng.where}"
    )
    if locked:
        msg += f" (locked: {', '.join(locked)})"
    return msg


class _GroupResult(NamedTuple):
    freqs: dict[str, int]
    optimal: bool


def _solve_group(
    pilots: list[PilotSlot],
    options: dict[str, list[int]],
    max_moves: int | None,
    node_limit: int,
) -> _GroupResult:
    """Exact optimum for one heat (all pilots transmit at the same time)."""
    fixed_p = sorted((p for p in pilots if p.locked), key=lambda p: p.pilot_id)
    fixed = [(p.current_mhz, _excess(p.equipment.bandwidth_mhz)) for p in fixed_p]
    fixed_f = {f for f, _ in fixed}
    groups: dict[tuple[tuple[int, ...], int], list[PilotSlot]] = {}
    for p in pilots:
        if p.locked:
            continue
        cands = tuple(f for f in options[p.pilot_id] if f not in fixed_f)
        groups.setdefault((cands, _excess(p.equipment.bandwidth_mhz)), []).append(p)
    keys = sorted(groups, key=lambda g: (len(g[0]), g[0], g[1]))
    classes = [_Class(list(g[0]), g[1], len(groups[g])) for g in keys]
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
                cache[key] = _assign_class(members[i], ch)
            m, pr, a = cache[key]
            moves += m
            prefs += pr
            out.update(a)
        return moves, prefs, out

    order = sorted(p.pilot_id for p in pilots)

    def leaf_key(picks: list[list[int]]):
        # the moves cap (max_moves, or the tighter cap of a ties run) is checked by the search
        if search.mode != _BEST:
            return ()
        moves, prefs, out = assign(picks)
        return (moves, -prefs, tuple(out[i] for i in order))

    if not classes:
        return _GroupResult(dict(locked_assign), True)
    search = _Search(n, fixed, classes, leaf_key, node_limit)
    search.currents = current_sets
    search.seated = seated_counts
    search.any_seated = any(seated_counts)
    search.move_cap = max_moves
    search.moves_of = moves_of
    # one class and nobody seated or with a preference: the search order is the tie order
    search.has_secondary = (
        len(classes) > 1
        or any(seated_counts)
        or any(p.preferred_mhz is not None for m in members for p in m)
    )
    picks = _optimise(search)
    if picks is None:
        if search.aborted:
            raise ChannelError("channel search budget exhausted before any assignment")
        raise ChannelError(
            f"no assignment moves at most {max_moves} seated pilot(s); allow more moves"
        )
    optimal = not search.aborted
    _moves_count, _prefs, out = assign(picks)
    return _GroupResult(out, optimal)


def _optimise(search: _Search) -> list[list[int]] | None:
    """Drive the branch and bound through the objective's tiers.

    1. spacing tier: is a clean set (every pair >= 35 MHz) possible? else the largest minimum
       spacing S0 reachable (probes, then bisection); later searches keep spacing >= S0;
    2.+3. the best (rating, spacing) pair, one search improving strictly from the rating of a
       set already found (each improvement tightens the bounds);
    4. all ties on (R*, S*), compared by fewest moves, most preferences, smallest order. With
       nobody seated and no preferences in a single class, the first tie in search order (the
       ascending set) is that tie; with seated pilots, ties are asked for with a moves cap
       0, 1, 2, ... so the cap prunes.
    """
    key, picks = search.run(_FEASIBLE, _CLEAN_H)
    if key is not None:
        need0 = _CLEAN_H
    else:
        # no clean set: the largest reachable minimum spacing. Probe 69, 68, 66, 62, 54, 38,
        # 6, -58, ... (half-MHz) until a set is found, then bisect between it and the last miss
        miss = _CLEAN_H
        step = 1
        found = None
        while found is None:
            t = _CLEAN_H - step if step < 4096 else -_INF
            key, got = search.run(_FEASIBLE, t)
            if search.aborted:
                return None
            if key is not None:
                found, picks = key[1], got
            elif t == -_INF:
                return None
            else:
                miss = t
                step *= 2
        while miss - found > 1:
            t = (found + miss) // 2 if miss - found > 2 else found + 1
            key, got = search.run(_FEASIBLE, t)
            if search.aborted:
                break
            if key is not None:
                found, picks = key[1], got
            else:
                miss = t
        need0 = found
    fallback = picks
    assert fallback is not None
    floor_rating = _rating_of_picks(fallback, search.fixed)
    if not search.any_seated:
        # nobody can move: the objective is (floor, rating, spacing, preferences, order).
        # 2.+3. best (rating, spacing), strictly improving from a set already found
        key, picks = search.run(_MAX_RS, need0, floor_rating)
        if key is None or search.aborted:
            return picks or fallback
        # ties on (rating, spacing): most preferences, smallest order; without preferences
        # and with a single class the first tie in search order is the smallest
        _k, best = search.run(_BEST, key[1], key[0], first_only=not search.has_secondary)
        return best or picks
    # seated pilots: (floor, rating, FEWEST MOVES, spacing, preferences, order).
    # 3. the best rating R* (spacing only has to keep the floor)
    key, picks = search.run(_MAX_R, need0, floor_rating)
    if key is None or search.aborted:
        return picks or fallback
    # 4. ask for rating R* moving at most m = 0, 1, 2, ... pilots; a tight cap prunes hard, and
    # the first m with such a set is the fewest moves (every set of that run moves exactly m:
    # one moving fewer would have been found by an earlier run). The run then maximises the
    # spacing and compares preferences and order among the ties. This needs the cap to hold
    # for every set a run returns, not only for the nodes it prunes: _leaf enforces it.
    cap = search.move_cap
    upper = search.moves_of(picks)
    best = None
    for m in range(upper + 1):
        search.move_cap = m if cap is None else min(m, cap)
        _k, best = search.run(_BEST, need0, key[0])
        if best is not None or search.aborted:
            break
    search.move_cap = cap
    return best or picks


def _rating_of_picks(picks: list[list[int]], fixed: list[tuple[int, int]]) -> int:
    return imd_rating([f for f, _ in fixed] + [f for ch in picks for f in ch])


# --------------------------------------------------------------------------- heats


def _split(
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
        fits = (
            _hall_violation({p.pilot_id: options[p.pilot_id] for p in h}) is None for h in heats
        )
        if all(fits):
            return [sorted(h, key=lambda p: p.pilot_id) for h in heats]
    raise EquipmentCannotFit("cannot split the pilots into heats that fit their equipment")


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
                    f"{pa} on {ca} and {pb} on {cb}: {_fmt_mhz(sp)} MHz apart "
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
) -> Allocation:
    """The optimal channel for every pilot (objective in the module docstring).

    Pilots with ``current_mhz`` are already seated: moving them costs (fewest moves win among
    otherwise equal sets; ``max_moves`` caps them). ``locked`` pilots keep ``current_mhz``.
    When there are more pilots than ``max_heat_size`` or than their equipment can seat at once,
    they are split into the fewest balanced heats (``heats``, with a note); each heat gets its own
    optimum and frequencies may repeat across heats. ``max_heat_size=None`` never splits and
    raises instead. Raises a :class:`ChannelError` subclass with a specific message for
    impossible input.
    """
    pilots = list(pilots)
    rng = _Range(min_mhz, max_mhz)
    options = _validate(pilots, rng)
    if not pilots:
        return Allocation({}, 100, None)
    if max_moves is not None and max_moves < 0:
        raise InvalidPilots("max_moves cannot be negative")
    violation = _hall_violation(options)
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
        raise EquipmentCannotFit(_fit_message(pilots, violation, rng))
    if max_heat_size < 1:
        raise InvalidPilots("max_heat_size must be at least 1")
    heats = _split(pilots, options, max_heat_size)
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


def _seated_freqs(seated: Sequence[PilotSlot], rng: _Range) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in seated:
        if p.current_mhz is None:
            raise InvalidPilots(f"seated pilot {p.pilot_id} has no channel")
        _check_own_channels(p, rng)
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
    rng = _Range(min_mhz, max_mhz)
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
    rng = _Range(min_mhz, max_mhz)
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
            f"min spacing {_fmt_mhz(before_spacing)} -> {_fmt_mhz(result.min_spacing)} MHz, " + what
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
