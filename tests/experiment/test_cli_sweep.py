"""``mpsim sweep`` and ``mpsim plot`` on a sweep, as a user at a terminal meets them."""

from __future__ import annotations

import os
import pty
import select
import subprocess

import pytest

from tests.experiment.helpers import MPSIM, ROOT, TINY, mpsim


@pytest.mark.slow
def test_plot_redraws_a_sweeps_figures_also_as_svg(tmp_path):
    out = tmp_path / "tiny"
    assert mpsim("sweep", TINY, "-o", out, "--jobs", "1", "-q").returncode == 0
    for figure in (out / "plots").iterdir():
        figure.unlink()
    done = mpsim("plot", out, "--format", "svg")
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in (out / "plots").iterdir())
    assert written == ["latency_cdf.svg", "latency_vs_loss.svg", "success_vs_loss.svg"]
    assert sorted(line.rsplit("/", 1)[-1] for line in done.stdout.split()) == written
    assert all((out / "plots" / name).read_text().lstrip().startswith("<?xml") for name in written)


def test_plot_of_an_unfinished_sweep_says_so(tmp_path):
    out = tmp_path / "tiny"
    assert mpsim("sweep", TINY, "-o", out, "--jobs", "1", "-q", "--no-plots").returncode == 0
    (out / "sweep.parquet").unlink()
    done = mpsim("plot", out)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no sweep.parquet yet" in done.stderr


def test_the_summary_table_names_each_point_and_group(tmp_path):
    done = mpsim("sweep", TINY, "-o", tmp_path / "tiny", "--jobs", "1", "--no-plots")
    assert done.returncode == 0, done.stderr
    assert "6 runs (6 made now, 0 kept)" in done.stdout
    for text in ("loss", "call", "root_invite", "tv", "nonrooted", "100% of 6",
                 "mean latency ± 95 % CI"):
        assert text in done.stdout, text


def test_a_terminal_gets_a_progress_bar_of_runs(tmp_path):
    """On a terminal (a pseudo-terminal here) the bar counts runs done, failed and left."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([*MPSIM, "sweep", str(TINY), "-o", str(tmp_path / "t"), "--jobs",
                                "1", "--no-plots"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=follower, env=dict(os.environ, MPLBACKEND="Agg",
                                                        COLUMNS="120", TERM="xterm"))
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=60) == 0
    os.close(leader)
    text = seen.decode(errors="replace")
    assert "runs (in-process, 1 worker)" in text, text
    assert "0 failed" in text and "/6" in text, text
