"""Public APIs (/api/v1/, /api/app/): cold start of the function and warm request costs.

Figures (all measured in this run):
* cold start: importing the public_api function module (FastAPI app built, Mangum wrapped) in a
  fresh interpreter, against `import fastapi` alone and the health function's module (the
  baseline every function pays); median of several runs;
* warm, over HTTP to the ASGI app under uvicorn on 127.0.0.1 with real PostgreSQL: requests/s and
  p50/p99 for GET /api/v1/cities (baseline: the smallest read), the schedule page, the same page
  answered 304 from If-None-Match, a keyed read of a venue's registrations (key lookup + rate
  window write + read) and the app's /me with a device token.

Database: TEST_DATABASE_URL or DATABASE_URL (a temporary database on that server), else the
embedded PostgreSQL under .fpv/bench-pgdata.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.support import temporary_database

ROOT = Path(__file__).resolve().parents[1]
COLD_RUNS = 5
REQUESTS = 300


def _load(path: Path) -> str:
    return (
        "import importlib.util, sys\n"
        f"sys.path.insert(0, {str(path.parent)!r})\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(path)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
    )


def _cold(code: str) -> float:
    probe = f"import time\nt0 = time.perf_counter()\n{code}\nprint(time.perf_counter() - t0)\n"
    env = {
        **{k: v for k, v in os.environ.items() if k != "SECRETS_ARN"},
        "DATABASE_URL": "postgresql://bench@127.0.0.1:9/none",  # never connected
    }
    runs = []
    for _ in range(COLD_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        )
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def cold_start() -> None:
    health = _cold(_load(ROOT / "functions/health/app.py"))
    fastapi = _cold("import fastapi")
    public = _cold(_load(ROOT / "functions/public_api/app.py"))
    print(f"cold import, health function (baseline): {health * 1000:7.0f} ms")
    print(f"cold import, fastapi alone:              {fastapi * 1000:7.0f} ms")
    print(
        f"cold import, public_api function:        {public * 1000:7.0f} ms"
        f"  ({public / health:.1f}x health)"
    )


def _measure(
    client: httpx.Client, path: str, headers: dict[str, str]
) -> tuple[float, float, float]:
    timings = []
    started = time.perf_counter()
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        response = client.get(path, headers=headers)
        timings.append(time.perf_counter() - t0)
        assert response.status_code in (200, 304), (path, response.status_code)
    total = time.perf_counter() - started
    timings.sort()
    return REQUESTS / total, timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1]


def warm() -> None:
    from fpv.api.server import create_app
    from fpv.db import Database
    from fpv.ports.events import InProcessEventBus
    from fpv.registrations import sign_up
    from fpv.settings import get_settings
    from tests.support.apis import app_token, make_key
    from tests.support.factories import make_pilot, make_training
    from tests.support.server import serve_in_thread

    with temporary_database("fpv_bench_api") as url:
        os.environ["DATABASE_URL"] = url
        get_settings.cache_clear()
        db = Database(url)
        from fpv.migrate import migrate

        migrate(db)
        first = make_training(db, capacity=40)
        with db.transaction(readonly=True) as tx:
            venue = tx.value("SELECT venue_id FROM trainings WHERE id = :t", t=first)
        for i in range(30):
            make_training(db, venue_id=venue, capacity=40)
            make_pilot(db, 900_000 + i)
            sign_up(db, InProcessEventBus(), training_id=first, telegram_id=900_000 + i)
        key = make_key(db, [venue], rate=100_000)["key"]
        token = app_token(db, 900_000)
        with serve_in_thread(create_app()) as base, httpx.Client(base_url=base) as client:
            etag = client.get("/api/v1/trainings").headers["etag"]
            cases = [
                ("GET /api/v1/cities (baseline)", "/api/v1/cities", {}),
                ("GET /api/v1/trainings (31 rows)", "/api/v1/trainings", {}),
                ("GET /api/v1/trainings -> 304", "/api/v1/trainings", {"If-None-Match": etag}),
                (
                    "GET venue registrations (key)",
                    f"/api/v1/venues/{venue}/registrations",
                    {"Authorization": f"Bearer {key}"},
                ),
                ("GET /api/app/me (token)", "/api/app/me", {"Authorization": f"Bearer {token}"}),
            ]
            baseline = None
            for label, path, headers in cases:
                rate, p50, p99 = _measure(client, path, headers)
                baseline = baseline or p50
                print(
                    f"{label:34s} {rate:7.0f} req/s  p50 {p50 * 1000:6.1f} ms"
                    f"  p99 {p99 * 1000:6.1f} ms  ({p50 / baseline:.1f}x baseline p50)"
                )
        db.close()
        get_settings.cache_clear()


def main() -> None:
    print(json.dumps({"requests_per_case": REQUESTS, "cold_runs": COLD_RUNS}))
    cold_start()
    warm()
