"""TLS to PostgreSQL against a real server that speaks only TLS (issue 10 item 6): a URL
without sslmode verifies the chain and the name; plain only when the URL says so."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from fpv import runtime
from fpv.db import Database, DatabaseUnavailable
from fpv.local.databases import admin_connection
from fpv.settings import get_settings
from tests.support.tls_pg import TlsServer, find_binaries, tls_only_server


@pytest.fixture(scope="module")
def server() -> Iterator[TlsServer]:
    bin_dir, why = find_binaries()
    if bin_dir is None:
        pytest.skip(f"no throw-away TLS PostgreSQL: {why}")
    with tls_only_server(bin_dir) as srv:
        yield srv


def _ssl_in_use(db: Database) -> bool:
    with db.transaction() as tx:
        return tx.value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")


def _as_if_remote(server: TlsServer, sslrootcert: str | None) -> Database:
    """A URL naming a remote host, as in AWS; the resolved parameters then pointed at the test
    server's address (its certificate is for 127.0.0.1), keeping every TLS choice made."""
    db = Database(
        f"postgresql://postgres@db.example.internal:{server.port}/postgres",
        sslrootcert=sslrootcert,
        connect_timeout=5,
    )
    assert db.params.sslmode == "verify-full"
    db.params = dataclasses.replace(db.params, host="127.0.0.1")
    return db


def test_unset_sslmode_to_a_remote_host_verifies_the_server(server):
    db = _as_if_remote(server, str(server.ca_file))
    try:
        assert _ssl_in_use(db) is True
    finally:
        db.close()


def test_a_server_signed_by_another_ca_is_refused(server):
    db = _as_if_remote(server, str(server.other_ca_file))
    with pytest.raises(DatabaseUnavailable, match="certificate verify failed"):
        db.connection()


def test_the_system_store_does_not_trust_a_private_ca(server):
    db = _as_if_remote(server, None)  # "system": the operating system's store
    with pytest.raises(DatabaseUnavailable, match="TLS to the database"):
        db.connection()


def test_verify_full_checks_the_host_name(server):
    # the certificate names 127.0.0.1, not "localhost"
    url = f"postgresql://postgres@localhost:{server.port}/postgres?sslmode=verify-full"
    db = Database(url, sslrootcert=str(server.ca_file))
    with pytest.raises(DatabaseUnavailable, match=r"match|mismatch"):
        db.connection()
    ca_only = Database(url.replace("verify-full", "verify-ca"), sslrootcert=str(server.ca_file))
    try:
        assert _ssl_in_use(ca_only) is True
    finally:
        ca_only.close()


def test_plain_only_when_the_url_says_so(server):
    # this server refuses plain TCP: an explicit sslmode=disable really goes plain
    url = f"postgresql://postgres@127.0.0.1:{server.port}/postgres?sslmode=disable"
    with pytest.raises(DatabaseUnavailable, match="refused us"):
        Database(url).connection()
    # and a loopback URL without sslmode stays plain too (the local servers have no TLS)
    with pytest.raises(DatabaseUnavailable, match="refused us"):
        Database(url.partition("?")[0]).connection()


def test_sslrootcert_in_the_url_and_admin_connections(server):
    url = (
        f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
        f"?sslmode=verify-full&sslrootcert={server.ca_file}"
    )
    conn = admin_connection(url)
    try:
        assert conn.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [[True]]
    finally:
        conn.close()


def test_settings_carry_the_ca_bundle_as_pem_text(server, monkeypatch):
    """As in AWS: the secret holds DATABASE_URL and the CA as PEM text (DATABASE_SSLROOTCERT)."""
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    monkeypatch.setenv(
        "DATABASE_URL",
        f"postgresql://postgres@127.0.0.1:{server.port}/postgres?sslmode=verify-full",
    )
    monkeypatch.setenv("DATABASE_SSLROOTCERT", server.ca_pem)
    get_settings.cache_clear()
    try:
        db = runtime.database()
        assert db.params.sslrootcert == server.ca_pem
        assert _ssl_in_use(db) is True
        db.close()
    finally:
        get_settings.cache_clear()
