"""`fpv apikey create|revoke|list`: integration API keys from the command line (the admin API's
superadmin routes call the same use cases in `fpv.apikeys`). The key is printed once."""

from __future__ import annotations

import argparse
import json
import sys

from fpv.actors import Actor

CLI = Actor(kind="system", via="cli")


def _db():
    from fpv import runtime

    return runtime.database()


def _create(args: argparse.Namespace) -> int:
    from fpv import apikeys

    try:
        made = apikeys.create(
            _db(),
            CLI,
            name=args.name,
            scopes=args.scope or ["schedule:read", "registrations:read"],
            venue_ids=args.venue,
            rate_per_minute=args.rate,
        )
    except apikeys.InvalidKeyRequest as exc:
        print(f"fpv: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(made, default=str, ensure_ascii=False))
    print("fpv: the key is shown once; store it now", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from fpv import apikeys

    row = apikeys.revoke(_db(), CLI, args.key_id)
    if row is None:
        print(f"fpv: no API key {args.key_id}", file=sys.stderr)
        return 2
    print(json.dumps(row, default=str, ensure_ascii=False))
    return 0


def _list(_args: argparse.Namespace) -> int:
    from fpv import apikeys

    for row in apikeys.list_keys(_db(), CLI):
        print(json.dumps(row, default=str, ensure_ascii=False))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("apikey", help="integration API keys (create, revoke, list)")
    commands = parser.add_subparsers(dest="apikey_command", required=True)
    create = commands.add_parser("create", help="create a key scoped to venues (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--venue", type=int, action="append", required=True, help="venue id (repeat for more)"
    )
    create.add_argument(
        "--scope",
        action="append",
        help="repeatable; default: schedule:read and registrations:read",
    )
    create.add_argument("--rate", type=int, default=120, help="requests per minute")
    create.set_defaults(func=_create)
    revoke = commands.add_parser("revoke", help="revoke a key for good")
    revoke.add_argument("key_id", type=int)
    revoke.set_defaults(func=_revoke)
    commands.add_parser("list", help="list keys (never the keys themselves)").set_defaults(
        func=_list
    )
