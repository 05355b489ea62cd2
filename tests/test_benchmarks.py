"""``python -m benchmarks --quick`` runs and keeps its JSON contract (what CI proves of the suite)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["tree_lossless", "tree_lossy", "joins_invite", "joins_request", "storm", "quickstart", "sweep", "memory"]


def suite(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = os.environ | {"MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.slow
def test_quick_suite_writes_one_record_per_benchmark_with_the_contract_keys(tmp_path):
    done = suite("--quick", "--json", "-", "--results", str(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["name"] for r in records] == NAMES
    for r in records:
        for key in ("ratio", "wall_s", "peak_rss_mb"):
            assert isinstance(r[key], (int, float)) and math.isfinite(r[key]) and r[key] > 0, (r["name"], key)
        assert r["quick"] is True and r["workload"] and r["baseline"] and r["ratio_of"]
        assert "events_per_s" in r
    trees = [r for r in records if r["name"].startswith("tree")]
    assert all(r["same_work"] is True and r["simpy_ratio"] > 0 for r in trees)
    assert [r["detail"]["loss"] for r in trees] == [0.0, 1e-3]
    saved = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert [r["name"] for r in saved] == NAMES
    assert {"python", "cpu_count", "platform"} <= saved[0]["machine"].keys()


def test_an_unknown_name_exits_2_and_lists_the_names():
    done = suite("tree", "no_such_bench")
    assert done.returncode == 2 and done.stdout == ""
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1 and "no_such_bench" in message
    assert all(name in message for name in NAMES)
