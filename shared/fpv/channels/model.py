"""The allocator's model: equipment, channels, pilots, results, errors, spacing, input checks.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from fpv.channels.bands import (
    ANALOG_BAND_CODES,
    ANALOG_BANDS,
    ANALOG_BANDWIDTH_MHZ,
    DIGITAL_SYSTEM_IDS,
    DIGITAL_SYSTEMS,
)
from fpv.channels.imd import ImdReport

CLEAN_SPACING_MHZ = 35
DEFAULT_MAX_HEAT_SIZE = 8


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
    split_proven: bool | None = None  # split into heats: proven best (None when not split)
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


def excess_mhz(bandwidth_mhz: int) -> int:
    return max(0, bandwidth_mhz - ANALOG_BANDWIDTH_MHZ)


def effective_spacing(f1: int, bw1: int, f2: int, bw2: int) -> float:
    """Edge-aware spacing in MHz (see module docstring): centre distance minus half of each
    signal's width beyond the 20 MHz analog reference."""
    return abs(f1 - f2) - (excess_mhz(bw1) + excess_mhz(bw2)) / 2


def half_spacing(f1: int, x1: int, f2: int, x2: int) -> int:
    return 2 * abs(f1 - f2) - x1 - x2


def min_effective_spacing(signals: Iterable[tuple[int, int]]) -> float | None:
    """Smallest edge-aware spacing among (centre MHz, bandwidth MHz) signals."""
    sig = sorted(signals)
    best: int | None = None
    for i, (fa, bwa) in enumerate(sig):
        for fb, bwb in sig[i + 1 :]:
            h = half_spacing(fa, excess_mhz(bwa), fb, excess_mhz(bwb))
            if best is None or h < best:
                best = h
    return None if best is None else best / 2


def fmt_mhz(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


# --------------------------------------------------------------------------- input checks


@dataclass
class Range:
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


def validate(pilots: Sequence[PilotSlot], rng: Range) -> dict[str, list[int]]:
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
        check_own_channels(p, rng)
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


def check_own_channels(p: PilotSlot, rng: Range) -> None:
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
