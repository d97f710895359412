"""Where backups live: an S3 bucket (server-side encrypted, SHA-256 checked by S3 on upload) or,
for local development, a folder. Chosen by one setting, BACKUP_URL (s3://bucket[/prefix] or a
path)."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why in one line."""


class BackupNotFound(BackupError, LookupError):
    """The backup (or one of its objects) does not exist; the message says which."""


class BackupStore(Protocol):
    def put(
        self, key: str, body: bytes, *, content_type: str, metadata: dict[str, str]
    ) -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; BackupNotFound when it does not exist."""
        ...

    def list(self, prefix: str) -> list[str]: ...

    def delete(self, key: str) -> None: ...

    def where(self, key: str = "") -> str:
        """A human-readable location for messages (no secrets)."""
        ...


class S3BackupStore:
    """Objects in a bucket under an optional prefix. The boto3 client is created on first use and
    reused (warm Lambda invocations)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        client: Any = None,
        region: str | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._endpoint_url = endpoint_url
        self._client = client
        self._region = region
        # an S3-compatible store outside AWS has its own keys; in AWS the function's role
        self._credentials = credentials

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # lazy: only the backup paths pay for it

            keys = {}
            if self._credentials:
                keys = {
                    "aws_access_key_id": self._credentials[0],
                    "aws_secret_access_key": self._credentials[1],
                    "aws_session_token": None,
                }
            self._client = boto3.client(
                "s3", endpoint_url=self._endpoint_url, region_name=self._region, **keys
            )
        return self._client

    def where(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def put(self, key: str, body: bytes, *, content_type: str, metadata: dict[str, str]) -> None:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=body,
            ContentType=content_type,
            Metadata=metadata,
            ServerSideEncryption="AES256",
            ChecksumSHA256=digest,  # S3 refuses the upload if the bytes arrive changed
        )

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                raise BackupNotFound(f"{self.where(key)} does not exist") from exc
            raise
        return response["Body"].read()

    def list(self, prefix: str) -> list[str]:
        from botocore.exceptions import ClientError

        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                keys += [o["Key"][len(self.prefix) :] for o in page.get("Contents", [])]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
                raise BackupNotFound(f"bucket {self.bucket} does not exist") from exc
            raise
        return sorted(keys)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


class LocalDirBackupStore:
    """Files under a folder (development; `make run`). Writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def where(self, key: str = "") -> str:
        return str(self.root / key)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the backup folder: {key!r}")
        return path

    def put(self, key: str, body: bytes, *, content_type: str, metadata: dict[str, str]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(tmp, 0o600)  # backups hold personal data: owner only
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise BackupNotFound(f"{self.where(key)} does not exist") from exc

    def list(self, prefix: str) -> list[str]:
        if not self.root.is_dir():
            return []
        keys = [
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        ]
        return sorted(k for k in keys if k.startswith(prefix))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def store_from_url(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> BackupStore:
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"BACKUP_URL {url!r} names no bucket")
        return S3BackupStore(
            bucket, prefix, endpoint_url=endpoint_url, region=region, credentials=credentials
        )
    if "://" in url:
        raise ValueError(f"BACKUP_URL {url!r}: use s3://bucket[/prefix] or a folder path")
    return LocalDirBackupStore(Path(url))
