"""The SAM template: linted, validated and built offline; its promises checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fpv.local.template import _CfnLoader, load_template
from fpv.tooling.layer_requirements import render

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def _sam() -> str:
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if not sam or not Path(sam).exists():
        pytest.skip("SAM CLI not installed (make test installs it into .venv-sam)")
    return sam


def _doc() -> dict:
    import yaml

    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def test_cfn_lint_is_clean():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint(tmp_path):
    result = subprocess.run(
        [_sam(), "validate", "--lint", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-central-1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sam_build_succeeds(tmp_path):
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    python312 = shutil.which("python3.12", path=env["PATH"])
    if not python312 or subprocess.run([python312, "-c", ""], env=env, check=False).returncode:
        pytest.skip("sam build needs python3.12 (the Lambda runtime) on PATH; none here")
    result = subprocess.run(
        [
            _sam(),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(tmp_path / "b"),
            "--cache-dir",
            str(ROOT / ".fpv" / "sam-cache"),
            "--cached",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "b" / "FpvLayer" / "python" / "fpv" / "migrations").is_dir()
    assert (tmp_path / "b" / "DepsLayer" / "python" / "telegram").is_dir()


def test_every_function_follows_the_house_rules():
    doc = _doc()
    globals_fn = doc["Globals"]["Function"]
    assert globals_fn["Runtime"] == "python3.12"
    functions = {
        k: v for k, v in doc["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }
    assert "HealthFunction" in functions
    for name, resource in functions.items():
        props = resource["Properties"]
        code = ROOT / props["CodeUri"]
        assert code.parent == ROOT / "functions", f"{name}: handlers live in functions/<name>/"
        assert (code / "app.py").is_file(), name
        assert "Runtime" not in props, f"{name}: the runtime comes from Globals"
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}, name


def test_local_gateway_reads_the_same_template():
    template = load_template(TEMPLATE)
    doc = _doc()
    functions = {k for k, v in doc["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert set(template.functions) == functions


def test_layer_requirements_match_pyproject():
    assert (ROOT / "layers" / "deps" / "requirements.txt").read_text() == render(
        ROOT / "pyproject.toml"
    ), "run `make layer-requirements`"


def test_no_secret_values_in_the_template():
    text = TEMPLATE.read_text()
    for name in (
        "TELEGRAM_BOT_TOKEN:",
        "DATABASE_URL:",
        "PAYMENT_PROVIDER_TOKEN:",
        "OPENAI_API_KEY:",
    ):
        assert name not in text, f"{name} must come from Secrets Manager (SECRETS_ARN)"
