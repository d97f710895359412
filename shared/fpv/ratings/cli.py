"""`fpv results import TRAINING_ID FILE` (a RotorHazard export), `fpv results match`,
`fpv ratings recompute [--season YEAR]`, `fpv ratings board CITY_ID` — as the system actor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _import(args: argparse.Namespace) -> int:
    from fpv import ratings, runtime
    from fpv.actors import Actor

    path = Path(args.file)
    try:
        report = ratings.import_results(
            runtime.database(),
            Actor(kind="system", via="cli"),
            args.training_id,
            path.read_bytes(),
            path.name,
        )
    except (ratings.ExportUnreadable, ratings.InvalidResults, ratings.NotFound, OSError) as exc:
        print(f"fpv: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return 0


def _match(args: argparse.Namespace) -> int:
    from fpv import ratings, runtime
    from fpv.actors import Actor

    try:
        n = ratings.match_callsign(
            runtime.database(),
            Actor(kind="system", via="cli"),
            args.training_id,
            args.callsign,
            args.nickname,
        )
    except ratings.NotFound as exc:
        print(f"fpv: {exc} not found", file=sys.stderr)
        return 2
    print(json.dumps({"matched": n}))
    return 0


def _recompute(args: argparse.Namespace) -> int:
    from fpv import ratings, runtime

    season = args.season or ratings.current_season()
    print(json.dumps({"season": season, "ratings": ratings.recompute(runtime.database(), season)}))
    return 0


def _board(args: argparse.Namespace) -> int:
    from fpv import ratings, runtime

    for row in ratings.leaderboard(runtime.database(), args.city_id, season=args.season):
        print(json.dumps(dict(row), ensure_ascii=False, default=str))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    results = subparsers.add_parser("results", help="heat results: import RotorHazard exports")
    sub = results.add_subparsers(dest="results_command", required=True)
    imp = sub.add_parser("import", help="a RotorHazard results export (JSON or CSV)")
    imp.add_argument("training_id", type=int)
    imp.add_argument("file")
    imp.set_defaults(func=_import)
    match = sub.add_parser("match", help="say which pilot an unmatched callsign was")
    match.add_argument("training_id", type=int)
    match.add_argument("callsign")
    match.add_argument("nickname")
    match.set_defaults(func=_match)

    rating = subparsers.add_parser("ratings", help="pilots' skill ratings (openskill)")
    rsub = rating.add_subparsers(dest="ratings_command", required=True)
    again = rsub.add_parser("recompute", help="a season's ratings from scratch")
    again.add_argument("--season", type=int, default=None)
    again.set_defaults(func=_recompute)
    board = rsub.add_parser("board", help="a city's leaderboard (opted-in pilots)")
    board.add_argument("city_id", type=int)
    board.add_argument("--season", type=int, default=None)
    board.set_defaults(func=_board)
