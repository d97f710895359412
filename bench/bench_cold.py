"""Cold start of every Lambda function against a bare python-telegram-bot runtime.

Each figure is one fresh interpreter (`python -c`), timed inside it from before the first import
to the end (interpreter start-up itself is the same for all and left out):
* the baseline: `import telegram` and `Application.builder().token(...).build()` — the least a
  python-telegram-bot webhook does before it can take an update (issue #20: the webhook's import
  plus building its service must stay within 1.3x of it); `import telegram` alone for reference;
* every function of template.yaml: its app.py imported as the runtime does (the "init" phase);
  for the webhook also its service built (event loop + initialized Application, no network).

The rounds interleave all of them (baseline, each function, baseline, ...), so a busy machine
slows all alike; each figure is the median over the rounds. Two clocks: the process's CPU time
(`time.process_time()`, what the ratios and the target use: other processes on a loaded machine
do not inflate it) and wall time (for reference). Also printed: CPU time spent in the garbage
collector during that start (a full collection while a big heap of module objects is young costs
tens of milliseconds). Every module runs from compiled
bytecode, as the installed libraries do (pip compiles them): our own modules are compiled once
into a temporary cache (PYTHONPYCACHEPREFIX) by an untimed first round, whatever
PYTHONDONTWRITEBYTECODE says, so the comparison is not between compiled python-telegram-bot and
our sources being compiled on every start. Modules the Lambda layer does not
ship (dev tools such as click, which httpx picks up when present) are made unimportable in
every interpreter, as they are in Lambda. Also listed: heavy modules each function's cold path
loaded (boto3 clients, web frameworks, PDF libraries... none expected outside where needed).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", "7"))
TOKEN = "123456:BENCH-token"
NOT_IN_LAYER = ("click", "pydantic_settings")  # local dev tools pull them in; absent in Lambda
HEAVY = (
    *("openai", "fastapi", "boto3", "botocore.client", "reportlab", "fpdf", "weasyprint"),
    *("pypdf", "starlette", "uvicorn", "jinja2", "segno", "moto", "playwright", "icalendar"),
)

BASELINE = (
    "import telegram\n"
    "from telegram.ext import Application\n"
    f"Application.builder().token({TOKEN!r}).build()\n"
)
TELEGRAM_ONLY = "import telegram\n"


def _function_code(logical_id: str, module_file: Path, build_service: bool) -> str:
    code = (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('fpv_lambda_{logical_id}',"
        f" {str(module_file)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
    )
    if build_service:
        code += "module.service()\n"
    return code


def _probe(code: str) -> str:
    blocked = "".join(f"sys.modules[{name!r}] = None\n" for name in NOT_IN_LAYER)
    return (
        "import sys, time, json, gc\n"
        f"{blocked}"
        "gc_cpu = [0.0, 0.0]\n"
        "def _gc(phase, info):\n"
        "    now = time.process_time()\n"
        "    if phase == 'start':\n"
        "        gc_cpu[1] = now\n"
        "    else:\n"
        "        gc_cpu[0] += now - gc_cpu[1]\n"
        "gc.callbacks.append(_gc)\n"
        "t0, c0 = time.perf_counter(), time.process_time()\n"
        f"{code}"
        "elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0\n"
        "gc.callbacks.remove(_gc)\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps([elapsed, cpu, gc_cpu[0], heavy]))\n"
    )


def _run(code: str, env: dict[str, str]) -> tuple[float, float, float, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _probe(code)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"cold probe failed:\n{out.stderr[-2000:]}")
    elapsed, cpu, gc_cpu, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    return elapsed, cpu, gc_cpu, heavy


def main() -> None:
    sys.path.insert(0, str(ROOT / "shared"))
    from fpv.local.template import load_template

    skip = ("SECRETS_ARN", "EVENT_BUS_NAME", "PYTHONDONTWRITEBYTECODE")
    pycache = tempfile.TemporaryDirectory(prefix="fpv-bench-pycache-")
    env = {
        **{k: v for k, v in os.environ.items() if k not in skip},
        "PYTHONPYCACHEPREFIX": pycache.name,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": "bench-cold-secret",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
        "DATABASE_URL": "postgresql://bench@127.0.0.1:9/none",  # never connected: import only
        "POWERTOOLS_METRICS_NAMESPACE": "FPV",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"),
    }
    probes: list[tuple[str, str]] = [
        ("bare: import telegram + Application.build()", BASELINE),
        ("bare: import telegram", TELEGRAM_ONLY),
    ]
    for fn in load_template(ROOT / "template.yaml").functions.values():
        webhook = fn.module_file.parent.name == "telegram_webhook"
        probes.append(
            (f"{fn.logical_id}: import", _function_code(fn.logical_id, fn.module_file, False))
        )
        if webhook:
            probes.append(
                (
                    f"{fn.logical_id}: import + build the service",
                    _function_code(fn.logical_id, fn.module_file, True),
                )
            )
    for _label, code in probes:  # compiles our modules into the cache: untimed
        _run(code, env)
    wall: dict[str, list[float]] = {label: [] for label, _ in probes}
    cpu: dict[str, list[float]] = {label: [] for label, _ in probes}
    gc_cpu: dict[str, list[float]] = {label: [] for label, _ in probes}
    heavy: dict[str, list[str]] = {}
    for _round in range(ROUNDS):
        for label, code in probes:
            elapsed, used, collecting, loaded = _run(code, env)
            wall[label].append(elapsed)
            cpu[label].append(used)
            gc_cpu[label].append(collecting)
            heavy[label] = loaded
    base = statistics.median(cpu[probes[0][0]])
    base_wall = statistics.median(wall[probes[0][0]])
    print(
        f"cold start, median of {ROUNDS} interleaved rounds, each a fresh interpreter"
        " (ratios: CPU time against the bare runtime's; target <= 1.3x):"
    )
    print(f"  {'':<58} {'CPU':>8}  {'ratio':>6} {'(GC)':>8} {'wall':>9}  {'ratio':>6}")
    for label, _code in probes:
        used = statistics.median(cpu[label])
        elapsed = statistics.median(wall[label])
        collecting = statistics.median(gc_cpu[label])
        extra = f"   heavy: {', '.join(heavy[label])}" if heavy[label] else ""
        print(
            f"  {label:<58} {used * 1000:6.1f}ms  {used / base:5.2f}x {collecting * 1000:6.1f}ms"
            f" {elapsed * 1000:7.1f}ms  {elapsed / base_wall:5.2f}x{extra}"
        )
    for label, _code in probes[2:]:
        ratio = statistics.median(cpu[label]) / base
        if ratio > 1.3:
            print(f"  over the target: {label} {ratio:4.2f}x")
    webhook = [label for label, _ in probes if label.endswith("build the service")]
    for label in webhook:
        ratio = statistics.median(cpu[label]) / base
        ratio_wall = statistics.median(wall[label]) / base_wall
        print(
            f"  webhook import + service vs bare: {ratio:4.2f}x CPU, {ratio_wall:4.2f}x wall"
            " (target <= 1.3x)"
        )
    pycache.cleanup()


if __name__ == "__main__":
    main()
