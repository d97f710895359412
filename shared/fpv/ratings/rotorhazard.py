"""Reading RotorHazard's results exports (its bundled "data export" plugins): the JSON export
(`Results.heats[id].rounds[].leaderboard`, whose `meta.primary_leaderboard`, e.g.
`by_race_time`, lists entries with position, callsign, laps and fastest_lap; or the results
object alone) and the CSV export (sections: a heat's name, "Round N", then a header
row with Rank / Pilot / Laps / ... / Fastest and one row per pilot). Pure: no database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any


class ExportUnreadable(ValueError):
    """Not a RotorHazard results export we can read (the message says why)."""


@dataclass(frozen=True)
class HeatResult:
    heat: str
    round_no: int
    position: int
    callsign: str
    laps: int
    fastest_lap_ms: int | None


# headings of the CSV that are not a heat's name
_SECTION = re.compile(r":|summary|leaderboard|^heats$|^unclassified$", re.IGNORECASE)
_LAP = re.compile(r"^(?:(\d+):)?(\d+(?:\.\d+)?)$")


def lap_ms(value: Any) -> int | None:
    """'0:12.345' / '12.345' / 12345 (ms) → milliseconds; '', None, '0:00.000' → None."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value) if value > 0 else None
    match = _LAP.match(str(value).strip())
    if not match:
        return None
    ms = round((int(match[1] or 0) * 60 + float(match[2])) * 1000)
    return ms or None


def parse(data: bytes | str, filename: str = "") -> list[HeatResult]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExportUnreadable(f"not JSON ({exc.msg} at line {exc.lineno})") from None
        return parse_json(doc)
    return parse_csv(text)


def _entries(leaderboard: dict[str, Any]) -> list[dict[str, Any]]:
    meta = leaderboard.get("meta") or {}
    primary = meta.get("primary_leaderboard") or "by_race_time"
    entries = leaderboard.get(primary) or leaderboard.get("by_race_time") or []
    if not isinstance(entries, list):
        raise ExportUnreadable(f"leaderboard {primary!r} is not a list")
    return entries


def parse_json(doc: Any) -> list[HeatResult]:
    if not isinstance(doc, dict):
        raise ExportUnreadable("the JSON is not an object")
    results = doc.get("Results", doc)
    heats = results.get("heats") if isinstance(results, dict) else None
    if not isinstance(heats, dict):
        raise ExportUnreadable("no 'heats' in the results (export 'Results' from RotorHazard)")
    out: list[HeatResult] = []
    for heat_id, heat in sorted(heats.items(), key=lambda kv: _as_int(kv[0], 0)):
        name = str(heat.get("displayname") or f"Heat {heat_id}")[:100]
        for index, heat_round in enumerate(heat.get("rounds") or [], start=1):
            round_no = _as_int(heat_round.get("id"), index)
            for entry in _entries(heat_round.get("leaderboard") or {}):
                callsign = str(entry.get("callsign") or "").strip()
                position = _as_int(entry.get("position"), 0)
                if not callsign or position < 1:
                    continue
                fastest = entry.get("fastest_lap_raw") or entry.get("fastest_lap")
                out.append(
                    HeatResult(
                        name,
                        round_no,
                        position,
                        callsign[:64],
                        _as_int(entry.get("laps"), 0),
                        lap_ms(fastest),
                    )
                )
    if not out:
        raise ExportUnreadable("the export holds no heat results")
    return out


def parse_csv(text: str) -> list[HeatResult]:
    rows = list(csv.reader(io.StringIO(text)))
    out: list[HeatResult] = []
    title: str | None = None  # the last heading that can be a heat's name
    heat: str | None = None  # set by a "Round N" line: only rounds' tables are results
    round_no = 1
    header: dict[str, int] | None = None
    for row in rows:
        cells = [c.strip() for c in row]
        filled = [c for c in cells if c]
        if not filled:
            header = None
            continue
        if len(filled) == 1 and header is None:
            match = re.fullmatch(r"(?:Round|Раунд)\s+(\d+)", filled[0])
            if match:
                heat, round_no = title, int(match[1])
            else:
                heat = None  # summaries and event/class leaderboards are not heat results
                if not _SECTION.search(filled[0]):
                    title = filled[0][:100]
            continue
        lowered = [c.lower() for c in cells]
        if "rank" in lowered and "pilot" in lowered:
            header = {name: lowered.index(name) for name in lowered if name}
            continue
        if header is None or heat is None:
            continue
        callsign = cells[header["pilot"]]
        position = _as_int(cells[header["rank"]], 0)
        if not callsign or position < 1:
            continue
        fastest_at = header.get("fastest")
        out.append(
            HeatResult(
                heat,
                round_no,
                position,
                callsign[:64],
                _as_int(cells[header["laps"]], 0) if "laps" in header else 0,
                lap_ms(cells[fastest_at]) if fastest_at is not None else None,
            )
        )
    if not out:
        raise ExportUnreadable("no heat results found (export 'Results' as CSV from RotorHazard)")
    return out


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
