"""An interrupted sweep loses no finished run, makes none twice, and ends as if never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.experiment.helpers import MPSIM, ROOT, finished_runs, mpsim

#: 24 runs of igmp_loss (4 loss levels x 6 replications), ~0.2 s each.
ARGS = ["sweep", "scenarios/igmp_loss.yaml", "--set", "sweep.replications=6", "--no-plots", "-q"]
TOTAL = 24


def start(out) -> subprocess.Popen:
    """The sweep in its own process group, as a shell runs a job (a terminal's Ctrl-C goes to
    the whole group: the sweep and its workers)."""
    return subprocess.Popen([*MPSIM, *ARGS, "--jobs", "2", "-o", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, MPLBACKEND="Agg"))


def wait_for_runs(out, at_least: int, process, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = finished_runs(out)
        if len(runs) >= at_least:
            return runs
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError(f"fewer than {at_least} runs after {timeout} s")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    done = mpsim(*ARGS, "--jobs", "2", "-o", out)
    assert done.returncode == 0, done.stderr
    return (out / "sweep.csv").read_bytes()


@pytest.mark.slow
def test_sigkill_then_the_same_command_completes_without_making_a_run_twice(tmp_path, reference):
    out = tmp_path / "killed"
    process = start(out)
    wait_for_runs(out, 3, process)
    os.killpg(process.pid, signal.SIGKILL)           # the sweep and its workers, mid-run
    process.wait(timeout=30)
    before = finished_runs(out)
    assert 3 <= len(before) < TOTAL
    done = mpsim(*ARGS, "--jobs", "2", "-o", out)
    assert done.returncode == 0, done.stderr
    after = finished_runs(out)
    assert len(after) == TOTAL                        # none missing
    assert {name: after[name] for name in before} == before   # none made again
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    assert (out / "sweep.csv").read_bytes() == reference


@pytest.mark.slow
def test_sigint_exits_130_says_how_to_resume_and_keeps_every_finished_run(tmp_path, reference):
    out = tmp_path / "interrupted"
    process = start(out)
    wait_for_runs(out, 2, process)
    seen = finished_runs(out)
    os.killpg(process.pid, signal.SIGINT)            # Ctrl-C at a terminal
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted:" in stderr and "runs are kept in" in stderr
    assert "resume with the same command: mpsim sweep scenarios/igmp_loss.yaml" in stderr
    assert "Traceback" not in stderr
    kept = finished_runs(out)
    assert {name: kept[name] for name in seen} == seen and len(kept) < TOTAL
    assert f"interrupted: {len(kept)} of {TOTAL} runs" in stderr
    done = mpsim(*ARGS, "--jobs", "2", "-o", out)
    assert done.returncode == 0, done.stderr
    after = finished_runs(out)
    assert len(after) == TOTAL and {name: after[name] for name in kept} == kept
    assert (out / "sweep.csv").read_bytes() == reference
