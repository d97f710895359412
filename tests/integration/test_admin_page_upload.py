"""Custom::AdminPage: the admin page's built files copied into the site bucket under admin/
(moto S3 and CloudFront), stale files of the previous upload removed, /admin/* invalidated;
without a build the deploy fails with a reason that says so."""

from __future__ import annotations

import json

import boto3
import pytest

from fpv.ops.admin_page import publish
from fpv.ports.storage import CloudFrontCdn, S3Storage
from tests.integration.test_deploy_hooks import (  # noqa: F401 - fixtures
    peers,
    registrar,
    request,
)
from tests.support.aws import REGION, mocked_s3


def distribution() -> str:
    cf = boto3.client("cloudfront", region_name=REGION)
    made = cf.create_distribution(
        DistributionConfig={
            "CallerReference": "admin-page-test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": "site.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
        }
    )
    return made["Distribution"]["Id"]


def build(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_upload_replaces_the_previous_page_and_invalidates(monkeypatch, tmp_path):
    with mocked_s3(monkeypatch, "site") as s3:
        s3.put_object(Bucket="site", Key="index.html", Body=b"public site")  # not ours
        cf_id = distribution()
        storage, cdn = S3Storage("site"), CloudFrontCdn(cf_id)
        first = tmp_path / "v1"
        build(first, {"index.html": "<p>v1</p>", "app.js": "1", "chunks/dash-AAA.js": "c"})
        _id, reason, data = publish("Create", {"Prefix": "admin/"}, storage, cdn, source=first)
        assert data == {"Files": 3} and "uploaded 3" in reason
        head = s3.head_object(Bucket="site", Key="admin/index.html")
        assert head["ContentType"].startswith("text/html") and head["CacheControl"] == "no-cache"
        chunk = s3.head_object(Bucket="site", Key="admin/chunks/dash-AAA.js")
        assert "immutable" in chunk["CacheControl"]

        second = tmp_path / "v2"
        build(second, {"index.html": "<p>v2</p>", "app.js": "2", "chunks/dash-BBB.js": "c"})
        publish("Update", {"Prefix": "admin/"}, storage, cdn, source=second)
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"]}
        assert keys == {
            "index.html",
            "admin/index.html",
            "admin/app.js",
            "admin/chunks/dash-BBB.js",
            "admin/.manifest.json",
        }
        assert s3.get_object(Bucket="site", Key="admin/index.html")["Body"].read() == b"<p>v2</p>"
        manifest = json.loads(
            s3.get_object(Bucket="site", Key="admin/.manifest.json")["Body"].read()
        )
        assert "admin/chunks/dash-AAA.js" not in manifest["keys"]
        invalidations = boto3.client("cloudfront", region_name=REGION).list_invalidations(
            DistributionId=cf_id
        )["InvalidationList"]
        assert invalidations["Quantity"] == 2

        publish("Delete", {"Prefix": "admin/"}, storage, cdn, source=second)
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"]}
        assert keys == {"index.html"}  # the public site stays


def test_bad_prefix_and_missing_build_are_refused(monkeypatch, tmp_path):
    with mocked_s3(monkeypatch, "site"):
        storage = S3Storage("site")
        with pytest.raises(ValueError):
            publish("Create", {"Prefix": "/"}, storage, None, source=tmp_path)
        with pytest.raises(FileNotFoundError):
            publish("Create", {"Prefix": "admin/"}, storage, None, source=tmp_path)


def test_the_deploy_hook_fails_clearly_without_a_built_page(peers, registrar, monkeypatch):  # noqa: F811
    _, cfn = peers
    with mocked_s3(monkeypatch, "site"):
        event = request(
            cfn,
            "Create",
            ResourceType="Custom::AdminPage",
            ResourceProperties={"Bucket": "site", "Prefix": "admin/"},
        )
        registrar(event)
    [answer] = cfn.answers
    assert answer["Status"] == "FAILED"
    assert "admin page" in answer["Reason"] and "AdminPageLayer" in answer["Reason"]
