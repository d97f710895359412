"""Telegram webhook: throughput and latency through the local gateway (cold start: bench_cold).

Figures (all measured in this run):
* warm: updates/s and p50/p99 latency for real updates POSTed over HTTP to /telegram/webhook
  through the local gateway (uvicorn + API Gateway v2 events), the bot answering a fake Bot API
  server on 127.0.0.1 and reading/writing real PostgreSQL — a read path (/help), the training
  card, sign-ups (allocator + seat lock) and replays (the idempotency fast path);
* baselines in the same run: a bare python-telegram-bot Application answering the same /help
  updates over the same fake Bot API, POSTed over HTTP to a plain ASGI endpoint under the same
  uvicorn (issue #20's yardstick: our /help must reach >= 0.5x its throughput and a p50 within
  3x of its p50), GET /api/health through the same gateway (the gateway's own cost), and the
  same updates handed straight to `WebhookService.process` (no HTTP);
* database round trips per update (counted in the driver) for each row.

Database: TEST_DATABASE_URL or DATABASE_URL (a temporary database is created on that server),
else the embedded PostgreSQL under .fpv/bench-pgdata.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.support import temporary_database

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"
HELP_ROUNDS = 3  # /help and the bare bot alternate in this many blocks

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


class _BareBot:
    """The yardstick: python-telegram-bot as its docs show a custom webhook server — an
    Application with one CommandHandler, each POSTed update parsed and processed in the
    server's event loop, 200 after. No database, no idempotency, no gateway."""

    def __init__(self, token: str, base_url: str) -> None:
        self.token, self.base_url = token, base_url.rstrip("/")
        self.application = None

    async def _build(self):
        from telegram.ext import Application, CommandHandler

        async def help_command(update, context) -> None:
            await update.effective_message.reply_text("Help: /start, /trainings, /my")

        application = (
            Application.builder()
            .token(self.token)
            .base_url(f"{self.base_url}/bot")
            .updater(None)
            .build()
        )
        application.add_handler(CommandHandler("help", help_command))
        await application.initialize()
        return application

    async def __call__(self, scope, receive, send) -> None:
        from telegram import Update

        if scope["type"] != "http":
            return
        if self.application is None:
            self.application = await self._build()
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        update = Update.de_json(json.loads(body), self.application.bot)
        await self.application.process_update(update)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class _RoundTripCounter:
    """Counts round trips to PostgreSQL: pg8000 reads the server's answers up to ReadyForQuery
    once per request it flushes (`handle_messages`)."""

    def __init__(self) -> None:
        from pg8000.core import CoreConnection

        self.count = 0
        self._cls = CoreConnection
        self._original = CoreConnection.handle_messages
        counter = self

        def handle_messages(conn, context):
            counter.count += 1
            return counter._original(conn, context)

        CoreConnection.handle_messages = handle_messages

    def restore(self) -> None:
        self._cls.handle_messages = self._original


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

            # /help against the bare bot: alternating blocks, so both see the same machine load
            bare_bot = _BareBot(fake.token, fake.base_url)
            counter = _RoundTripCounter()
            with (
                serve_in_thread(bare_bot) as bare_url,
                httpx.Client(base_url=bare_url, timeout=30) as bare_client,
            ):
                bare_client.post("/", content=warm_up)  # builds + initializes it: untimed
                bare_lat, bare_wall, ours_lat, ours_wall = [], 0.0, [], 0.0
                block = pilots // HELP_ROUNDS
                for n in range(HELP_ROUNDS):
                    chunk = ids[n * block : (n + 1) * block]
                    bodies = [json.dumps(message_update(i, "/help")) for i in chunk]
                    lat, wall, st = _run(
                        [lambda b=b: bare_client.post("/", content=b).status_code for b in bodies]
                    )
                    assert set(st) == {200}, st
                    bare_lat, bare_wall = bare_lat + lat, bare_wall + wall
                    counter.count = 0
                    lat, wall, st = _run([post(message_update(i, "/help")) for i in chunk])
                    assert set(st) == {200}, st
                    ours_lat, ours_wall = ours_lat + lat, ours_wall + wall
            help_trips = counter.count / len(chunk)
            bare_rate = _report("bare python-telegram-bot /help (yardstick)", bare_lat, bare_wall)
            help_rate = _report("/help (read, one sendMessage)", ours_lat, ours_wall, health)
            print(f"  {'':<40} {help_trips:5.1f} database round trips")
            bare_p50, help_p50 = _percentile(bare_lat, 0.5), _percentile(ours_lat, 0.5)

            try:

                def row(label: str, updates: list[dict]) -> tuple[list[float], float, list[int]]:
                    counter.count = 0
                    lat, wall, st = _run([post(u) for u in updates])
                    _report(label, lat, wall, health)
                    print(f"  {'':<40} {counter.count / len(updates):5.1f} database round trips")
                    return lat, wall, st

                card_updates = [callback_update(i, f"tr:{trainings[0]}") for i in ids]
                row("training card (4 queries, edit)", card_updates)
                signups = [
                    callback_update(i, f"su:{trainings[n // 8]}:0") for n, i in enumerate(ids)
                ]
                lat, wall, st = row("sign-up (seat lock + allocator)", signups)
                assert set(st) == {200}, st
                row("replayed updates (idempotency)", signups)
            finally:
                counter.restore()
            print(
                f"  /help vs bare python-telegram-bot: throughput {help_rate / bare_rate:4.2f}x"
                f" (target >= 0.5x), p50 {help_p50 / bare_p50:4.2f}x (target <= 3x)"
            )
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
