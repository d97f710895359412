"""The results section's own parsing, run by Node.js on the page's module itself: the lap times it
reads from a typed table are the server's (`fpv.ratings.rotorhazard.lap_ms`), the table it shows
for editing reads back to the same results, and a malformed line is named, not sent."""

from __future__ import annotations

import shutil

import pytest

from fpv.ratings.rotorhazard import lap_ms
from tests.e2e.test_admin_page_modules import node

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="Node.js not installed (the page's build needs it)"
)

LAPS = ["0:12.345", "12.345", "1:02.5", "59.999", "2:00", "0:00.000", "", "abc", "12,5", "0:7.1"]


def test_lap_times_read_as_the_server_reads_them():
    got = node(
        'import { lapMs, lapText } from "./results.js";\n'
        "console.log(JSON.stringify(input.map((x) => [lapMs(x), lapText(lapMs(x))])));",
        LAPS,
    )
    for text, (ms, shown) in zip(LAPS, got, strict=True):
        expected = lap_ms(text.replace(",", ".")) if text else None
        assert ms == expected, text
        if ms:
            assert lap_ms(shown) == ms  # what the page shows reads back to the same time


def test_the_manual_table_round_trips_and_names_a_bad_line():
    rows = [
        {"source": "manual", "heat": "Финал", "position": 1, "callsign": "Korvin", "laps": 5,
         "fastest_lap_ms": 62_500},
        {"source": "manual", "heat": "Финал", "position": 2, "callsign": "Skywalker", "laps": 4,
         "fastest_lap_ms": None},
        {"source": "rotorhazard", "heat": "Heat 1", "position": 1, "callsign": "X", "laps": 1,
         "fastest_lap_ms": None},
    ]  # fmt: skip
    got = node(
        'import { manualText, parseManual } from "./results.js";\n'
        "const text = manualText(input);\n"
        'const bad = ["Heat 1; first; A", "Heat 1; 1; A\\nHeat 1; 2; Sky; walker; 3; 0:12"];\n'
        "console.log(JSON.stringify([text, parseManual(text), bad.map(parseManual)]));",
        rows,
    )
    text, parsed, bad = got
    assert text.splitlines()[0] == "Финал; 1; Korvin; 5; 1:02.500"
    assert parsed["results"][0] == {
        "heat": "Финал", "position": 1, "callsign": "Korvin", "laps": 5, "fastest_lap_ms": 62_500,
    }  # fmt: skip
    assert parsed["results"][1] == {
        "heat": "Финал",
        "position": 2,
        "callsign": "Skywalker",
        "laps": 4,
    }
    assert len(parsed["results"]) == 2  # RotorHazard's rows are not the manual table
    assert bad == [{"error": 1}, {"error": 2}]  # a place that is no number; a ";" too many
