"""Real PostgreSQL for tests: TEST_DATABASE_URL when given (CI: the machine's server), else the
embedded server. Each test gets a fresh database cloned from a migrated template database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pg8000.native

from fpv.db import ConnectionParams, Database
from fpv.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection(url: str) -> pg8000.native.Connection:
    p = ConnectionParams.from_url(url)
    return pg8000.native.Connection(
        user=p.user,
        password=p.password,
        host=p.host or "localhost",
        port=p.port,
        database=p.database,
        unix_sock=p.unix_sock,
    )


@contextmanager
def server_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    from fpv.local.embedded import embedded_postgres

    with embedded_postgres(ROOT / ".fpv" / "test-pgdata") as embedded:
        yield embedded


class DatabaseFactory:
    """Creates migrated databases quickly (CREATE DATABASE ... TEMPLATE) and drops them."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.template = f"fpv_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = admin_connection(server)
        try:
            admin.run(f'CREATE DATABASE "{self.template}"')
        finally:
            admin.close()
        tpl = Database(with_database(server, self.template))
        migrate(tpl)
        tpl.close()

    def create(self) -> str:
        name = f"fpv_t_{uuid.uuid4().hex[:12]}"
        admin = admin_connection(self.server)
        try:
            admin.run(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            admin.close()
        return with_database(self.server, name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        admin = admin_connection(self.server)
        try:
            admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()

    def close(self) -> None:
        self.drop(with_database(self.server, self.template))
