"""The site's CSS/JS in shared/fpv/site/assets are the esbuild bundle of frontend/site (npm,
package-lock.json): rebuilding from the sources gives the committed bytes, so nobody edits the
bundle by hand and the publisher needs no node at run time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend" / "site"
ASSETS = ROOT / "shared" / "fpv" / "site" / "assets"


@pytest.mark.skipif(
    shutil.which("node") is None or not (FRONTEND / "node_modules" / "esbuild").exists(),
    reason="node or frontend/site/node_modules missing (make test runs npm ci)",
)
def test_committed_bundle_is_the_build_of_the_sources(tmp_path):
    subprocess.run(["node", "build.mjs", str(tmp_path)], cwd=FRONTEND, check=True, timeout=120)
    for name in ("site.js", "site.css"):
        built = (tmp_path / name).read_bytes()
        assert built == (ASSETS / name).read_bytes(), f"{name} is stale: run `make site-assets`"


def test_bundle_carries_leaflet_and_its_license():
    js, css = (ASSETS / "site.js").read_text(), (ASSETS / "site.css").read_text()
    assert "Leaflet" in js and "Vladimir Agafonkin" in js  # from npm, its notice kept
    assert ".leaflet-container" in css
    assert "url(http" not in css and "@import" not in css  # nothing loaded from elsewhere
