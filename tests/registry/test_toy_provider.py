"""A provider registered from outside mpsim/ runs a YAML scenario through the normal
loader, build and run path (``mpsim run``), and its class header is all the scenario
language knows of it: its options, its actions, its root rule."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from mpsim.cli import main
from mpsim.core.errors import ParameterError
from mpsim.protocols import PROVIDERS, register, unregister
from mpsim.scenario.reference import render
from tests.registry.toy_provider import ToyProvider

HOP = 0.010 + 100 * 8 / 1e6          # 10 ms and 100 B at 1 Mbps

SCENARIO = """\
name: toy
duration: 5s
topology:
  generator: path_graph
  params: {n: 3}
  links: {delay: 10ms, bandwidth: 1Mbps}
hosts:
  a: {node: 0}
  b: {node: 2}
  c: {node: 1}
sessions:
  - {name: chat, provider: toy, root: a, wait: 50ms}
actions:
  - {at: 0s, host: b, do: listen, session: chat, policy: accept}
  - {at: 0s, host: c, do: listen, session: chat, policy: reject}
  - {at: 1s, host: a, do: invite, session: chat, leaves: [b, c]}
"""


@pytest.fixture
def toy():
    register(ToyProvider)
    yield ToyProvider
    unregister("toy")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(tmp_path, text):
    path = tmp_path / "toy.yaml"
    path.write_text(text)
    return path


def test_a_registered_toy_provider_runs_a_scenario(toy, tmp_path):
    path = write(tmp_path, SCENARIO)
    result = invoke("run", path, "-o", tmp_path / "out", "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    joins = pd.read_csv(tmp_path / "out" / "joins.csv")
    rows = joins[["join_id", "session", "method", "root", "leaf", "outcome", "error", "attempts",
                  "messages"]].fillna("").values.tolist()
    assert rows == [[1, "chat", "root_invite", "a", "b", "connected", "", 1, 2],
                    [2, "chat", "root_invite", "a", "c", "rejected", "WSAECONNREFUSED", 1, 2]]
    # b is 4 hops from a (access, 2 router links, access), c 3; the root waits 50 ms first.
    # c's invitation waits behind b's (max_outstanding 1), from its t_request at 1 s.
    b_done = 1.0 + 0.050 + 2 * 4 * HOP
    assert joins.t_complete[0] == pytest.approx(b_done, abs=1e-9)
    assert joins.latency[0] == pytest.approx(0.050 + 8 * HOP, abs=1e-9)
    assert joins.t_request[1] == pytest.approx(1.0)
    assert joins.t_complete[1] == pytest.approx(b_done + 0.050 + 2 * 3 * HOP, abs=1e-9)


def test_the_toy_provider_declares_what_its_sessions_can_do(toy, tmp_path):
    path = write(tmp_path, SCENARIO + "  - {at: 2s, host: b, do: request, session: chat}\n")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert (f"{path}:17: actions[3].do: 'request' is not something a toy session can do; allowed "
            "for toy: listen, invite, leave") in result.output


@pytest.mark.parametrize("session, line_text", [
    ("{name: chat, provider: toy, root: a, wiat: 50ms}",
     "sessions[0].wiat: unknown field 'wiat' (did you mean 'wait'?); allowed here: name, provider, "
     "root, max_outstanding, control_size, wait"),
    ("{name: chat, provider: toy, root: a, wait: 1ns}", "sessions[0].wait: '1ns' is shorter than"),
    ("{name: chat, provider: toy}", "sessions[0].root: a toy session needs a root host"),
])
def test_toy_options_are_checked_by_its_schema_at_their_line(toy, tmp_path, session, line_text):
    path = write(tmp_path, SCENARIO.replace("{name: chat, provider: toy, root: a, wait: 50ms}", session))
    result = invoke("validate", path)
    assert result.exit_code == 2, result.output
    assert f"{path}:12: {line_text}" in result.output


def test_the_python_api_checks_toy_options_with_the_same_schema(toy):
    from mpsim.net import LinkSpec, Topology
    from tests.world import World
    topo = Topology.from_generator("path_graph", {"n": 2}, links=LinkSpec())
    world = World(topo, {"a": 0, "b": 1}, providers=("toy",))
    with pytest.raises(ParameterError, match="session 'chat': unknown option 'wiat'; allowed: wait"):
        world.session("chat", "toy", root="a", wiat="50ms")
    assert world.session("chat", "toy", root="a", wait="50ms").config.wait == pytest.approx(0.05)


def test_the_reference_documents_a_registered_provider(toy):
    assert "## sessions[] provider: toy" in render()
    assert "atm \\| ipmc \\| conference \\| toy" in render()


def test_after_unregister_the_name_is_unknown_again(tmp_path):
    register(ToyProvider)
    unregister("toy")
    assert "toy" not in PROVIDERS and "provider: toy" not in render()
    path = write(tmp_path, SCENARIO)
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert (f"{path}:12: sessions[0].provider: expected 'atm', 'ipmc', 'conference' (got 'toy')"
            in result.output)


def test_a_name_is_registered_once(toy):
    class Other(ToyProvider):
        pass
    with pytest.raises(ParameterError, match="already registered"):
        register(Other)
    register(ToyProvider)                       # the same class again: nothing changes
    assert PROVIDERS["toy"] is ToyProvider
