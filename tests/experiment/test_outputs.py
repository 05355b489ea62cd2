"""A run's outputs are written as a set, never through a link mpsim did not make, never two
runs at once; readers answer a broken run folder with its file's name (exit 2).

Commands run as subprocesses under a memory limit (``resource.setrlimit``), as a user
would run them; each takes a second or two.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.experiment.helpers import ROOT

QUICK = ROOT / "scenarios" / "quickstart.yaml"
#: Address space for one mpsim command: an ordinary run needs about 1.3 GiB of mappings
#: (numpy, pandas, pyarrow, scipy, matplotlib reserve much more than they touch).
MEMORY = 3 * 2 ** 30
RUN_FILES = {".mpsim", "events.parquet", "joins.csv", "links.csv", "trees.csv", "summary.json"}


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def mpsim(*args, timeout=120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mpsim.cli", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limited,
                          env=dict(os.environ, MPLBACKEND="Agg"), **kwargs)


def one_line_error(done, *texts) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.strip().splitlines()
    for text in texts:
        assert text in line, line
    return line


def strict_json(path: Path):
    def refuse(constant):
        raise ValueError(f"{path}: {constant} is not JSON")
    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished quickstart run (tables only) to tamper with."""
    out = tmp_path_factory.mktemp("runs") / "quick"
    done = mpsim("run", QUICK, "-o", out, "-q")
    assert done.returncode == 0, done.stderr
    return out


def copy_run(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for path in src.iterdir():
        if path.is_file():
            (dst / path.name).write_bytes(path.read_bytes())
    return dst


# -- outputs -------------------------------------------------------------------------------

def test_planted_links_in_the_folder_are_never_written_through(tmp_path, finished):
    out = copy_run(finished, tmp_path / "out")
    victims = {name: tmp_path / f"victim_{name}" for name in ("summary.json", "joins.csv")}
    for name, victim in victims.items():
        victim.write_text("precious\n")
        (out / name).unlink()
        (out / name).symlink_to(victim)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "plots").symlink_to(elsewhere, target_is_directory=True)
    done = mpsim("run", QUICK, "-o", out, "-q")
    assert done.returncode == 0, done.stderr
    assert all(victim.read_text() == "precious\n" for victim in victims.values())
    assert list(elsewhere.iterdir()) == []                     # no plot went through the link
    for name in ("summary.json", "joins.csv", "plots"):
        assert not (out / name).is_symlink(), name
    assert {p.name for p in (out / "plots").iterdir()} >= {"timeline.png", "join_latency_cdf.png"}
    strict_json(out / "summary.json")


@pytest.mark.slow
def test_a_rerun_without_plots_leaves_no_stale_plots(tmp_path):
    out = tmp_path / "out"
    assert mpsim("run", QUICK, "-o", out, "-q").returncode == 0
    assert (out / "plots" / "timeline.png").is_file()
    assert mpsim("run", QUICK, "-o", out, "-q", "--no-plots").returncode == 0
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporaries left"


@pytest.mark.parametrize("make, texts", [
    (lambda t: (t / "real").mkdir() or (t / "out").symlink_to(t / "real"), ["is a symbolic link"]),
    (lambda t: (t / "out").write_text("a file"), ["exists and is not a folder"]),
    (lambda t: (t / "out").mkdir() or (t / "out" / "thesis.tex").write_text("mine"),
     ["is not empty and was not made by mpsim"]),
    (lambda t: (t / "file").write_text("x"), ["is a file, not a folder"]),
])
def test_an_output_folder_mpsim_must_not_write_is_refused_before_the_run(tmp_path, make, texts):
    make(tmp_path)
    out = tmp_path / ("file/out" if (tmp_path / "file").exists() else "out")
    started = time.perf_counter()
    done = mpsim("run", QUICK, "-o", out, "-q")
    one_line_error(done, f"mpsim: {out}", *texts)
    if (tmp_path / "out").is_dir() and not (tmp_path / "out").is_symlink():
        assert [p.name for p in (tmp_path / "out").iterdir()] == ["thesis.tex"]
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("out, text", [
    ("/dev/null", "exists and is not a folder"),
    ("/proc/mpsim-cannot-write-here/out", "cannot write there"),
])
def test_special_places_are_refused_in_one_line(out, text):
    one_line_error(mpsim("run", QUICK, "-o", out, "-q"), text)


def test_a_name_too_long_for_the_file_system_is_refused_before_the_run(tmp_path):
    done = mpsim("run", QUICK, "-o", tmp_path / ("x" * 300), "-q")
    one_line_error(done, "bytes long; allowed: at most 231")
    # a scenario's own name is refused when it is loaded (validate says so too)
    scenario = tmp_path / "long.yaml"
    scenario.write_text(QUICK.read_text().replace("name: quickstart", "name: " + "n" * 300))
    done = mpsim("validate", scenario)
    assert done.returncode == 2 and "the name is 300 characters long; allowed: at most 200" in done.stderr


def test_two_runs_cannot_share_a_folder(tmp_path):
    """While one command writes ``out`` (here this test, holding the folder's lock as a run
    does from its check to its swap), another is refused at once and changes nothing."""
    from mpsim.experiment.outputs import OutputSet
    out = tmp_path / "out"
    with OutputSet(out) as first:
        first.path("joins.csv").write_text("join_id\n")
        second = mpsim("run", QUICK, "-o", out, "-q")
        one_line_error(second, "another mpsim command is writing it now")
        first.commit()
    assert (out / "joins.csv").read_text() == "join_id\n"           # the first one's set
    assert not (tmp_path / ".out.lock").exists()
    assert mpsim("run", QUICK, "-o", out, "-q", "--no-plots").returncode == 0   # free again


