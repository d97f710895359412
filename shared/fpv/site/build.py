"""Renders the public schedule into object storage (a folder locally, S3 in AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from fpv.dal import catalog
from fpv.db import Database
from fpv.ports.storage import ObjectStorage

_env = Environment(
    loader=PackageLoader("fpv.site", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def build_site(db: Database, storage: ObjectStorage, *, now: datetime | None = None) -> int:
    """Renders every page; returns how many objects were written."""
    now = now or datetime.now(UTC)
    with db.transaction(readonly=True) as tx:
        trainings = catalog.upcoming_trainings(tx, now=now)
    for t in trainings:
        local = t["starts_at"].astimezone(ZoneInfo(t["time_zone"]))
        t["starts_local"] = local.strftime("%d.%m.%Y %H:%M")
        t["starts_at_iso"] = local.isoformat()
    html = _env.get_template("index.html.j2").render(trainings=trainings)
    storage.put(
        "index.html",
        html.encode(),
        content_type="text/html; charset=utf-8",
        cache_control="public, max-age=60",
    )
    return 1
