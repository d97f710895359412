"""Real PostgreSQL for tests: TEST_DATABASE_URL when given (CI: the machine's server), else the
embedded server.

Isolation: one database per test session, one schema per test. The test's DATABASE_URL carries
`options=-c search_path=<schema>`, so the application code, unaware of it, works inside the
test's own freshly migrated schema. (A database per test costs a checkpoint-bound CREATE/DROP
DATABASE each, ~0.5 s; a schema costs a few milliseconds plus the migrations.)
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fpv.db import Database
from fpv.local import databases
from fpv.local.databases import admin_connection, with_database
from fpv.migrate import migrate

__all__ = ["DatabaseFactory", "admin_connection", "server_url", "with_database", "with_schema"]

ROOT = Path(__file__).resolve().parents[2]


def with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    # Tests need no durability: commits that do not wait for the WAL flush make them faster.
    query.append(("options", f"-c search_path={schema} -c synchronous_commit=off"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@contextmanager
def server_url() -> Iterator[str]:
    with databases.server_url(ROOT / ".fpv" / "test-pgdata", "TEST_DATABASE_URL") as url:
        yield url


class DatabaseFactory:
    """A session database on the server, and a migrated schema in it for each test."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.name = f"fpv_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = admin_connection(server)
        try:
            admin.run(f'CREATE DATABASE "{self.name}"')
        finally:
            admin.close()
        self.url = with_database(server, self.name)
        self._admin = admin_connection(self.url)

    def create(self) -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        self._admin.run(f'CREATE SCHEMA "{schema}"')
        url = with_schema(self.url, schema)
        db = Database(url)
        try:
            migrate(db)
        finally:
            db.close()
        return url

    def drop(self, url: str) -> None:
        """Drops what `create` made (a schema); a whole database when the URL names another one
        (tests that need an empty database create their own)."""
        parts = urlsplit(url)
        options = dict(parse_qsl(parts.query)).get("options", "")
        if "search_path=" not in options:
            admin = admin_connection(self.server)
            try:
                admin.run(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
            finally:
                admin.close()
            return
        schema = options.partition("search_path=")[2].split()[0]
        # Tests in one session run one after another, so every other connection to the session
        # database is a leftover of the test that just ended (a cached handler connection, a
        # thread's, a subprocess's): close them all, as DROP DATABASE ... WITH (FORCE) would.
        self._admin.run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :db AND pid <> pg_backend_pid()",
            db=self.name,
        )
        self._admin.run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def close(self) -> None:
        self._admin.close()
        admin = admin_connection(self.server)
        try:
            admin.run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            admin.close()
