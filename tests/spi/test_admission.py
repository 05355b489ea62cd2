"""multipoint.md §2, Way 2 — a leaf asks a listening root for admittance: join_leaf on
a c_leaf (M8), rejection, time-outs and no path (M9), a root that listens and invites
(M10), accept (M11), a second join_leaf (M12). The world, the constants and the
providers' profiles: tests/spi/helpers.py."""

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import CF_ACCEPT, CF_DEFER, CF_REJECT, WsaError
from tests.spi.helpers import (ACCESS_RTT, LEAF, OW, PROFILES, TAU, code_of, control, invited, listening,
                               nonrooted, r, request_one, requested, root_socket, rooted, rows)
from tests.world import HOP, lose_next


def listening_root_and_a_leaf_socket(provider, **settings):
    """R's app listens (accepting) from t = 0, and L has a c_leaf socket made at 0 that
    the test drives itself. Returns the world and L's socket."""
    w = rooted(provider, **settings)
    w.app("R").listen()
    return w, w.stack.host("L").socket("s", LEAF)


def test_m8_join_leaf_on_a_c_leaf_returns_the_same_socket(provider):
    p = PROFILES[provider]
    w, leaf = listening_root_and_a_leaf_socket(provider)
    returned = []
    w.at(1.0, lambda: returned.append(leaf.join_leaf("R")))
    w.run(10)
    assert returned == [leaf] and leaf.connected
    assert w.log("spi") == [*listening("R"), r(0, "L", "SOCKET"), *requested(1),
                            r(1 + OW + p.admission, "L", "FD_CONNECT")]


@pytest.mark.parametrize("provider", ["ipmc"])
def test_m8_join_leaf_on_a_c_leaf_of_a_non_rooted_session_returns_the_same_socket(provider):
    """Way 3: join_leaf(group) returns the socket itself, and FD_CONNECT comes at once."""
    w = nonrooted(provider)
    leaf = w.stack.host("L").socket("s", LEAF)
    returned = []
    w.at(1.0, lambda: returned.append(leaf.join_leaf("s")))
    w.run(10)
    assert returned == [leaf] and leaf.connected
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"), r(1, "L", "FD_CONNECT")]


