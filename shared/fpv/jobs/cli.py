"""`fpv backup` and `fpv restore` (DESIGN §4). Problems a user can fix are one line on stderr
and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from fpv import runtime
from fpv.settings import get_settings


def _fail(message: str) -> int:
    print(f"fpv: {message}", file=sys.stderr)
    return 2


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from fpv.jobs.store import BackupError

        fixable: tuple[type[BaseException], ...] = (BackupError, ValueError)
        try:
            from botocore.exceptions import BotoCoreError, ClientError

            fixable += (BotoCoreError, ClientError)  # credentials, permissions, bucket
        except ImportError:
            pass
        try:
            return command(args)
        except fixable as exc:
            return _fail(str(exc))

    return run


def _backup(args: argparse.Namespace) -> int:
    from fpv.jobs.backup import prune_backups
    from fpv.jobs.backup_job import backup_from_settings, backup_store

    settings = get_settings()
    result = backup_from_settings(settings, url=args.to)
    print(f"backup written: {result.where}")
    print(f"  {result.total_rows} rows in {len(result.tables)} tables, {result.size} bytes gzip,")
    print(f"  sha256 {result.sha256}, {result.seconds} s")
    if args.keep_days is not None:
        pruned = prune_backups(backup_store(settings, args.to), keep_days=args.keep_days)
        print(f"pruned {len(pruned)} backup(s) older than {args.keep_days} days")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from fpv.db import Database
    from fpv.jobs.backup import list_backups
    from fpv.jobs.backup_job import backup_store
    from fpv.jobs.restore import (
        apply_deletion_ledger,
        merge_ledgers,
        read_ledger,
        read_mirrored_ledger,
        restore_backup,
    )

    settings = get_settings()
    store = backup_store(settings, args.source)
    if args.list:
        found = list_backups(store)
        for key in found:
            print(store.where(key))
        if not found:
            print(f"no backups in {store.where('backups/')}")
        return 0
    db = runtime.database(settings)
    bus = runtime.event_bus(settings)
    extra: list[Any] = []
    if args.ledger_from_database:
        old = Database(args.ledger_from_database)
        try:
            extra = read_ledger(old)
        finally:
            old.close()
    if args.ledger_only:
        entries = merge_ledgers(read_ledger(db), read_mirrored_ledger(store), extra)
        forgotten, promotions = apply_deletion_ledger(db, bus, entries)
        print(f"deletion ledger applied: {len(entries)} entries, {forgotten} people forgotten,")
        print(f"  {promotions} waitlisted pilots promoted (not notified)")
        return 0
    result = restore_backup(db, store, bus, which=args.backup, extra_ledger=extra)
    print(f"restored {store.where(result.manifest_key)} (snapshot {result.snapshot_at})")
    for table, rows in result.tables.items():
        print(f"  {table}: {rows}")
    if result.migrations_after:
        print(f"then applied migrations {result.migrations_after}")
    print(
        f"deletion ledger: {result.forgotten} people forgotten again"
        f" (entries: {result.ledger_sources}); {result.promotions} waitlisted pilots promoted"
        " (not notified)"
    )
    print(f"done in {result.seconds} s")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    backup = sub.add_parser(
        "backup", help="back up every table (one consistent snapshot) to BACKUP_URL"
    )
    backup.add_argument("--to", default=None, help="s3://bucket[/prefix] or a folder")
    backup.add_argument(
        "--keep-days", type=int, default=None, help="then delete backups older than this"
    )
    backup.set_defaults(func=_guarded(_backup))

    restore = sub.add_parser(
        "restore",
        help="restore a backup into the empty database at DATABASE_URL, then re-apply deletions",
    )
    restore.add_argument(
        "--from", dest="source", default=None, help="s3://bucket[/prefix] or a folder"
    )
    restore.add_argument(
        "--backup",
        default="latest",
        help="'latest' (default), a day YYYY-MM-DD, or a manifest key",
    )
    restore.add_argument("--list", action="store_true", help="list the backups and exit")
    restore.add_argument(
        "--ledger-from-database",
        metavar="URL",
        default=None,
        help="also re-apply the deletion ledger of this (old) database",
    )
    restore.add_argument(
        "--ledger-only",
        action="store_true",
        help="only re-apply the deletion ledger to DATABASE_URL (e.g. after a point-in-time"
        " recovery)",
    )
    restore.set_defaults(func=_guarded(_restore))
