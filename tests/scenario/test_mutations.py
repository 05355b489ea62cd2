"""Mutated valid scenarios: every outcome is a clean ``ScenarioError`` (``FILE:LINE: ...``) or
a scenario that really is valid; no other exception, and no mistake that loads silently.

The seeds are scenarios/quickstart.yaml and tests/scenario/good/everything.yaml. A mutation
either edits the parsed YAML (delete a field, rename a field to random letters, retype a value
to a str, int, bool, list, mapping or null, garble a value with a stray character) and writes
it back, or edits the text (duplicate a key, truncate the file, replace a character).

"Silently wrong" is decided by the scenario language (spec/scenario.md), not by the loader:
``must_fail`` lists which mutations can never give a valid scenario of these seeds (an unknown
field, a reference to a name that no longer exists, a value of a type the field never takes,
a required field deleted, a duplicated key); those must raise ``ScenarioError``. The others
(a new number for a numeric field, null for an optional one, a truncated file, ...) may load.
The loader is called in-process (``load_plan``) to keep 2 000 examples fast.
"""

from __future__ import annotations

import copy
import re
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsim.core.errors import ScenarioError
from mpsim.scenario import load_plan
from mpsim.scenario.load import _field_names

HERE = Path(__file__).resolve().parent
SEEDS = [HERE.parents[1] / "scenarios" / "quickstart.yaml", HERE / "good" / "everything.yaml"]
TEXTS = {path.stem: path.read_text(encoding="utf-8") for path in SEEDS}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}

# -- what the scenario language says about fields (spec/scenario.md) -------------------------

#: Fields whose absence makes these seeds invalid: required by the language, or needed by a
#: cross-check (a rooted session's root, an IP multicast session's rp, an action's actor, the
#: generator's parameters), or referenced (hosts, sessions).
REQUIRED = {"name", "duration", "topology", "generator", "params", "node", "nodes", "provider",
            "root", "rp", "at", "do", "session", "leaves", "link", "join_rate", "mean_stay", "from",
            "rate", "size", "edge", "dist", "low", "high", "mean", "p", "r", "h", "n", "capacity",
            "defer", "gilbert_elliott", "hosts", "host", "sessions"}
#: Fields that take a number (or a string with a unit): a new integer may be valid.
NUMERIC = {"seed", "duration", "at", "delay", "bandwidth", "queue", "loss", "size", "rate", "start",
           "stop", "until", "join_rate", "mean_stay", "low", "high", "mean", "std", "value",
           "processing", "node", "rp", "max_outstanding", "control_size", "capacity", "defer",
           "accept_prob", "replications", "T1", "version", "t_periodic", "give_up", "p", "r",
           "loss_good", "loss_bad", "scope", "h", "n"}
#: Lists whose items are numbers (node ids).
NUMERIC_LISTS = {"nodes", "edge", "link"}
#: Fields that may be null (optional in the language, and not needed by a cross-check here).
NULLABLE = {"access", "spread", "timers", "group", "igmp", "pim", "give_up", "scope", "until",
            "stop", "sweep", "queue"}
#: Link attributes that may be null where they override (overrides, access), not as defaults.
NULLABLE_OVERRIDES = {"delay", "bandwidth", "loss"}
FLAGS = {"packets", "loopback"}
FREE_TEXT = {("name",), ("description",)}


def _strings(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)
    elif value is not None:
        out.add(str(value))
    return out


RESERVED = set().union(*(_strings(d, set()) for d in DATA.values())) | _field_names() | {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "accept", "reject",
    "atm", "ipmc", "conference", "listen", "invite", "request", "join", "leave", "fail", "recover",
    "churn", "uniform", "exponential", "normal", "lognormal", "constant", "both", "sender_only",
    "receiver_only", "defer", "capacity", "accept_prob", "unlimited"}
# hosts that groups expand to, and node-like names, are never drawn either
RESERVED |= {f"{p}{i}" for p in ("v", "m", "fan", "guest") for i in range(10)}

letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8).filter(
    lambda s: s not in RESERVED)


