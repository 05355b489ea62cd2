"""mpsim/apps/session_app.py: what a host's application does in a session — the queue of
invitations behind ``max_outstanding`` (M4) with ``t_request`` when the application asked,
admission policies, leaving, and who may send."""

import pytest

from mpsim.apps.session_app import Policy
from mpsim.core.errors import ParameterError
from mpsim.spi import CF_ACCEPT, CF_DEFER, CF_REJECT
from tests.apps.helpers import records, run_yaml, spi_log

BASE = """\
name: apps
duration: {duration}
topology:
  generator: path_graph
  params: {{n: 2}}
  links: {{delay: 10ms}}
hosts:
  boss: {{node: 0}}
  crowd: {{nodes: [1, 1, 1, 1], name: "c{{i}}"}}
sessions:
  - {{name: call, provider: atm, root: boss, max_outstanding: {max_outstanding}}}
actions:
"""


def scenario(*actions, duration="10s", max_outstanding=1):
    return BASE.format(duration=duration, max_outstanding=max_outstanding) + \
        "".join(f"  - {action}\n" for action in actions)


# -- invitations queued behind max_outstanding -------------------------------------------------

@pytest.mark.parametrize("max_outstanding", [1, 2, 3])
def test_invitations_beyond_max_outstanding_wait_in_the_apps_queue(tmp_path, max_outstanding):
    """One invite action for three leaves: the app calls join_leaf for as many as
    max_outstanding allows at once, and for the next one each time an answer comes
    (FD_CONNECT at the root); every row's t_request is the time of the invite action."""
    run = run_yaml(tmp_path, scenario("{at: 0s, hosts: crowd, do: listen, session: call}",
                                      "{at: 1s, host: boss, do: invite, session: call, leaves: [c1, c2, c3]}",
                                      max_outstanding=max_outstanding))
    at_root = [(t, e) for t, h, e, err in spi_log(run) if h == "boss" and e in ("JOIN_LEAF", "FD_CONNECT")]
    calls = [t for t, e in at_root if e == "JOIN_LEAF"]
    answers = [t for t, e in at_root if e == "FD_CONNECT"]
    assert len(calls) == len(answers) == 3
    first = min(max_outstanding, 3)
    assert calls[:first] == [1.0] * first
    # Each later call is made when an answer comes, right after that FD_CONNECT.
    assert calls[first:] == answers[:3 - first]
    outstanding = 0
    for _, event in at_root:
        outstanding += 1 if event == "JOIN_LEAF" else -1
        assert 0 <= outstanding <= max_outstanding
    joins = run.stack.joins.frame()
    assert list(joins.leaf) == ["c1", "c2", "c3"]
    assert list(joins.outcome) == ["connected"] * 3
    assert list(joins.t_request) == [1.0] * 3
    # The latency counts from the request: a queued join's includes its wait in the queue.
    assert list(joins.latency) == pytest.approx([t - 1.0 for t in answers], abs=1e-12)
    waits = [call - 1.0 for call in calls]
    assert waits[:first] == [0.0] * first and all(w > 0 for w in waits[first:])
    assert list(records(run, "app", "INVITE", "boss").peer) == ["c1", "c2", "c3"]


def test_an_invitation_of_a_member_is_skipped_and_the_queue_goes_on(tmp_path):
    """c1 is invited twice (a member by the second time, WSAEISCONN): the app skips it and
    invites c2 without waiting for anything."""
    run = run_yaml(tmp_path, scenario("{at: 0s, hosts: crowd, do: listen, session: call}",
                                      "{at: 1s, host: boss, do: invite, session: call, leaves: [c1]}",
                                      "{at: 2s, host: boss, do: invite, session: call, leaves: [c1, c2]}"))
    calls = [(t, err) for t, h, e, err in spi_log(run) if h == "boss" and e == "JOIN_LEAF"]
    assert calls == [(1.0, None), (2.0, "WSAEISCONN"), (2.0, None)]
    joins = run.stack.joins.frame()
    assert list(zip(joins.leaf, joins.outcome, joins.t_request)) == [("c1", "connected", 1.0),
                                                                    ("c2", "connected", 2.0)]


def test_the_root_alone_invites(tmp_path):
    run = run_yaml(tmp_path, scenario("{at: 0s, hosts: crowd, do: listen, session: call}",
                                      duration="1s"))
    with pytest.raises(ParameterError, match="c1 is not the root of session 'call'"):
        run.app("c1", "call").invite(["c2"])


# -- admission policies -----------------------------------------------------------------------

