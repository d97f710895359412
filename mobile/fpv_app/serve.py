"""`make app`: the app's Flet web build on http://127.0.0.1:8550 against `make run`'s API.

Flet's web client comes from `flet-web` with `no_cdn=True` (CanvasKit and fonts served locally).
The client still asks jsDelivr for Rive's `rive_native.js` at start (hard-wired in Flet 1.0.5's
client); a small script in the page rewrites that address to `/rive/...`, served from the npm
package `@rive-app/flutter-native-wasm` (mobile/package-lock.json, installed by make). Nothing
is fetched from outside the machine."""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
from dataclasses import replace
from pathlib import Path

from fpv_app.config import AppConfig

MOBILE = Path(__file__).resolve().parents[1]
RIVE_PACKAGE = MOBILE / "node_modules" / "@rive-app" / "flutter-native-wasm"
RIVE_CDN = "https://cdn.jsdelivr.net/npm/@rive-app/flutter-native-wasm@"

# Loaded before Flutter: any <script src> pointing at Rive's CDN is pointed at our copy instead.
SHIM = """// fpv_app: serve Rive's runtime locally (never from a CDN)
(function () {
  var CDN = %s;
  var d = Object.getOwnPropertyDescriptor(HTMLScriptElement.prototype, "src");
  Object.defineProperty(HTMLScriptElement.prototype, "src", {
    configurable: true,
    enumerable: d.enumerable,
    get: d.get,
    set: function (v) {
      v = String(v);
      if (v.indexOf(CDN) === 0) {
        v = new URL("rive/" + v.slice(CDN.length).replace(/^[^/]*\\//, ""), document.baseURI).href;
      }
      d.set.call(this, v);
    },
  });
})();
"""


def web_dir() -> Path:
    import flet_web

    return Path(flet_web.get_package_web_dir())


def prepare_assets(target: Path) -> Path:
    """The assets folder Flet serves first: its own index.html plus the shim, and Rive's files.
    Copies (not links: the static server refuses paths leading outside its folders)."""
    if not (RIVE_PACKAGE / "wasm" / "rive_native.js").exists():
        raise SystemExit(f"{RIVE_PACKAGE} is missing: run `make app` (npm ci in mobile/) first")
    target.mkdir(parents=True, exist_ok=True)
    index = (web_dir() / "index.html").read_text(encoding="utf-8")
    marker = '<script src="python.js"></script>'
    if marker not in index:
        raise SystemExit("Flet's index.html changed: the Rive shim has nowhere to go")
    index = index.replace(marker, '<script src="rive-local.js"></script>\n  ' + marker, 1)
    index = index.replace("<html>", '<html lang="ru">', 1)
    _write(target / "index.html", index.encode())
    _write(target / "rive-local.js", (SHIM % _js_string(RIVE_CDN)).encode())
    for sub in ("wasm", "wasm_compatibility"):
        for f in (RIVE_PACKAGE / sub).iterdir():
            _write(target / "rive" / sub / f.name, f.read_bytes())
    icon = MOBILE / "assets" / "icon.png"
    if icon.exists():
        _write(target / "icon.png", icon.read_bytes())
    return target


def _js_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write(path: Path, data: bytes) -> None:
    if (
        path.exists()
        and hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest()
    ):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    shutil.move(tmp, path)


def asgi_app(config: AppConfig):
    """The web build as an ASGI app (uvicorn serves it)."""
    from flet_web.fastapi import app as flet_app

    from fpv_app.ui.app import run_app

    assets = prepare_assets(config.data_dir / "web")

    async def main(page):
        await run_app(page, config)

    return flet_app(
        main,
        assets_dir=str(assets),
        app_name="FPV",
        app_short_name="FPV",
        app_description="FPV trainings: schedule, sign-up, my trainings",
        no_cdn=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fpv_app.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8550)
    parser.add_argument("--api-url", help="the platform (default FPV_APP_API_URL or :8000)")
    args = parser.parse_args(argv)
    config = AppConfig.from_env()
    if args.api_url:
        config = replace(config, api_url=args.api_url.rstrip("/"))
    logging.basicConfig(level=logging.WARNING)
    import uvicorn

    print(f"the app: http://{args.host}:{args.port}/  (API: {config.api_url})", flush=True)
    uvicorn.run(asgi_app(config), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