def test_m9_a_rejected_leaf_may_ask_again_on_the_same_socket(provider):
    """conference: the leaf ACKs the REJECT before its FD_CONNECT, and the request made
    again at once leaves TAU behind the ACK."""
    p = PROFILES[provider]
    lag = TAU if p.acks_refusal else 0.0
    w = rooted(provider)
    root = root_socket(w, listen=True)
    decisions = iter([CF_REJECT, CF_ACCEPT])

    def admit(ind):
        try:
            root.accept(lambda inc: next(decisions))
        except SocketError:
            pass

    root.on(admit)
    leaf = w.stack.host("L").socket("s", LEAF)
    again = []
    leaf.on(lambda ind: ind.error and again.append(leaf.join_leaf("R")))
    w.at(1.0, leaf.join_leaf, "R")
    w.run(10)
    assert again == [leaf]
    assert w.log("spi") == [
        *listening("R"), r(0, "L", "SOCKET"),
        *requested(1, answer="WSAECONNREFUSED"), r(1 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED"),
        *requested(1 + 2 * OW, lag=lag), r(1 + lag + 3 * OW + p.admission, "L", "FD_CONNECT")]
    assert rows(w, "outcome") == [("rejected",), ("connected",)]


def test_m9_lost_requests_time_out_and_the_leaf_may_ask_again(provider):
    """Every request is lost on the leaf's access link (atm: both LEAF SETUP REQUESTs, T331
    twice; conference: the seven JOIN REQUESTs of Timers A and B): WSAETIMEDOUT. atm: the
    request made again at once leaves TAU behind the RELEASE that withdraws the first;
    conference withdraws nothing. The subject is the end-to-end timers under loss, so atm's
    signalling is unreliable (with SSCOP the hop would recover the loss itself)."""
    p = PROFILES[provider]
    w, leaf = listening_root_and_a_leaf_socket(provider, **p.unreliable)
    lose_next(w.net.link("L", 1), len(p.unanswered_sends))
    leaf.on(lambda ind: ind.error and leaf.join_leaf("R"))
    w.at(1.0, leaf.join_leaf, "R")
    w.run(200)
    t = 1 + p.unanswered_gives_up
    lag = TAU if p.withdraws_unanswered else 0.0
    assert w.log("spi") == [
        *listening("R"), r(0, "L", "SOCKET"),
        r(1, "L", "JOIN_LEAF"),
        r(t, "L", "FD_CONNECT", "WSAETIMEDOUT"), r(t, "L", "JOIN_LEAF"),
        r(t + lag + OW, "R", "FD_ACCEPT"), r(t + lag + OW, "R", "ACCEPT"),
        r(t + lag + OW + p.admission, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "attempts") == [("timed_out", len(p.unanswered_sends)), ("connected", 1)]


def test_m9_a_root_host_that_is_down_gives_wsaetimedout(provider):
    """The root host is in the topology but down: the requests are lost at its switch, and
    the leaf's timers run out (not WSAENETUNREACH, which is for no path at all). The
    subject is the end-to-end retransmissions (atm: T331, the drops at 1 and 61 s and
    the RELEASE's at 121 s; conference: Timer A's copies), so atm's signalling is
    unreliable: with SSCOP, switch 0 would also poll the dead host."""
    p = PROFILES[provider]
    w = rooted(provider, **p.unreliable)
    w.app("R").listen("accept")
    w.at(1.0, w.app("L").request)
    w.at(0.5, w.net.fail_node, "R")
    w.at(125.0, w.net.recover_node, "R")
    w.at(130.0, w.app("L").request)
    w.run(200)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + p.unanswered_gives_up, "L", "FD_CONNECT", "WSAETIMEDOUT"),
        *requested(130),                                         # the same socket again
        r(130 + OW + p.admission, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "error") == [("timed_out", "WSAETIMEDOUT"), ("connected", None)]
    drops = w.events("net").query("event == 'DROP' and not detail.str.startswith('IGMP_QUERY')")
    lost = [1 + t for t in p.unanswered_sends]
    if p.withdraws_unanswered:
        lost.append(1 + p.unanswered_gives_up)
    # atm: at switch 0, whose link to R is down; conference: unicast, at L, whose routes
    # leave out a host that is down (no route).
    dropped = (lambda t: (round(t + 2 * HOP, 9), "0", "R")) if provider == "atm" else \
        (lambda t: (round(t, 9), "L", "R"))
    assert [(round(t, 9), h, peer) for t, h, peer in zip(drops.time, drops.host, drops.peer)] == \
        [dropped(t) for t in lost]


def test_m9_no_path_to_the_root_gives_wsaenetunreach_at_once(provider):
    p = PROFILES[provider]
    w = request_one(provider)
    w.at(0.5, w.net.fail_link, 0, 1)
    w.at(2.0, w.net.recover_link, 0, 1)
    w.at(3.0, w.app("L").request)
    w.run(10)
    assert w.log("spi") == [
        *listening("R"),
        r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"), r(1, "L", "FD_CONNECT", "WSAENETUNREACH"),
        *requested(3), r(3 + OW + p.admission, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "attempts") == [("unreachable", 0), ("connected", 1)]
    assert min(t for t, *_ in control(w)) == 3.0


def invite_l1_as_l2_asks(provider, probe=None, **settings):
    """R's app listens (accepting) and invites L1 at t = 1; L2's app asks at 1.01, while
    the invitation is outstanding; ``probe(w)``, if given, is called before the run.
    Returns the world run to t = 10 and its log up to L2's request reaching R (the
    FD_ACCEPT there)."""
    w = rooted(provider, leaves=("L1", "L2"), **settings)
    w.app("R").listen("accept")
    w.app("L1").listen()
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.01, w.app("L2").request)
    if probe is not None:
        probe(w)
    w.run(10)
    return w, [*listening("R"), *listening("L1"),
               r(1, "R", "JOIN_LEAF"),
               r(1.01, "L2", "SOCKET"), r(1.01, "L2", "JOIN_LEAF"),
               r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
               r(1.01 + OW, "R", "FD_ACCEPT")]


def l2_added(provider):
    """When L2, accepted at 1.01 + OW, gets FD_CONNECT in both M10 tests. atm: the ADD PARTY
    that adds L2 waits in the provider until L1's CONNECT reaches R (the call is active,
    1 + 2 OW), then leaves TAU behind R's CONNECT ACK; it reaches L2 one way later and
    L2's FD_CONNECT comes with its switch's CONNECT ACK. conference: nothing waits, the
    ACCEPT leaves with the accept."""
    if provider == "atm":
        return 1 + 3 * OW + TAU + ACCESS_RTT
    return 1.01 + OW + PROFILES[provider].admission


def m10_log(provider, prefix):
    """What both M10 tests expect after L2's request reaches R at 1.01 + OW: R accepts at
    once; L1's join completes at 1 + 2 OW, L2's at ``l2_added``."""
    return prefix + [
        r(1.01 + OW, "R", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(l2_added(provider), "L2", "FD_CONNECT")]


def test_m10_a_listening_root_also_invites_and_accept_never_fails_wsaealready(provider):
    """L2's request arrives while L1's invitation is outstanding (max_outstanding 1): the
    accept succeeds all the same (M10: not limited by M4). atm: the accepted request is
    kept in ``admitting``, not ``outstanding``, and waits in the provider, a wait that is
    part of its latency; conference adds it at once."""
    seen = []

    def probe(w):
        # Between R's accept (1.0424) and L1's completion (1.0648).
        root = w.app("R").socket
        w.at(1.05, lambda: seen.append((sorted(j.leaf for j in root.outstanding.values()),
                                        sorted(j.leaf for j in root.admitting.values()))))

    w, prefix = invite_l1_as_l2_asks(provider, probe)
    root = w.app("R").socket
    assert w.log("spi") == m10_log(provider, prefix)
    assert seen == [(["L1"], ["L2"] if provider == "atm" else [])]
    assert (root.outstanding, root.admitting) == ({}, {})
    assert list(w.joins().latency) == pytest.approx([2 * OW, l2_added(provider) - 1.01], abs=1e-12)


def test_m10_both_ways_run_at_once_and_max_outstanding_does_not_change_accept(provider):
    """The same with max_outstanding 2: the same log to the microsecond, as the limit is
    on join_leaf only (M4); both joins are in progress at once from 1.01 to 1 + 2 OW."""
    w, prefix = invite_l1_as_l2_asks(provider, max_outstanding=2)
    assert w.log("spi") == m10_log(provider, prefix)
    assert set(w.app("R").socket.leaves) == {"L1", "L2"}


def test_m11_accept_not_listening_fails_wsaeinval_and_with_nothing_pending_wsaewouldblock(provider):
    w = rooted(provider)
    root = root_socket(w)
    leaf = w.stack.host("L").socket("s", LEAF)
    codes = [code_of(root.accept), code_of(leaf.accept)]
    root.listen()
    leaf.listen()
    codes += [code_of(root.accept), code_of(leaf.accept)]
    assert codes == [WsaError.WSAEINVAL] * 2 + [WsaError.WSAEWOULDBLOCK] * 2
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "L", "SOCKET"),
        r(0, "R", "ACCEPT", "WSAEINVAL"), r(0, "L", "ACCEPT", "WSAEINVAL"),
        r(0, "R", "LISTEN"), r(0, "L", "LISTEN"),
        r(0, "R", "ACCEPT", "WSAEWOULDBLOCK"), r(0, "L", "ACCEPT", "WSAEWOULDBLOCK")]


