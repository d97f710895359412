"""DATABASE_URL parsing: TCP or Unix socket, TLS only when the URL asks for it."""

from __future__ import annotations

import ssl

import pytest

from fpv.db import ConnectionParams


def test_tcp_url_without_tls():
    p = ConnectionParams.from_url("postgresql://fpv:p%40ss@db.example:6543/club")
    assert (p.user, p.password, p.host, p.port, p.database) == (
        "fpv",
        "p@ss",
        "db.example",
        6543,
        "club",
    )
    assert p.unix_sock is None and p.ssl_context() is None
    assert p.describe() == "fpv@db.example:6543/club"


def test_unix_socket_url_as_the_embedded_server_gives_it():
    p = ConnectionParams.from_url("postgresql://postgres:@/postgres?host=/tmp/pg/data")
    assert p.unix_sock == "/tmp/pg/data/.s.PGSQL.5432" and p.host is None
    assert p.ssl_context() is None


@pytest.mark.parametrize(
    ("mode", "verify", "check_hostname"),
    [
        ("require", ssl.CERT_NONE, False),
        ("verify-ca", ssl.CERT_REQUIRED, False),
        ("verify-full", ssl.CERT_REQUIRED, True),
    ],
)
def test_tls_modes_follow_libpq(mode, verify, check_hostname):
    context = ConnectionParams.from_url(f"postgresql://u@h/d?sslmode={mode}").ssl_context()
    assert context is not None
    assert context.verify_mode == verify and context.check_hostname is check_hostname


def test_other_schemes_are_refused():
    with pytest.raises(ValueError, match="postgresql://"):
        ConnectionParams.from_url("mysql://u@h/d")
