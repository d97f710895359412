"""`fpv channels rate ...`, `fpv channels pick ...` and `fpv channels plan TRAINING_ID`.

    fpv channels rate 5658 5695 5760          # IMD rating (frequencies or analog names: R1 F2)
    fpv channels rate -q R1 R3 R6 R7          # just the number
    fpv channels pick --pilot R,F --pilot dji-o3 --pilot alice=A,B@5745 --min-mhz 5650
    fpv channels pick --json pilots.json      # or "-" for stdin
    fpv channels plan 12 [--apply]            # a training's plan from the database

The legal range defaults to the 5.8 GHz band (5645-5945 MHz, centres); ``--band-l`` adds band L
(from 5362 MHz), ``--min-mhz``/``--max-mhz`` (or ``min_mhz``/``max_mhz`` in JSON) set it exactly.

A ``--pilot`` is ``[ID=]EQUIPMENT[@MHZ[!]][~MHZ]``: equipment as in ``Equipment.parse``
("R,F", "analog", "dji-o3", ...), ``@MHZ`` the channel the pilot already has (``!`` = locked),
``~MHZ`` a preferred channel. Without ID pilots are named p1, p2, ... The JSON form is either a
list of pilots or ``{"pilots": [...], "min_mhz": ..., "max_mhz": ..., "max_moves": ...,
"max_heat_size": ...}`` with pilots ``{"id", "equipment", "current_mhz", "locked",
"preferred_mhz"}``. Bad input: one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpv.channels.allocator import (
    CLEAN_SPACING_MHZ,
    DEFAULT_MAX_HEAT_SIZE,
    Allocation,
    ChannelError,
    Equipment,
    PilotSlot,
    allocate,
)
from fpv.channels.bands import (
    ANALOG_BANDS,
    BAND_58_MAX_MHZ,
    BAND_58_MIN_MHZ,
    parse_analog_label,
)
from fpv.channels.imd import imd_report

LOW_BAND_MIN_MHZ = min(ANALOG_BANDS["L"].channels)


class UsageError(ValueError):
    """Bad command-line input (reported as one line, exit code 2)."""


def register(subparsers: Any) -> None:
    """Add the `channels` command (with `rate` and `pick`) to an argparse subparsers object."""
    channels = subparsers.add_parser(
        "channels", help="VTX channels: IMD rating and allocation", description=__doc__
    )
    sub = channels.add_subparsers(dest="channels_command", required=True)

    rate = sub.add_parser("rate", help="print the IMD rating (ET IMDTabler v1.3) of frequencies")
    rate.add_argument("freqs", nargs="+", help="frequencies in MHz or analog names (R1, F8, ...)")
    rate.add_argument("-q", "--quiet", action="store_true", help="print only the rating")
    rate.set_defaults(func=cmd_rate)

    pick = sub.add_parser("pick", help="allocate channels to pilots and print the report")
    pick.add_argument(
        "--pilot",
        action="append",
        default=[],
        metavar="[ID=]EQUIPMENT[@MHZ[!]][~MHZ]",
        help="one pilot (repeat); e.g. R,F  dji-o3  bob=A,B@5745  eve=R@5658!",
    )
    pick.add_argument("--json", metavar="FILE", help="pilots (and options) as JSON; '-' = stdin")
    pick.add_argument(
        "--min-mhz",
        type=int,
        default=None,
        help=f"legal range, lowest centre MHz (default {BAND_58_MIN_MHZ})",
    )
    pick.add_argument(
        "--max-mhz",
        type=int,
        default=None,
        help=f"legal range, highest centre MHz (default {BAND_58_MAX_MHZ})",
    )
    pick.add_argument(
        "--band-l",
        action="store_true",
        help=f"also allow band L (from {LOW_BAND_MIN_MHZ} MHz; needs a licence in most places)",
    )
    pick.add_argument("--max-moves", type=int, default=None, help="move at most N seated pilots")
    pick.add_argument(
        "--heat-size",
        type=int,
        default=None,
        help=f"most pilots per heat (default {DEFAULT_MAX_HEAT_SIZE}; 0 = never split)",
    )
    pick.add_argument("--as-json", action="store_true", help="machine-readable output")
    pick.set_defaults(func=cmd_pick)

    plan = sub.add_parser(
        "plan",
        help="a training's current channels, the optimal plan, the moves and the gain",
        description="Reads the database. --apply does what the channel freeze does: moves the "
        "pilots (pinned channels stay), tells each moved pilot, records the freeze; a frozen "
        "training is left as it is.",
    )
    plan.add_argument("training_id", type=int, help="the training's id")
    plan.add_argument("--apply", action="store_true", help="apply the plan (the channel freeze)")
    plan.set_defaults(func=cmd_plan)


# --------------------------------------------------------------------------- rate


def _frequency(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        return int(text)
    mhz = parse_analog_label(text)
    if mhz is None:
        raise UsageError(f"not a frequency or analog channel name: {text!r}")
    return mhz


def cmd_rate(args: argparse.Namespace) -> int:
    try:
        freqs = [_frequency(f) for f in args.freqs]
    except UsageError as exc:
        return _fail(exc)
    outside = [f for f in freqs if not BAND_58_MIN_MHZ <= f <= BAND_58_MAX_MHZ]
    if outside:
        listed = ", ".join(str(f) for f in dict.fromkeys(outside))
        print(
            f"fpv channels: warning: {listed} MHz outside the 5.8 GHz band "
            f"({BAND_58_MIN_MHZ}-{BAND_58_MAX_MHZ} MHz)",
            file=sys.stderr,
        )
    report = imd_report(freqs)
    if args.quiet:
        print(report.rating)
        return 0
    print(f"IMD rating: {report.rating}")
    print(f"frequencies: {' '.join(str(f) for f in freqs)} MHz")
    if report.min_spacing is not None and report.closest_pair:
        a, b = report.closest_pair
        print(f"min spacing: {report.min_spacing} MHz ({a}/{b})")
    if report.products:
        print("worst products:")
        for p in report.worst(5):
            print(f"  {p}")
    return 0


# --------------------------------------------------------------------------- pick


def _parse_pilot(text: str, index: int) -> PilotSlot:
    spec = text.strip()
    pid = f"p{index}"
    if "=" in spec:
        pid, spec = (part.strip() for part in spec.split("=", 1))
        if not pid:
            raise UsageError(f"empty pilot id in {text!r}")
    preferred = None
    if "~" in spec:
        spec, pref = spec.split("~", 1)
        preferred = _int(pref, text)
    current = None
    locked = False
    if "@" in spec:
        spec, cur = spec.split("@", 1)
        if cur.endswith("!"):
            locked = True
            cur = cur[:-1]
        current = _int(cur, text)
    try:
        equipment = Equipment.parse(spec)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return PilotSlot(pid, equipment, current, locked, preferred)


def _int(value: Any, context: str) -> int:
    if isinstance(value, bool):
        raise UsageError(f"not a frequency in {context!r}: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    mhz = parse_analog_label(text)
    if mhz is None:
        raise UsageError(f"not a frequency in {context!r}: {value!r}")
    return mhz


def _pilot_from_json(item: Any, index: int) -> PilotSlot:
    if isinstance(item, str):
        return _parse_pilot(item, index)
    if not isinstance(item, dict):
        raise UsageError(f"pilot #{index} must be an object or a string")
    try:
        equipment = Equipment.parse(str(item["equipment"]))
    except KeyError:
        raise UsageError(f"pilot #{index} has no 'equipment'") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None

    def opt(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else _int(value, f"pilot #{index} {name}")

    locked = item.get("locked", False)
    if not isinstance(locked, bool):
        raise UsageError(f"pilot #{index} locked must be true or false, got {locked!r}")
    return PilotSlot(
        pilot_id=str(item.get("id", item.get("pilot_id", f"p{index}"))),
        equipment=equipment,
        current_mhz=opt("current_mhz"),
        locked=locked,
        preferred_mhz=opt("preferred_mhz"),
    )


def _load_json(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(data, list):
        data = {"pilots": data}
    if not isinstance(data, dict) or not isinstance(data.get("pilots"), list):
        raise UsageError(f"{source}: expected a list of pilots or an object with 'pilots'")
    return data


def _pick_inputs(args: argparse.Namespace) -> tuple[list[PilotSlot], dict[str, Any]]:
    options: dict[str, Any] = {}
    pilots: list[PilotSlot] = []
    if args.json:
        data = _load_json(args.json)
        pilots = [_pilot_from_json(item, i) for i, item in enumerate(data["pilots"], start=1)]
        for key in ("min_mhz", "max_mhz", "max_moves", "max_heat_size"):
            if data.get(key) is not None:
                options[key] = _int(data[key], key)
    start = len(pilots) + 1
    pilots += [_parse_pilot(text, i) for i, text in enumerate(args.pilot, start=start)]
    if not pilots:
        raise UsageError("no pilots: give --pilot EQUIPMENT (repeatable) or --json FILE")
    for name, value in (
        ("min_mhz", args.min_mhz),
        ("max_mhz", args.max_mhz),
        ("max_moves", args.max_moves),
    ):
        if value is not None:
            options[name] = value
    options.setdefault("min_mhz", LOW_BAND_MIN_MHZ if args.band_l else BAND_58_MIN_MHZ)
    options.setdefault("max_mhz", BAND_58_MAX_MHZ)
    if args.heat_size is not None:
        if args.heat_size < 0:
            raise UsageError("--heat-size cannot be negative")
        options["max_heat_size"] = args.heat_size or None
    return pilots, options


def cmd_pick(args: argparse.Namespace) -> int:
    try:
        pilots, options = _pick_inputs(args)
        result = allocate(pilots, **options)
    except (UsageError, ChannelError) as exc:
        return _fail(exc)
    if args.as_json:
        print(json.dumps(_as_dict(pilots, result), indent=2, ensure_ascii=False))
    else:
        print(format_allocation(pilots, result))
    return 0


def format_allocation(pilots: Sequence[PilotSlot], result: Allocation) -> str:
    by_id = {p.pilot_id: p for p in pilots}
    groups = result.heats or [sorted(result.assignments)]
    width = max([5, *(len(p.pilot_id) for p in pilots)])
    eq_width = max([9, *(len(str(p.equipment)) for p in pilots)])
    lines = []
    for h, ids in enumerate(groups, start=1):
        if result.heats:
            lines.append(f"heat {h} (IMD rating {result.heat_ratings[h - 1]}):")
        lines.append(f"{'pilot':<{width}}  {'equipment':<{eq_width}}  {'channel':<16}  MHz")
        for pid in sorted(ids, key=lambda i: (result.assignments[i].mhz, i)):
            ch = result.assignments[pid]
            lines.append(
                f"{pid:<{width}}  {by_id[pid].equipment!s:<{eq_width}}  {ch.label:<16}  {ch.mhz}"
            )
    spacing = "-" if result.min_spacing is None else f"{result.min_spacing:g} MHz"
    clean = (
        f"every pair >= {CLEAN_SPACING_MHZ} MHz"
        if result.clean
        else f"{len(result.conflicts)} pair(s) closer than {CLEAN_SPACING_MHZ} MHz"
    )
    lines.append(f"IMD rating {result.rating}, min spacing {spacing} ({clean})")
    if result.imd is not None and result.imd.products:
        lines.append("worst IMD products:")
        lines += [f"  {p}" for p in result.imd.worst(3)]
    if result.moves:
        lines.append("moves:")
        lines += [f"  {m}" for m in result.moves]
    if result.conflicts:
        lines.append("conflicts:")
        lines += [f"  {c}" for c in result.conflicts]
    lines += [f"note: {n}" for n in result.notes]
    if not result.optimal:
        lines.append("note: not proven optimal (search budget exhausted)")
    return "\n".join(lines)


def _as_dict(pilots: Sequence[PilotSlot], result: Allocation) -> dict[str, Any]:
    return {
        "assignments": {
            pid: {"mhz": ch.mhz, "label": ch.label, "bandwidth_mhz": ch.bandwidth_mhz}
            for pid, ch in sorted(result.assignments.items())
        },
        "rating": result.rating,
        "min_spacing": result.min_spacing,
        "moves": [
            {"pilot_id": m.pilot_id, "from_mhz": m.from_channel.mhz, "to_mhz": m.to_channel.mhz}
            for m in result.moves
        ],
        "conflicts": result.conflicts,
        "heats": result.heats,
        "heat_ratings": result.heat_ratings,
        "notes": result.notes,
        "optimal": result.optimal,
    }


# --------------------------------------------------------------------------- plan


def cmd_plan(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from fpv import runtime
    from fpv.actors import Actor
    from fpv.channels import plan as planning

    db = runtime.database()
    try:
        if args.apply:
            done = planning.freeze_training(
                db, args.training_id, datetime.now(UTC), actor=Actor(kind="system", via="cli")
            )
            if not done.frozen:
                the_plan = planning.plan(db, args.training_id)
                print(format_plan(the_plan))
                print(
                    "nothing changed: the channels are frozen already "
                    "(or the training is cancelled or has started)"
                )
                return 0
            assert done.plan is not None
            print(format_plan(done.plan))
            print(f"applied: {len(done.plan.moves)} move(s), {len(done.messages)} message(s)")
            return 0
        print(format_plan(planning.plan(db, args.training_id)))
    except planning.TrainingNotFound as exc:
        return _fail(exc)
    return 0


def format_plan(the_plan: Any) -> str:
    state = (
        f"channels frozen at {the_plan.frozen_at:%Y-%m-%d %H:%M %Z}"
        if the_plan.frozen_at
        else f"channels not frozen yet (they freeze {the_plan.freeze_hours} h before the start)"
    )
    lines = [f"training {the_plan.training_id} \u201c{the_plan.title}\u201d: {state}"]
    if not the_plan.heats:
        lines.append("nobody is seated")
    for heat in the_plan.heats:
        now = "-" if heat.current_rating is None else str(heat.current_rating)
        lines.append(
            f"heat {heat.heat}: current IMD rating {now}, min spacing "
            f"{_mhz(heat.current_spacing)}; optimal IMD rating {heat.rating}, min spacing "
            f"{_mhz(heat.spacing)}"
        )
        lines.append(f"  {'pilot':<20} {'equipment':<14} {'current':<32} optimal")
        for r in heat.seats:
            cur = f"{r['channel_label']} ({r['channel_mhz']} MHz)" if r["channel_mhz"] else "-"
            mhz, label = heat.assignments.get(r["id"], (None, None))
            new = f"{label} ({mhz} MHz)" if mhz else "-"
            pin = " pinned" if r["id"] in heat.pinned else ""
            name = r["nickname"] or f"#{r['id']}"
            lines.append(f"  {name:<20} {r['equipment']:<14} {cur:<32} {new}{pin}")
        for m in heat.moves:
            name = m.nickname or f"#{m.registration_id}"
            lines.append(f"  move {name}: {m.from_label or '-'} -> {m.to_label} ({m.to_mhz} MHz)")
        lines.append(f"  gain: {heat.gain}")
    return "\n".join(lines)


def _mhz(value: float | None) -> str:
    return "-" if value is None else f"{value:g} MHz"


def _fail(exc: Exception) -> int:
    print(f"fpv channels: {exc}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    """Standalone parser: `python -m fpv.channels.cli rate 5658 5695 5760`."""
    parser = argparse.ArgumentParser(prog="fpv channels")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    # make `channels` implicit: `python -m fpv.channels.cli rate ...`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "channels":
        argv = ["channels", *argv]
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
