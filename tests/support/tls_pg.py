"""A throw-away PostgreSQL server that speaks only TLS, with a certificate from a CA made here.

Debian's server binaries (/usr/lib/postgresql/*/bin) run `initdb` into a temp folder and a
`postgres` on a free 127.0.0.1 port with `ssl=on`; pg_hba refuses every plain TCP connection.
When the machine has no server binaries the caller skips with the reason `find_binaries` gives.
"""

from __future__ import annotations

import datetime as dt
import glob
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

INITDB_FLAGS = ("--auth=trust", "--no-sync", "-E", "UTF8", "--no-instructions")


@dataclass(frozen=True)
class TlsServer:
    port: int
    ca_file: Path  # the CA that signed the server's certificate
    other_ca_file: Path  # a CA that did not
    ca_pem: str


def find_binaries() -> tuple[Path | None, str]:
    """(bin dir, "") or (None, why not)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=os.path.getmtime)
    if not found:
        return None, "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0 and not (shutil.which("runuser") and _uid("postgres") is not None):
        return None, "running as root without a 'postgres' user to run the server as"
    return Path(found[-1]).parent, ""


def _uid(name: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_ca(name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _write_pki(folder: Path) -> tuple[Path, Path, Path, Path]:
    """CA, server certificate (for the IP 127.0.0.1 only, not the name localhost), its key, and
    an unrelated CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    pem = serialization.Encoding.PEM
    ca_key, ca = _make_ca("fpv test CA")
    _, other_ca = _make_ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.crt", folder / "server.key", folder / "other.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths[3].write_bytes(other_ca.public_bytes(pem))
    return paths


@contextmanager
def tls_only_server(bin_dir: Path) -> Iterator[TlsServer]:
    # Its own folder under the system temp dir: pytest's tmp_path is private to root, and the
    # server runs as 'postgres' when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="fpv-tls-pg-"))
    try:
        with _serve(bin_dir, folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _serve(bin_dir: Path, folder: Path) -> Iterator[TlsServer]:
    ca_file, cert_file, key_file, other_ca = _write_pki(folder)
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        uid = _uid("postgres")
        for path in (folder, cert_file, key_file):
            os.chown(path, uid, -1)
    key_file.chmod(0o600)
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", *INITDB_FLAGS],
        check=True,
        capture_output=True,
    )
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "hostssl all all 127.0.0.1/32 trust\n"
        "hostnossl all all 127.0.0.1/32 reject\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            *as_user,
            str(bin_dir / "postgres"),
            *("-D", str(data), "-p", str(port)),
            *("-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={folder}"),
            *("-c", "ssl=on", "-c", f"ssl_cert_file={cert_file}", "-c", f"ssl_key_file={key_file}"),
            *("-c", "fsync=off", "-c", "max_connections=20", "-c", "shared_buffers=16MB"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        ready = [str(bin_dir / "pg_isready"), "-q", "-h", str(folder), "-p", str(port)]
        while subprocess.run(ready, check=False).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"test postgres did not start: {proc.stderr.read()[-2000:]!r}")
            time.sleep(0.05)
        yield TlsServer(port, ca_file, other_ca, ca_file.read_text())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
