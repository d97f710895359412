"""schemathesis against GET /api/openapi.json with a logged-in superadmin: generated requests
for every operation through the local gateway find no 5xx, no undocumented status code and no
response that violates the schema. Examples are few per operation to stay well under a minute."""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from fpv.admin import auth
from tests.integration.test_payments_harness import fake_servers, fakes_fixture  # noqa: F401
from tests.support.admin import admin_gw_fixture, build_world, session_for  # noqa: F401

EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(admin_gw):
    build_world(admin_gw.db)  # objects to find: ids 1.. exist for every kind
    token, csrf = session_for(admin_gw.db, "root")
    schema = schemathesis.openapi.from_url(f"{admin_gw.url}/api/openapi.json")
    session = requests.Session()
    session.cookies.set(auth.COOKIE_NAME, token, domain="127.0.0.1", path="/api/admin/")
    headers = {auth.CSRF_HEADER: csrf}
    tested = []
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/admin/logout"):
            continue  # would end the session the other operations use
        if not operation.path.startswith("/api/admin/"):
            continue  # the public APIs' operations: tests/integration/test_api_schema.py
        tested.append(operation.label)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(
                base_url=admin_gw.url, session=session, headers=headers, checks=CHECKS
            )

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert len(tested) >= 30
    assert not failures, "\n\n".join(failures)
