"""Telegram webhook: throughput and latency through the local gateway, and cold-start imports.

Figures (all measured in this run):
* cold start: `import telegram` alone vs. importing the webhook function module vs. importing it
  and building its service (event loop + initialized Application), each in a fresh interpreter
  (median of several), and which heavy modules the webhook's cold path pulled in (the goal: no
  openai, fastapi, boto3 clients or PDF libraries);
* warm: updates/s and p50/p99 latency for real updates POSTed over HTTP to /telegram/webhook
  through the local gateway (uvicorn + API Gateway v2 events), the bot answering a fake Bot API
  server on 127.0.0.1 and reading/writing real PostgreSQL — a read path (/help), the training
  card, sign-ups (allocator + seat lock) and replays (the idempotency fast path);
* baselines in the same run: GET /api/health through the same gateway (the gateway's own cost),
  and the same updates handed straight to `WebhookService.process` (no HTTP).

Database: TEST_DATABASE_URL or DATABASE_URL (a temporary database is created on that server),
else the embedded PostgreSQL under .fpv/bench-pgdata.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.support import temporary_database

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"
COLD_RUNS = 5
# modules the webhook's cold path must not load (boto3 clients, OpenAI, web frameworks, PDFs...)
HEAVY = (
    *("openai", "fastapi", "boto3", "botocore.client", "reportlab", "fpdf", "weasyprint"),
    *("pypdf", "starlette", "uvicorn", "jinja2", "segno", "moto", "playwright"),
)

# --- cold start ------------------------------------------------------------------------------

_BARE = "import telegram"
_MODULE = f"""
import importlib.util
spec = importlib.util.spec_from_file_location(
    "fpv_lambda_TelegramWebhookFunction", {str(ROOT / "functions/telegram_webhook/app.py")!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""
_SERVICE = _MODULE + "\nmodule.service()\n"


def _cold(code: str, env: dict[str, str]) -> tuple[float, list[str]]:
    """Seconds to run `code` in a fresh interpreter, and the heavy modules it left loaded."""
    probe = (
        "import sys, time, json\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "elapsed = time.perf_counter() - t0\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps([elapsed, heavy]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    elapsed, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    return elapsed, heavy


def cold_start() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "SECRETS_ARN"},
        "TELEGRAM_BOT_TOKEN": "123456:BENCH-token",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
        "DATABASE_URL": "postgresql://bench@127.0.0.1:9/none",  # never connected: build only
        "POWERTOOLS_METRICS_NAMESPACE": "FPV",
    }
    rows = []
    for label, code in (
        ("import telegram (baseline)", _BARE),
        ("import the webhook module", _MODULE),
        ("  + build the service (loop + Application)", _SERVICE),
    ):
        runs = [_cold(code, env) for _ in range(COLD_RUNS)]
        rows.append((label, statistics.median(r[0] for r in runs), runs[-1][1]))
    base = rows[0][1]
    print(f"cold start, median of {COLD_RUNS} fresh interpreters:")
    for label, seconds, _heavy in rows:
        print(f"  {label:<44} {seconds * 1000:7.1f} ms   {seconds / base:4.2f}x telegram")
    heavy = rows[-1][2]
    print(f"  heavy modules on the webhook's cold path: {', '.join(heavy) if heavy else 'none'}")


# --- warm throughput -------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(label: str, latencies: list[float], wall: float, base: float | None = None) -> float:
    rate = len(latencies) / wall
    p50, p99 = _percentile(latencies, 0.5) * 1000, _percentile(latencies, 0.99) * 1000
    ratio = f"   {rate / base:5.2f}x health" if base else ""
    print(f"  {label:<40} {rate:7.1f} /s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms{ratio}")
    return rate


def _run(
    requests: list[Callable[[], int]], *, concurrency: int = 1
) -> tuple[list[float], float, list[int]]:
    latencies: list[float] = []
    statuses: list[int] = []

    def one(request: Callable[[], int]) -> None:
        t0 = time.perf_counter()
        statuses.append(request())
        latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    if concurrency == 1:
        for request in requests:
            one(request)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, requests))
    return latencies, time.perf_counter() - started, statuses