def walk(value, path=()):
    """(path, value) of every node below the root."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), v
            yield from walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,), v
            yield from walk(v, path + (i,))


def key_of(path):
    """The field a path is at: its last key, and whether the node is an item of that list."""
    if isinstance(path[-1], int):
        keys = [p for p in path if isinstance(p, str)]
        return (keys[-1] if keys else None), True
    return path[-1], False


def under(path, *keys) -> bool:
    return any(p in keys for p in path[:-1] if isinstance(p, str))


def referenced(data, *names) -> bool:
    """Whether any of these host or group names is used outside ``hosts``."""
    rest = {k: v for k, v in data.items() if k != "hosts"}
    return bool(set(names) & _strings(rest, set()))


def members(data, group) -> list:
    """The names a group's pattern gives its hosts ({i} counts from 1, {node} is the node)."""
    spec = data["hosts"][group]
    if not isinstance(spec, dict) or "nodes" not in spec:
        return []
    pattern = spec.get("name", "{i}")
    return [pattern.replace("{i}", str(i + 1)).replace("{node}", str(node))
            for i, node in enumerate(spec["nodes"])]


def must_fail(kind, data, path, new=None) -> bool:
    key, item = key_of(path)
    group_pattern = key == "name" and len(path) == 3 and path[0] == "hosts"
    if kind == "rename":
        return not (path[:-1] == ("hosts",) and not referenced(data, path[-1]))
    if kind == "delete":
        if path[:-1] == ("hosts",):
            return referenced(data, path[-1], *members(data, path[-1]))
        if group_pattern:                      # the default pattern {i} renames the members
            return referenced(data, *members(data, path[1]))
        return not item and key in REQUIRED
    if kind == "garble":                       # '~v{i}' still names each host once
        if group_pattern:
            return referenced(data, *members(data, path[1]))
        return path not in FREE_TEXT and key != "description"
    # retype
    if isinstance(new, (dict, list)):
        return True
    if isinstance(new, bool):
        return not (key in FLAGS and not item)
    if isinstance(new, str):
        return path not in FREE_TEXT and key != "description"
    if isinstance(new, int):
        if under(path, "params", "grid"):
            return False
        return not ((key in NUMERIC and not item) or (item and key in NUMERIC_LISTS))
    if new is None:
        if under(path, "params", "grid"):
            return False
        if item:
            return True
        if key in NULLABLE_OVERRIDES:
            return "links" in path          # defaults may not be null; overrides and access may
        return key not in NULLABLE
    raise AssertionError(new)


# -- mutations -------------------------------------------------------------------------------

def parent_of(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    return node


def rename_key(mapping: dict, old, new) -> dict:
    return {(new if k == old else k): v for k, v in mapping.items()}


def set_in(data, path, value):
    if len(path) == 1:
        data[path[0]] = value
    else:
        parent_of(data, path)[path[-1]] = value


def dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True)


