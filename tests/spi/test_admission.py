"""multipoint.md §2, Way 2 — a leaf asks a listening root for admittance: join_leaf on
a c_leaf (M8), rejection, time-outs and no path (M9), a root that listens and invites
(M10), accept (M11), a second join_leaf (M12). The world and the constants:
tests/spi/helpers.py."""

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import CF_ACCEPT, CF_DEFER, CF_REJECT, WsaError
from tests.spi.helpers import (ACCESS_RTT, LEAF, OW, TAU, code_of, invited, listening, r, request_one, requested,
                               root_socket, rows)
from tests.world import HOP, chain, lose_next, sent, signalling


def listening_root_and_a_leaf_socket(**settings):
    """R's app listens (accepting) from t = 0, and L has a c_leaf socket made at 0 that
    the test drives itself. Returns the world and L's socket."""
    w = chain()
    w.session("s", root="R", **settings)
    w.app("R").listen()
    return w, w.stack.host("L").socket("s", LEAF)

def test_m8_join_leaf_on_a_c_leaf_returns_the_same_socket():
    w, leaf = listening_root_and_a_leaf_socket()
    returned = []
    w.at(1.0, lambda: returned.append(leaf.join_leaf("R")))
    w.run(10)
    assert returned == [leaf] and leaf.connected
    assert w.log("spi") == [*listening("R"), r(0, "L", "SOCKET"), *requested(1),
                            r(1 + 2 * OW + ACCESS_RTT, "L", "FD_CONNECT")]


def test_m9_a_rejected_leaf_may_ask_again_on_the_same_socket():
    w = chain()
    w.session("s", root="R")
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
        *requested(1 + 2 * OW), r(1 + 4 * OW + ACCESS_RTT, "L", "FD_CONNECT")]
    assert rows(w, "outcome") == [("rejected",), ("connected",)]


