"""The admin page's own computations, run by Node.js on the page's modules themselves: the IMD
rating it previews must be the server's (`fpv.channels.imd`). (CSV files come from the API:
tests/unit/test_exports_render.py.)"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fpv.channels.imd import imd_rating

SRC = Path(__file__).resolve().parents[2] / "static_site" / "admin" / "src"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None, reason="Node.js not installed (the page's build needs it)"
)


def node(script: str, payload: object) -> object:
    """Runs an ES module snippet with `input` bound to the payload; returns what it prints."""
    code = f"const input = JSON.parse(process.argv[1]);\n{script}"
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", code, json.dumps(payload)],
        cwd=SRC,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


ANALOG = sorted(
    {
        *(5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917),
        *(5740, 5760, 5780, 5800, 5820, 5840, 5860, 5880),
        *(5865, 5845, 5825, 5805, 5785, 5765, 5745, 5725),
        *(5733, 5752, 5771, 5790, 5809, 5828, 5847, 5866),
        *(5705, 5685, 5665, 5645, 5885, 5905, 5925, 5945),
    }
)


def test_the_previewed_rating_is_the_servers():
    rng = random.Random(20261202)
    sets = [
        [5658, 5732, 5843, 5880],  # R1 R3 R6 R7: 100
        [5658, 5695, 5760, 5800, 5880, 5917],  # IMD6C: 29
        [5645, 5685, 5760, 5805, 5905, 5945],  # ETBest6: 67
        [5760, 5800, 5840],  # -63
        [5740, 5740],  # a duplicate
    ]
    sets += [rng.sample(ANALOG, rng.randint(2, 8)) for _ in range(300)]
    sets += [[rng.randint(5100, 6099) for _ in range(rng.randint(2, 8))] for _ in range(100)]
    got = node(
        'import { imdRating } from "./imd.js";\n'
        "console.log(JSON.stringify(input.map((s) => imdRating(s))));",
        sets,
    )
    assert got[:4] == [100, 29, 67, -63]
    assert got == [imd_rating(s) for s in sets]


def test_the_analog_channel_list_matches_the_design_tables():
    got = node(
        'import { analogChannels } from "./imd.js";\n'
        "console.log(JSON.stringify(analogChannels(input[0], input[1])));",
        [5650, 5925],
    )
    assert [c["mhz"] for c in got] == [f for f in ANALOG if 5650 <= f <= 5925]
    labels = {c["mhz"]: c["label"] for c in got}
    assert labels[5658] == "R1" and labels[5880] == "R7" and labels[5760] == "F2"


def test_venue_local_times_become_the_right_instants():
    cases = [
        ("2027-02-10T18:00", "Europe/Moscow"),
        ("2027-02-10T18:00", "Asia/Novosibirsk"),
        ("2027-03-28T01:30", "Europe/Berlin"),  # the night clocks go forward
        ("2027-10-31T04:30", "Europe/Berlin"),  # and back
        ("2027-07-01T23:45", "America/New_York"),
    ]
    got = node(
        'import { venueLocalToIso, isoToVenueLocal } from "./format.js";\n'
        "console.log(JSON.stringify(input.map(([l, z]) => {\n"
        "  const iso = venueLocalToIso(l, z);\n"
        "  return [iso, isoToVenueLocal(iso, z)];\n"
        "})));",
        cases,
    )
    for (local, zone), (iso, back) in zip(cases, got, strict=True):
        expected = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
        assert datetime.fromisoformat(iso.replace("Z", "+00:00")) == expected, (local, zone)
        assert back == local
