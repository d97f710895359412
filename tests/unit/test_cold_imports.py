"""Cold start (issue #20): what a function's import (and the webhook's service) must not load.

Each check runs a fresh interpreter that imports the handler module as the Lambda runtime does,
then looks at sys.modules: heavy libraries and the use cases a first update may not need stay
out until something calls them. (How long a start takes is measured by `make bench BENCH=cold`,
never asserted here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "TELEGRAM_BOT_TOKEN": "123456:cold-import-test",
    "TELEGRAM_WEBHOOK_SECRET": "cold-secret",
    "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
    "DATABASE_URL": "postgresql://cold@127.0.0.1:9/none",  # never connected
    "AWS_DEFAULT_REGION": "eu-central-1",
    "POWERTOOLS_METRICS_NAMESPACE": "FPV",
}
# loaded by no function outside the API ones (fastapi...) or where the work needs it
NEVER = ("fastapi", "starlette", "boto3", "openai", "jinja2", "pydantic", "pydantic_settings")
# the webhook: use cases that load with the first update needing them
WEBHOOK_LATER = (
    "fpv.channels",
    "fpv.registrations.service",
    "fpv.payments.checkout",
    "fpv.payments.refunds",
    "fpv.ratings",
)


def _loaded(function: str, code_after: str = "") -> dict:
    code = (
        "import gc, importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('handler', {str(ROOT / 'functions' / function / 'app.py')!r})\n"  # noqa: E501
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        f"{code_after}"
        "print(json.dumps({'modules': sorted(sys.modules), 'gc': gc.isenabled(),"
        " 'frozen': gc.get_freeze_count()}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SECRETS_ARN", "EVENT_BUS_NAME")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, **ENV},
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_webhook_and_its_service_load_no_heavy_library_nor_unneeded_use_case():
    loaded = _loaded("telegram_webhook", "module.service()\n")
    modules = set(loaded["modules"])
    assert not [m for m in NEVER if m in modules]
    assert not [m for m in WEBHOOK_LATER if m in modules]
    assert "telegram.ext" in modules and "pg8000.native" in modules  # the real thing is built
    # the collector paused while the modules loaded, then back on with their objects frozen
    assert loaded["gc"] is True and loaded["frozen"] > 0


def test_a_lazy_use_case_is_there_when_called():
    code = (
        "import sys\n"
        "from fpv import registrations\n"
        "assert 'fpv.registrations.service' not in sys.modules\n"
        "registrations.sign_up\n"
        "assert 'fpv.registrations.service' in sys.modules\n"
        "from fpv.registrations import SignUpResult, ChannelChoice\n"
        "assert ChannelChoice.__module__ == 'fpv.registrations.seating'\n"
        "try:\n"
        "    registrations.no_such_thing\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('unknown names must still fail')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize(
    "function",
    ["health", "outbox_worker", "reminders", "backup", "alarm_forwarder", "payments"],
)
def test_functions_without_an_api_load_no_web_framework_and_no_pydantic(function):
    modules = set(_loaded(function)["modules"])
    assert not [m for m in NEVER if m in modules]


@pytest.mark.parametrize("function", ["admin_api", "public_api"])
def test_the_api_functions_load_with_the_collector_paused_then_frozen(function):
    loaded = _loaded(function)
    assert "fastapi" in loaded["modules"]  # their framework: loaded by them only
    assert loaded["gc"] is True and loaded["frozen"] > 0


def test_the_admin_api_loads_no_bot_api_client_until_a_request_needs_it():
    """The Bot API client (httpx, through fpv.delivery) is for telling pilots at once and for
    login codes: its import waits for the first request that does so."""
    modules = set(_loaded("admin_api")["modules"])
    assert not [m for m in ("httpx", "fpv.delivery", "fpv.payments.botapi") if m in modules]
