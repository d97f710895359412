"""The site's promises in template.yaml: a private bucket read only by our CloudFront
distribution (OAC), a publisher wired to the "schedule changed" events the code publishes, with
bounded concurrency and exactly the permissions it needs."""

from __future__ import annotations

from pathlib import Path

import yaml

from fpv.local.template import _CfnLoader, load_template
from fpv.ports.events import SCHEDULE_CHANGED, SOURCE

ROOT = Path(__file__).resolve().parents[2]


def _resources() -> dict:
    doc = yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)  # noqa: S506
    return doc["Resources"]


def test_bucket_is_private_and_only_cloudfront_reads_it():
    res = _resources()
    block = res["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    origin = res["SiteDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": "SiteOriginAccessControl.Id"}
    oac = res["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always" and oac["OriginAccessControlOriginType"] == "s3"
    [allow] = [
        s
        for s in res["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "${SiteDistribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]


def test_cdn_sends_a_strict_content_security_policy():
    res = _resources()
    behavior = res["SiteDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SiteResponseHeadersPolicy"}
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    config = res["SiteResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_publisher_listens_to_the_events_the_code_publishes():
    props = _resources()["SitePublisherFunction"]["Properties"]
    pattern = props["Events"]["ScheduleChanged"]["Properties"]["Pattern"]
    assert pattern == {"source": [SOURCE], "detail-type": [SCHEDULE_CHANGED]}
    assert props["ReservedConcurrentExecutions"] <= 2  # bursts queue instead of fanning out
    assert props["Environment"]["Variables"]["SITE_BUCKET"] == {"Ref": "SiteBucket"}
    assert props["Environment"]["Variables"]["SITE_DISTRIBUTION_ID"] == {"Ref": "SiteDistribution"}
    statements = [
        p["Statement"] for p in props["Policies"] if isinstance(p, dict) and "Statement" in p
    ]
    [[invalidate]] = statements
    assert invalidate["Action"] == "cloudfront:CreateInvalidation"
    assert "${SiteDistribution}" in invalidate["Resource"]["Fn::Sub"]


def test_local_runner_delivers_the_same_events_and_the_periodic_refresh():
    template = load_template(ROOT / "template.yaml")
    [rule] = [r for r in template.event_rules if r.function.logical_id == "SitePublisherFunction"]
    assert rule.pattern == {"source": [SOURCE], "detail-type": [SCHEDULE_CHANGED]}
    [refresh] = [s for s in template.schedules if s.function.logical_id == "SitePublisherFunction"]
    assert refresh.event == {"trigger": "periodic"} and refresh.expression.startswith("rate(")


def test_cdn_headers_come_from_the_one_source_the_local_server_uses():
    """Issue #10.8: the local server sends the same CSP as CloudFront (fpv/site/security.py)."""
    from fpv.site.security import DEFAULT_TILE_URL, content_security_policy, site_headers

    config = _resources()["SiteResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert csp == content_security_policy(DEFAULT_TILE_URL)
    local = site_headers(DEFAULT_TILE_URL)
    assert local["Content-Security-Policy"] == csp
    assert local["X-Frame-Options"] == security["FrameOptions"]["FrameOption"]
    assert local["Referrer-Policy"] == security["ReferrerPolicy"]["ReferrerPolicy"]
    assert local["X-Content-Type-Options"] == "nosniff" and security["ContentTypeOptions"]
