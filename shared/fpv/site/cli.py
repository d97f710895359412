"""`fpv site build`: render the public site into SITE_DIR."""

from __future__ import annotations

import argparse
from pathlib import Path


def _build(_args: argparse.Namespace) -> int:
    from fpv import runtime
    from fpv.ports.storage import LocalDirStorage
    from fpv.settings import get_settings
    from fpv.site.build import build_site

    count = build_site(runtime.database(), LocalDirStorage(Path(get_settings().site_dir)))
    print(f"site built: {count} objects")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    site = subparsers.add_parser("site", help="public schedule site")
    commands = site.add_subparsers(dest="site_command", required=True)
    commands.add_parser("build", help="render the site into SITE_DIR").set_defaults(func=_build)
