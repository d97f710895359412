"""moto for AWS APIs: fake credentials (never a real account) and buckets in eu-central-1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

REGION = "eu-central-1"


def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@contextmanager
def mocked_s3(monkeypatch: pytest.MonkeyPatch, *buckets: str) -> Iterator[Any]:
    """An S3 client inside moto's mock with the named buckets created."""
    import boto3
    from moto import mock_aws

    fake_credentials(monkeypatch)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for bucket in buckets:
            client.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        yield client
