"""Hostile scenario files and ``--set`` values (the issue's attacks, and Hypothesis's): each
is refused as ``FILE:LINE: field: message`` with exit code 2 and no traceback, quickly
and in bounded memory.

Three layers of checking:

* through click's CliRunner in-process (``validate FILE`` and ``run FILE -o OUT --no-plots
  -q``): the exit code, the first stderr line ``FILE:LINE: `` at the right line, the message;
  each call is guarded by ``hostile.bounded`` (an alarm and a lowered soft RLIMIT_AS), so
  that a regression fails the test instead of hanging the suite or the machine;
* in subprocesses (``python -m mpsim.cli validate F1 F2 ...``, all the files of a kind in
  one call, since each launch costs about a second of imports) under RLIMIT_AS =
  ``hostile.SUBPROCESS_LIMIT`` (1.5 GiB: an ordinary ``validate`` peaks at about 520 MB of
  virtual memory, see hostile.py) and a wall-time bound: the loader never needs more;
* a Hypothesis property: hostile fragments spliced into scenarios/quickstart.yaml.
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsim.cli import main
from mpsim.core import limits
from mpsim.core.errors import ScenarioError
from mpsim.core.text import short
from mpsim.scenario.load import load, parse_value, read, validate
from mpsim.scenario.yamlsource import load_yaml
from tests.scenario.hostile import (BASE, QUICKSTART, ROOT, SET_CASES, Case, Overran, bounded,
                                    file_cases, laughs, preexec_limit, replace_line)

CASES = file_cases()
#: Seconds one in-process call may take before it counts as a hang.
IN_PROCESS_SECONDS = 10
#: Wall time of a subprocess group: its imports (about a second) and a few seconds of work.
GROUP_SECONDS = 20


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The hostile files, a 9 MB file, a FIFO and a folder, written once."""
    path = tmp_path_factory.mktemp("hostile")
    for case in CASES:
        case.write(path)
    big = path / "big.yaml"
    size = 9 * 2 ** 20
    with big.open("w", encoding="utf-8") as out:
        out.write(BASE + "padding: '")
        out.write("x" * (size - len(BASE)))
        out.write("'\n")
    os.mkfifo(path / "fifo.yaml")
    (path / "folder.yaml").mkdir()
    return path


def special(folder) -> list[tuple[str, int, str]]:
    """(path, line, message part) of the files that are not scenarios at all."""
    return [(str(folder / "big.yaml"), 0, "over the limit of"),
            (str(folder / "fifo.yaml"), 0, "not a regular file (a FIFO)"),
            ("/dev/zero", 0, "not a regular file (a character device)"),
            ("/dev/urandom", 0, "not a regular file (a character device)")]


def invoke(args):
    with bounded(IN_PROCESS_SECONDS) as took:
        result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert took["seconds"] < IN_PROCESS_SECONDS
    return result


def assert_refused(result, path, line: int, text: str) -> str:
    assert result.exit_code == 2, f"exit {result.exit_code}\n{result.output[-2000:]}"
    assert "Traceback" not in result.output, result.output[-2000:]
    first = result.stderr.splitlines()[0]
    match = re.match(rf"^{re.escape(str(path))}:(\d+): ", first)
    assert match, first
    assert int(match.group(1)) == line, first
    assert text in first, first
    assert len(first) < 1000, f"an unbounded message: {len(first)} characters"
    return first


# -- in-process, through the command line ----------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_hostile_file_is_refused_at_its_line(case: Case, command, folder, tmp_path):
    path = folder / f"{case.name}.yaml"
    out = tmp_path / "out"
    args = [command, path] + (["-o", out, "--no-plots", "-q"] if command == "run" else [])
    assert_refused(invoke(args), path, case.line, case.text)
    assert not out.exists()


