"""PostgreSQL access through pg8000 (pure Python: no native driver in the Lambda layer).

One connection per thread, created lazily and reused across warm Lambda invocations. A unit of
work is a transaction context manager; a dropped connection is re-opened once when the unit of
work starts (never in the middle of one, where a retry could apply half a change twice).

Round trips are the cost of a short unit of work (each is a network hop to the server): every
statement with parameters is prepared once per connection and then executed in one round trip
(see `_run`), and two kinds of unit need no START/COMMIT of their own: a read-only
read-committed transaction (read committed gives every statement its own snapshot anyway, so
its statements run as they come) and `autocommit()`, single statements that commit by
themselves (the webhook's update claim).

Session state (prepared statements, synchronous_commit) would pin connections behind an RDS
Proxy; the template uses none (one connection per warm container, reused).
SQL itself lives in the data-access modules (`fpv.dal`), which receive a `Tx`.

TLS: a URL without `sslmode` connects with `verify-full` (certificate chain and host name
checked) unless it points at this machine (a Unix socket, as the embedded server gives, or a
loopback address): traffic to any other host is never plain unless the URL says
`sslmode=disable` (or `allow`/`prefer`). The CA bundle is `sslrootcert` from the URL, else the
one passed in (the `DATABASE_SSLROOTCERT` setting): a PEM file path, PEM text, `rds` (Amazon
RDS's global bundle, fetched into the layer by `make deploy`, never committed) or `system`
(the operating system's store, the default).
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

Row = dict[str, Any]


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached: a transient condition (callers answer 5xx / retry)."""


class TlsConfigurationError(ValueError):
    """The URL or settings ask for TLS in a way that cannot work (unknown sslmode, missing CA)."""


SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# Amazon RDS's global CA bundle: fetched by `make rds-ca` (part of `make deploy`) into the
# package, so the FpvLayer carries it; never committed.
RDS_CA_BUNDLE = Path(__file__).resolve().parent / "certs" / "rds-global-bundle.pem"


