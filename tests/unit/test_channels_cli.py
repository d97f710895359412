"""`fpv channels rate|pick`: registered on a parent parser (as the fpv CLI does) and standalone."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fpv.channels import cli

SHARED = Path(__file__).resolve().parents[2] / "shared"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="fpv")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_rate_prints_the_rating(capsys):
    code, out, _ = run(["channels", "rate", "5658", "5732", "5843", "5880"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "IMD rating: 100"


@pytest.mark.parametrize(
    ("freqs", "rating"),
    [
        (["5658", "5695", "5760", "5800", "5880", "5917"], "29"),
        (["5760", "5800", "5840"], "-63"),
        (["R1", "R3", "R6", "R7"], "100"),
    ],
)
def test_rate_quiet(freqs, rating, capsys):
    code, out, _ = run(["channels", "rate", "-q", *freqs], capsys)
    assert (code, out) == (0, rating + "\n")


def test_rate_explains_the_worst_products(capsys):
    _, out, _ = run(["channels", "rate", "5760", "5800", "5840"], capsys)
    assert "min spacing: 40 MHz" in out
    assert "2*5800-5840 = 5760 MHz" in out


def test_rate_rejects_garbage_with_exit_code_2(capsys):
    code, out, err = run(["channels", "rate", "5800", "banana"], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "banana" in err


def test_pick_prints_assignment_and_report(capsys):
    code, out, _ = run(
        [
            "channels",
            "pick",
            "--pilot",
            "R,F",
            "--pilot",
            "dji-o3",
            "--pilot",
            "bob=A,B@5745",
            "--pilot",
            "eve=R@5658!",
            "--min-mhz",
            "5650",
            "--max-mhz",
            "5925",
        ],
        capsys,
    )
    assert code == 0
    assert "eve" in out and "R1" in out and "5658" in out  # locked pilot kept
    assert "DJI O3 CH" in out
    assert "IMD rating" in out and "min spacing" in out


def test_pick_json_in_and_out(tmp_path, capsys):
    spec = {
        "min_mhz": 5650,
        "max_mhz": 5925,
        "pilots": [
            {"id": "a", "equipment": "R,F"},
            {"id": "b", "equipment": "R,F", "current_mhz": 5880, "locked": True},
            {"id": "c", "equipment": "dji-v1-50"},
        ],
    }
    path = tmp_path / "pilots.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    code, out, _ = run(["channels", "pick", "--json", str(path), "--as-json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data["assignments"]) == {"a", "b", "c"}
    assert data["assignments"]["b"] == {"mhz": 5880, "label": "R7", "bandwidth_mhz": 20}
    assert data["assignments"]["c"]["label"].startswith("DJI V1 50M CH")
    assert data["optimal"] is True


def test_pick_splits_into_heats_and_says_so(capsys):
    code, out, _ = run(["channels", "pick", *["--pilot=R,F"] * 10], capsys)
    assert code == 0
    assert "heat 1" in out and "heat 2" in out
    assert "split into 2 heats" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pilot", "dji-v1-50"] * 4 + ["--heat-size", "0"], "4 pilots but only 3"),
        (["--pilot", "a=R@5658!", "--pilot", "b=R@5658!"], "both locked on 5658"),
        (["--pilot", "dji-o3-40", "--min-mhz", "5700", "--max-mhz", "5780"], "no channel"),
        (["--pilot", "Z"], "unknown equipment"),
        ([], "no pilots"),
    ],
)
def test_pick_impossible_input_is_one_line_and_exit_2(argv, message, capsys):
    code, out, err = run(["channels", "pick", *argv], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_bad_json_file(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    code, _, err = run(["channels", "pick", "--json", str(path)], capsys)
    assert code == 2 and "invalid JSON" in err


def test_standalone_module():
    env = {**os.environ, "PYTHONPATH": str(SHARED)}
    done = subprocess.run(
        [sys.executable, "-m", "fpv.channels.cli", "rate", "5658", "5695", "5760"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "IMD rating: 94"
    bad = subprocess.run(
        [sys.executable, "-m", "fpv.channels.cli", "rate", "nope"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


# --------------------------------------------------------------------------- input checks (#10.7)


@pytest.mark.parametrize(
    ("pilot", "message"),
    [
        ("a=R@1234!", "R cannot tune"),  # locked on a frequency no band has
        ("a=R@1234", "R cannot tune"),  # seated likewise
        ("a=R@5740", "R cannot tune"),  # F1, not in band R
        ("a=dji-o3@5658", "cannot tune"),
        ("a=R~5740", "cannot tune"),  # a preference the VTX cannot tune
        ("a=L@5362!", "outside the legal range 5645-5945 MHz"),  # band L, not requested
    ],
)
def test_pick_rejects_a_channel_the_pilot_cannot_use(pilot, message, capsys):
    code, out, err = run(["channels", "pick", "--pilot", pilot, "--pilot", "R"], capsys)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_pick_rejects_a_seat_outside_the_given_range(capsys):
    argv = ["--pilot", "a=R@5917", "--pilot", "R", "--max-mhz", "5900"]
    code, _, err = run(["channels", "pick", *argv], capsys)
    assert code == 2 and "seated on 5917 MHz, outside the legal range 5645-5900 MHz" in err


@pytest.mark.parametrize("value", ["no", "false", 0, 1, None, "true"])
def test_pick_json_locked_must_be_a_boolean(value, tmp_path, capsys):
    spec = [{"id": "a", "equipment": "R", "current_mhz": 5658, "locked": value}, "R"]
    path = tmp_path / "pilots.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    code, out, err = run(["channels", "pick", "--json", str(path)], capsys)
    assert code == 2 and out == ""
    assert "locked must be true or false" in err


def test_pick_json_locked_false_is_not_locked(tmp_path, capsys):
    # b is seated (not locked) on the channel a is locked on: b moves (locked would conflict)
    spec = [
        {"id": "a", "equipment": "R", "current_mhz": 5658, "locked": True},
        {"id": "b", "equipment": "R", "current_mhz": 5658, "locked": False},
    ]
    path = tmp_path / "pilots.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    code, out, _ = run(["channels", "pick", "--json", str(path), "--as-json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["assignments"]["a"]["mhz"] == 5658
    assert data["assignments"]["b"]["mhz"] != 5658


def test_rate_warns_outside_the_58_band(capsys):
    code, out, err = run(["channels", "rate", "1234", "5800"], capsys)
    assert code == 0 and out.startswith("IMD rating: ")
    assert "1234 MHz outside the 5.8 GHz band (5645-5945 MHz)" in err
    code, _, err = run(["channels", "rate", "-q", "L1", "R1"], capsys)
    assert code == 0 and "5362 MHz outside the 5.8 GHz band" in err
    _, _, err = run(["channels", "rate", "E4", "E8", "R1"], capsys)
    assert err == ""


def test_pick_default_range_is_the_58_band_and_band_l_on_request(capsys):
    argv = ["channels", "pick", *["--pilot=analog"] * 8, "--as-json"]
    _, out, _ = run(argv, capsys)
    freqs = [a["mhz"] for a in json.loads(out)["assignments"].values()]
    assert all(5645 <= f <= 5945 for f in freqs), freqs
    _, out, _ = run([*argv, "--band-l"], capsys)
    freqs = [a["mhz"] for a in json.loads(out)["assignments"].values()]
    assert min(freqs) < 5645  # band L is used when allowed (it spreads 8 pilots wider)
    _, out, _ = run([*argv, "--min-mhz", "5700"], capsys)
    freqs = [a["mhz"] for a in json.loads(out)["assignments"].values()]
    assert all(5700 <= f <= 5945 for f in freqs), freqs
