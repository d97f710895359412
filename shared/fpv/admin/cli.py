"""`fpv admin add ...` (the first superadmin of a fresh install comes from here) and
`fpv audit verify` (exit 0 when the audit hash chain is intact, 1 at the first broken entry)."""

from __future__ import annotations

import argparse
import sys


def _add(args: argparse.Namespace) -> int:
    from fpv import runtime
    from fpv.actors import Actor
    from fpv.admin.admins import add_admin
    from fpv.admin.errors import AdminError

    if not args.password_stdin:
        print("fpv: give the password on standard input with --password-stdin", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        row = add_admin(
            runtime.database(),
            Actor(kind="system", via="cli"),
            telegram_id=args.telegram_id,
            login=args.login,
            password=password,
            role=args.role,
            venue_ids=args.venue or [],
            display_name=args.name,
            language=args.language,
        )
    except AdminError as exc:
        print(f"fpv: {exc}", file=sys.stderr)
        return 2
    print(f"admin {row['id']} ({row['login']}, {row['role']}) created")
    return 0


def _verify(_args: argparse.Namespace) -> int:
    from fpv import runtime
    from fpv.audit import verify

    result = verify(runtime.database())
    if result.ok:
        print(f"audit chain intact: {result.checked} entries")
        return 0
    print(
        f"audit chain BROKEN at entry {result.broken_id}: {result.reason}"
        f" ({result.checked} entries before it are intact)"
    )
    return 1


def register(sub: argparse._SubParsersAction) -> None:
    admin = sub.add_parser("admin", help="manage admins").add_subparsers(
        dest="admin_command", required=True
    )
    add = admin.add_parser("add", help="create an admin (password read from standard input)")
    add.add_argument("--telegram-id", type=int, required=True, help="where login codes go")
    add.add_argument("--login", required=True)
    add.add_argument("--role", choices=("superadmin", "local"), required=True)
    add.add_argument("--venue", type=int, action="append", help="a local admin's venue id")
    add.add_argument("--name", default=None, help="display name (default: the login)")
    add.add_argument("--language", choices=("ru", "en"), default="ru")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=_add)

    audit = sub.add_parser("audit", help="the admin audit log").add_subparsers(
        dest="audit_command", required=True
    )
    audit.add_parser(
        "verify", help="check the hash chain (exit 0 intact, 1 at the first broken entry)"
    ).set_defaults(func=_verify)
