"""Object storage port for the published site: a local folder (dev, tests) or S3 (AWS)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol


class ObjectStorage(Protocol):
    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None: ...


class LocalDirStorage:
    """Writes objects as files under a folder; each write is atomic (temp file + rename), so a
    page being served is never half-written."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the site folder: {key!r}")
        return path

    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
