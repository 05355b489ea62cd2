"""The mpsim command: exit codes, outputs, the progress bar's rules."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mpsim import cli
from mpsim.cli import main

QUICKSTART = "scenarios/quickstart.yaml"


def test_run_writes_every_output_of_design_md(tmp_path):
    result = CliRunner().invoke(main, ["run", QUICKSTART, "-o", str(tmp_path), "--no-plots"])
    assert result.exit_code == 0, result.output
    for name in ("events.parquet", "joins.csv", "links.csv", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scenario"] == "quickstart" and summary["seed"] == 7
    assert set(summary["methods"]) == {"root_invite", "leaf_request", "nonrooted"}
    assert "root_invite" in result.output and "outputs in" in result.output


def test_seed_option_changes_the_seed_recorded(tmp_path):
    result = CliRunner().invoke(main, ["run", QUICKSTART, "-o", str(tmp_path), "--no-plots", "-q",
                                       "--seed", "11"])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "summary.json").read_text())["seed"] == 11
    assert result.output == ""


def test_missing_file_exits_2_with_file_line_prefix(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith(f"{tmp_path / 'nope.yaml'}:0: ")
    assert "Traceback" not in result.output


def test_internal_error_exits_1_with_a_traceback(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr("mpsim.experiment.run_scenario", boom)
    result = CliRunner().invoke(main, ["run", QUICKSTART, "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" in result.output and "a bug" in result.output


def test_progress_bar_only_on_a_terminal_and_after_two_seconds(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(cli.time, "perf_counter", lambda: clock[0])
    off = cli._Progress(50.0, enabled=False)
    clock[0] += 10
    off(25.0)
    assert off.bar is None                        # not a terminal, or --quiet
    on = cli._Progress(50.0, enabled=True)
    on(1.0)
    assert on.bar is None                         # a quick run shows nothing
    clock[0] += 2.5
    on(25.0)
    try:
        assert on.bar is not None
        assert on.bar.tasks[0].completed == 25.0 and on.bar.tasks[0].total == 50.0
    finally:
        on.close()


def test_run_under_a_pipe_shows_no_progress(tmp_path):
    result = CliRunner().invoke(main, ["run", QUICKSTART, "-o", str(tmp_path), "--no-plots"])
    assert "simulating" not in result.output


#: Runs the quickstart in a fresh process and prints which of these it imported.
IMPORTED = """
import sys
from mpsim.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(sorted({m.split(".")[0] for m in sys.modules} & {"matplotlib", "PIL", "scipy"}))
"""


@pytest.mark.parametrize("plots,imported", [(False, "[]"), (True, "['PIL', 'matplotlib']")])
def test_a_run_imports_only_what_it_uses(tmp_path, plots, imported):
    args = ["run", QUICKSTART, "-o", str(tmp_path), "-q"] + ([] if plots else ["--no-plots"])
    done = subprocess.run([sys.executable, "-c", IMPORTED, *args], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == imported
