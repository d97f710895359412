"""DATABASE_URL parsing: TCP or Unix socket; TLS verify-full unless local or the URL says no."""

from __future__ import annotations

import ssl

import pytest

from fpv.db import ConnectionParams, TlsConfigurationError, is_local_host


def test_tcp_url_to_a_remote_host_verifies_by_default():
    p = ConnectionParams.from_url("postgresql://fpv:p%40ss@db.example:6543/club")
    assert (p.user, p.password, p.host, p.port, p.database) == (
        "fpv",
        "p@ss",
        "db.example",
        6543,
        "club",
    )
    assert p.unix_sock is None and p.sslmode == "verify-full"
    context = p.ssl_context()
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
    assert p.describe() == "fpv@db.example:6543/club"


def test_unix_socket_url_as_the_embedded_server_gives_it():
    p = ConnectionParams.from_url("postgresql://postgres:@/postgres?host=/tmp/pg/data")
    assert p.unix_sock == "/tmp/pg/data/.s.PGSQL.5432" and p.host is None
    assert p.ssl_context() is None and p.driver_ssl() is False


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.5"])
def test_loopback_urls_stay_plain_unless_asked(host):
    p = ConnectionParams.from_url(f"postgresql://u@{host}:5432/d")
    assert p.sslmode == "disable" and p.driver_ssl() is False
    assert ConnectionParams.from_url(f"postgresql://u@{host}/d?sslmode=require").ssl_context()


def test_plain_to_a_remote_host_only_when_the_url_says_so():
    p = ConnectionParams.from_url("postgresql://u@db.example/d?sslmode=disable")
    assert p.driver_ssl() is False
    prefer = ConnectionParams.from_url("postgresql://u@db.example/d?sslmode=prefer")
    assert prefer.driver_ssl() is None  # pg8000: TLS when offered, unchecked (libpq's prefer)


def test_local_host_detection():
    assert is_local_host(None) and is_local_host("/tmp/sock") and is_local_host("::1")
    assert not is_local_host("10.0.0.5") and not is_local_host("db.rds.amazonaws.com")


def test_ca_bundle_url_beats_setting_and_defaults_to_system():
    url = "postgresql://u@db.example/d"
    assert ConnectionParams.from_url(url).sslrootcert == "system"
    assert ConnectionParams.from_url(url, sslrootcert="/a.pem").sslrootcert == "/a.pem"
    both = ConnectionParams.from_url(url + "?sslrootcert=/b.pem", sslrootcert="/a.pem")
    assert both.sslrootcert == "/b.pem"


def test_missing_ca_bundle_is_a_clear_error(tmp_path, monkeypatch):
    p = ConnectionParams.from_url("postgresql://u@db.example/d", sslrootcert=str(tmp_path / "x"))
    with pytest.raises(TlsConfigurationError, match="not found"):
        p.ssl_context()
    monkeypatch.setattr("fpv.db.RDS_CA_BUNDLE", tmp_path / "rds.pem")
    rds = ConnectionParams.from_url("postgresql://u@db.example/d", sslrootcert="rds")
    with pytest.raises(TlsConfigurationError, match="make rds-ca"):
        rds.ssl_context()
    (tmp_path / "bad.pem").write_text("not a certificate")
    bad = ConnectionParams.from_url(
        "postgresql://u@h.example/d", sslrootcert=str(tmp_path / "bad.pem")
    )
    with pytest.raises(TlsConfigurationError, match="not PEM"):
        bad.ssl_context()


def test_unknown_sslmode_is_refused():
    with pytest.raises(TlsConfigurationError, match="sslmode"):
        ConnectionParams.from_url("postgresql://u@h/d?sslmode=verify_full")


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
