"""The site's Content-Security-Policy: one source, the tile server its only outside origin."""

from __future__ import annotations

import pytest

from fpv.site.security import content_security_policy, tile_origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8123/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8123"),
        ("", ""),
        ("javascript:alert(1)", ""),
        ("/tiles/{z}/{x}/{y}.png", ""),
    ],
)
def test_tile_origin(url, origin):
    assert tile_origin(url) == origin


def test_policy_names_only_the_tile_server_and_meta_leaves_out_frame_ancestors():
    header = content_security_policy("http://127.0.0.1:9/t/{z}/{x}/{y}.png")
    assert "img-src 'self' data: http://127.0.0.1:9;" in header
    assert header.endswith("frame-ancestors 'none'")
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    meta = content_security_policy("", meta=True)
    assert "frame-ancestors" not in meta and "img-src 'self' data:;" in meta
