"""What the benchmarks share: a throw-away database on TEST_DATABASE_URL / DATABASE_URL or the
embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fpv.local.databases import server_url, temporary_databases

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def bench_server() -> Iterator[str]:
    with server_url(ROOT / ".fpv" / "bench-pgdata", "TEST_DATABASE_URL", "DATABASE_URL") as url:
        yield url


@contextmanager
def temporary_database(prefix: str = "fpv_bench") -> Iterator[str]:
    with bench_server() as server, temporary_databases(server, 1, prefix) as (url,):
        yield url
