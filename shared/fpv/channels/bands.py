"""5.8 GHz FPV band tables: analog bands and digital systems (pure data, no I/O).

Values are copied from the project's reference table ``fpv/channels/bands.json`` (beside this
module; it cites the RotorHazard, Betaflight, HDZero firmware and FPVTrackside sources of every
band); the package never reads that file at run time, and ``tests/unit/test_channels_bands.py``
keeps the two equal.

One frequency can have several names (R7 = F8 = 5880 MHz). Labels are therefore always produced
for a given piece of equipment: a pilot whose VTX has bands "F,R" sees 5880 as "F8", one with
"R,F" sees "R7" (the first of the pilot's bands that has the frequency wins).

Occupied bandwidth. Analog video is treated as ``ANALOG_BANDWIDTH_MHZ`` (20 MHz) wide: that is the
reference width for which the field's "35 MHz between channels" rule of thumb is stated. Digital
systems have a nominal occupied bandwidth per system (below). Those figures are the ones their
band tables are named after (e.g. "DJI V1 25 MHz / 50 MHz", "DJI O3 10/20 MHz / 40 MHz"); the
HDZero figure is the commonly quoted ~27 MHz of its standard mode. They are planning values, not
measurements; see the ``notes`` of each system.
"""

from __future__ import annotations

from dataclasses import dataclass

ANALOG_BANDWIDTH_MHZ = 20

# The 5.8 GHz FPV band: the lowest and highest centre of the R F A B E tables (E4 5645, E8 5945).
# Band L (5362-5621 MHz) lies below it and is legal only where a licence allows it.
BAND_58_MIN_MHZ = 5645
BAND_58_MAX_MHZ = 5945


@dataclass(frozen=True)
class Band:
    """An analog band: 8 channels in channel-number order (not necessarily ascending)."""

    code: str
    name: str
    channels: tuple[int, ...]
    source: str
    notes: str = ""

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f"{self.code}{i}" for i in range(1, len(self.channels) + 1))

    def label(self, mhz: int) -> str | None:
        for i, f in enumerate(self.channels, start=1):
            if f == mhz:
                return f"{self.code}{i}"
        return None


@dataclass(frozen=True)
class DigitalSystem:
    """A digital video system: its channel plan, labels and nominal occupied bandwidth."""

    id: str
    name: str
    bandwidth_mhz: int
    channels: tuple[int, ...]
    labels: tuple[str, ...]
    band_code: str  # RotorHazard / FPVTrackside band letter the table comes from
    source: str
    notes: str = ""

    def __post_init__(self) -> None:
        if len(self.channels) != len(self.labels):
            raise ValueError(f"{self.id}: channels and labels differ in length")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"{self.id}: duplicate channel frequency")

    def label(self, mhz: int) -> str | None:
        for f, name in zip(self.channels, self.labels, strict=True):
            if f == mhz:
                return name
        return None


_RH = "RotorHazard/RotorHazard src/server/static/rotorhazard.js (freq.frequencies) @06b2ec06"
_RH_CHART = (
    "RotorHazard/RotorHazard doc/img/Frequency Reference Chart 2024-02-18.png (Rev 2024-12-11)"
)
_FPVTS = "uewepuep/FPVTracksideCore RaceLib/Channel.cs @6cb41e5b"

ANALOG_BANDS: dict[str, Band] = {
    b.code: b
    for b in (
        Band(
            "R",
            "RaceBand (ImmersionRC/Fatshark 'Race', a.k.a. C band)",
            (5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917),
            f"{_RH}; hd-zero/hdzero-vtx src/common.h; Betaflight vtxtable RACEBAND",
        ),
        Band(
            "F",
            "Fatshark / ImmersionRC (IRC, 'Airwave')",
            (5740, 5760, 5780, 5800, 5820, 5840, 5860, 5880),
            f"{_RH}; Betaflight vtxtable FATSHARK",
            "F8 = R7 = 5880",
        ),
        Band(
            "A",
            "Boscam A (TBS/RC305)",
            (5865, 5845, 5825, 5805, 5785, 5765, 5745, 5725),
            _RH,
            "descending",
        ),
        Band("B", "Boscam B", (5733, 5752, 5771, 5790, 5809, 5828, 5847, 5866), _RH),
        Band(
            "E",
            "Boscam E (E band; 'DJI' in old charts)",
            (5705, 5685, 5665, 5645, 5885, 5905, 5925, 5945),
            _RH,
            "E4 5645, E7 5925, E8 5945 are zeroed in Betaflight US vtx tables "
            "(outside FCC 5650-5925 allocation)",
        ),
        Band(
            "L",
            "LowRace / Low RaceBand (37 MHz step, = RaceBand - 296 MHz)",
            (5362, 5399, 5436, 5473, 5510, 5547, 5584, 5621),
            f"{_RH}; hd-zero/hdzero-vtx src/common.h FREQ_L1..L8; betaflight/betaflight PR #4959",
            "'L' is ambiguous across vendors: some firmware has a 40 MHz-step low band "
            "(5333 + 40*(ch-1)); this table is the 37 MHz one used by RotorHazard and HDZero.",
        ),
    )
}

ANALOG_BAND_CODES: tuple[str, ...] = tuple(ANALOG_BANDS)

_RACEBAND = ANALOG_BANDS["R"].channels
_DJI_V1_25 = (5660, 5695, 5735, 5770, 5805, 5878, 5914, 5839)  # CH1..CH8 (CH8 = public 5839)
_DJI_V1_50 = (5695, 5770, 5878)
_DJI_O3 = (5669, 5705, 5768, 5804, 5839, 5876, 5912)


