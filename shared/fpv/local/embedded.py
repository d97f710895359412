"""The embedded PostgreSQL (pgserver) used when DATABASE_URL is unset: data kept under .fpv/."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("fpv.local.embedded")


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Starts (or reuses) a PostgreSQL server on `data_dir`, yields its URL (a Unix socket, so
    no port is taken), and stops it on exit, whatever ended the block."""
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
        import pgserver  # lazy: a dev-only dependency

    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        try:
            server.cleanup()
        except Exception as exc:  # already stopped (e.g. by the terminal's Ctrl-C)
            log.debug("embedded postgres cleanup: %s", exc)
