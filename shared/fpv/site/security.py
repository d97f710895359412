"""The one source of the site's Content-Security-Policy and security headers.

CloudFront sends them in AWS (template.yaml's SiteResponseHeadersPolicy, checked equal by
tests/unit/test_site_template.py), the local gateway sends the same on `fpv dev`, and every page
repeats the policy in a <meta> tag (less frame-ancestors, which a meta tag cannot carry).
The only outside origin a page may load from is the map tile server (SITE_TILE_URL).
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = "© OpenStreetMap contributors"


def tile_origin(tile_url: str) -> str:
    """scheme://host[:port] of a tile URL template ("" when tiles are off or the URL is bad)."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    netloc = parts.netloc.replace("a.", "*.", 1) if "{s}." in tile_url else parts.netloc
    return f"{parts.scheme}://{netloc}"


def content_security_policy(tile_url: str = DEFAULT_TILE_URL, *, meta: bool = False) -> str:
    """The policy for pages whose map loads tiles from `tile_url`. `meta=True` leaves out what a
    <meta http-equiv> cannot set (frame-ancestors)."""
    images = " ".join(p for p in ("'self'", "data:", tile_origin(tile_url)) if p)
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {images}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    if not meta:
        directives.append("frame-ancestors 'none'")
    return "; ".join(directives)


# What CloudFront adds besides the policy (HSTS only means something over HTTPS: AWS only).
HARDENING_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def site_headers(tile_url: str = DEFAULT_TILE_URL) -> dict[str, str]:
    """Response headers of every site object, as CloudFront sends them."""
    return {"Content-Security-Policy": content_security_policy(tile_url), **HARDENING_HEADERS}
