"""`Custom::AdminPage`: the admin page's built files (the AdminPageLayer, at /opt/admin-page in
DeployHooksFunction) copied into the site bucket under `admin/`, served by CloudFront at
/admin/ next to /api/* on the same origin.

Create/Update upload every file (index.html `no-cache`, so a new deploy is seen at once; the
rest briefly cached), delete what the previous upload had and this one has not (a manifest
`admin/.manifest.json` lists the keys: the publisher of the public site never touches them),
then invalidate `/admin/*`. Delete removes the files (the bucket itself is retained).
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from fpv.ports.storage import Cdn, ObjectStorage

LAYER_DIR = Path("/opt/admin-page")
PHYSICAL_ID = "admin-page"
MANIFEST = ".manifest.json"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".map": "application/json",
}


def _content_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0]
    return _TYPES.get(path.suffix) or guessed or "application/octet-stream"


def _cache_control(key: str) -> str:
    if key.endswith(".html"):
        return "no-cache"
    if "/chunks/" in key:  # esbuild names chunks by their content hash
        return "public, max-age=31536000, immutable"
    return "public, max-age=300"


def _previous(storage: ObjectStorage, prefix: str) -> list[str]:
    raw = storage.get(prefix + MANIFEST)
    if not raw:
        return []
    try:
        return [str(k) for k in json.loads(raw).get("keys", [])]
    except ValueError:
        return []


def publish(
    kind: str,
    props: dict[str, Any],
    storage: ObjectStorage,
    cdn: Cdn | None,
    *,
    source: Path = LAYER_DIR,
) -> tuple[str, str, dict[str, Any]]:
    prefix = str(props.get("Prefix") or "admin/")
    if not prefix.endswith("/") or prefix.startswith("/") or ".." in prefix:
        raise ValueError(f"Prefix must look like 'admin/', got {prefix!r}")
    previous = _previous(storage, prefix)
    if kind == "Delete":
        storage.delete([*previous, prefix + MANIFEST])
        return PHYSICAL_ID, f"removed {len(previous)} admin page files", {}
    files = sorted(p for p in source.rglob("*") if p.is_file())
    if not any(p.name == "index.html" for p in files):
        raise FileNotFoundError(f"no index.html under {source}: was the admin page built?")
    keys = []
    # the page's index last: it names the scripts, which must be there first
    for path in sorted(files, key=lambda p: (p.name == "index.html", str(p))):
        key = prefix + path.relative_to(source).as_posix()
        storage.put(
            key,
            path.read_bytes(),
            content_type=_content_type(path),
            cache_control=_cache_control(key),
        )
        keys.append(key)
    stale = sorted(set(previous) - set(keys))
    if stale:
        storage.delete(stale)
    manifest = json.dumps({"keys": keys}).encode()
    storage.put(
        prefix + MANIFEST, manifest, content_type="application/json", cache_control="no-store"
    )
    if cdn is not None:
        cdn.invalidate([f"/{prefix}*"])
    return (
        PHYSICAL_ID,
        f"uploaded {len(keys)} admin page files, removed {len(stale)}",
        {"Files": len(keys)},
    )