@pytest.mark.parametrize("which", ["big", "fifo", "zero", "urandom"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_what_is_not_a_scenario_file_is_refused_unread(which, command, folder, tmp_path):
    path, line, text = {"big": special(folder)[0], "fifo": special(folder)[1],
                        "zero": special(folder)[2], "urandom": special(folder)[3]}[which]
    args = [command, path] + (["-o", tmp_path / "out", "--no-plots", "-q"] if command == "run"
                              else [])
    first = assert_refused(invoke(args), path, line, text)
    if which == "big":
        assert "MPSIM_LIMIT_SCENARIO_BYTES" in first and "--limit scenario_bytes" in first


def test_a_folder_is_refused_by_the_loader(folder):
    with bounded(IN_PROCESS_SECONDS):
        with pytest.raises(ScenarioError) as info:
            load(folder / "folder.yaml")
    assert info.value.line == 0 and "not a regular file (a folder)" in str(info.value)


def test_a_folder_is_refused_at_line_0_by_the_command_line(folder):
    path = folder / "folder.yaml"
    assert_refused(invoke(["validate", path]), path, 0, "not a regular file")


def test_a_file_over_the_limit_is_refused_from_its_size_and_a_raised_limit_reads_it(folder,
                                                                                    monkeypatch):
    big = folder / "big.yaml"
    monkeypatch.setenv("MPSIM_LIMIT_SCENARIO_BYTES", str(10 * 2 ** 20))
    with bounded(60):
        data, lines, _ = read(big)            # read, not refused (and no other error either)
    assert len(data["padding"]) > 9_000_000


def test_a_file_that_grows_while_it_is_read_is_cut_at_the_limit(tmp_path, monkeypatch):
    """``/proc`` files have size 0 in ``stat``: the read goes on, but to the limit only."""
    monkeypatch.setenv("MPSIM_LIMIT_SCENARIO_BYTES", "1000")
    path = tmp_path / "grows.yaml"
    path.write_text(BASE[:500], encoding="utf-8")
    real_fstat = os.fstat

    class Grown:                                 # fstat saw 500 bytes; then it grew to 5000
        def __init__(self, info):
            self.st_mode, self.st_size = info.st_mode, info.st_size

    def fstat(fd):
        info = Grown(real_fstat(fd))
        if stat.S_ISREG(info.st_mode):
            path.write_text(BASE[:500] + "#" * 4500, encoding="utf-8")
        return info

    monkeypatch.setattr(os, "fstat", fstat)
    with pytest.raises(ScenarioError) as info:
        read(path)
    assert info.value.line == 0 and "it grew while it was read" in info.value.message


@pytest.mark.parametrize("name, item, line, text", SET_CASES, ids=[c[0] for c in SET_CASES])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_hostile_set_value_is_refused_at_its_key(name, item, line, text, command, tmp_path):
    args = [command, QUICKSTART, "--set", item]
    if command == "run":
        args += ["-o", tmp_path / "out", "--no-plots", "-q"]
    first = assert_refused(invoke(args), QUICKSTART, line, text)
    assert "--set " in first and "=...: " in first, first


# -- in subprocesses, under a memory limit ---------------------------------------------------

def first_lines(stderr: str, paths) -> dict:
    """The first line of each file's error block in a ``validate F1 F2 ...`` output."""
    out = {}
    for path in paths:
        out[path] = next((line for line in stderr.splitlines() if line.startswith(f"{path}:")),
                         None)
    return out


def validate_bounded(paths):
    """``python -m mpsim.cli validate PATHS`` with RLIMIT_AS = SUBPROCESS_LIMIT, timed."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mpsim.cli", "validate", *map(str, paths)],
                            cwd=ROOT, preexec_fn=preexec_limit, capture_output=True,
                            text=True, errors="replace", timeout=GROUP_SECONDS)
    return result, time.perf_counter() - start


def test_an_ordinary_scenario_validates_under_the_memory_limit():
    """The limit of the tests below is no tighter than what mpsim itself needs."""
    result, seconds = validate_bounded(sorted((ROOT / "scenarios").glob("*.yaml")))
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_hostile_files_are_refused_quickly_in_bounded_memory(folder):
    expected = [(str(folder / f"{c.name}.yaml"), c.line, c.text) for c in CASES] + special(folder)
    paths = [path for path, _, _ in expected]
    result, seconds = validate_bounded(paths)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr, \
        result.stderr[-3000:]
    assert result.stdout == ""
    firsts = first_lines(result.stderr, paths)
    for path, line, text in expected:
        first = firsts[path]
        assert first is not None and first.startswith(f"{path}:{line}: ") and text in first, \
            (path, first)
    assert seconds < GROUP_SECONDS


#: Run in a subprocess: each ``--set`` case through CliRunner, timed; one JSON line each.
SET_RUNNER = """
import json, time
from click.testing import CliRunner
from mpsim.cli import main
from tests.scenario.hostile import QUICKSTART, SET_CASES
for name, item, line, text in SET_CASES:
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(QUICKSTART), "--set", item])
    print(json.dumps({"name": name, "exit": result.exit_code, "seconds": time.perf_counter() - start,
                      "exception": repr(result.exception), "stderr": result.stderr[:2000]}))