def duplicable_keys(text):
    """Key nodes whose key and value sit on one line, with their mapping's flow style."""
    out = []

    def visit(node):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.start_mark.line == value.end_mark.line and isinstance(key, yaml.ScalarNode):
                    out.append((key, value, node.flow_style))
                visit(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                visit(item)
    visit(yaml.compose(text))
    return out


@st.composite
def mutations(draw):
    """(name, text, kind, expectation): expectation is 'fail', 'either' or ('dup', line)."""
    name = draw(st.sampled_from(sorted(TEXTS)))
    text, data = TEXTS[name], copy.deepcopy(DATA[name])
    kind = draw(st.sampled_from(["delete", "rename", "retype", "garble", "duplicate", "truncate",
                                 "splice"]))
    if kind in ("delete", "rename"):
        path = draw(st.sampled_from([p for p, _ in walk(data) if isinstance(p[-1], str)]))
        fail = must_fail(kind, data, path)
        if kind == "delete":
            del parent_of(data, path)[path[-1]]
        else:
            new = draw(letters)
            if len(path) == 1:
                data = rename_key(data, path[0], new)
            else:
                grand = parent_of(data, path[:-1]) if len(path) > 1 else None
                renamed = rename_key(parent_of(data, path), path[-1], new)
                if len(path) == 2:
                    data[path[0]] = renamed
                else:
                    grand[path[-2]] = renamed
        return name, dump(data), f"{kind} {path}", "fail" if fail else "either"
    if kind == "retype":
        path = draw(st.sampled_from([p for p, _ in walk(data)]))
        # (a huge number is no parameter to give a generator: path_graph(n) would never return)
        huge = st.integers(min_value=10**18) if not under(path + ("",), "params") else st.nothing()
        new = draw(st.one_of(letters, st.integers(-10, 100), huge, st.booleans(), st.none(),
                             st.lists(letters, min_size=1, max_size=3),
                             st.dictionaries(letters, letters, min_size=1, max_size=2)))
        fail = must_fail(kind, data, path, new)
        set_in(data, path, new)
        return name, dump(data), f"retype {path} = {new!r}", "fail" if fail else "either"
    if kind == "garble":
        scalars = [(p, v) for p, v in walk(data) if not isinstance(v, (dict, list)) and v is not None]
        path, value = draw(st.sampled_from(scalars))
        value = str(value).lower() if isinstance(value, bool) else str(value)
        at = draw(st.integers(0, len(value)))
        new = value[:at] + draw(st.sampled_from("~^!%&|`$")) + value[at:]
        fail = must_fail(kind, data, path)
        set_in(data, path, new)
        return name, dump(data), f"garble {path} = {new!r}", "fail" if fail else "either"
    if kind == "duplicate":
        key, value, flow = draw(st.sampled_from(duplicable_keys(text)))
        span = text[key.start_mark.index:value.end_mark.index]
        if flow:
            insert, line = ", " + span, key.start_mark.line + 1
        else:
            insert, line = "\n" + " " * key.start_mark.column + span, key.start_mark.line + 2
        at = value.end_mark.index
        return name, text[:at] + insert + text[at:], f"duplicate {key.value!r}", ("dup", line)
    if kind == "truncate":
        at = draw(st.integers(0, len(text) - 1))
        return name, text[:at], f"truncate at {at}", "either"
    at = draw(st.integers(0, len(text) - 1))
    char = draw(st.sampled_from(list(":{}[]\"'\t-#& *!%@`|>,\n") + ["x", "0"]))
    return name, text[:at] + char + text[at + 1:], f"splice {char!r} at {at}", "either"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("mutations")


FIRST_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): ")


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=mutations())
def test_a_mutated_scenario_loads_or_is_a_clean_error(workdir, mutation):
    name, text, what, expect = mutation
    path = workdir / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_plan(path)
    except ScenarioError as exc:
        message = str(exc)
        match = FIRST_LINE.match(message)
        assert match and match.group("file") == str(path), f"{what}: {message}"
        line = int(match.group("line"))
        assert 1 <= line <= max(1, text.count("\n") + 1), f"{what}: line out of the file: {message}"
        assert "Traceback" not in message
        if isinstance(expect, tuple):
            assert line == expect[1] and "duplicate key" in message, f"{what}: {message}"
        return
    # any other exception propagates: a bug
    assert expect == "either", f"{what} loaded without an error:\n{text}"


@pytest.mark.parametrize("kind, path, new", [
    ("rename", ("topology", "links", "delay"), None),
    ("retype", ("seed",), True),
    ("retype", ("duration",), "abc"),
    ("retype", ("topology", "params", "r"), None),
    ("retype", ("trace", "packets"), 1),
    ("delete", ("sessions", 0, "root"), None),
])
def test_the_oracle_agrees_with_the_language(kind, path, new):
    """A few spot checks of ``must_fail`` itself (the test's view of spec/scenario.md)."""
    data = DATA["everything"]
    expected = {("rename", ("topology", "links", "delay"), None): True,
                ("retype", ("seed",), True): True,
                ("retype", ("duration",), "abc"): True,
                ("retype", ("topology", "params", "r"), None): False,
                ("retype", ("trace", "packets"), 1): True,
                ("delete", ("sessions", 0, "root"), None): True}[(kind, path, new)]
    assert must_fail(kind, data, path, new) is expected
