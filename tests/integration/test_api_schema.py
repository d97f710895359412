"""schemathesis against the public APIs' OpenAPI document (`/api/v1/openapi.json`, covering
`/api/v1/` and `/api/app/`) over real HTTP, with a valid API key and a valid app token and
real PostgreSQL seeded with a venue, trainings and a signed-up pilot: no 5xx, every status,
content type and body as documented. Bounded examples keep it well under a minute."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from fpv.admin.api import create_app as admin_app
from fpv.api.server import create_app
from fpv.db import Database
from fpv.ports.events import InProcessEventBus
from fpv.registrations import sign_up
from fpv.settings import get_settings
from tests.support.apis import app_token, make_key
from tests.support.factories import make_pilot, make_training
from tests.support.server import serve_in_thread

# operations that end the caller's session: each example gets a pilot of its own
_SESSION_ENDING = {
    ("DELETE", "/api/app/me"),
    ("POST", "/api/app/sign-out"),
    ("DELETE", "/api/app/devices/{device_id}"),
}
_pilot_ids = itertools.count(760_100)


@dataclass
class Served:
    base: str
    key: str
    token: str
    db: Database


@pytest.fixture(scope="module")
def served(pg_factory, tmp_path_factory):
    url = pg_factory.create()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        mp.setenv("BACKUP_URL", str(tmp_path_factory.mktemp("backups")))
        for name in ("EVENT_BUS_NAME", "SECRETS_ARN", "TELEGRAM_BOT_TOKEN"):
            mp.delenv(name, raising=False)
        get_settings.cache_clear()
        db = Database(url)
        try:
            free = make_training(db, title="Free")
            make_training(db, price_kopecks=30_000, starts_in=timedelta(days=3), title="Paid")
            make_pilot(db, 760_001, nickname="Ace")
            sign_up(db, InProcessEventBus(), training_id=free, telegram_id=760_001)
            with db.transaction(readonly=True) as tx:
                venue = tx.value("SELECT venue_id FROM trainings WHERE id = :t", t=free)
            key = make_key(db, [venue])["key"]
            token = app_token(db, 760_001)
            with serve_in_thread(create_app()) as base:
                yield Served(base, key, token, db)
        finally:
            db.close()
            get_settings.cache_clear()
    pg_factory.drop(url)


# The document does not depend on data: loaded once at collection, one test per operation.
# /api/openapi.json: the one document of every /api route (the admin function serves it)
SCHEMA = schemathesis.openapi.from_dict(admin_app(lambda: None).openapi())
OPERATIONS = [
    op
    for op in (result.ok() for result in SCHEMA.get_all_operations())
    if op.path.startswith(("/api/v1/", "/api/app/"))
]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_api_conforms_to_its_openapi(operation, served):
    if operation.path.startswith("/api/v1/"):
        tokens = lambda: served.key  # noqa: E731
    elif (operation.method.upper(), operation.path) in _SESSION_ENDING:

        def tokens() -> str:
            telegram_id = next(_pilot_ids)
            make_pilot(served.db, telegram_id)
            return app_token(served.db, telegram_id)
    else:
        tokens = lambda: served.token  # noqa: E731

    @given(case=operation.as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(
            base_url=served.base,
            headers={"Authorization": f"Bearer {tokens()}"},
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )

    run()
