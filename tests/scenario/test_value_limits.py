"""Values that validate must run: floors and ceilings of timers, rates and sizes, finite
delay distributions, topology and host budgets, each refused by ``validate`` at the line of
the field responsible (``FILE:LINE: field.path: message``, exit 2), and raised by
``MPSIM_LIMIT_<NAME>``. The single-rule cases are files in tests/scenario/bad/ (value_*,
topology_*); these are the ones that need an environment, a graph file or a run."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from mpsim.cli import main
from mpsim.core import limits
from mpsim.core.errors import ParameterError
from mpsim.protocols.atm.timers import parse_timers
from mpsim.protocols.ipmc.params import parse_igmp, parse_pim
from mpsim.scenario.reference import render
from tests.bounds import memory_bound


@pytest.fixture(autouse=True)
def _bounded_memory():
    """Every test here runs under a memory limit: a runaway fails it with MemoryError."""
    with memory_bound():
        yield


BASE = """\
name: limits
duration: 3s
topology:
  generator: path_graph
  params: {n: 4}
  links: {delay: 1ms}
hosts:
  a: {node: 0}
  b: {node: 3}
sessions:
  - {name: tv, provider: ipmc, rp: 1}
actions:
  - {at: 0s, host: b, do: join, session: tv}
traffic:
  - {from: a, session: tv, rate: 20/s, size: 200B, start: 0.5s}
"""


def write(tmp_path, text, name="limits.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def bad(result, path, line, field, text):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    first = result.stderr.splitlines()[0]
    assert re.match(rf"^{re.escape(str(path))}:{line}: {re.escape(field)}: ", first), first
    assert text in first, first
    return first


def run_summary(tmp_path, path):
    out = tmp_path / "out"
    result = invoke("run", path, "-o", out, "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    return (out / "summary.json").read_text()


# -- delay distributions that used to hang, give NaN or divide by zero ---------------------

def test_a_far_tail_normal_delay_runs_and_its_summary_is_finite(tmp_path):
    """mean -10 s, std 1 s: the old sampler looped for ever; now the delays are ~0.1 s."""
    path = write(tmp_path, BASE.replace("links: {delay: 1ms}",
                                        "links: {delay: {dist: normal, mean: -10s, std: 1s}}"))
    assert invoke("validate", path).exit_code == 0
    text = run_summary(tmp_path, path)
    assert "NaN" not in text and "Infinity" not in text
    summary = json.loads(text)
    assert summary["joins"] == 1 and summary["events"] > 0


def test_a_truncated_normal_on_an_unused_link_does_not_divide_by_zero(tmp_path):
    """The summary computes every link's mean delay; -40 s with std 1 s made 0/0."""
    path = write(tmp_path, BASE.replace(
        "  links: {delay: 1ms}\n",
        "  links: {delay: 1ms}\n  overrides:\n    - {edge: [2, 3], delay: {dist: normal, mean: -40s, "
        "std: 1s}}\n").replace("b: {node: 3}", "b: {node: 2}"))
    text = run_summary(tmp_path, path)
    assert "NaN" not in text


def test_a_lognormal_that_would_give_nan_is_refused_at_validate(tmp_path):
    path = write(tmp_path, BASE.replace("links: {delay: 1ms}",
                                        "links: {delay: {dist: lognormal, mean: 1e-200, std: 1e200}}"))
    bad(invoke("validate", path), path, 6, "topology.links.delay", "std/mean is too large")


# -- floors and ceilings: validate refuses what run would, and accepts what run can -------

@pytest.mark.parametrize("old, new, line, field, text", [
    ("rate: 20/s", "rate: 0/s", 15, "traffic[0].rate", "is not a positive rate"),
    ("rate: 20/s", "rate: 2e6/s", 15, "traffic[0].rate", "over the limit of 1,000,000"),
    ("size: 200B", "size: 0B", 15, "traffic[0].size", "is not a packet size"),
    ("rp: 1}", "rp: 1, control_size: 0B}", 11, "sessions[0].control_size", "is not a packet size"),
    ("rp: 1}", "rp: 1, pim: {t_periodic: 1e-300}}", 11, "sessions[0].pim.t_periodic",
     "is shorter than 1e-06 s"),
    ("rp: 1}", "rp: 1, igmp: {unsolicited_report_interval: 0.5us}}", 11,
     "sessions[0].igmp.unsolicited_report_interval", "is shorter than 1e-06 s"),
    ("{at: 0s, host: b, do: join, session: tv}",
     "{at: 0s, hosts: [b], do: churn, session: tv, join_rate: 1e300/s, mean_stay: 1s}", 13,
     "actions[0].join_rate", "over the limit"),
])
def test_validate_refuses_a_value_run_could_not_use(tmp_path, old, new, line, field, text):
    path = write(tmp_path, BASE.replace(old, new))
    bad(invoke("validate", path), path, line, field, text)
    bad(invoke("run", path, "-o", tmp_path / "out", "--no-plots", "-q"), path, line, field, text)


def test_values_at_the_limits_validate_and_run(tmp_path):
    """The floor and the ceiling themselves are allowed, and run (a short run: a 1 us PIM
    refresh is a million events per router per simulated second)."""
    text = BASE.replace("duration: 3s", "duration: 20ms").replace("rate: 20/s", "rate: 1e6/s")
    text = text.replace("start: 0.5s", "start: 10ms, stop: 10.1ms")
    text = text.replace("rp: 1}", "rp: 1, pim: {t_periodic: 1us}, control_size: 1B}")
    path = write(tmp_path, text)
    assert invoke("validate", path).exit_code == 0
    assert "NaN" not in run_summary(tmp_path, path)