"""


def test_the_hostile_set_values_are_refused_quickly_in_bounded_memory():
    """``validate`` stops at the first bad ``--set``: the cases run one by one in one
    subprocess (under the memory limit), each through CliRunner, each timed."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", SET_RUNNER], cwd=ROOT, preexec_fn=preexec_limit,
                            capture_output=True, text=True, errors="replace", timeout=GROUP_SECONDS)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {row["name"]: row for row in map(json.loads, result.stdout.splitlines())}
    for name, item, line, text in SET_CASES:
        row = rows[name]
        first = row["stderr"].splitlines()[0]
        assert row["exit"] == 2 and "Traceback" not in row["stderr"], row
        assert first.startswith(f"{QUICKSTART}:{line}: ") and text in first, first
        assert row["seconds"] < 5, row
    assert time.perf_counter() - start < GROUP_SECONDS


# -- the layer behind the node count: messages never echo an unbounded value ------------------

def billion() -> list:
    """A list of 10^9 strings in 90 Python objects (what the issue's alias constructs)."""
    value = ["lol"] * 10
    for _ in range(8):
        value = [value] * 10
    return value


@pytest.mark.parametrize("where", [("duration",), ("seed",), ("name",), ("hosts",), ("extra",),
                                   ("topology", "links", "delay"), ("traffic", 0, "rate"),
                                   ("sessions", 1, "group"), ("actions", 4, "spread")])
def test_a_billion_item_value_that_passed_the_count_still_makes_a_short_message(where):
    """If a 10^9-item value got past the node count (a raised limit, a value given from
    Python), the loader's messages still show it cut down. (Fields whose model validators
    quote their input whole are left out: see the report to model.py's owner.)"""
    data, lines = load_yaml(BASE, str(QUICKSTART))
    data = copy.deepcopy(data)
    node = data
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = billion()
    with bounded(IN_PROCESS_SECONDS, headroom=2 ** 28):
        with pytest.raises(ScenarioError) as info:
            validate(data, lines)
    assert len(str(info.value)) < 1000


def test_the_message_builders_cut_a_billion_item_input():
    value = billion()
    error = {"type": "value_error", "loc": ("duration",), "input": value,
             "msg": "Value error, " + "x" * 5000 + " is not a duration; allowed: 2ms"}
    with bounded(IN_PROCESS_SECONDS, headroom=2 ** 28):
        message = load_module_message(error)
        assert len(message) <= 400 and message.endswith("allowed: 2ms")
        for kind in ("int_type", "string_type", "dict_type", "list_type", "literal_error"):
            text = load_module_message({"type": kind, "loc": ("seed",), "input": value,
                                        "msg": "Input should be a valid thing", "ctx": {}})
            assert len(text) < 400
        text = load_module_message({"type": "value_error", "loc": ("seed",), "input": "9" * 10 ** 6,
                                    "msg": "Value error, " + repr("9" * 10 ** 6) + " is bad"})
        assert len(text) < 400 and text.endswith("is bad")
    assert short(value).startswith("[[[[")


def load_module_message(error) -> str:
    from mpsim.scenario.load import _merge
    data, _ = load_yaml(BASE, "q.yaml")
    return _merge([error], data, tuple(error["loc"]))


