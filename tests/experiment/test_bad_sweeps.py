"""A bad sweep is refused before any run starts: ``FILE:LINE:`` or one line, exit 2.

(The bad scenarios of tests/scenario/bad/, the sweep_* ones among them, go through
``mpsim sweep`` in tests/scenario/test_bad_inputs.py.)
"""

from __future__ import annotations

import re
import textwrap

import pytest

from tests.experiment.helpers import TINY
from tests.scenario.test_bad_inputs import assert_bad_input, invoke

BASE = textwrap.dedent("""\
    name: bad_sweep
    duration: 5s
    topology: {generator: path_graph, params: {n: 3}}
    hosts:
      a: {node: 0}
      b: {node: 1}
    sessions:
      - {name: call, provider: atm, root: a}
    actions:
      - {at: 0s, host: b, do: listen, session: call, policy: accept}
      - {at: 1s, host: a, do: invite, session: call, leaves: [b]}
    """)


def sweep_of(tmp_path, block: str):
    path = tmp_path / "bad_sweep.yaml"
    path.write_text(BASE + textwrap.dedent(block))
    return path


def refused(args, tmp_path):
    out = tmp_path / "out"
    result = invoke(["sweep", *args, "-o", out, "--no-plots", "-q"])
    assert not out.exists(), "a refused sweep must not create its folder"
    return result


@pytest.mark.parametrize("block, line, text", [
    ("sweep:\n  replications: 0\n", 13, "sweep.replications: "),
    ("sweep:\n  replications: 2\n  grid:\n    sessions.call.max_outstanding: [1, 0]\n", 15,
     "sessions.call.max_outstanding = 0"),
    ("sweep:\n  grid:\n    sessions.call.maxoutstanding: [1, 2]\n", 14, "is not a path into the scenario"),
    ("sweep:\n  grid:\n    topology.links.loss: []\n", 14, "expected a list of at least 1 item(s) (got 0)"),
    ("sweep:\n  grid:\n    hosts.b.node: [1, 7]\n", 14, "node 7 is not in the topology"),
    # each value alone is fine, the combination is not: no node 2 on a chain of 2
    ("sweep:\n  grid:\n    topology.params.n: [3, 2]\n    hosts.b.node: [1, 2]\n", 13,
     "the grid point topology.params.n = 2, hosts.b.node = 2: hosts.b.node: node 2"),
])
def test_a_bad_sweep_block_is_refused_at_its_line(tmp_path, block, line, text):
    path = sweep_of(tmp_path, block)
    assert_bad_input(refused([path], tmp_path), path, line, text)


def test_a_scenario_without_a_sweep_block_says_how_to_add_one(tmp_path):
    path = sweep_of(tmp_path, "")
    assert_bad_input(refused([path], tmp_path), path, 1, "no sweep block: mpsim sweep needs one")
    # ... and replications alone from the command line are a sweep
    out = tmp_path / "ok"
    result = invoke(["sweep", path, "--set", "sweep.replications=2", "-o", out, "--jobs", "1",
                     "--no-plots", "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "sweep.csv").is_file()


def test_replications_0_from_the_command_line(tmp_path):
    first = assert_bad_input(refused([TINY, "--set", "sweep.replications=0"], tmp_path), TINY, None,
                             "--set sweep.replications=0")
    assert "greater than or equal to 1 (got 0)" in first, first


def test_a_set_on_a_swept_key_is_refused(tmp_path):
    assert_bad_input(refused([TINY, "--set", "topology.links.loss=0.2"], tmp_path), TINY, None,
                     "topology.links.loss is swept by the grid")


@pytest.mark.parametrize("args, text", [
    (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler tcp://127.0.0.1:9: cannot connect"),
    (["--scheduler", "tcp://127.0.0.1"], "--scheduler tcp://127.0.0.1: not an address like "
     "tcp://HOST:PORT"),
    (["--jobs", "0"], "--jobs 0: allowed an integer >= 1"),
    (["--dask-local", "0"], "--dask-local 0: allowed an integer >= 1"),
    (["--jobs", "2", "--dask-local", "2"], "--jobs and --dask-local: give one of them"),
])
def test_a_bad_executor_is_one_line_and_exit_2(tmp_path, args, text):
    result = refused([TINY, *args], tmp_path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert re.match(rf"^mpsim: {re.escape(text)}", line), line


def test_another_sweeps_folder_is_refused_in_one_line(tmp_path):
    out = tmp_path / "out"
    assert invoke(["sweep", TINY, "-o", out, "--jobs", "1", "--no-plots", "-q"]).exit_code == 0
    result = invoke(["sweep", TINY, "-o", out, "--jobs", "1", "--no-plots", "-q", "--seed", "9"])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "holds the runs of another sweep (seed 3 -> 9); use --fresh" in result.stderr
