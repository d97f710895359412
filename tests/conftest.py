"""Shared fixtures: real PostgreSQL per test, settings pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from fpv.db import Database
from fpv.settings import get_settings
from tests.support.pg import DatabaseFactory, server_url

# Fixture modules shared by several test files (pytest loads them as plugins).
pytest_plugins = ["tests.support.backup"]


@pytest.fixture(scope="session")
def pg_factory() -> Iterator[DatabaseFactory]:
    with server_url() as url:
        factory = DatabaseFactory(url)
        try:
            yield factory
        finally:
            factory.close()


@pytest.fixture
def db_url(pg_factory: DatabaseFactory) -> Iterator[str]:
    url = pg_factory.create()
    try:
        yield url
    finally:
        pg_factory.drop(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def app_env(db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Environment for code that reads settings (handlers, CLI): DATABASE_URL → this test's
    database, SITE_DIR → a temp folder. The settings cache is reset around the test."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SITE_DIR", str(tmp_path / "site"))
    monkeypatch.setenv("BACKUP_URL", str(tmp_path / "backups"))
    monkeypatch.delenv("EVENT_BUS_NAME", raising=False)
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


# CI runs hypothesis derandomized: the same examples every run, so a landing never depends on
# luck; locally examples vary and failures are kept in .hypothesis/ to replay.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