def warm_throughput() -> None:
    import httpx

    from fpv import runtime
    from fpv.bot.webhook import service_from_settings
    from fpv.local.fake_telegram import FakeTelegram
    from fpv.local.gateway import LocalGateway
    from fpv.local.template import load_template
    from fpv.migrate import migrate
    from fpv.settings import get_settings
    from tests.support.bot import callback_update, message_update
    from tests.support.factories import make_pilot, make_training
    from tests.support.server import serve_in_thread

    pilots = 300
    with (
        temporary_database() as url,
        FakeTelegram() as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        os.environ.update(
            DATABASE_URL=url,
            SITE_DIR=str(Path(tmp) / "site"),
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
        )
        os.environ.pop("EVENT_BUS_NAME", None)
        get_settings.cache_clear()
        # the gateway serving webhook + health only: events reach no site publisher here
        template = Path(tmp) / "template.yaml"
        template.write_text(_TEMPLATE.format(root=ROOT), encoding="utf-8")
        db = runtime.database()
        migrate(db)
        gateway = LocalGateway(
            load_template(template),
            site_dir=Path(tmp) / "site",
            admin_dir=ROOT / "static_site" / "admin",
        )
        with (
            serve_in_thread(gateway) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            ids = list(range(900_000, 900_000 + pilots))
            for telegram_id in ids:
                make_pilot(db, telegram_id)
            trainings = [make_training(db, capacity=8) for _ in range(pilots // 8 + 1)]
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

            def post(update: dict) -> Callable[[], int]:
                body = json.dumps(update)
                return lambda: (
                    client.post("/telegram/webhook", content=body, headers=headers).status_code
                )

            warm_up = json.dumps(message_update(1, "/help"))
            client.post("/telegram/webhook", content=warm_up, headers=headers)  # cold: untimed
            client.get("/api/health")

            print(f"warm, {pilots} updates per row, one gateway (= one warm Lambda container):")
            lat, wall, _ = _run([lambda: client.get("/api/health").status_code] * pilots)
            health = _report("GET /api/health (gateway baseline)", lat, wall)

            help_updates = [message_update(i, "/help") for i in ids]
            lat, wall, st = _run([post(u) for u in help_updates])
            _report("/help (read, one sendMessage)", lat, wall, health)
            card_updates = [callback_update(i, f"tr:{trainings[0]}") for i in ids]
            lat, wall, st = _run([post(u) for u in card_updates])
            _report("training card (4 queries, edit)", lat, wall, health)
            signups = [callback_update(i, f"su:{trainings[n // 8]}:0") for n, i in enumerate(ids)]
            lat, wall, st = _run([post(u) for u in signups])
            _report("sign-up (seat lock + allocator)", lat, wall, health)
            assert set(st) == {200}, st
            lat, wall, st = _run([post(u) for u in signups])
            _report("replayed updates (idempotency)", lat, wall, health)
            lat, wall, st = _run([post(message_update(i, "/help")) for i in ids], concurrency=8)
            _report("/help, 8 concurrent clients", lat, wall, health)

            with db.transaction(readonly=True) as tx:
                seated = tx.value("SELECT count(*) FROM registrations WHERE status = 'confirmed'")
            print(f"  (sign-ups confirmed: {seated} of {pilots}; Bot API calls: {len(fake.calls)})")

            # the same work without HTTP or the gateway: what the handler itself costs
            service = service_from_settings()
            try:
                direct = [message_update(i, "/help") for i in ids]
                lat, wall, _ = _run([lambda u=u: service.process(u).status for u in direct])
                _report("/help straight to WebhookService", lat, wall, health)
            finally:
                service.close()


_TEMPLATE = """
Resources:
  TelegramWebhookFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {root}/functions/telegram_webhook/
      Handler: app.lambda_handler
      Events:
        Webhook: {{Type: HttpApi, Properties: {{Path: /telegram/webhook, Method: POST}}}}
  HealthFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {root}/functions/health/
      Handler: app.lambda_handler
      Events:
        Get: {{Type: HttpApi, Properties: {{Path: /api/health, Method: GET}}}}
"""


def main() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # tests.support builders
    cold_start()
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    real_stdout = sys.stdout
    sys.stdout = _WithoutJsonLines(real_stdout)  # powertools prints a line per invocation
    try:
        warm_throughput()
    finally:
        sys.stdout = real_stdout


class _WithoutJsonLines:
    """stdout minus the JSON log/metric lines, so the report stays readable."""

    def __init__(self, target) -> None:
        self._target = target
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            if not line.startswith('{"'):
                self._target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def __getattr__(self, name: str):  # isatty, encoding, fileno...: the real stdout's
        return getattr(self._target, name)


if __name__ == "__main__":
    main()
