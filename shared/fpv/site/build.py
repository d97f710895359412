"""Publishes the public site into object storage (a folder locally, S3 + CloudFront in AWS).

Why a burst of "schedule changed" events costs few rebuilds and always ends right:
1. Publishers (any number of Lambda invocations, local threads, the CLI) take one PostgreSQL
   advisory lock, so only one publishes at a time and each one reads after the previous one
   finished: an older snapshot can never overwrite a newer one.
2. Under the lock a publisher reads one consistent snapshot (repeatable read) and digests the
   schedule document it yields. If the digest equals the one recorded by the last publication,
   the site already shows this state and nothing is rendered or uploaded: every event whose
   change was already picked up by an earlier build costs one read.
3. Otherwise it renders everything (fast) and uploads only the objects whose content digest
   changed, then invalidates exactly their paths on the CDN.
An event is published after its transaction commits, so the invocation it triggers reads a
snapshot that contains the change: the last event of a burst always leaves the right state.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pg8000.exceptions import DatabaseError

from fpv.dal import site as site_dal
from fpv.db import Database, DatabaseUnavailable
from fpv.ports.storage import Cdn, ObjectStorage, read_manifest, sync_objects
from fpv.site.model import SiteConfig, Snapshot, leaderboard_document, schedule_document
from fpv.site.render import render_site, render_version, stable_json

log = logging.getLogger("fpv.site")


class PublishBusy(RuntimeError):
    """Another publisher held the lock for longer than we may wait (retry later)."""


class PublishLockLost(RuntimeError):
    """The database session holding the publish lock was lost mid-way (retry)."""


@dataclass(frozen=True)
class PublishReport:
    skipped: bool  # the site already showed this state: nothing rendered or uploaded
    trainings: int
    objects: int
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    invalidated: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sqlstate(exc: DatabaseError) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return str(info.get("C", ""))


@contextmanager
def publish_lock(db: Database, *, timeout_s: float) -> Iterator[int]:
    """Holds the session-level publish lock; yields the backend pid that holds it."""
    try:
        with db.transaction() as tx:
            pid = site_dal.acquire_publish_lock(tx, timeout_ms=int(timeout_s * 1000))
    except DatabaseError as exc:
        if _sqlstate(exc) == "55P03":  # lock_not_available: lock_timeout ran out
            raise PublishBusy(f"another publisher held the site for over {timeout_s:g} s") from exc
        raise
    try:
        yield pid
    finally:
        try:
            with db.transaction() as tx:
                site_dal.release_publish_lock(tx)
        except DatabaseUnavailable:
            pass  # the session is gone, and the lock with it


def read_snapshot(db: Database, *, now: datetime, lock_pid: int | None = None) -> Snapshot:
    with db.transaction(isolation="repeatable read", readonly=True) as tx:
        if lock_pid is not None and site_dal.backend_pid(tx) != lock_pid:
            # the connection was re-opened since the lock was taken: we no longer hold it
            raise PublishLockLost("lost the database session that held the publish lock")
        trainings = site_dal.upcoming_trainings(tx, now=now)
        return Snapshot(
            cities=site_dal.cities(tx),
            venues=site_dal.venues(tx),
            trainings=trainings,
            channels=site_dal.seated_channels(tx, [t["id"] for t in trainings]),
            boards=site_dal.boards(tx),
            products=site_dal.pass_products(tx),
        )


def publish_site(
    db: Database,
    storage: ObjectStorage,
    *,
    cdn: Cdn | None = None,
    config: SiteConfig | None = None,
    now: datetime | None = None,
    force: bool = False,
    lock_timeout_s: float = 120.0,
) -> PublishReport:
    """Brings the published site up to the database's current state (see the module doc).
    `force` re-uploads every object (e.g. after the bucket was emptied by hand)."""
    if config is None:
        from fpv.settings import get_settings  # entry points pass config; this keeps old callers

        config = SiteConfig.from_settings(get_settings())
    started = time.perf_counter()
    with publish_lock(db, timeout_s=lock_timeout_s) as pid:
        moment = now or datetime.now(UTC)  # taken under the lock: the snapshot is newer still
        snapshot = read_snapshot(db, now=moment, lock_pid=pid)
        doc = schedule_document(snapshot, config, now=moment)
        boards = leaderboard_document(snapshot, now=moment)
        stable = stable_json(doc)
        data_digest = hashlib.sha256(
            stable + stable_json(boards) + render_version(config).encode()
        ).hexdigest()
        previous = read_manifest(storage)
        if not force and previous.meta.get("data_digest") == data_digest:
            report = PublishReport(
                skipped=True,
                trainings=len(doc["trainings"]),
                objects=len(previous.objects),
                seconds=round(time.perf_counter() - started, 4),
            )
            log.info("site unchanged: nothing to publish (%.3f s)", report.seconds)
            return report
        objects = render_site(doc, config, now=moment, stable=stable, boards=boards)
        result = sync_objects(
            storage,
            objects,
            previous=previous,
            meta={"data_digest": data_digest, "published_at": moment.isoformat()},
            cdn=cdn,
            force=force,
        )
    report = PublishReport(
        skipped=False,
        trainings=len(doc["trainings"]),
        objects=len(objects),
        uploaded=result.uploaded,
        deleted=result.deleted,
        invalidated=result.invalidated,
        seconds=round(time.perf_counter() - started, 4),
    )
    log.info(
        "site published: %d objects uploaded, %d deleted, %d unchanged, %d paths invalidated"
        " (%.3f s)",
        len(result.uploaded),
        len(result.deleted),
        result.unchanged,
        len(result.invalidated),
        report.seconds,
    )
    return report


def build_site(
    db: Database,
    storage: ObjectStorage,
    *,
    now: datetime | None = None,
    config: SiteConfig | None = None,
    cdn: Cdn | None = None,
    force: bool = False,
) -> int:
    """Publishes the site; returns how many objects were written (0 when nothing changed)."""
    report = publish_site(db, storage, cdn=cdn, config=config, now=now, force=force)
    return len(report.uploaded)
