"""Fixtures of the backup tests: a moto S3 bucket and its store, an event bus, an empty database.
Import them into a test module to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fpv.db import Database
from fpv.jobs.store import S3BackupStore
from fpv.local.databases import temporary_databases
from fpv.ports.events import InProcessEventBus
from tests.support.aws import mocked_s3

BUCKET = "fpv-backups-test"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    with mocked_s3(monkeypatch, BUCKET) as client:
        yield client


@pytest.fixture
def store(s3) -> S3BackupStore:
    return S3BackupStore(BUCKET, client=s3)


@pytest.fixture
def bus() -> InProcessEventBus:
    return InProcessEventBus()


@pytest.fixture
def empty_db(pg_factory) -> Iterator[Database]:
    """A brand-new database without a single table (what `createdb` gives)."""
    with temporary_databases(pg_factory.server, 1, "fpv_empty") as (url,):
        database = Database(url)
        try:
            yield database
        finally:
            database.close()
