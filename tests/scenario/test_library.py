"""The scenario library (scenarios/*.yaml): every shipped scenario validates, runs, writes
DESIGN.md's outputs, reproduces its golden joins.csv byte for byte, and is deterministic.

For each ``scenarios/NAME.yaml``:

- ``mpsim validate`` accepts it;
- ``mpsim run NAME.yaml -o OUT --no-plots`` (through click's CliRunner) exits 0 and
  writes events.parquet, joins.csv, links.csv and summary.json;
- its joins.csv equals ``tests/scenario/golden/NAME.joins.csv`` byte for byte;
- a second run with the same seed gives a byte-identical joins.csv and an equal
  events table (``pd.read_parquet(...).equals``);
- for the lossy scenarios (LOSSY below), another ``--seed`` changes at least one
  join's latency (``latency``, or ``t_first_data - t_request`` for nonrooted joins).

Goldens are results someone has checked, so they are regenerated deliberately,
never by the tests::

    /work/venv/bin/python scripts/update_goldens.py            # all scenarios
    /work/venv/bin/python scripts/update_goldens.py classroom  # one
    /work/venv/bin/python scripts/update_goldens.py --check    # what would change

then review ``git diff tests/scenario/golden/`` against the scenario's header
comment (which says what its joins.csv should show) before committing. A new
scenario needs its golden created the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mpsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "golden"
OUTPUTS = ("events.parquet", "joins.csv", "links.csv", "summary.json")
#: Scenarios whose links lose packets: their latencies depend on the seed.
LOSSY = {"igmp_loss", "conference"}
REGENERATE = "regenerate deliberately with: python scripts/update_goldens.py {name}"

_runs: dict = {}


def run(name: str, tmp_path_factory, seed: int | None = None, copy: int = 0) -> Path:
    """The output folder of ``mpsim run scenarios/NAME.yaml --no-plots [--seed SEED]``;
    runs are shared between tests (``copy`` asks for an independent second run)."""
    key = (name, seed, copy)
    if key not in _runs:
        out = tmp_path_factory.mktemp(f"{name}-{seed}-{copy}")
        args = ["run", str(ROOT / "scenarios" / f"{name}.yaml"), "-o", str(out), "--no-plots", "-q"]
        if seed is not None:
            args += ["--seed", str(seed)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        _runs[key] = out
    return _runs[key]


def names(paths=SCENARIOS):
    return [p.stem for p in paths]


def test_the_library_has_its_scenarios():
    assert {"quickstart", "classroom", "admission_capacity", "igmp_loss", "atm_vs_ipmc",
            "conference", "link_failure", "capacity_planning"} <= set(names())
    assert LOSSY <= set(names())


@pytest.mark.parametrize("name", names())
def test_scenario_validates(name):
    result = CliRunner().invoke(main, ["validate", str(ROOT / "scenarios" / f"{name}.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", names())
def test_scenario_has_a_header_comment(name):
    text = (ROOT / "scenarios" / f"{name}.yaml").read_text()
    assert text.startswith("# "), "a scenario opens with a comment saying what it shows"
    assert "What to look at" in text or "what to look at" in text.lower()


@pytest.mark.parametrize("name", names())
def test_run_writes_every_output(name, tmp_path_factory):
    out = run(name, tmp_path_factory)
    for output in OUTPUTS:
        assert (out / output).is_file() and (out / output).stat().st_size > 0, output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == name
    joins = pd.read_csv(out / "joins.csv")
    assert len(joins) == summary["joins"] > 0


@pytest.mark.parametrize("name", names())
def test_joins_match_the_golden(name, tmp_path_factory):
    golden = GOLDEN / f"{name}.joins.csv"
    assert golden.is_file(), f"no golden for {name}; " + REGENERATE.format(name=name)
    produced = (run(name, tmp_path_factory) / "joins.csv").read_bytes()
    if produced != golden.read_bytes():
        old = golden.read_text().splitlines()
        new = produced.decode().splitlines()
        first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        pytest.fail(f"{name}: joins.csv differs from its golden from line {first + 1}:\n"
                    f"  golden:   {old[first] if first < len(old) else '<end>'}\n"
                    f"  produced: {new[first] if first < len(new) else '<end>'}\n"
                    + REGENERATE.format(name=name) + " (after checking the change is right)")


@pytest.mark.parametrize("name", names())
def test_same_seed_gives_identical_outputs(name, tmp_path_factory):
    first = run(name, tmp_path_factory)
    second = run(name, tmp_path_factory, copy=1)
    assert (first / "joins.csv").read_bytes() == (second / "joins.csv").read_bytes()
    events_1 = pd.read_parquet(first / "events.parquet")
    events_2 = pd.read_parquet(second / "events.parquet")
    assert len(events_1) > 0
    assert events_1.equals(events_2)


def _latencies(joins: pd.DataFrame) -> np.ndarray:
    """Each join's latency as users compare it: first data for nonrooted joins."""
    figure = joins.latency.where(joins.method != "nonrooted", joins.t_first_data - joins.t_request)
    return figure.to_numpy(dtype=float)


@pytest.mark.parametrize("name", sorted(LOSSY))
def test_another_seed_changes_a_latency(name, tmp_path_factory):
    scenario_seed = json.loads((run(name, tmp_path_factory) / "summary.json").read_text())["seed"]
    base = pd.read_csv(run(name, tmp_path_factory) / "joins.csv")
    other = pd.read_csv(run(name, tmp_path_factory, seed=scenario_seed + 1) / "joins.csv")
    assert json.loads((run(name, tmp_path_factory, seed=scenario_seed + 1) / "summary.json")
                      .read_text())["seed"] == scenario_seed + 1
    a, b = _latencies(base), _latencies(other)
    n = min(len(a), len(b))
    changed = len(a) != len(b) or not np.array_equal(a[:n], b[:n], equal_nan=True)
    assert changed, f"{name}: seed {scenario_seed + 1} gave the same latencies as seed {scenario_seed}"
