"""Throw-away databases for tests and benchmarks: a server (the given URL, else the embedded
one), an admin connection to it, and temporary databases dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pg8000.native

from fpv.db import ConnectionParams


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin_connection(url: str) -> pg8000.native.Connection:
    """A plain autocommit connection (CREATE/DROP DATABASE cannot run in a transaction)."""
    p = ConnectionParams.from_url(url)
    return pg8000.native.Connection(
        user=p.user,
        password=p.password,
        host=p.host or "localhost",
        port=p.port,
        database=p.database,
        unix_sock=p.unix_sock,
        ssl_context=p.driver_ssl(),
    )


@contextmanager
def server_url(embedded_dir: Path, *env_names: str) -> Iterator[str]:
    """The first of the named environment variables that is set, else an embedded server on
    `embedded_dir` for the duration of the block."""
    for name in env_names:
        if os.environ.get(name):
            yield os.environ[name]
            return
    from fpv.local.embedded import embedded_postgres

    with embedded_postgres(embedded_dir) as embedded:
        yield embedded


@contextmanager
def temporary_databases(
    server: str, count: int = 1, prefix: str = "fpv_tmp"
) -> Iterator[list[str]]:
    """`count` new empty databases (from template0), dropped on exit whatever holds them."""
    names = [f"{prefix}_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin = admin_connection(server)
    try:
        for name in names:
            admin.run(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        admin.close()
    try:
        yield [with_database(server, name) for name in names]
    finally:
        admin = admin_connection(server)
        try:
            for name in names:
                admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()