def test_sharing_and_merges_that_stay_under_the_limits_still_load(tmp_path):
    """The checks refuse what exceeds a limit, not aliases as such: anchors used a few
    times, merge keys and a sweep grid of 1 000 values load as before."""
    text = BASE.replace("  s1: {node: 3}", "  s1: &host {node: 3, access: &fast {delay: 1ms}}")
    text = text.replace("  s2: {node: 4}", "  s2: {<<: *host, node: 4}")
    text = text.replace("  s3: {node: 5}", "  s3: {node: 5, access: *fast}")
    text += "sweep:\n  replications: 1\n  grid:\n    seed: [" + ", ".join(map(str, range(1000))) + "]\n"
    path = tmp_path / "shared.yaml"
    path.write_text(text, encoding="utf-8")
    with bounded(IN_PROCESS_SECONDS) as took:
        scenario, lines, _ = load(path)
    assert scenario.hosts["s2"].node == 4 and scenario.hosts["s3"].access is not None
    assert len(lines.sweep_points) == 1000 and took["seconds"] < 5


def test_parse_value_reads_plain_text_and_refuses_what_the_file_loader_refuses():
    assert parse_value("3") == 3 and parse_value("2ms") == "2ms" and parse_value("[1, 2]") == [1, 2]
    assert parse_value("") is None and parse_value("[1, 2") == "[1, 2"   # not YAML: the text
    for text in (laughs(), "&a [*a]", "!!set {a}", "2001-12-14", "9" * 5000, "[" * 100 + "]" * 100):
        with pytest.raises(ScenarioError):
            parse_value(text)


def test_the_limits_of_the_loader_are_read_when_it_runs(monkeypatch, tmp_path):
    """``--limit`` / MPSIM_LIMIT_* raise each limit of the loader (nothing is cached)."""
    path = tmp_path / "deep.yaml"
    path.write_text(BASE + "extra: " + "[" * 70 + "]" * 70 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="the nesting is 65 levels"):
        load(path)
    monkeypatch.setenv("MPSIM_LIMIT_YAML_DEPTH", "100")
    with pytest.raises(ScenarioError, match="unknown field 'extra'"):
        load(path)
    assert limits.get("yaml_depth") == 100


# -- Hypothesis: hostile fragments spliced into a valid scenario -----------------------------

CONTROL = [chr(c) for c in list(range(0, 9)) + [11, 12] + list(range(14, 32)) + [127]
           + list(range(0x80, 0x85)) + list(range(0x86, 0xA0))]
BAD_UTF8 = [b"\xff", b"\xfe", b"\xc3", b"\xe9", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]
TAGS = ["!!set", "!!omap", "!!pairs", "!!binary", "!!timestamp", "!!python/object:os.system",
        "!!python/name:os.system", "!custom", "!<tag:example.com,2000:x>", "!!str", "!!int",
        "!!float", "!!bool", "!!null", "!!map", "!!seq", "!!merge", "!!value", "!"]


@st.composite
def bombs(draw):
    """Nested doubling (width 2 to 10, up to 40 levels), on one line or one anchor a line."""
    width, levels = draw(st.integers(2, 10)), draw(st.integers(1, 40))
    flow = draw(st.booleans())
    mapping = draw(st.booleans())
    items = ["&h0 [x]"]
    for i in range(1, levels):
        refs = [f"*h{i - 1}"] * width
        items.append(f"&h{i} " + ("{" + ", ".join(f"k{j}: {r}" for j, r in enumerate(refs)) + "}"
                                  if mapping else "[" + ", ".join(refs) + "]"))
    if flow:
        return "[" + ", ".join(items) + "]"
    return "\n" + "".join(f"  - {item}\n" for item in items)


def nested(draw) -> str:
    depth = draw(st.integers(1, 5000))
    kind = draw(st.sampled_from(["[", "{a: ", "- "]))
    if kind == "[":
        return "[" * depth + "]" * depth
    if kind == "{a: ":
        return "{a: " * depth + "1" + "}" * depth
    return "\n" + "".join("  " * (i + 1) + "-\n" for i in range(min(depth, 300)))


