"""The pilots' app (mobile/fpv_app) web build: time from page load to the first screen rendered.

`fpv dev` (what `make run` starts, demo data) and `python -m fpv_app.serve` (what `make app`
starts) run as processes; headless Chromium at 390×844 opens the app in a fresh browser context
each run (nothing cached) and records, from the navigation's start: DOMContentLoaded, Flutter's
first frame (`flutter-first-frame`), and the first screen rendered (the schedule's first
training visible in Flutter's semantics tree, which is switched on at the first frame). Baseline
in the same run and browser: the public schedule site's page (static HTML + CSS/JS) loaded to
its `load` event. The issue's target is a first screen within 3 s; printed, never asserted.

Database: TEST_DATABASE_URL or DATABASE_URL (a temporary database on that server), else the
embedded PostgreSQL under .fpv/bench-pgdata. Needs /usr/bin/chromium; skipped with a reason
otherwise."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.support import temporary_database

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
RUNS = 3
TITLE = "тренировка"  # the demo schedule's trainings ("Открытая тренировка")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


FIRST_FRAME = """
window.__fpv = {};
window.addEventListener('flutter-first-frame', () => {
  window.__fpv.firstFrame = performance.now();
  const p = document.querySelector('flt-semantics-placeholder');
  if (p) p.click();
}, {once: true});
"""

FIRST_SCREEN = """(title) => new Promise((resolve) => {
  const look = () => {
    const found = Array.from(document.querySelectorAll('flt-semantics'))
      .some(e => (e.innerText || '').toLowerCase().includes(title));
    if (found) return resolve(performance.now());
    const p = document.querySelector('flt-semantics-placeholder');
    if (p && !document.querySelector('flt-semantics')) p.click();
    setTimeout(look, 20);
  };
  look();
})"""


def _app_run(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.add_init_script(FIRST_FRAME)
    page.goto(url, wait_until="commit")
    shown = page.evaluate(FIRST_SCREEN, TITLE)
    figures = page.evaluate(
        """() => ({dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                   frame: window.__fpv.firstFrame || 0})"""
    )
    context.close()
    return {"dcl": figures["dcl"], "frame": figures["frame"], "screen": shown}


def _site_run(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(url, wait_until="load")
    loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    context.close()
    return loaded


def main() -> None:
    if not CHROMIUM.exists():
        print("skipped: headless Chromium not installed (/usr/bin/chromium)")
        return
    from playwright.sync_api import sync_playwright

    with temporary_database("fpv_bench_app") as db_url, tempfile.TemporaryDirectory() as tmp:
        api_port, app_port = _free_port(), _free_port()
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "SITE_DIR")},
            "DATABASE_URL": db_url,
        }
        platform = subprocess.Popen(
            [sys.executable, "-m", "fpv.cli", "dev", "--port", str(api_port), "--data-dir", tmp],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        app = subprocess.Popen(
            [sys.executable, "-m", "fpv_app.serve", "--port", str(app_port)],
            cwd=ROOT,
            env={
                **env,
                "FPV_APP_API_URL": f"http://127.0.0.1:{api_port}",
                "FPV_APP_DATA_DIR": str(Path(tmp) / "app"),
                "FPV_APP_TILE_URL": "",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait(f"http://127.0.0.1:{api_port}/api/health", platform)
            _wait(f"http://127.0.0.1:{app_port}/", app)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
                )
                try:
                    site = [
                        _site_run(browser, f"http://127.0.0.1:{api_port}/") for _ in range(RUNS)
                    ]
                    runs = [_app_run(browser, f"http://127.0.0.1:{app_port}/") for _ in range(RUNS)]
                finally:
                    browser.close()
        finally:
            _stop(app)
            _stop(platform)

    site_ms = statistics.median(site)
    print(f"runs: {RUNS}, fresh browser context each (no cache), 390x844")
    print(f"public site page, load event (baseline):  {site_ms:7.0f} ms (median)")
    for name, key in (
        ("app DOMContentLoaded", "dcl"),
        ("app first Flutter frame", "frame"),
        ("app first screen (schedule shown)", "screen"),
    ):
        values = [r[key] for r in runs]
        median = statistics.median(values)
        print(
            f"{name + ':':42s}{median:7.0f} ms (median; runs "
            + ", ".join(f"{v:.0f}" for v in values)
            + f")  {median / site_ms:5.1f}x baseline"
        )
    screen = statistics.median(r["screen"] for r in runs)
    print(f"first screen within the 3 s target: {'yes' if screen < 3000 else 'no'}")


if __name__ == "__main__":
    main()