def test_a_defer_policy_decides_that_long_after_the_request_arrived(tmp_path):
    run = run_yaml(tmp_path, scenario("{at: 0s, host: boss, do: listen, session: call, "
                                      "policy: {defer: 250ms}}",
                                      "{at: 1s, host: c1, do: request, session: call}"))
    accepts = [(t, err) for t, h, e, err in spi_log(run) if h == "boss" and e == "ACCEPT"]
    (t_arrival, held), (t_decided, decided) = accepts
    assert (held, decided) == ("WSATRY_AGAIN", None)
    assert t_arrival > 1.0 and t_decided == pytest.approx(t_arrival + 0.25, abs=1e-9)
    assert list(run.stack.joins.frame().outcome) == ["connected"]


def test_a_capacity_policy_counts_the_members_there_are_now(tmp_path):
    """{capacity: 2}: c1 and c2 are admitted, c3 refused; once c1 has left, c4 is admitted."""
    run = run_yaml(tmp_path, scenario("{at: 0s, host: boss, do: listen, session: call, policy: {capacity: 2}}",
                                      "{at: 1s, host: c1, do: request, session: call}",
                                      "{at: 2s, host: c2, do: request, session: call}",
                                      "{at: 3s, host: c3, do: request, session: call}",
                                      "{at: 4s, host: c1, do: leave, session: call}",
                                      "{at: 5s, host: c4, do: request, session: call}"))
    joins = run.stack.joins.frame()
    assert list(zip(joins.leaf, joins.outcome)) == [("c1", "connected"), ("c2", "connected"),
                                                    ("c3", "rejected"), ("c4", "connected")]
    assert sorted(run.app("boss", "call").socket.leaves) == ["c2", "c4"]


class _Incoming:
    t_arrival = 1.0


@pytest.mark.parametrize("spec, now, members, decision", [
    ("accept", 0.0, 99, CF_ACCEPT),
    ("reject", 0.0, 0, CF_REJECT),
    ({"defer": 0.5}, 1.49, 0, CF_DEFER),
    ({"defer": 0.5}, 1.5, 0, CF_ACCEPT),
    ({"capacity": 2}, 0.0, 1, CF_ACCEPT),
    ({"capacity": 2}, 0.0, 2, CF_REJECT),
    ({"capacity": 0}, 0.0, 0, CF_REJECT),
])
def test_policy_decisions(spec, now, members, decision):
    assert Policy(spec).decide(_Incoming(), now, members) == decision


@pytest.mark.parametrize("spec", ["maybe", {"defer": -1}, {"capacity": 1.5}, {"capacity": True},
                                  {"accept_prob": 1.5}, {"defer": 1, "capacity": 2}, None])
def test_a_policy_outside_the_language_is_refused_naming_what_is_allowed(spec):
    with pytest.raises(ParameterError, match="allowed: accept | reject"):
        Policy(spec)


def test_accept_prob_needs_a_random_stream_and_accepts_about_that_share():
    with pytest.raises(ParameterError, match="random stream"):
        Policy({"accept_prob": 0.5})

    class Stream:                   # a stream whose draws sweep [0, 1) evenly
        def __init__(self, n):
            self.draws = iter((k + 0.5) / n for k in range(n))

        def random(self):
            return next(self.draws)

    n = 1000
    policy = Policy({"accept_prob": 0.3}, Stream(n))
    decisions = [policy.decide(_Incoming(), 0.0, 0) for _ in range(n)]
    assert decisions.count(CF_ACCEPT) == 300                 # draws below 0.3 accept


# -- leaving and sending ------------------------------------------------------------------------

def test_leave_closes_the_member_sockets_and_the_session_socket(tmp_path):
    run = run_yaml(tmp_path, scenario("{at: 0s, host: c1, do: listen, session: call}",
                                      "{at: 1s, host: boss, do: invite, session: call, leaves: [c1]}",
                                      "{at: 2s, host: c1, do: leave, session: call}"))
    app = run.app("c1", "call")
    assert app.members == [] and app.socket.closed
    closes = [t for t, h, e, err in spi_log(run) if h == "c1" and e == "CLOSE"]
    assert closes == [2.0, 2.0]                         # the member socket, the listening one
    assert run.app("boss", "call").socket.leaves == {}


def test_who_may_send_on_a_rooted_session(tmp_path):
    """The root and connected leaves send; a leaf not (yet) connected does not."""
    run = run_yaml(tmp_path, scenario("{at: 0s, host: boss, do: listen, session: call}",
                                      "{at: 1s, host: c1, do: request, session: call}"))
    assert run.app("boss", "call").send(100) is True
    assert run.app("c1", "call").send(100) is True                        # connected at ~1.06 s
    assert run.app("c2", "call").send(100) is False                       # never joined
