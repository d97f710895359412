"""Health use case: is the database reachable, and which schema version does it have."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from fpv.dal.health import schema_version
from fpv.db import Database, DatabaseUnavailable
from fpv.migrate import latest_version


@dataclass(frozen=True)
class HealthReport:
    database: str  # "up" | "down"
    schema_version: int | None
    expected_schema_version: int

    @property
    def healthy(self) -> bool:
        return self.database == "up" and self.schema_version == self.expected_schema_version

    def as_dict(self) -> dict[str, object]:
        return {"status": "ok" if self.healthy else "degraded", **asdict(self)}


def check_health(db: Database) -> HealthReport:
    try:
        with db.transaction(readonly=True) as tx:
            version = schema_version(tx)
    except DatabaseUnavailable:
        return HealthReport("down", None, latest_version())
    return HealthReport("up", version, latest_version())


@dataclass(frozen=True)
class DatabaseProbe:
    """One scheduled probe: could a read-only transaction run, and how long did it take (ms,
    connecting included when the connection had to be opened)."""

    reachable: bool
    milliseconds: float
    error: str | None = None


def probe_database(db: Database, clock: Callable[[], float] = time.perf_counter) -> DatabaseProbe:
    started = clock()
    try:
        with db.transaction(readonly=True) as tx:
            tx.value("SELECT 1")
    except DatabaseUnavailable as exc:
        return DatabaseProbe(False, round((clock() - started) * 1000, 1), str(exc))
    return DatabaseProbe(True, round((clock() - started) * 1000, 1))
