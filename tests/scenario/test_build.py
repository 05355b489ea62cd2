"""Checks of mpsim/scenario/build.py that the scenario library ran into:
a rooted session's root cannot be among the hosts it invites, nor among the hosts that
ask it for admittance (a request, or churn on a rooted session). Each is bad input:
``FILE:LINE: field: message`` and exit code 2, not a crash inside the provider; so is a
socket call an action makes that the socket layer refuses."""

import pytest
from click.testing import CliRunner

from mpsim.cli import main

BASE = """\
name: roots
duration: 5s
topology: {generator: balanced_tree, params: {r: 2, h: 2}}
hosts:
  boss: {node: 0}
  crowd: {nodes: [3, 4], name: "c{i}"}
sessions:
  - {name: call, provider: atm, root: boss}
  - {name: tv, provider: ipmc, rp: 0}
actions:
  - {at: 0s, host: boss, do: listen, session: call}
"""


@pytest.mark.parametrize("action, field, text", [
    ("{at: 1s, host: boss, do: invite, session: call, leaves: [c1, boss]}", "actions[1].leaves",
     "does not invite itself"),
    ("{at: 1s, host: boss, do: request, session: call}", "actions[1].host", "does not ask admittance"),
    ("{at: 1s, do: churn, session: call, hosts: [boss, crowd], join_rate: 2/s, mean_stay: 1s}",
     "actions[1].hosts", "does not ask admittance"),
])
def test_the_root_is_not_its_own_leaf(tmp_path, action, field, text):
    path = tmp_path / "roots.yaml"
    path.write_text(BASE + f"  - {action}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:12: {field}: the root (boss) {text}" in result.output
    assert "Traceback" not in result.output


def test_churn_on_a_non_rooted_session_may_take_any_host(tmp_path):
    path = tmp_path / "roots.yaml"
    path.write_text(BASE + "  - {at: 1s, do: churn, session: tv, hosts: [boss, crowd], "
                           "join_rate: 2/s, mean_stay: 1s}\n")
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(tmp_path / "out"), "--no-plots", "-q"])
    assert result.exit_code == 0, result.output


def test_a_call_the_socket_layer_refuses_is_reported_at_its_action(tmp_path):
    """A leaf listening for invitations cannot also ask for admittance on that socket
    (WSAEINVAL): the run stops with the action's line, not FILE:0."""
    path = tmp_path / "roots.yaml"
    path.write_text(BASE + "  - {at: 0s, host: c1, do: listen, session: call}\n"
                           "  - {at: 1s, host: c1, do: request, session: call}\n")
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(tmp_path / "out"), "--no-plots", "-q"])
    assert result.exit_code == 2, result.output
    assert f"{path}:13: actions[2]: c1 at t = 1 s: WSAEINVAL" in result.output


def test_an_invitation_still_queued_when_the_run_ends_has_a_pending_row(tmp_path):
    """Queued behind max_outstanding = 1 while the first invitation waits for its answer,
    the second was asked for but never sent: the run still gives it a join row (pending,
    no attempt, t_request when asked), so a sweep's success ratio counts it."""
    from mpsim.scenario import build, load_plan
    path = tmp_path / "queued.yaml"
    path.write_text(BASE.replace("duration: 5s", "duration: 1.005s")
                    + "  - {at: 0s, hosts: crowd, do: listen, session: call, policy: accept}\n"
                    + "  - {at: 1s, host: boss, do: invite, session: call, leaves: [c1, c2]}\n")
    joins = build(load_plan(path)).run().stack.joins.frame()
    assert list(joins.leaf) == ["c1", "c2"]
    assert list(joins.outcome) == ["pending", "pending"]
    assert list(joins.attempts) == [1, 0] and list(joins.t_request) == [1.0, 1.0]