def test_m11_a_blocking_accept_waits_until_a_request_arrives(provider):
    p = PROFILES[provider]
    w = rooted(provider)
    root = root_socket(w, listen=True)
    accepted = []

    def root_app():
        sock = yield root.accept_blocking()
        accepted.append((round(w.sim.now, 9), sock))

    w.sim.process(root_app())
    w.at(1.0, w.app("L").request)
    w.run(10)
    assert [(t, s.kind, s.leaf) for t, s in accepted] == [(round(1 + OW, 9), "per_leaf", "L")]
    assert w.log("spi") == [*listening("R"), r(1, "L", "SOCKET"), *requested(1),
                            r(1 + OW + p.admission, "L", "FD_CONNECT")]


def test_m11_a_blocking_accept_decides_a_held_request_at_once(provider):
    """A request held by CF_DEFER is pending (M11), and no new FD_ACCEPT will announce it
    (M6): a blocking accept made later decides it at once rather than waiting for one."""
    p = PROFILES[provider]
    w = rooted(provider)
    root = root_socket(w, listen=True)
    root.on(lambda ind: code_of(root.accept, lambda inc: CF_DEFER))
    accepted = []

    def root_app():
        yield w.sim.env.timeout(1.5)
        sock = yield root.accept_blocking()
        accepted.append((round(w.sim.now, 9), sock.leaf))

    w.sim.process(root_app())
    w.at(1.0, w.app("L").request)
    w.run(10)
    assert accepted == [(1.5, "L")]
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1, answer="WSATRY_AGAIN"),
        r(1.5, "R", "ACCEPT"), r(1.5 + p.admission, "L", "FD_CONNECT")]


