"""QR codes (SVG) of the bot's deep links. A code depends only on its URL, so the publisher
identifies it by the URL and draws it only when it is not published yet (drawing is the
slowest step of a first publication: a few milliseconds per code)."""

from __future__ import annotations

import hashlib
from functools import lru_cache

QR_VERSION = "segno-1/m/scale4/border2"  # part of the identity: change it to redraw every code


def qr_digest(url: str) -> str:
    return hashlib.sha256(f"{QR_VERSION}\n{url}".encode()).hexdigest()


@lru_cache(maxsize=4096)
def qr_svg(url: str) -> bytes:
    import io

    import segno  # lazy: only new codes need it

    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, scale=4, border=2, dark="#000", light="#fff"
    )
    return out.getvalue()
