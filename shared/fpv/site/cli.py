"""`fpv site build`: publish the site where settings say (SITE_DIR locally, SITE_BUCKET in AWS)."""

from __future__ import annotations

import argparse


def _build(args: argparse.Namespace) -> int:
    from fpv import runtime
    from fpv.settings import get_settings
    from fpv.site.build import publish_site
    from fpv.site.model import SiteConfig
    from fpv.site.targets import site_target

    settings = get_settings()
    storage, cdn = site_target(settings)
    report = publish_site(
        runtime.database(settings),
        storage,
        cdn=cdn,
        config=SiteConfig.from_settings(settings),
        force=args.force,
    )
    where = f"s3://{settings.site_bucket}" if settings.site_bucket else settings.site_dir
    if report.skipped:
        print(f"site is up to date in {where} ({report.trainings} trainings)")
    else:
        print(
            f"site built in {where}: {len(report.uploaded)} objects uploaded,"
            f" {len(report.deleted)} deleted, {report.objects} in total"
            f" ({report.trainings} trainings, {report.seconds:.2f} s)"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    site = subparsers.add_parser("site", help="public schedule site")
    commands = site.add_subparsers(dest="site_command", required=True)
    build = commands.add_parser("build", help="publish the site (only what changed)")
    build.add_argument(
        "--force", action="store_true", help="upload every object, not only the changed ones"
    )
    build.set_defaults(func=_build)