def test_m12_a_member_c_leaf_fails_a_second_join_leaf_with_wsaeisconn(provider):
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2"))
    w.app("R").listen()
    w.app("L2").listen()
    leaf = w.stack.host("L1").socket("s", LEAF)
    codes = []
    w.at(1.0, leaf.join_leaf, "R")                                     # Way 2 member
    w.at(1.5, w.app("R").invite, ["L2"])                               # Way 1 member socket
    w.at(2.0, lambda: codes.extend([code_of(leaf.join_leaf, "R"),
                                    code_of(w.app("L2").members[0].join_leaf, "R")]))
    w.run(10)
    assert codes == [WsaError.WSAEISCONN] * 2
    assert w.log("spi") == [
        *listening("R"), *listening("L2"), r(0, "L1", "SOCKET"),
        *requested(1, "L1"), r(1 + OW + p.admission, "L1", "FD_CONNECT"),
        *invited(1.5, "L2"), r(1.5 + 2 * OW, "R", "FD_CONNECT"),
        r(2, "L1", "JOIN_LEAF", "WSAEISCONN"), r(2, "L2", "JOIN_LEAF", "WSAEISCONN")]
    assert len(w.stack.joins) == 2


def test_m12_a_c_leaf_with_a_request_outstanding_fails_with_wsaealready(provider):
    p = PROFILES[provider]
    w, leaf = listening_root_and_a_leaf_socket(provider)
    codes = []

    w.at(1.0, leaf.join_leaf, "R")
    w.at(1.01, lambda: codes.append(code_of(leaf.join_leaf, "R")))
    w.run(10)
    assert codes == [WsaError.WSAEALREADY]
    assert w.log("spi") == [
        *listening("R"), r(0, "L", "SOCKET"),
        r(1, "L", "JOIN_LEAF"), r(1.01, "L", "JOIN_LEAF", "WSAEALREADY"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + OW + p.admission, "L", "FD_CONNECT")]
    assert tuple(kind for _, src, _, kind in control(w) if src == "L") == p.request_sends
    assert len(w.stack.joins) == 1


@pytest.mark.parametrize("provider", ["ipmc"])
def test_m12_a_member_c_leaf_of_a_non_rooted_session_fails_a_second_join_leaf(provider):
    """A second join_leaf in the instant of the first (its FD_CONNECT not yet delivered)
    fails with WSAEALREADY, and once the socket is a member with WSAEISCONN."""
    w = nonrooted(provider)
    leaf = w.stack.host("L").socket("s", LEAF)
    codes = []
    w.at(1.0, lambda: (leaf.join_leaf("s"), codes.append(code_of(leaf.join_leaf, "s"))))
    w.at(2.0, lambda: codes.append(code_of(leaf.join_leaf, "s")))
    w.run(10)
    assert codes == [WsaError.WSAEALREADY, WsaError.WSAEISCONN]
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"), r(1, "L", "JOIN_LEAF", "WSAEALREADY"),
                            r(1, "L", "FD_CONNECT"), r(2, "L", "JOIN_LEAF", "WSAEISCONN")]
    assert len(w.stack.joins) == 1