def is_local_host(host: str | None) -> bool:
    """True for this machine: no host (Unix socket), `localhost` or a loopback address."""
    if not host or host.startswith("/") or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class IntegrityViolation(RuntimeError):
    """A constraint said no (unique, check, foreign key): carries the SQLSTATE and constraint."""

    def __init__(self, sqlstate: str, constraint: str | None, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.constraint = constraint


@dataclass(frozen=True)
class ConnectionParams:
    user: str
    password: str | None
    host: str | None
    port: int
    database: str
    unix_sock: str | None
    sslmode: str
    # CA bundle for verify-ca/verify-full: path, PEM text, "rds" or "system"
    sslrootcert: str = "system"
    # Server settings from libpq's `options=-c name=value ...` (e.g. search_path)
    server_settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_url(cls, url: str, *, sslrootcert: str | None = None) -> ConnectionParams:
        """Parse a libpq-style URL. `sslrootcert` is the CA bundle used when the URL names none."""
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("DATABASE_URL must start with postgresql://")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        host = unquote(parts.hostname) if parts.hostname else None
        port = parts.port or int(query.get("port", 5432))
        socket_dir = query.get("host") if query.get("host", "").startswith("/") else None
        if host and host.startswith("/"):
            socket_dir, host = host, None
        tcp_host = None if socket_dir else (host or "127.0.0.1")
        sslmode = query.get("sslmode") or ("disable" if is_local_host(tcp_host) else "verify-full")
        if sslmode not in SSLMODES:
            raise TlsConfigurationError(
                f"DATABASE_URL sslmode={sslmode!r} is not one of {', '.join(SSLMODES)}"
            )
        return cls(
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password else None,
            host=tcp_host,
            port=port,
            database=unquote(parts.path.lstrip("/")) or "postgres",
            unix_sock=f"{socket_dir}/.s.PGSQL.{port}" if socket_dir else None,
            sslmode=sslmode,
            sslrootcert=query.get("sslrootcert") or sslrootcert or "system",
            server_settings=_parse_options(query.get("options", "")),
        )

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.sslmode in ("disable", "allow", "prefer") or self.unix_sock:
            return None
        if self.sslmode == "require":  # encrypted, server not verified (libpq semantics)
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        context = _verifying_context(self.sslrootcert)
        if self.sslmode == "verify-ca":
            context.check_hostname = False
        return context

    def driver_ssl(self) -> ssl.SSLContext | bool | None:
        """pg8000's `ssl_context`: False = plain, None = TLS if the server offers it, unchecked
        (libpq's allow/prefer), a context = TLS required."""
        context = self.ssl_context()
        if context is not None:
            return context
        return None if self.sslmode in ("allow", "prefer") and not self.unix_sock else False

    def describe(self) -> str:
        """Where we connect, without the password: safe for logs and error messages."""
        where = self.unix_sock or f"{self.host}:{self.port}"
        return f"{self.user}@{where}/{self.database}"


def _verifying_context(sslrootcert: str) -> ssl.SSLContext:
    """A context that checks the server's chain against `sslrootcert` (and its name)."""
    if sslrootcert == "system":
        return ssl.create_default_context()
    if sslrootcert.lstrip().startswith("-----BEGIN"):
        return ssl.create_default_context(cadata=sslrootcert)
    path = RDS_CA_BUNDLE if sslrootcert == "rds" else Path(sslrootcert)
    if not path.is_file():
        hint = " (`make rds-ca` fetches it; `make deploy` does so)" if sslrootcert == "rds" else ""
        raise TlsConfigurationError(f"database CA bundle {path} not found{hint}")
    try:
        return ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as exc:
        raise TlsConfigurationError(f"database CA bundle {path} is not PEM: {exc}") from exc


def _parse_options(options: str) -> tuple[tuple[str, str], ...]:
    """libpq `options`: `-c name=value` pairs (also `-cname=value`), sent at connection start."""
    settings = []
    words = iter(options.split())
    for word in words:
        if word == "-c":
            word = next(words, "")
        elif word.startswith("-c"):
            word = word[2:]
        else:
            raise ValueError(f"unsupported DATABASE_URL options entry {word!r} (use -c name=value)")
        name, _, value = word.partition("=")
        settings.append((name, value))
    return tuple(settings)


STATEMENT_CACHE = 512  # prepared statements kept per connection (the code has fewer distinct)


def _run(conn: pg8000.native.Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    """Run a statement. With parameters, through a statement prepared once per connection:
    pg8000 sends an unnamed statement as parse, describe and execute, each waiting for the
    server (three round trips); a prepared one executes in one. Without parameters it is a
    simple query (one round trip, several statements allowed)."""
    if not params:
        return conn.run(sql)
    cache: OrderedDict[str, pg8000.native.PreparedStatement] | None = getattr(
        conn, "_fpv_statements", None
    )
    if cache is None:
        cache = conn._fpv_statements = OrderedDict()  # type: ignore[attr-defined]
    statement = cache.get(sql)
    if statement is None:
        statement = conn.prepare(sql)
        cache[sql] = statement
        if len(cache) > STATEMENT_CACHE:
            _, evicted = cache.popitem(last=False)
            with contextlib.suppress(DatabaseError):
                evicted.close()
    else:
        cache.move_to_end(sql)
    try:
        rows = statement.run(**params)
    except DatabaseError as exc:
        info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        if info.get("C") == "0A000":  # "cached plan must not change result type": DDL ran
            cache.clear()  # prepare again next time (this unit of work fails: retry it)
        raise
    conn._context = statement._context  # columns and row_count, as Connection.run leaves them
    return rows


def _integrity_error(exc: DatabaseError) -> IntegrityViolation | None:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    code = str(info.get("C", ""))
    if code.startswith("23"):
        return IntegrityViolation(code, info.get("n"), str(info.get("M", "")))
    return None


class Tx:
    """A running transaction: the only way data-access code touches the database."""

    def __init__(self, conn: pg8000.native.Connection) -> None:
        self._conn = conn

    def all(self, sql: str, **params: Any) -> list[Row]:
        try:
            rows = _run(self._conn, sql, params)
        except DatabaseError as exc:
            raise (_integrity_error(exc) or exc) from exc
        except (InterfaceError, OSError) as exc:
            raise DatabaseUnavailable(f"database connection lost: {exc}") from exc
        if not rows:
            return []
        names = [c["name"] for c in self._conn.columns or []]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def one(self, sql: str, **params: Any) -> Row | None:
        rows = self.all(sql, **params)
        return rows[0] if rows else None

    def value(self, sql: str, **params: Any) -> Any:
        row = self.one(sql, **params)
        return next(iter(row.values())) if row else None

    def execute(self, sql: str, **params: Any) -> int:
        self.all(sql, **params)
        return self._conn.row_count

    @contextmanager
    def savepoint(self, name: str = "sp") -> Iterator[None]:
        if isinstance(self, _Autocommit):
            raise RuntimeError("a savepoint needs a transaction: use Database.transaction()")
        self._conn.run(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._conn.run(f"ROLLBACK TO SAVEPOINT {name}")
            raise
        self._conn.run(f"RELEASE SAVEPOINT {name}")


class _Autocommit(Tx):
    """Statements that commit one by one (pg8000's native API begins nothing implicitly). The
    first one reopens the connection once if the cached one has died: statements run this way
    are reads or idempotent single-statement writes, so trying again cannot apply anything
    twice. A later failure drops the connection (the next unit of work opens a fresh one).

    `durable=False` commits without waiting for the write-ahead log to reach the disk (the
    session's synchronous_commit is switched off once per connection; write transactions switch
    it back on for themselves, in their START's round trip). Such a commit is lost only if the
    server crashes in the next fraction of a second, and any later durable commit makes it
    durable too (the log is written in order)."""

    def __init__(self, db: Database, durable: bool | None = True) -> None:
        self._db = db
        self._durable = durable
        self._first = True
        self._reused = getattr(db._local, "conn", None) is not None
        super().__init__(db.connection())

    def _run(self, sql: str, params: dict[str, Any]) -> list[Row]:
        if self._durable is not None and _async_commit(self._conn) == self._durable:
            Tx.all(self, "SET synchronous_commit TO " + ("on" if self._durable else "off"))
            self._conn._fpv_async_commit = not self._durable  # type: ignore[attr-defined]
        return Tx.all(self, sql, **params)

    def all(self, sql: str, **params: Any) -> list[Row]:
        first, self._first = self._first, False
        try:
            return self._run(sql, params)
        except DatabaseUnavailable:
            self._db._drop()
            if not (first and self._reused):
                raise
        self._conn = self._db.connection()
        try:
            return self._run(sql, params)
        except DatabaseUnavailable:
            self._db._drop()
            raise


def _async_commit(conn: pg8000.native.Connection) -> bool:
    """Whether this session's commits are asynchronous (see `_Autocommit`)."""
    return getattr(conn, "_fpv_async_commit", False)


ISOLATION = {
    "read committed": "READ COMMITTED",
    "repeatable read": "REPEATABLE READ",
    "serializable": "SERIALIZABLE",
}


class Database:
    """Connection factory + unit of work. Cheap to create; the connection opens on first use."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 5.0,
        application: str = "fpv",
        sslrootcert: str | None = None,
    ) -> None:
        self.url = url  # carries the password: never log it (describe() is the safe form)
        self.sslrootcert = sslrootcert  # the CA bundle, for another Database on the same server
        self.params = ConnectionParams.from_url(url, sslrootcert=sslrootcert)
        self._timeout = connect_timeout
        self._application = application
        self._local = threading.local()
        # every open connection by the thread that owns it: a thread that has finished cannot
        # close its own, so the next connect (or `close_finished_threads`) closes it for it
        self._owners: dict[threading.Thread, pg8000.native.Connection] = {}
        self._owners_lock = threading.Lock()
        _instances.add(self)

    def _connect(self) -> pg8000.native.Connection:
        p = self.params
        try:
            return pg8000.native.Connection(
                user=p.user,
                password=p.password,
                host=p.host or "localhost",
                port=p.port,
                database=p.database,
                unix_sock=p.unix_sock,
                ssl_context=p.driver_ssl(),
                timeout=self._timeout,
                application_name=self._application,
                startup_params=dict(p.server_settings) or None,
            )
        except ssl.SSLCertVerificationError as exc:
            raise DatabaseUnavailable(
                f"TLS to the database at {p.describe()} failed ({p.sslmode}, CA"
                f" {p.sslrootcert if len(p.sslrootcert) < 200 else 'PEM'}):"
                f" certificate verify failed: {exc.verify_message or exc.reason}"
            ) from exc
        except (InterfaceError, OSError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise DatabaseUnavailable(
                f"cannot reach the database at {p.describe()}: {reason}"
            ) from exc
        except DatabaseError as exc:  # e.g. database does not exist, authentication failed
            info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
            msg = info.get("M", str(exc))
            raise DatabaseUnavailable(f"database at {p.describe()} refused us: {msg}") from exc

    def connection(self) -> pg8000.native.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.close_finished_threads()
            conn = self._local.conn = self._connect()
            with self._owners_lock:
                self._owners[threading.current_thread()] = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._owners_lock:
                if self._owners.get(threading.current_thread()) is conn:
                    del self._owners[threading.current_thread()]
            _close_quietly(conn)

    def close_finished_threads(self) -> int:
        """Close the connections of threads that have ended (a thread pool's expired workers,
        one-off threads); returns how many. Left alone they would stay open until a garbage
        collection happened to find them."""
        with self._owners_lock:
            finished = [t for t in self._owners if not t.is_alive()]
            conns = [self._owners.pop(t) for t in finished]
        for conn in conns:
            _close_quietly(conn)
        return len(conns)

    def _begin(self, statement: str) -> pg8000.native.Connection:
        """Start a transaction; reconnect once if the cached connection has died."""
        for attempt in (1, 2):
            conn = self.connection()
            try:
                if _async_commit(conn):  # a transaction's commit is always durable
                    conn.run(f"{statement}; SET LOCAL synchronous_commit TO on")
                else:
                    conn.run(statement)
                return conn
            except (InterfaceError, OSError) as exc:
                self._drop()
                if attempt == 2:
                    raise DatabaseUnavailable(f"database connection lost: {exc}") from exc
        raise AssertionError("unreachable")

    @contextmanager
    def transaction(
        self, isolation: str = "read committed", *, readonly: bool = False
    ) -> Iterator[Tx]:
        if readonly and isolation == "read committed":
            yield _Autocommit(self, durable=None)  # the same snapshots: one per statement
            return
        mode = ISOLATION[isolation] + (" READ ONLY" if readonly else "")
        conn = self._begin(f"START TRANSACTION ISOLATION LEVEL {mode}")
        try:
            yield Tx(conn)
        except BaseException:
            try:
                conn.run("ROLLBACK")
            except (InterfaceError, OSError):
                self._drop()
            raise
        try:
            conn.run("COMMIT")
        except (InterfaceError, OSError) as exc:
            self._drop()
            raise DatabaseUnavailable(f"database connection lost at commit: {exc}") from exc
        except DatabaseError as exc:  # deferred constraint failing at commit
            raise (_integrity_error(exc) or exc) from exc

    @contextmanager
    def autocommit(self, *, durable: bool = True) -> Iterator[Tx]:
        """A unit of work of single statements that each commit on their own: no START/COMMIT
        round trips. For one statement that is correct alone (an idempotent upsert, a read).
        `durable=False`: the commit does not wait for the disk (see `_Autocommit`)."""
        yield _Autocommit(self, durable)

    def ping(self) -> bool:
        try:
            with self.transaction(readonly=True) as tx:
                return tx.value("SELECT 1") == 1
        except DatabaseUnavailable:
            return False

    def close(self) -> None:
        self._drop()


def _close_quietly(conn: pg8000.native.Connection) -> None:
    with contextlib.suppress(Exception):  # the socket may be dead already
        conn.close()


_instances: weakref.WeakSet[Database] = weakref.WeakSet()


def close_thread_connections() -> None:
    """Close the calling thread's connection of every Database (a thread about to end)."""
    for db in list(_instances):
        db.close()


def close_finished_thread_connections() -> int:
    """Close the connections that ended threads left open, in every Database."""
    return sum(db.close_finished_threads() for db in list(_instances))


_databases: dict[str, Database] = {}
_lock = threading.Lock()


def database_for(url: str, sslrootcert: str | None = None) -> Database:
    """The process-wide Database for a URL: warm Lambda invocations reuse its connection."""
    with _lock:
        key = f"{url}\n{sslrootcert or ''}"
        db = _databases.get(key)
        if db is None:
            db = _databases[key] = Database(url, sslrootcert=sslrootcert)
        return db
