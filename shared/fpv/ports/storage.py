"""Object storage port for the published site: a local folder (dev, tests) or S3 (AWS), plus a
small CDN port (CloudFront invalidations) and the content-hash sync both publishers share.

`sync_objects` uploads only what changed since the last publication: every publication writes a
manifest (key → input fingerprint and content hash) into the storage itself, so the next one
compares against what is there without listing or downloading anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

MANIFEST_KEY = "_fpv/manifest.json"
MANIFEST_VERSION = 2
# Above this many changed paths one wildcard is cheaper than a path list (CloudFront allows
# 3,000 paths in flight and bills each path beyond 1,000 a month).
MAX_INVALIDATION_PATHS = 1000
SWITCH_INTERVAL_S = 0.0005  # GIL switch interval while objects are rendered and stored at once


class ObjectStorage(Protocol):
    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, keys: Iterable[str]) -> None: ...


class Cdn(Protocol):
    def invalidate(self, paths: Sequence[str]) -> str | None: ...


class LocalDirStorage:
    """Writes objects as files under a folder; each write is atomic (temp file + rename), so a
    page being served is never half-written. Writes run in two threads beside the renderer
    (file system calls release the GIL); more only wake each other: a full rebuild of 1,000
    trainings took 1.68-1.74 s with 2 writers, 1.73-1.80 s with 4, 1.93-2.25 s with 8 and
    1.91-2.08 s with 1 (`make bench BENCH=site`'s data, same run, 2 cores)."""

    concurrency = 2

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real_root = os.path.realpath(root)
        self._folders: set[str] = set()  # folders known to exist (saves a syscall per file)

    def _path(self, key: str) -> Path:
        normal = os.path.normpath(key)
        if os.path.isabs(normal) or normal == ".." or normal.startswith("../") or not key:
            raise ValueError(f"key escapes the site folder: {key!r}")
        return Path(self._real_root, normal)

    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None:
        path = self._path(key)
        if self._holds(path, body):
            return  # already there, byte for byte: rewriting it would change nothing
        folder = str(path.parent)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        tmp = os.path.join(folder, f".tmp-{uuid.uuid4().hex}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(tmp, flags, 0o644)
        except FileNotFoundError:  # the folder was removed behind our back: make it again
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, flags, 0o644)
        try:
            os.fchmod(fd, 0o644)  # readable by a web server of another user, whatever the umask
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @staticmethod
    def _holds(path: Path, body: bytes) -> bool:
        """Does the file already hold exactly these bytes, readable by all? Reading a small
        file is ~20x cheaper than creating and renaming one, and a full rebuild finds most
        objects (QR codes, calendar feeds, assets) unchanged."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            info = os.fstat(fd)
            if info.st_size != len(body) or info.st_mode & 0o777 != 0o644:
                return False
            with os.fdopen(fd, "rb", closefd=False) as handle:
                return handle.read() == body
        finally:
            os.close(fd)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)


class S3Storage:
    """A bucket; the boto3 client is created on first use and reused while the Lambda is warm.
    Uploads run in parallel (`concurrency`): boto3 clients are thread-safe."""

    concurrency = 16
    delete_batch = 1000  # DeleteObjects takes at most 1,000 keys

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, client: Any = None):
        self.bucket = bucket
        self._endpoint_url = endpoint_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # lazy: only the publisher pays for it, once per container
            from botocore.config import Config

            self._client = boto3.client(
                "s3",
                endpoint_url=self._endpoint_url,
                config=Config(
                    max_pool_connections=self.concurrency * 2, retries={"mode": "standard"}
                ),
            )
        return self._client

    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl=cache_control,
        )

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return response["Body"].read()

    def delete(self, keys: Iterable[str]) -> None:
        pending = list(keys)
        for start in range(0, len(pending), self.delete_batch):
            chunk = pending[start : start + self.delete_batch]
            response = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
            )
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise RuntimeError(
                    f"S3 refused to delete {len(errors)} object(s), e.g. {first.get('Key')}:"
                    f" {first.get('Code')}"
                )


class CloudFrontCdn:
    """Invalidates paths of one distribution; the client is created lazily and reused."""

    def __init__(
        self, distribution_id: str, *, endpoint_url: str | None = None, client: Any = None
    ) -> None:
        self.distribution_id = distribution_id
        self._endpoint_url = endpoint_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("cloudfront", endpoint_url=self._endpoint_url)
        return self._client

    def invalidate(self, paths: Sequence[str]) -> str | None:
        if not paths:
            return None
        items = sorted(set(paths))
        reference = hashlib.sha256("\n".join(items).encode()).hexdigest()[:32]
        response = self.client.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                # unique per request: the same paths may legitimately change again later
                "CallerReference": f"{reference}-{time.time_ns()}",
            },
        )
        return response["Invalidation"]["Id"]


def _same(body: bytes) -> bytes:
    return body


@dataclass(frozen=True)
class StoredObject:
    """One object to publish.

    `digest` identifies what the object is made from: an unchanged digest means the object is
    not even produced. Otherwise `content()` produces it and its content hash decides whether
    it is uploaded; `finish` turns the content into the uploaded bytes (e.g. writes the
    "last updated" stamp, which must not count as a change).
    """

    key: str
    content_type: str
    cache_control: str
    digest: str
    content: Callable[[], bytes]
    finish: Callable[[bytes], bytes] = _same

    @property
    def fingerprint(self) -> str:
        # headers are part of what is published: changing Cache-Control re-uploads too
        return _headers_hash(self, self.digest)

    def body(self) -> bytes:
        """The bytes as they would be uploaded now."""
        return self.finish(self.content())


def _headers_hash(obj: StoredObject, value: str) -> str:
    raw = f"{obj.content_type}\n{obj.cache_control}\n{value}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]  # 128 bits: keeps the manifest small


@dataclass
class Manifest:
    objects: dict[str, str] = field(default_factory=dict)  # key → fingerprint (inputs)
    content: dict[str, str] = field(default_factory=dict)  # key → content hash (bytes)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        doc = {
            "version": MANIFEST_VERSION,
            "meta": self.meta,
            "objects": self.objects,
            "content": self.content,
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def read_manifest(storage: ObjectStorage) -> Manifest:
    """What the last publication left; an absent or unreadable manifest means "nothing known",
    which only costs re-uploading everything once."""
    raw = storage.get(MANIFEST_KEY)
    if not raw:
        return Manifest()
    try:
        doc = json.loads(raw)
    except ValueError:
        return Manifest()
    if not isinstance(doc, dict) or doc.get("version") != MANIFEST_VERSION:
        return Manifest()
    meta = doc.get("meta")
    return Manifest(
        objects=_str_dict(doc.get("objects")),
        content=_str_dict(doc.get("content")),
        meta=meta if isinstance(meta, dict) else {},
    )


def cdn_paths(keys: Iterable[str]) -> list[str]:
    """URL paths that serve these keys: `/key`, plus the folder URL for an index.html."""
    paths: set[str] = set()
    for key in keys:
        paths.add("/" + key)
        if key == "index.html" or key.endswith("/index.html"):
            paths.add("/" + key[: -len("index.html")])
    return sorted(paths)


@dataclass(frozen=True)
class SyncReport:
    uploaded: list[str]
    deleted: list[str]
    unchanged: int
    invalidated: list[str]
    invalidation_id: str | None


def _upload_order(key: str) -> tuple[int, str]:
    # Referenced objects first (assets, images, data), pages after, the home pages last: a
    # reader never gets a page that points at something not uploaded yet.
    if key.endswith(".html"):
        return (2 if key in ("index.html", "en/index.html") else 1, key)
    return (0, key)


class _OrderedWriter:
    """Stores items on a few threads, group by group: an item of group g starts only when every
    item of the groups before it is stored (the caller submits in group order and says when a
    group is complete). After a failure nothing more is stored and the first error is raised."""

    def __init__(self, store: Callable[[Any], None], workers: int) -> None:
        self._store = store
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Any] = []
        self._cond = threading.Condition()
        self._outstanding: dict[int, int] = {}
        self._complete_below = 0  # every item of the groups below this one was submitted
        self._failed = False

    def close_before(self, group: int) -> None:
        if group > self._complete_below:
            with self._cond:
                self._complete_below = group
                self._cond.notify_all()

    def _ready(self, group: int) -> bool:
        return self._failed or (
            self._complete_below >= group
            and not any(n for g, n in self._outstanding.items() if g < group)
        )

    def _run(self, group: int, item: Any) -> None:
        try:
            with self._cond:
                self._cond.wait_for(lambda: self._ready(group))
                if self._failed:
                    return
            self._store(item)
        except BaseException:
            with self._cond:
                self._failed = True
            raise
        finally:
            with self._cond:
                self._outstanding[group] -= 1
                self._cond.notify_all()

    def submit(self, group: int, item: Any) -> None:
        if self._workers == 1:
            self._store(item)  # one at a time, in order: nothing to wait for
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self._workers)
        with self._cond:
            self._outstanding[group] = self._outstanding.get(group, 0) + 1
        self._futures.append(self._pool.submit(self._run, group, item))

    def __enter__(self) -> _OrderedWriter:
        # The producer renders (CPU, holding the GIL) while the writers make system calls; a
        # writer coming back from one waits for the GIL up to the switch interval (5 ms by
        # default), which would starve the writes. A shorter interval while we write.
        self._interval = sys.getswitchinterval()
        if self._workers > 1:
            sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL_S))
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        try:
            self._finish(exc_type)
        finally:
            sys.setswitchinterval(self._interval)

    def _finish(self, exc_type: Any) -> None:
        with self._cond:
            self._complete_below = 1 << 30  # no more items: let every group run (or stop)
            if exc_type is not None:
                self._failed = True
            self._cond.notify_all()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if exc_type is None:
            for future in self._futures:
                future.result()  # re-raises the first failure


def sync_objects(
    storage: ObjectStorage,
    objects: Sequence[StoredObject],
    *,
    previous: Manifest,
    meta: dict[str, Any],
    cdn: Cdn | None = None,
    force: bool = False,
) -> SyncReport:
    """Uploads the objects whose content changed since `previous` (all of them with `force`),
    deletes the ones no longer published, records the new manifest, then invalidates exactly
    the changed paths on the CDN. Objects whose inputs did not change are not even produced."""
    wanted = {obj.key: obj for obj in objects}
    if MANIFEST_KEY in wanted:
        raise ValueError(f"{MANIFEST_KEY} is reserved for the manifest")
    content = {k: v for k, v in previous.content.items() if k in wanted}
    changed: list[tuple[StoredObject, bytes]] = []

    def upload(item: tuple[StoredObject, bytes]) -> None:
        obj, body = item
        storage.put(
            obj.key,
            obj.finish(body),
            content_type=obj.content_type,
            cache_control=obj.cache_control,
        )

    # Produced in upload order and stored while the next ones are produced (rendering is CPU,
    # storing is I/O): a group is stored only once every earlier group is.
    ordered = sorted(objects, key=lambda o: _upload_order(o.key))
    writer = _OrderedWriter(upload, max(1, int(getattr(storage, "concurrency", 1))))
    with writer:
        for obj in ordered:
            group = _upload_order(obj.key)[0]
            writer.close_before(group)
            if (
                not force
                and previous.objects.get(obj.key) == obj.fingerprint
                and obj.key in content
            ):
                continue
            body = obj.content()
            content_hash = _headers_hash(obj, hashlib.sha256(body).hexdigest())
            if force or previous.content.get(obj.key) != content_hash:
                changed.append((obj, body))
                writer.submit(group, (obj, body))
            content[obj.key] = content_hash
    removed = sorted(set(previous.objects) - set(wanted))
    if removed:
        storage.delete(removed)
    manifest = Manifest({k: o.fingerprint for k, o in wanted.items()}, content, meta)
    storage.put(
        MANIFEST_KEY, manifest.to_json(), content_type="application/json", cache_control="no-store"
    )
    changed_keys = [obj.key for obj, _ in changed]
    paths = cdn_paths(changed_keys + removed)
    if len(paths) > MAX_INVALIDATION_PATHS:
        paths = ["/*"]
    invalidation_id = cdn.invalidate(paths) if cdn is not None and paths else None
    return SyncReport(
        uploaded=changed_keys,
        deleted=removed,
        unchanged=len(objects) - len(changed),
        invalidated=paths if cdn is not None else [],
        invalidation_id=invalidation_id,
    )