@st.composite
def fragments(draw) -> bytes:
    kind = draw(st.sampled_from(["bomb", "self", "deep", "control", "utf8", "bom", "breaks",
                                 "number", "tag", "date"]))
    if kind == "bomb":
        return draw(bombs()).encode()
    if kind == "self":
        return draw(st.sampled_from(["&a [*a]", "&a {k: *a}", "&a [1, [2, *a]]", "&a {<<: *a}",
                                     "*undefined", "&a &b 1", "[&a 1, &a 2]"])).encode()
    if kind == "deep":
        return nested(draw).encode()
    if kind == "control":
        return "".join(draw(st.lists(st.sampled_from(CONTROL), min_size=1, max_size=4))).encode()
    if kind == "utf8":
        return draw(st.sampled_from(BAD_UTF8)) * draw(st.integers(1, 3))
    if kind == "bom":
        return draw(st.sampled_from(["\ufeff", "\ufffe", "\uffff"])).encode("utf-8", "surrogatepass")
    if kind == "breaks":
        return draw(st.sampled_from(["\r", "\r\n", "\x85", "\u2028", "\u2029", "\n\n", "\t"])).encode()
    if kind == "number":
        digits = draw(st.integers(300, 5000))
        form = draw(st.sampled_from(["{}", "-{}", "0x{}", "{}.5", "1_{}", "1:{}", "{}e999"]))
        return form.format(("f" if form.startswith("0x") else "9") * digits).encode()
    if kind == "tag":
        return f"{draw(st.sampled_from(TAGS))} {draw(st.sampled_from(['1', 'x', '[1]', '{a: 1}', '']))}" \
            .encode()
    return draw(st.sampled_from(["2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<"])).encode()


#: Where a fragment goes: the value of a field (quickstart's line, its text up to the value).
VALUE_AT = ["name: ", "seed: ", "duration: ", "  generator: ", "  params: ", "  s1: ",
            "    max_outstanding: ", "    group: ", "traffic:"]


@st.composite
def hostile_scenarios(draw) -> bytes:
    fragment = draw(fragments())
    text = BASE.encode()
    where = draw(st.sampled_from(["value", "key", "anywhere"]))
    if where == "value":
        start = draw(st.sampled_from(VALUE_AT))
        at = text.index(b"\n" + start.encode()) + 1 + len(start)
        end = text.index(b"\n", at)
        return text[:at] + fragment + text[end:]
    if where == "key":
        return text + b"extra_" + str(draw(st.integers(0, 9))).encode() + b": " + fragment + b"\n"
    at = draw(st.integers(0, len(text)))
    return text[:at] + fragment + text[at:]


@pytest.fixture(scope="module")
def hypothesis_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile_hypothesis")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.data_too_large])
@given(content=hostile_scenarios())
def test_a_hostile_splice_loads_or_is_a_clean_error_quickly_in_bounded_memory(hypothesis_dir,
                                                                               content):
    """Exit 0 or 2; on 2 the first stderr line is ``FILE:LINE: `` with LINE in the file;
    never a traceback; each example under 5 s (time.perf_counter) and in bounded memory:
    the call runs with the soft RLIMIT_AS lowered to what the test process maps plus
    1 GiB (``hostile.bounded``), so a runaway raises MemoryError, which fails the test."""
    path = hypothesis_dir / "splice.yaml"
    path.write_bytes(content)
    try:
        with bounded(30) as took:
            result = CliRunner().invoke(main, ["validate", str(path)])
    except Overran:
        pytest.fail(f"validate ran over 30 s on:\n{content[:2000]!r}")
    assert took["seconds"] < 5, f"{took['seconds']:.1f} s on:\n{content[:2000]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 2), result.output[-3000:]
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        first = result.stderr.splitlines()[0]
        match = re.match(rf"^{re.escape(str(path))}:(\d+): ", first)
        assert match, first
        assert 0 <= int(match.group(1)) <= content.count(b"\n") + 1, first
        assert len(first) < 1000, first[:2000]


def test_a_long_run_of_digits_with_a_stray_character_is_refused_quickly(tmp_path):
    """The loader passes a 30 000-character string through (strings have no length limit):
    what is left is the unit parser's own regex."""
    text, line = replace_line("duration:", "duration: " + "1" * 30_000 + "!")
    path = tmp_path / "digits_then_garbage.yaml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mpsim.cli", "validate", str(path)], cwd=ROOT,
                            preexec_fn=preexec_limit, capture_output=True, text=True, timeout=6)
    assert result.returncode == 2 and result.stderr.startswith(f"{path}:{line}: ")
