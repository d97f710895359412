"""Where the site is published, from settings: S3 + CloudFront in AWS (SITE_BUCKET set), else
the local folder SITE_DIR (what `make run` serves at `/`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fpv.ports.storage import Cdn, CloudFrontCdn, LocalDirStorage, ObjectStorage, S3Storage


@lru_cache(maxsize=4)
def _aws_target(
    bucket: str, distribution_id: str | None, endpoint_url: str | None
) -> tuple[ObjectStorage, Cdn | None]:
    # cached: warm invocations reuse the (lazily created) boto3 clients
    storage = S3Storage(bucket, endpoint_url=endpoint_url)
    cdn = CloudFrontCdn(distribution_id, endpoint_url=endpoint_url) if distribution_id else None
    return storage, cdn


def site_target(settings: Any) -> tuple[ObjectStorage, Cdn | None]:
    if settings.site_bucket:
        return _aws_target(
            settings.site_bucket, settings.site_distribution_id, settings.aws_endpoint_url
        )
    return LocalDirStorage(Path(settings.site_dir)), None
