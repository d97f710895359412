"""`fpv dev` (what `make run` starts) as a user runs it: a real process, the embedded PostgreSQL,
Ctrl-C, a second start on the same data, and one-line errors for bad configuration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
FPV = [sys.executable, "-m", "fpv.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SITE_DIR", "TELEGRAM_BOT_TOKEN")
    }
    env.update(extra)
    return env


def _start(data_dir: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [*FPV, "dev", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )


def _wait_healthy(proc: subprocess.Popen, url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"fpv dev exited early:\n{proc.stdout.read()}")
        try:
            response = httpx.get(f"{url}/api/health", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("fpv dev did not become healthy")


def _ctrl_c(proc: subprocess.Popen) -> str:
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    output, _ = proc.communicate(timeout=60)
    return output


def _postgres_on(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "postgres" in (process.info["name"] or "") and str(data_dir) in cmdline:
            found.append(process)
    return found


def test_run_stop_and_run_again_on_the_same_data(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port)
    try:
        health = _wait_healthy(proc, url)
        assert health["database"] == "up" and health["status"] == "ok"
        home = httpx.get(f"{url}/")
        assert home.status_code == 200 and home.text.count('data-training="') >= 3
        assert _postgres_on(data_dir), "the embedded PostgreSQL should be running"
    finally:
        output = _ctrl_c(proc)
    assert "seeded demo data" in output
    assert proc.returncode in (0, 130, -signal.SIGINT)
    assert "Traceback" not in output
    time.sleep(0.5)
    assert _postgres_on(data_dir) == [], "Ctrl-C must leave no postgres process behind"

    proc = _start(data_dir, port)
    try:
        assert _wait_healthy(proc, url)["database"] == "up"
        assert httpx.get(f"{url}/").text.count('data-training="') >= 3
    finally:
        output = _ctrl_c(proc)
    assert "seeded demo data" not in output  # the data of the first run was reused
    assert _postgres_on(data_dir) == []


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = subprocess.run(
        [*FPV, "dev", "--port", str(free_port()), "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=_env(DATABASE_URL="postgresql://fpv:hunter2@127.0.0.1:1/fpv"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fpv: cannot reach the database at fpv@127.0.0.1:1/fpv")
    assert "hunter2" not in result.stderr + result.stdout


def test_malformed_template_route_is_one_clear_line(tmp_path):
    broken = tmp_path / "template.yaml"
    broken.write_text(
        (ROOT / "template.yaml").read_text().replace("Path: /api/health", "Path: api/health")
    )
    (tmp_path / "functions").symlink_to(ROOT / "functions")
    result = subprocess.run(
        [
            *FPV,
            "dev",
            "--port",
            str(free_port()),
            "--template",
            str(broken),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "HealthFunction" in lines[0] and "must be a string starting with '/'" in lines[0]