def test_m9_lost_requests_time_out_and_the_leaf_may_ask_again():
    """Both LEAF SETUP REQUESTs are lost on the leaf's access link: WSAETIMEDOUT at
    1 + 2 × T331. The request made again at once leaves TAU behind the RELEASE that
    withdraws the first. The subject is the end-to-end T331 under loss, so the session's
    signalling is unreliable (with SSCOP the hop would recover the loss itself)."""
    w, leaf = listening_root_and_a_leaf_socket(signalling={"transport": "unreliable"})
    lose_next(w.net.link("L", 1), 2)
    leaf.on(lambda ind: ind.error and leaf.join_leaf("R"))
    w.at(1.0, leaf.join_leaf, "R")
    w.run(200)
    assert w.log("spi") == [
        *listening("R"), r(0, "L", "SOCKET"),
        r(1, "L", "JOIN_LEAF"),
        r(121, "L", "FD_CONNECT", "WSAETIMEDOUT"), r(121, "L", "JOIN_LEAF"),
        r(121 + TAU + OW, "R", "FD_ACCEPT"), r(121 + TAU + OW, "R", "ACCEPT"),
        r(121 + TAU + 2 * OW + ACCESS_RTT, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "attempts") == [("timed_out", 2), ("connected", 1)]


def test_m9_a_root_host_that_is_down_gives_wsaetimedout():
    """The root host is in the topology but down: the requests are lost at its switch, and
    the leaf's T331 runs out twice (not WSAENETUNREACH, which is for no path at all).
    The subject is T331's retransmissions (the drops at 1, 61, 121 s), so the session's
    signalling is unreliable: with SSCOP, switch 0 would also poll the dead host."""
    w = chain()
    w.session("s", root="R", signalling={"transport": "unreliable"})
    w.app("R").listen("accept")
    w.at(1.0, w.app("L").request)
    w.at(0.5, w.net.fail_node, "R")
    w.at(125.0, w.net.recover_node, "R")
    w.at(130.0, w.app("L").request)
    w.run(200)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(121, "L", "FD_CONNECT", "WSAETIMEDOUT"),
        *requested(130),                                         # the same socket again
        r(130 + 2 * OW + ACCESS_RTT, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "error") == [("timed_out", "WSAETIMEDOUT"), ("connected", None)]
    drops = w.events("net").query("event == 'DROP'")
    assert [(round(t, 9), h, p) for t, h, p in zip(drops.time, drops.host, drops.peer)] == \
        [(round(t + 2 * HOP, 9), "0", "R") for t in (1.0, 61.0, 121.0)]


def test_m9_no_path_to_the_root_gives_wsaenetunreach_at_once():
    w = request_one()
    w.at(0.5, w.net.fail_link, 0, 1)
    w.at(2.0, w.net.recover_link, 0, 1)
    w.at(3.0, w.app("L").request)
    w.run(10)
    assert w.log("spi") == [
        *listening("R"),
        r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"), r(1, "L", "FD_CONNECT", "WSAENETUNREACH"),
        *requested(3), r(3 + 2 * OW + ACCESS_RTT, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "attempts") == [("unreachable", 0), ("connected", 1)]
    assert min(t for t, *_ in sent(w)) == 3.0


def invite_l1_as_l2_asks(probe=None, **settings):
    """R's app listens (accepting) and invites L1 at t = 1; L2's app asks at 1.01, while
    the invitation is outstanding; ``probe(w)``, if given, is called before the run.
    Returns the world run to t = 10 and its log up to L2's request reaching R (the
    FD_ACCEPT there)."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", **settings)
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


def m10_log(prefix):
    """What both M10 tests expect after L2's request reaches R at 1.01 + OW: R accepts at
    once; the ADD PARTY that adds L2 waits in the provider until L1's CONNECT reaches R
    (the call is active, 1 + 2 OW), then leaves TAU behind R's CONNECT ACK; it reaches
    L2 one way later and L2's FD_CONNECT comes with its switch's CONNECT ACK."""
    return prefix + [
        r(1.01 + OW, "R", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1 + 3 * OW + TAU + ACCESS_RTT, "L2", "FD_CONNECT")]


def test_m10_a_listening_root_also_invites_and_accept_never_fails_wsaealready():
    """L2's request arrives while L1's invitation is outstanding (max_outstanding 1): the
    accept succeeds all the same (M10: not limited by M4); the accepted request is kept in
    ``admitting``, not ``outstanding``, and waits in the provider, a wait that is part of
    its latency."""
    seen = []

    def probe(w):
        # Between R's accept (1.0424) and L1's completion (1.0648): one of each.
        root = w.app("R").socket
        w.at(1.05, lambda: seen.append((sorted(j.leaf for j in root.outstanding.values()),
                                        sorted(j.leaf for j in root.admitting.values()))))

    w, prefix = invite_l1_as_l2_asks(probe)
    root = w.app("R").socket
    assert w.log("spi") == m10_log(prefix)
    assert seen == [(["L1"], ["L2"])]
    assert (root.outstanding, root.admitting) == ({}, {})
    assert list(w.joins().latency) == pytest.approx([2 * OW, 1 + 3 * OW + TAU + ACCESS_RTT - 1.01],
                                                    abs=1e-12)


def test_m10_both_ways_run_at_once_and_max_outstanding_does_not_change_accept():
    """The same with max_outstanding 2: the same log to the microsecond, as the limit is
    on join_leaf only (M4); both joins are in progress at once from 1.01 to 1 + 2 OW."""
    w, prefix = invite_l1_as_l2_asks(max_outstanding=2)
    assert w.log("spi") == m10_log(prefix)
    assert set(w.app("R").socket.leaves) == {"L1", "L2"}


def test_m11_accept_not_listening_fails_wsaeinval_and_with_nothing_pending_wsaewouldblock():
    w = chain()
    w.session("s", root="R")
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


def test_m11_a_blocking_accept_waits_until_a_request_arrives():
    w = chain()
    w.session("s", root="R")
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
                            r(1 + 2 * OW + ACCESS_RTT, "L", "FD_CONNECT")]


def test_m11_a_blocking_accept_decides_a_held_request_at_once():
    """A request held by CF_DEFER is pending (M11), and no new FD_ACCEPT will announce it
    (M6): a blocking accept made later decides it at once rather than waiting for one."""
    w = chain()
    w.session("s", root="R")
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
        r(1.5, "R", "ACCEPT"), r(1.5 + OW + ACCESS_RTT, "L", "FD_CONNECT")]


def test_m12_a_member_c_leaf_fails_a_second_join_leaf_with_wsaeisconn():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R")
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
        *requested(1, "L1"), r(1 + 2 * OW + ACCESS_RTT, "L1", "FD_CONNECT"),
        *invited(1.5, "L2"), r(1.5 + 2 * OW, "R", "FD_CONNECT"),
        r(2, "L1", "JOIN_LEAF", "WSAEISCONN"), r(2, "L2", "JOIN_LEAF", "WSAEISCONN")]
    assert len(w.stack.joins) == 2


def test_m12_a_c_leaf_with_a_request_outstanding_fails_with_wsaealready():
    w, leaf = listening_root_and_a_leaf_socket()
    codes = []

    w.at(1.0, leaf.join_leaf, "R")
    w.at(1.01, lambda: codes.append(code_of(leaf.join_leaf, "R")))
    w.run(10)
    assert codes == [WsaError.WSAEALREADY]
    assert w.log("spi") == [
        *listening("R"), r(0, "L", "SOCKET"),
        r(1, "L", "JOIN_LEAF"), r(1.01, "L", "JOIN_LEAF", "WSAEALREADY"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + 2 * OW + ACCESS_RTT, "L", "FD_CONNECT")]
    assert [kind for _, src, _, kind in signalling(w) if src == "L"] == ["LEAF_SETUP_REQUEST", "CONNECT"]
    assert len(w.stack.joins) == 1