def test_the_atm_study_timer_with_unlimited_retries_has_a_floor(tmp_path):
    path = write(tmp_path, """\
name: limits
duration: 3s
topology: {generator: path_graph, params: {n: 3}}
hosts:
  a: {node: 0}
  b: {node: 2}
sessions:
  - {name: call, provider: atm, root: a, timers: {invite_timeout: 1e-300, retries: inf}}
actions:
  - {at: 0s, host: b, do: listen, session: call}
  - {at: 1s, host: a, do: invite, session: call, leaves: [b]}
""")
    bad(invoke("validate", path), path, 8, "sessions[0].timers.invite_timeout", "is shorter than 1e-06 s")


def test_an_environment_override_moves_the_floor(monkeypatch):
    with pytest.raises(ParameterError, match="shorter than 1e-06 s"):
        parse_timers({"T303": "1ns"})
    monkeypatch.setenv("MPSIM_LIMIT_MIN_PERIOD", "1e-9")
    assert parse_timers({"T303": "1ns"}).T303 == pytest.approx(1e-9)
    assert parse_pim({"t_periodic": "1ns"}).t_periodic == pytest.approx(1e-9)
    monkeypatch.setenv("MPSIM_LIMIT_MAX_RATE", "1e9")
    assert limits.get("max_rate") == 1e9


def test_the_provider_parsers_share_the_floor():
    for parse, block in ((parse_igmp, {"query_interval": 1e-300}), (parse_pim, {"holdtime": "10ns"}),
                         (parse_timers, {"T310": 1e-7})):
        with pytest.raises(ParameterError, match="min_period"):
            parse(block)


# -- topology and host budgets in a scenario -------------------------------------------------

def test_too_many_hosts_are_refused_at_the_hosts_line(tmp_path, monkeypatch):
    text = BASE.replace("  b: {node: 3}\n", "  b: {node: 3}\n  g: {nodes: [1, 2], name: 'g{i}'}\n")
    path = write(tmp_path, text)
    assert invoke("validate", path).exit_code == 0
    monkeypatch.setenv("MPSIM_LIMIT_HOSTS", "3")
    bad(invoke("validate", path), path, 7, "hosts", "the number of hosts (groups expanded) is 4 hosts, "
                                                     "over the limit of 3")


def test_an_overestimated_topology_is_refused_at_its_params(tmp_path, monkeypatch):
    path = write(tmp_path, BASE)
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_NODES", "3")
    bad(invoke("validate", path), path, 5, "topology.params",
        "the estimated number of nodes of path_graph(n=4) is 4 nodes, over the limit of 3")
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_NODES", "4")
    assert invoke("validate", path).exit_code == 0


def test_the_limit_flag_raises_a_limit_for_one_command(tmp_path, monkeypatch):
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_NODES", "3")        # restored after the test
    path = write(tmp_path, BASE)
    bad(invoke("validate", path), path, 5, "topology.params", "set MPSIM_LIMIT_TOPOLOGY_NODES or pass "
                                                              "--limit topology_nodes=N")
    assert invoke("validate", path, "--limit", "topology_nodes=4").exit_code == 0


def test_a_slow_generator_is_stopped_at_the_generator_line(tmp_path, monkeypatch):
    path = write(tmp_path, BASE.replace("generator: path_graph", "generator: gnp_random_graph")
                 .replace("{n: 4}", "{n: 3000, p: 0.002}"))
    monkeypatch.setenv("MPSIM_LIMIT_GENERATOR_SECONDS", "0.01")
    bad(invoke("validate", path), path, 4, "topology.generator", "was stopped after 0.01 s of wall time")


def test_a_graph_file_too_big_is_refused_at_the_file_line(tmp_path, monkeypatch):
    (tmp_path / "campus.edgelist").write_text("r0 r1\nr1 r2\nr2 r3\n")
    path = write(tmp_path, BASE.replace("generator: path_graph\n  params: {n: 4}",
                                        "file: campus.edgelist")
                 .replace("node: 0", "node: r0").replace("node: 3", "node: r3").replace("rp: 1", "rp: r1"))
    assert invoke("validate", path).exit_code == 0
    monkeypatch.setenv("MPSIM_LIMIT_GRAPH_FILE_BYTES", "10")
    bad(invoke("validate", path), path, 4, "topology.file", "bytes, over the limit of 10")
    monkeypatch.setenv("MPSIM_LIMIT_GRAPH_FILE_BYTES", "1000")
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_EDGES", "2")
    bad(invoke("validate", path), path, 4, "topology.file", "the number of links of graph file")


# -- the reference ---------------------------------------------------------------------------

def test_the_reference_lists_the_limits_and_how_to_raise_them():
    text = render()
    section = text[text.index("## Limits"):]
    for limit in limits.LIMITS.values():
        assert f"`{limit.name}`" in section and limit.variable in section
    assert "MPSIM_LIMIT_<NAME>" in section and "--limit NAME=VALUE" in section
    assert "at least 1e-06 s, the limit min_period" in text
    assert "at most 1000000/s, the limit max_rate" in text