def _numbered(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))


DIGITAL_SYSTEMS: dict[str, DigitalSystem] = {
    s.id: s
    for s in (
        DigitalSystem(
            "dji-v1-25",
            "DJI V1 (FPV Air Unit / Vista / Caddx Vista), 25 MHz mode",
            25,
            _DJI_V1_25,
            _numbered("DJI V1 CH", 8),
            "D",
            f"{_RH_CHART}; {_FPVTS} DJIFPVHD",
            "D6 is published as 5878 (RotorHazard's js uses 5880). The DUML frequency table of "
            "the DJI FPV system puts CH1 at 5650-5670, i.e. ~20 MHz really occupied; 25 MHz is "
            "used here as the conservative planning width.",
        ),
        DigitalSystem(
            "dji-v1-50",
            "DJI V1 (FPV Air Unit / Vista), 50 MHz mode",
            50,
            _DJI_V1_50,
            _numbered("DJI V1 50M CH", 3),
            "J",
            _RH_CHART,
        ),
        DigitalSystem(
            "dji-o3",
            "DJI O3 Air Unit, 10/20 MHz bandwidth",
            20,
            _DJI_O3,
            _numbered("DJI O3 CH", 7),
            "O",
            f"{_RH}; {_RH_CHART}; {_FPVTS}",
            "Planned at 20 MHz (the wider of the 10/20 MHz modes).",
        ),
        DigitalSystem(
            "dji-o3-40",
            "DJI O3 Air Unit, 40 MHz bandwidth",
            40,
            (5677, 5794, 5902),
            _numbered("DJI O3 40M CH", 3),
            "Q",
            f"{_RH}; {_RH_CHART}",
        ),
        DigitalSystem(
            "dji-o4",
            "DJI O4 Air Unit (O3 channel plan), 20 MHz bandwidth",
            20,
            _DJI_O3,
            _numbered("DJI O4 CH", 7),
            "O",
            f"{_RH_CHART} (O band)",
            "Assumes the O4 uses the O3 channel plan at 20 MHz; not verified against DJI docs.",
        ),
        DigitalSystem(
            "dji-o4-race",
            "DJI O4 Air Unit, race channels (RaceBand centres), 20 MHz bandwidth",
            20,
            _RACEBAND,
            _numbered("DJI O4 R", 8),
            "O4R",
            f"{_FPVTS} (case Band.DJIO4: RaceBand frequency)",
            "Not independently verified against DJI docs; width assumed 20 MHz.",
        ),
        DigitalSystem(
            "walksnail",
            "Walksnail Avatar, 25 MHz mode (DJI V1 compatible channels)",
            25,
            _DJI_V1_25,
            _numbered("Walksnail CH", 8),
            "D",
            f"{_RH_CHART}; {_FPVTS}",
        ),
        DigitalSystem(
            "walksnail-50",
            "Walksnail Avatar, 50 MHz mode",
            50,
            _DJI_V1_50,
            _numbered("Walksnail 50M CH", 3),
            "J",
            _RH_CHART,
        ),
        DigitalSystem(
            "walksnail-race",
            "Walksnail Avatar, race channels (RaceBand centres)",
            25,
            _RACEBAND,
            _numbered("Walksnail R", 8),
            "WSR",
            f"{_FPVTS} (case Band.WalkSnail: 5658+37*(ch-1))",
            "Not independently verified; width assumed 25 MHz like the normal mode.",
        ),
        DigitalSystem(
            "hdzero",
            "HDZero VTX (firmware channel table)",
            27,
            (
                *_RACEBAND,
                5705,
                5740,
                5760,
                5800,
                *ANALOG_BANDS["L"].channels,
            ),
            (
                *(f"HDZero R{i}" for i in range(1, 9)),
                "HDZero E1",
                "HDZero F1",
                "HDZero F2",
                "HDZero F4",
                *(f"HDZero L{i}" for i in range(1, 9)),
            ),
            "HDZ",
            "hd-zero/hdzero-vtx src/common.h (FREQ_R1..R8, E1, F1, F2, F4, L1..L8), "
            f"src/dm6300.c freq_tab; {_FPVTS}",
            "L1-L8 need an unlock (hd-zero/hdzero-vtx PR #145). Width ~27 MHz (standard mode) "
            "is a planning value.",
        ),
    )
}

DIGITAL_SYSTEM_IDS: tuple[str, ...] = tuple(DIGITAL_SYSTEMS)


def all_analog_frequencies() -> tuple[int, ...]:
    """Every distinct frequency of the analog bands R F A B E L, ascending."""
    return tuple(sorted({f for b in ANALOG_BANDS.values() for f in b.channels}))


def analog_names(mhz: int) -> tuple[str, ...]:
    """Every analog name of a frequency, in band order: analog_names(5880) == ("R7", "F8")."""
    names = []
    for band in ANALOG_BANDS.values():
        name = band.label(mhz)
        if name:
            names.append(name)
    return tuple(names)


def parse_analog_label(text: str) -> int | None:
    """'R7' -> 5880; None when the text is not an analog channel name."""
    text = text.strip().upper()
    if len(text) < 2 or text[0] not in ANALOG_BANDS or not text[1:].isdigit():
        return None
    index = int(text[1:])
    channels = ANALOG_BANDS[text[0]].channels
    if 1 <= index <= len(channels):
        return channels[index - 1]
    return None