SWAP_WITH_SIGNAL = textwrap.dedent("""\
    import os, signal, sys
    from mpsim.experiment import outputs
    real = outputs.exchange
    def exchange(a, b):
        os.kill(os.getpid(), signal.SIG{name})    # arrives while the swap is under way
        return real(a, b)
    outputs.exchange = exchange
    sys.argv = ["mpsim", "run", sys.argv[1], "-o", sys.argv[2], "-q", "--no-plots", "--seed", "5"]
    from mpsim.cli import main
    main()
    """)


@pytest.mark.parametrize("name, code", [("INT", 130), ("TERM", 143)])
def test_a_signal_during_the_swap_waits_for_it_to_end(tmp_path, finished, name, code):
    """The signal is held until the new folder is in place: the folder is the new run whole,
    and the command then stops as the signal asks."""
    out = copy_run(finished, tmp_path / "out")
    script = tmp_path / "swap.py"
    script.write_text(SWAP_WITH_SIGNAL.format(name=name))
    done = subprocess.run([sys.executable, str(script), str(QUICK), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, preexec_fn=limited)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert strict_json(out / "summary.json")["seed"] == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_rerun_leaves_the_old_run_whole(tmp_path, finished, sig, code):
    out = copy_run(finished, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    slow = ROOT / "scenarios" / "capacity_planning.yaml"
    process = subprocess.Popen([sys.executable, "-m", "mpsim.cli", "run", str(slow), "-o", str(out),
                                "-q"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=limited, env=dict(os.environ, MPLBACKEND="Agg"))
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.005)                                  # the new set is being written
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr and "is as it was before" in stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_summary_json_is_strict_json(tmp_path):
    """An undefined statistic is null, never NaN (strict parsers reject NaN)."""
    out = tmp_path / "out"
    assert mpsim("run", QUICK, "-o", out, "-q", "--no-plots").returncode == 0
    text = (out / "summary.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert None in json.loads(text)["sessions"]["lecture"]["leaf_request"]["latency"].values()


# -- reading broken run folders --------------------------------------------------------------

def break_events_empty(out):
    (out / "events.parquet").write_bytes(b"")


def break_events_truncated(out):
    data = (out / "events.parquet").read_bytes()
    (out / "events.parquet").write_bytes(data[: len(data) // 2])


def break_events_schema(out):
    import pandas as pd
    pd.DataFrame({"when": [1.0]}).to_parquet(out / "events.parquet")


def break_joins_garbage(out):
    (out / "joins.csv").write_bytes(b"\x00\xff\xfe garbage \x00\n\x01,\x02\n")


def break_joins_missing(out):
    (out / "joins.csv").unlink()


def break_links_columns(out):
    (out / "links.csv").write_text("a,b\n1,2\n")


@pytest.mark.parametrize("damage, file, text", [
    (break_events_empty, "events.parquet", "empty"),
    (break_events_truncated, "events.parquet", "not a readable Parquet table"),
    (break_events_schema, "events.parquet", "lacks the column(s) time, host, layer, event"),
    (break_joins_garbage, "joins.csv", ""),
    (break_joins_missing, "joins.csv", "missing"),
    (break_links_columns, "links.csv", "lacks the column(s) src, dst"),
])
def test_plot_of_a_broken_run_folder_names_the_file(tmp_path, finished, damage, file, text):
    out = copy_run(finished, tmp_path / "out")
    damage(out)
    one_line_error(mpsim("plot", out), f"mpsim: {out / file}: ", text)


def test_topo_run_of_a_broken_run_folder_names_the_file(tmp_path, finished):
    out = copy_run(finished, tmp_path / "out")
    break_links_columns(out)
    done = mpsim("topo", QUICK, "-o", tmp_path / "t.png", "--run", out)
    one_line_error(done, f"mpsim: {out / 'links.csv'}: lacks the column(s)")


def test_plot_of_a_sweep_with_a_broken_run_names_the_file(tmp_path):
    from tests.experiment.helpers import TINY
    out = tmp_path / "sweep"
    assert mpsim("sweep", TINY, "-o", out, "--jobs", "1", "-q", "--no-plots").returncode == 0
    broken = out / "runs" / "p0001_r0002" / "joins.parquet"
    broken.write_bytes(broken.read_bytes()[:100])
    one_line_error(mpsim("plot", out), f"mpsim: {broken}: not a readable Parquet table")


# -- small contract breaks -----------------------------------------------------------------

def test_ctrl_c_during_validate_exits_130(monkeypatch):
    from click.testing import CliRunner

    from mpsim.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("mpsim.scenario.load_plan", interrupted)
    result = CliRunner().invoke(main, ["validate", str(QUICK)])
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "Traceback" not in result.output


def test_topo_replaces_a_planted_link_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "topology.png").symlink_to(victim)
    done = mpsim("topo", QUICK, "-o", tmp_path / "topology.png")
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "topology.png").is_symlink()
    assert (tmp_path / "topology.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("make, name, text", [
    (lambda t: (t / "real").mkdir() or (t / "out").symlink_to(t / "real"), "out", "is a symbolic link"),
    (lambda t: (t / "file").write_text("x"), "file/out", "is a file, not a folder"),
    (lambda t: None, "/proc/mpsim-cannot-write-here/out", "cannot write there"),
])
def test_a_sweep_folder_mpsim_must_not_write_is_refused_in_one_line(tmp_path, make, name, text):
    from tests.experiment.helpers import TINY
    make(tmp_path)
    out = name if name.startswith("/") else tmp_path / name
    one_line_error(mpsim("sweep", TINY, "-o", out, "--jobs", "1", "-q"), text)
