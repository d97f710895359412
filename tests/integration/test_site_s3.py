"""Publishing to S3 + CloudFront (moto): only changed objects are uploaded, with the right
Content-Type and Cache-Control, and exactly their paths are invalidated. The Lambda handler is
driven with real EventBridge-shaped events."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import boto3
import pytest

from fpv.demo import seed_demo
from fpv.ports.events import SCHEDULE_CHANGED, InProcessEventBus, eventbridge_event
from fpv.ports.storage import MANIFEST_KEY, CloudFrontCdn, S3Storage
from fpv.registrations import sign_up
from fpv.site.build import publish_site
from fpv.site.model import SiteConfig
from tests.support.aws import mocked_s3
from tests.support.factories import make_pilot, make_training, make_venue

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "fpv-site-test"
CONFIG = SiteConfig(bot_username="fpv_test_bot")


@pytest.fixture
def aws(monkeypatch):
    with mocked_s3(monkeypatch, BUCKET) as s3:
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "fpv-test",
                "Comment": "test",
                "Enabled": True,
                "DefaultRootObject": "index.html",
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "site",
                            "DomainName": f"{BUCKET}.s3.eu-central-1.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "MinTTL": 0,
                },
            }
        )["Distribution"]["Id"]
        yield s3, cloudfront, distribution


def _invalidations(cloudfront, distribution: str) -> list[list[str]]:
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    batches = []
    for item in listed.get("Items", []):
        detail = cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])
        batches.append(sorted(detail["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]))
    return batches


def _keys(s3) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {obj["Key"] for page in pages for obj in page.get("Contents", [])}


def test_first_publish_uploads_everything_with_types_and_cache_headers(db, aws):
    s3, cloudfront, distribution = aws
    seed_demo(db)
    storage = S3Storage(BUCKET, client=s3)
    report = publish_site(
        db, storage, cdn=CloudFrontCdn(distribution, client=cloudfront), config=CONFIG
    )
    assert set(report.uploaded) | {MANIFEST_KEY} == _keys(s3)
    expected = {
        "index.html": ("text/html; charset=utf-8", "public, max-age=60, s-maxage=86400"),
        "schedule.json": (
            "application/json; charset=utf-8",
            "public, max-age=0, s-maxage=5, must-revalidate",
        ),
        "calendar/all.ics": ("text/calendar; charset=utf-8", "public, max-age=900, s-maxage=3600"),
        "qr/bot.svg": ("image/svg+xml", "public, max-age=86400"),
    }
    css = next(k for k in report.uploaded if k.endswith(".css"))
    expected[css] = ("text/css; charset=utf-8", "public, max-age=31536000, immutable")
    for key, (content_type, cache_control) in expected.items():
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key
    [paths] = _invalidations(cloudfront, distribution)
    assert {"/", "/en/", "/index.html", "/schedule.json", "/calendar/all.ics"} <= set(paths)
    assert len(paths) == len(report.uploaded) + 2  # every object + the two folder URLs


def _lists_showing(doc: dict, tr: dict) -> set[str]:
    from fpv.site.filters import list_pages

    venues = {v["slug"]: v for v in doc["venues"]}
    return {
        page.url(lang).lstrip("/")
        for page in list_pages(doc)
        for lang in ("ru", "en")
        if tr in page.select(doc, venues)
    }


def test_one_registration_uploads_and_invalidates_only_the_affected_objects(db, aws):
    s3, cloudfront, distribution = aws
    venue = make_venue(db)
    training = make_training(db, venue_id=venue, capacity=4)
    for _ in range(3):
        make_training(db, venue_id=make_venue(db))
    make_pilot(db, 901)
    storage = S3Storage(BUCKET, client=s3)
    cdn = CloudFrontCdn(distribution, client=cloudfront)
    publish_site(db, storage, cdn=cdn, config=CONFIG)
    doc = json.loads(s3.get_object(Bucket=BUCKET, Key="schedule.json")["Body"].read())
    tr = next(t for t in doc["trainings"] if t["number"] == training)
    etags = {
        k: s3.head_object(Bucket=BUCKET, Key=k)["ETag"] for k in _keys(s3) if k != MANIFEST_KEY
    }

    sign_up(db, InProcessEventBus(), training_id=training, telegram_id=901)
    report = publish_site(db, storage, cdn=cdn, config=CONFIG)

    affected = {
        "schedule.json",
        "index.html",
        "en/index.html",
        f"city/{tr['city']}.html",
        f"en/city/{tr['city']}.html",
        f"venue/{tr['venue']}.html",
        f"en/venue/{tr['venue']}.html",
        f"training/{tr['id']}.html",
        f"en/training/{tr['id']}.html",
    } | _lists_showing(doc, tr)
    assert set(report.uploaded) == affected
    changed = {
        k for k, etag in etags.items() if s3.head_object(Bucket=BUCKET, Key=k)["ETag"] != etag
    }
    assert changed == affected  # nothing else in the bucket was rewritten
    batches = _invalidations(cloudfront, distribution)
    assert len(batches) == 2
    assert set(batches[-1]) == {"/" + k for k in affected} | {"/", "/en/"}
    page = s3.get_object(Bucket=BUCKET, Key=f"training/{tr['id']}.html")["Body"].read().decode()
    assert f'data-seats-left="{tr["id"]}">3<' in page

    # no change since: no upload, no invalidation
    again = publish_site(db, storage, cdn=cdn, config=CONFIG)
    assert again.skipped and len(_invalidations(cloudfront, distribution)) == 2


def test_removed_objects_are_deleted_and_invalidated(db, aws):
    s3, cloudfront, distribution = aws
    training = make_training(db)
    storage = S3Storage(BUCKET, client=s3)
    cdn = CloudFrontCdn(distribution, client=cloudfront)
    publish_site(db, storage, cdn=cdn, config=CONFIG)
    doc = json.loads(s3.get_object(Bucket=BUCKET, Key="schedule.json")["Body"].read())
    pid = doc["trainings"][0]["id"]
    with db.transaction() as tx:
        tx.execute("UPDATE trainings SET status = 'cancelled' WHERE id = :id", id=training)
    report = publish_site(db, storage, cdn=cdn, config=CONFIG)
    assert report.deleted == [f"qr/training-{training}.svg"]
    assert f"qr/training-{training}.svg" not in _keys(s3)
    assert f"/qr/training-{training}.svg" in _invalidations(cloudfront, distribution)[-1]
    feed = s3.get_object(Bucket=BUCKET, Key="calendar/all.ics")["Body"].read().decode()
    assert "STATUS:CANCELLED" in feed and f"UID:{pid}@fpv-training" in feed


def _handler():
    spec = importlib.util.spec_from_file_location(
        "site_publisher_app", ROOT / "functions" / "site_publisher" / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def _context():
    from fpv.local.apigw import LambdaContext

    return LambdaContext("SitePublisherFunction", 300, 1024)


def test_handler_publishes_on_schedule_changed_and_ignores_bad_events(
    app_env, db, aws, monkeypatch
):
    from fpv.settings import get_settings
    from fpv.site import targets

    s3, _, distribution = aws
    monkeypatch.setenv("SITE_BUCKET", BUCKET)
    monkeypatch.setenv("SITE_DISTRIBUTION_ID", distribution)
    get_settings.cache_clear()
    targets._aws_target.cache_clear()
    make_training(db)
    handler = _handler()
    event = eventbridge_event(SCHEDULE_CHANGED, {"training_id": 1, "reason": "sign_up"})
    first = handler(event, _context())
    assert first["status"] == "published" and first["uploaded"] > 5
    assert "schedule.json" in _keys(s3)
    second = handler(event, _context())
    assert second["status"] == "unchanged" and second["uploaded"] == 0
    assert handler({"trigger": "periodic"}, _context())["status"] == "unchanged"
    forced = handler({"trigger": "manual", "force": True}, _context())
    assert forced["status"] == "published" and forced["uploaded"] == first["uploaded"]

    for bad, reason in (
        ({"source": "aws.ec2", "detail-type": "EC2 Instance State-change"}, "unexpected event"),
        ({"trigger": "manual", "force": "yes"}, "'force' must be true or false"),
        ({"trigger": "sometimes"}, "unknown trigger"),
        ({}, "unknown trigger"),
    ):
        answer = handler(bad, _context())
        assert answer["status"] == "ignored" and reason in answer["reason"], bad
    targets._aws_target.cache_clear()
