"""Bad input through the real command line: every mistake is ``FILE:LINE: field: message``,
exit code 2 and no traceback (DESIGN.md, spec/scenario.md "Rules the loader enforces").

Each ``tests/scenario/bad/*.yaml`` starts with ``# expect: LINE SUBSTRING``: the line the
first error must point at and a piece of its message. Each file goes through
``mpsim validate FILE``, ``mpsim run FILE -o OUT --no-plots -q`` and ``mpsim sweep`` (click's
CliRunner, in-process). ``--set`` mistakes are the parametrized cases below, on the quickstart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mpsim.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BAD = sorted((HERE / "bad").glob("*.yaml"))
GOOD = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((HERE / "good").glob("*.yaml"))
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
EXPECT = re.compile(r"# expect: (\d+) (.+)$")


def expectation(path: Path) -> tuple[int, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    match = EXPECT.match(first)
    assert match, f"{path.name}: the first line must be '# expect: LINE SUBSTRING'"
    return int(match.group(1)), match.group(2).strip()


def invoke(args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def assert_bad_input(result, path, line: int | None, text: str) -> str:
    """Exit 2, the first stderr line ``PATH:LINE: ...`` containing ``text``, no traceback."""
    assert result.exit_code == 2, f"exit {result.exit_code}\n{result.output}"
    assert "Traceback" not in result.output, result.output
    first = result.stderr.splitlines()[0]
    match = re.match(rf"^{re.escape(str(path))}:(\d+): ", first)
    assert match, first
    if line is not None:
        assert int(match.group(1)) == line, first
    assert text in first, first
    return first


def test_there_are_enough_bad_scenarios():
    assert len(BAD) >= 45


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_validate_reports_a_bad_scenario_at_its_line(path):
    line, text = expectation(path)
    result = invoke(["validate", path])
    assert_bad_input(result, path, line, text)
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_run_reports_a_bad_scenario_at_its_line_and_writes_nothing(path, command, tmp_path):
    line, text = expectation(path)
    out = tmp_path / "out"
    result = invoke([command, path, "-o", out, "--no-plots", "-q"] + (["--jobs", "1"] if command ==
                                                                      "sweep" else []))
    assert_bad_input(result, path, line, text)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    result = invoke(["validate", path])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: ok\n"


# Lines of scenarios/quickstart.yaml that the --set errors point at.
SEED, DURATION, LINKS, LECTURE, MAX_OUTSTANDING, NEWS_RP = 12, 13, 18, 29, 32, 36


@pytest.mark.parametrize("item, line, text", [
    # a path that is not in the scenario
    ("topology.links.jitter=1ms", LINKS, "unknown field 'jitter'"),
    ("topology.params.depth=2", None, "depth"),
    ("nosuch.field=1", None, "'nosuch' is not a field here"),
    ("name.first=x", None, "is a value, not a mapping"),
    ("sessions.lecture.maxoutstanding=4", LECTURE, "unknown field 'maxoutstanding'"),
    # indexing a session (a list of named items) that does not exist
    ("sessions.seminar.max_outstanding=4", None, "no item named 'seminar'; allowed: lecture, news"),
    ("sessions.7.max_outstanding=4", None, "no item named '7'"),
    # a value of the wrong type
    ("seed=seven", SEED, "expected an integer (got 'seven')"),
    ("seed=true", SEED, "expected an integer"),
    ("sessions.lecture.max_outstanding=[1, 2]", MAX_OUTSTANDING, "expected an integer (got a list)"),
    ("trace.packets=maybe", None, "expected true or false"),
    ("topology={generator: 3}", None, "generator"),
    # a unit that does not parse, a value out of range
    ("duration=10 parsecs", DURATION, "is not a duration"),
    ("topology.links.delay=2 lightyears", LINKS, "is not a duration"),
    ("topology.links.bandwidth=100MB", LINKS, "is not a bit rate"),
    ("duration=-5s", DURATION, "negative duration"),
    ("topology.links.loss=1.5", LINKS, "not a probability"),
    # a value that breaks a cross-check (build.prepare)
    ("sessions.lecture.root=nobody", None, "host 'nobody' is not declared"),
    ("sessions.news.rp=99", NEWS_RP, "node 99 is not in the topology"),
    # not KEY=VALUE at all
    ("seed", None, "expected KEY=VALUE"),
    ("=3", None, "not a dotted path"),
    ("topology..links=3", None, "not a dotted path"),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_bad_set_is_reported_like_a_bad_file(command, item, line, text, tmp_path):
    args = [command, QUICKSTART, "--set", item]
    if command == "run":
        args += ["-o", tmp_path / "out", "--no-plots", "-q"]
    first = assert_bad_input(invoke(args), QUICKSTART, line, text)
    assert "--set" in first, f"the message should name the --set it blames: {first}"


def test_a_good_set_is_applied():
    result = invoke(["validate", QUICKSTART, "--set", "sessions.lecture.max_outstanding=4",
                     "--set", "topology.links.loss=0.01", "--set", "seed=11"])
    assert result.exit_code == 0, result.output


def test_a_missing_scenario_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    assert_bad_input(invoke(["validate", path]), path, 0, "no such file")


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\nduration: 5s\n")
    assert_bad_input(invoke(["validate", path]), path, 1, "cannot read the file")
