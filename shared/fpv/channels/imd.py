"""Intermodulation (IMD) rating of a set of 5.8 GHz video frequencies.

The rating is the one of ET's IMDTabler v1.3, the measure the FPV race community uses:

* for every ordered pair i != j of the set, the third-order product is p = 2*f_i - f_j (MHz);
* products outside 5100..6099 MHz are ignored;
* d = distance from p to the nearest frequency of the set (f_i and f_j included);
* if d < 35 the pair adds (35 - d)**2 to a total;
* rating = 100 - trunc(trunc(total / 5) / n), integer division truncating toward zero as in
  Java (the total is never negative, so this is floor division here; the rating itself can be
  negative: 5760 5800 5840 rates -63).

Known values: R1 R3 R6 R7 -> 100, IMD6C -> 29, ETBest6 -> 67.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

PRODUCT_MIN_MHZ: Final = 5100
PRODUCT_MAX_MHZ: Final = 6099
IMD_RADIUS_MHZ: Final = 35

# PENALTY[d] = (35 - d)^2 for d < 35, else 0 (table for the allocator's hot loops).
PENALTY: tuple[int, ...] = tuple(
    (IMD_RADIUS_MHZ - d) ** 2 if d < IMD_RADIUS_MHZ else 0 for d in range(4096)
)


def _trunc_div(a: int, b: int) -> int:
    """Integer division truncating toward zero (Java semantics)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def rating_from_total(total: int, n: int) -> int:
    """IMDTabler rating for a penalty total over n frequencies (100 for n == 0)."""
    if n <= 0:
        return 100
    return 100 - _trunc_div(_trunc_div(total, 5), n)


def max_total_for_rating(rating: int, n: int) -> int:
    """The largest penalty total whose rating is still >= `rating` (-1 when none is)."""
    if n <= 0:
        return 10**12 if rating <= 100 else -1
    slack = 100 - rating
    if slack < 0:
        return -1
    # rating >= R  <=>  (total // 5) // n <= 100 - R  <=>  total <= 5 * (n * (100 - R) + n - 1) + 4
    return 5 * (n * slack + n - 1) + 4


@dataclass(frozen=True)
class ImdProduct:
    """One third-order product 2*f_i - f_j that lands within 35 MHz of a used frequency."""

    mhz: int
    f_i: int
    f_j: int
    victim_mhz: int  # the nearest frequency of the set
    distance: int
    penalty: int

    def __str__(self) -> str:
        return (
            f"2*{self.f_i}-{self.f_j} = {self.mhz} MHz, {self.distance} MHz from "
            f"{self.victim_mhz} (penalty {self.penalty})"
        )


@dataclass(frozen=True)
class ImdReport:
    rating: int
    total: int
    frequencies: tuple[int, ...]
    min_spacing: int | None  # smallest distance between two centre frequencies; None if n < 2
    closest_pair: tuple[int, int] | None
    products: tuple[ImdProduct, ...]  # every penalised product, worst first

    def worst(self, k: int = 3) -> tuple[ImdProduct, ...]:
        return self.products[:k]

    def summary(self) -> str:
        parts = [f"IMD rating {self.rating}"]
        if self.min_spacing is not None and self.closest_pair:
            a, b = self.closest_pair
            parts.append(f"min spacing {self.min_spacing} MHz ({a}/{b})")
        if self.products:
            parts.append("worst: " + "; ".join(str(p) for p in self.worst()))
        return ", ".join(parts)


def _products(freqs: tuple[int, ...]) -> list[ImdProduct]:
    found = []
    for i, fi in enumerate(freqs):
        for j, fj in enumerate(freqs):
            if i == j:
                continue
            p = 2 * fi - fj
            if p < PRODUCT_MIN_MHZ or p > PRODUCT_MAX_MHZ:
                continue
            victim = min(freqs, key=lambda f: (abs(p - f), f))
            d = abs(p - victim)
            if d < IMD_RADIUS_MHZ:
                found.append(ImdProduct(p, fi, fj, victim, d, (IMD_RADIUS_MHZ - d) ** 2))
    return found


def _normalise(freqs: Iterable[int]) -> tuple[int, ...]:
    out = []
    for f in freqs:
        if isinstance(f, bool) or int(f) != f:
            raise ValueError(f"frequency must be a whole number of MHz, got {f!r}")
        out.append(int(f))
    return tuple(out)


def imd_total(freqs: Iterable[int]) -> int:
    """Sum of the (35 - d)^2 penalties (the quantity the rating is computed from)."""
    return sum(p.penalty for p in _products(_normalise(freqs)))


def imd_rating(freqs: Iterable[int]) -> int:
    """ET IMDTabler v1.3 rating of the frequencies (MHz). Duplicates count as separate
    transmitters (and are heavily penalised: their products sit on a used frequency)."""
    fs = _normalise(freqs)
    return rating_from_total(imd_total(fs), len(fs))


def imd_report(freqs: Iterable[int]) -> ImdReport:
    """Rating plus what causes it: minimum spacing and the penalised products, worst first."""
    fs = _normalise(freqs)
    products = _products(fs)
    products.sort(key=lambda p: (-p.penalty, p.mhz, p.f_i, p.f_j))
    total = sum(p.penalty for p in products)
    ordered = sorted(fs)
    min_spacing = None
    closest = None
    for a, b in pairwise(ordered):
        if min_spacing is None or b - a < min_spacing:
            min_spacing, closest = b - a, (a, b)
    return ImdReport(
        rating=rating_from_total(total, len(fs)),
        total=total,
        frequencies=fs,
        min_spacing=min_spacing,
        closest_pair=closest,
        products=tuple(products),
    )
