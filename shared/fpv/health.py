"""Health use case: is the database reachable, and which schema version does it have."""

from __future__ import annotations

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
