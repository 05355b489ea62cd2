"""multipoint.md's rules for rooted sessions (the atm provider), each test named by its id.

World: multipoint.md's chain R — s1 — s2 — leaves (routers 0 and 1, every leaf on
router 1), every link 10 ms / 1 Mbps, 100 B control messages, zero processing. One
hop of a control message takes HOP = 10.8 ms, one way ONE_WAY = 32.4 ms, and a
message that finds another being sent on a link waits TAU = 0.8 ms behind it.

Each test compares the whole (time, host, event, error) log of layer "spi" of a small
run (``World.log``) with the sequence worked out from those constants: socket calls
(``SOCKET``, ``LISTEN``, ``JOIN_LEAF``, ``ACCEPT``, ``CLOSE``, a failed ``SEND``) and
delivered indications (``FD_ACCEPT``, ``FD_CONNECT``, ``FD_CLOSE``, ``FD_READ``).

``COVERAGE`` names the tests of each rule; ``LEFT_FOR_IPMC`` the rules, or the halves
of rules, that concern only non-rooted sessions, which tests/protocols/test_ipmc_rules.py
checks.
"""

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import (C_LEAF, C_ROOT, CF_ACCEPT, CF_DEFER, CF_REJECT, D_LEAF, D_ROOT, FD_ACCEPT,
                       FD_CLOSE, FD_CONNECT, JL_BOTH, JL_RECEIVER_ONLY, JL_SENDER_ONLY,
                       Provider, ProviderFlag, WsaError)
from tests.world import HOP, ONE_WAY, chain, lose_next, sent

OW = ONE_WAY
TAU = 100 * 8 / 1e6          # 0.8 ms: serialization of one 100 B control message at 1 Mbps
ROOT = C_ROOT | D_ROOT
LEAF = C_LEAF | D_LEAF


def data_one_way(size):
    """Three hops of a ``size``-byte data packet on an idle path."""
    return 3 * (0.010 + size * 8 / 1e6)


def r(t, host, event, error=None):
    """One expected log record (times rounded as ``World.log`` rounds them)."""
    return (round(t, 9), host, event, error)


def code_of(call, *args):
    """The Winsock error of a call that must fail at once."""
    with pytest.raises(SocketError) as failed:
        call(*args)
    return failed.value.code


def rows(w, *columns):
    frame = w.joins()
    return [tuple(None if v != v else v for v in row) for row in frame[list(columns)].itertuples(index=False)]


def root_socket(w, listen=False):
    sock = w.stack.host("R").socket("s", ROOT)
    if listen:
        sock.listen()
    return sock


def invited_pair():
    """L1 and L2 listen; at t = 1 the root invites both (max_outstanding 2) on its own
    c_root socket. Returns the world, the root socket, and its per-leaf sockets by leaf
    (filled at t = 1) and the spi log of the run up to t = 2."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    root = root_socket(w)
    per_leaf = {}
    w.at(1.0, lambda: per_leaf.update(L1=root.join_leaf("L1"), L2=root.join_leaf("L2")))
    # L2's ADD PARTY leaves the root TAU after L1's SETUP, and stays TAU behind it.
    prefix = [r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"), r(0, "L2", "SOCKET"), r(0, "L2", "LISTEN"),
              r(0, "R", "SOCKET"),
              r(1, "R", "JOIN_LEAF"), r(1, "R", "JOIN_LEAF"),
              r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
              r(1 + TAU + OW, "L2", "FD_ACCEPT"), r(1 + TAU + OW, "L2", "ACCEPT"),
              r(1 + 2 * OW, "R", "FD_CONNECT"), r(1 + TAU + 2 * OW, "R", "FD_CONNECT")]
    return w, root, per_leaf, prefix


class PlainProvider(Provider):
    """A provider without ``XP1_SUPPORT_MULTIPOINT``: a plain transport."""
    name = "plain"
    flags = ProviderFlag(0)


# -- M1, M2: roles ---------------------------------------------------------------------------------

def test_m1_a_socket_needs_one_control_and_one_data_role_its_provider_supports():
    w = chain()
    w.session("s", root="R")
    host = w.stack.host("R")
    bad = [C_ROOT, D_ROOT, C_ROOT | C_LEAF | D_ROOT, C_ROOT | D_ROOT | D_LEAF,
           C_ROOT | D_LEAF, C_LEAF | D_ROOT]          # atm: the c_root is the d_root
    assert [code_of(host.socket, "s", flags) for flags in bad] == [WsaError.WSAEINVAL] * 6
    root, leaf, plain = host.socket("s", ROOT), w.stack.host("L").socket("s", LEAF), host.socket("s")
    assert [(s.c_role, s.d_role) for s in (root, leaf)] == [(C_ROOT, D_ROOT), (C_LEAF, D_LEAF)]
    assert not plain.is_multipoint
    assert w.log("spi") == [r(0, "R", "SOCKET", "WSAEINVAL")] * 6 + \
        [r(0, "R", "SOCKET"), r(0, "L", "SOCKET"), r(0, "R", "SOCKET")]


def test_m1_multipoint_flags_on_a_provider_without_multipoint_support_fail_wsaeinval():
    w = chain()
    w.stack.add_provider(PlainProvider(w.stack))
    w.session("p", "plain")
    host = w.stack.host("L")
    assert [code_of(host.socket, "p", flags) for flags in (ROOT, LEAF, C_LEAF | D_ROOT)] == \
        [WsaError.WSAEINVAL] * 3
    host.socket("p")
    assert w.log("spi") == [r(0, "L", "SOCKET", "WSAEINVAL")] * 3 + [r(0, "L", "SOCKET")]


@pytest.mark.parametrize("provider", ["atm", "plain"])
def test_m2_join_listen_accept_without_a_multipoint_role_fail_wsaeopnotsupp(provider):
    w = chain()
    w.stack.add_provider(PlainProvider(w.stack))
    w.session("s", provider, **({"root": "R"} if provider == "atm" else {}))
    sock = w.stack.host("L").socket("s")
    codes = [code_of(sock.join_leaf, "R"), code_of(sock.listen), code_of(sock.accept)]
    w.run(10)
    assert codes == [WsaError.WSAEOPNOTSUPP] * 3
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(0, "L", "JOIN_LEAF", "WSAEOPNOTSUPP"),
                            r(0, "L", "LISTEN", "WSAEOPNOTSUPP"), r(0, "L", "ACCEPT", "WSAEOPNOTSUPP")]
    assert sent(w) == [] and len(w.stack.joins) == 0


# -- M3: the root's per-leaf sockets ---------------------------------------------------------------

def test_m3_join_leaf_on_c_root_returns_a_new_socket_per_leaf_and_completion_comes_on_the_root():
    w, root, per_leaf, prefix = invited_pair()
    root.event_select(FD_CONNECT | FD_CLOSE)
    at_call = []
    w.at(1.0, lambda: at_call.extend((s, s.connected) for s in per_leaf.values()))
    completions = []
    root.on(lambda ind: completions.append((round(ind.time, 9), ind.event, ind.error, ind.other)))
    w.run(2)
    p1, p2 = per_leaf["L1"], per_leaf["L2"]
    # Returned at once, pending, one per leaf, standing for that leaf at the root.
    assert at_call == [(p1, False), (p2, False)]
    assert len({id(root), id(p1), id(p2)}) == 3
    assert [(p.kind, p.leaf, p.root_socket) for p in (p1, p2)] == [("per_leaf", "L1", root),
                                                                   ("per_leaf", "L2", root)]
    assert p1.mask == p2.mask == FD_CONNECT | FD_CLOSE          # inherited from the root socket
    # Completion on the original c_root socket, naming the per-leaf socket.
    assert completions == [(round(1 + 2 * OW, 9), FD_CONNECT, None, p1),
                           (round(1 + TAU + 2 * OW, 9), FD_CONNECT, None, p2)]
    assert w.log("spi") == prefix
    assert root.leaves == {"L1": p1, "L2": p2} and p1.connected and p2.connected


def test_m3_a_per_leaf_socket_gets_its_leafs_fd_close_and_the_c_root_socket_stays_the_root():
    w, root, per_leaf, prefix = invited_pair()
    w.at(3.0, w.app("L1").leave)                                  # FD_CLOSE on L1's per-leaf socket
    w.at(4.0, lambda: per_leaf["L2"].close())                     # drops L2 only
    w.at(5.0, w.app("L1").listen)
    w.at(6.0, lambda: per_leaf.update(again=root.join_leaf("L1")))
    w.run(10)
    assert w.log("spi") == prefix + [
        r(3, "L1", "CLOSE"), r(3, "L1", "CLOSE"),                 # the member socket, the listener
        r(3 + OW, "R", "FD_CLOSE"),
        r(4, "R", "CLOSE"),
        r(4 + OW, "L2", "FD_CLOSE"),
        r(5, "L1", "SOCKET"), r(5, "L1", "LISTEN"),
        r(6, "R", "JOIN_LEAF"),
        r(6 + OW, "L1", "FD_ACCEPT"), r(6 + OW, "L1", "ACCEPT"),
        r(6 + 2 * OW, "R", "FD_CONNECT")]
    closes = w.events("spi").query("event == 'FD_CLOSE' and host == 'R'")
    assert list(closes.socket) == [per_leaf["L1"].id]
    assert root.leaves == {"L1": per_leaf["again"]} and per_leaf["again"] is not per_leaf["L1"]


def test_m3_closing_a_pending_per_leaf_socket_cancels_the_join():
    """L holds the invitation (CF_DEFER for 100 s); the root closes the per-leaf socket
    at t = 2: the join is cancelled then, the leaf's held invitation is withdrawn when
    the RELEASE reaches it, and its later accept fails with WSAEACCES (M6, M22)."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen({"defer": 100.0})
    root = root_socket(w)
    per_leaf = {}
    w.at(1.0, lambda: per_leaf.update(L=root.join_leaf("L")))
    w.at(2.0, lambda: per_leaf["L"].close())
    w.run(200)
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(0, "R", "SOCKET"),
        r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT", "WSATRY_AGAIN"),
        r(2, "R", "CLOSE"),
        r(101 + OW, "L", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "t_complete", "error") == [("cancelled", 2.0, None)]
    assert root.leaves == {} and root.outstanding == {}


def test_m3_closing_the_per_leaf_socket_of_an_accepted_request_adds_then_drops_the_leaf():
    """Reading of M3 for Way 2: the root closes the per-leaf socket that accept returned
    1 ms after accepting L's request. The join is the leaf's, and the SETUP that adds L
    is already ahead of the RELEASE: L's join completes (row connected) and L is then
    dropped (FD_CLOSE, error 0). Only joins the root asked for (Way 1) are cancelled."""
    w = chain()
    w.session("s", root="R")
    root = root_socket(w, listen=True)
    per_leaf = []
    root.on(lambda ind: ind.event == FD_ACCEPT and per_leaf.append(root.accept()))
    w.at(1.0, w.app("L").request)
    w.at(1.001 + OW, lambda: per_leaf[0].close())
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"),
        r(1.001 + OW, "R", "CLOSE"),
        r(1 + 2 * OW, "L", "FD_CONNECT"),
        r(1.001 + 2 * OW, "L", "FD_CLOSE")]
    assert rows(w, "outcome", "t_complete") == [("connected", pytest.approx(1 + 2 * OW))]
    assert (root.leaves, root.outstanding) == ({}, {})
    tree = w.stack.session("s").state.tree
    assert (tree.out, tree.receivers) == ({}, {})


# -- M4: max_outstanding ------------------------------------------------------------------------------

def test_m4_second_outstanding_join_fails_ealready_and_sends_nothing():
    w = chain(leaves=("L1", "L2"))
    session = w.session("s", root="R")
    assert session.max_outstanding == 1                             # Winsock's default
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    root = root_socket(w)
    codes = []

    def invite_both():
        root.join_leaf("L1")
        codes.append(code_of(root.join_leaf, "L2"))

    w.at(1.0, invite_both)
    w.run(1.5)
    assert codes == [WsaError.WSAEALREADY]
    assert set(w.events("proto").join_id) == {1} and len(w.stack.joins) == 1
    # Room again once the first is answered.
    w.at(2.0, root.join_leaf, "L2")
    w.run(10)
    assert w.log("spi") == [
        r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"), r(0, "L2", "SOCKET"), r(0, "L2", "LISTEN"),
        r(0, "R", "SOCKET"),
        r(1, "R", "JOIN_LEAF"), r(1, "R", "JOIN_LEAF", "WSAEALREADY"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(2, "R", "JOIN_LEAF"),
        r(2 + OW, "L2", "FD_ACCEPT"), r(2 + OW, "L2", "ACCEPT"),
        r(2 + 2 * OW, "R", "FD_CONNECT")]


def test_m4_apps_queue_invitations_so_the_wait_shows_in_the_latency():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R")
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    w.run(10)
    # L2's ADD PARTY leaves when L1 completes, TAU behind the CONNECT ACK.
    assert w.log("spi") == [
        r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"), r(0, "L2", "SOCKET"), r(0, "L2", "LISTEN"),
        r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"), r(1 + 2 * OW, "R", "JOIN_LEAF"),
        r(1 + 3 * OW + TAU, "L2", "FD_ACCEPT"), r(1 + 3 * OW + TAU, "L2", "ACCEPT"),
        r(1 + 4 * OW + TAU, "R", "FD_CONNECT")]
    assert rows(w, "leaf", "t_request", "outcome") == [("L1", 1.0, "connected"), ("L2", 1.0, "connected")]
    assert list(w.joins().latency) == pytest.approx([2 * OW, 4 * OW + TAU], abs=1e-12)


# -- M5 .. M7: Way 1 answers ---------------------------------------------------------------------------

def test_m5_invited_host_not_listening_gives_the_root_wsaeconnrefused():
    """L has a c_leaf socket in the session that does not listen: it does not count."""
    w = chain()
    w.session("s", root="R")
    w.stack.host("L").socket("s", LEAF)
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(10)
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
                            r(1 + 2 * OW, "R", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome", "error") == [("rejected", "WSAECONNREFUSED")]
    assert [(src, kind) for _, src, _, kind in sent(w) if kind == "RELEASE"] == \
        [("L", "RELEASE"), ("1", "RELEASE"), ("0", "RELEASE")]


def test_m5_a_further_party_not_listening_is_refused_by_add_party_reject():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    w.app("L1").listen()
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    w.run(10)
    assert w.log("spi") == [
        r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"),
        r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1 + TAU + 2 * OW, "R", "FD_CONNECT", "WSAECONNREFUSED")]
    refusal = [(src, kind) for _, src, _, kind in sent(w) if kind in ("RELEASE", "ADD_PARTY_REJECT")]
    assert refusal == [("L2", "RELEASE"), ("1", "ADD_PARTY_REJECT"), ("0", "ADD_PARTY_REJECT")]
    assert rows(w, "leaf", "outcome") == [("L1", "connected"), ("L2", "rejected")]


def test_m6_cf_accept_joins_both_ways():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R")
    w.app("R").listen("accept")
    w.app("L1").listen("accept")
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.5, w.app("L2").request)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.5, "L2", "SOCKET"), r(1.5, "L2", "JOIN_LEAF"),
        r(1.5 + OW, "R", "FD_ACCEPT"), r(1.5 + OW, "R", "ACCEPT"),
        r(1.5 + 2 * OW, "L2", "FD_CONNECT")]
    assert rows(w, "method", "outcome") == [("root_invite", "connected"), ("leaf_request", "connected")]


def test_m6_cf_reject_refuses_an_invitation_with_wsaeconnrefused_at_the_root():
    w = chain()
    w.session("s", root="R")
    w.app("L").listen("reject")
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(10)
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT", "WSAECONNREFUSED"),
        r(1 + 2 * OW, "R", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome") == [("rejected",)]


def test_m6_cf_reject_refuses_a_request_with_wsaeconnrefused_at_the_leaf():
    w = chain()
    w.session("s", root="R")
    w.app("R").listen("reject")
    w.at(1.0, w.app("L").request)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT", "WSAECONNREFUSED"),
        r(1 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome") == [("rejected",)]


def test_m6_cf_defer_holds_a_request_without_a_new_fd_accept_until_a_later_accept():
    w = chain()
    w.session("s", root="R")
    root = root_socket(w, listen=True)
    codes, decided = [], []
    root.on(lambda ind: codes.append(code_of(root.accept, lambda inc: CF_DEFER)))
    w.at(1.0, w.app("L").request)
    w.at(1.5, lambda: decided.append(root.accept(lambda inc: CF_ACCEPT)))
    w.run(10)
    assert codes == [WsaError.WSATRY_AGAIN]
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT", "WSATRY_AGAIN"),
        r(1.5, "R", "ACCEPT"),
        r(1.5 + OW, "L", "FD_CONNECT")]
    assert decided[0].kind == "per_leaf" and decided[0].connected


def test_m6_cf_defer_holds_an_invitation_until_a_later_accept():
    w = chain()
    w.session("s", root="R")
    leaf = w.stack.host("L").socket("s", LEAF)
    leaf.listen()
    leaf.on(lambda ind: code_of(leaf.accept, lambda inc: CF_DEFER))
    members = []
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(1.5, lambda: members.append(leaf.accept()))
    w.run(10)
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT", "WSATRY_AGAIN"),
        r(1.5, "L", "ACCEPT"),
        r(1.5 + OW, "R", "FD_CONNECT")]
    assert members[0].kind == "member" and members[0].connected


def test_m6_the_inviters_timer_withdraws_a_held_invitation_and_a_later_accept_fails_wsaeacces():
    """The root's SETUP gets CALL PROCEEDING back after 2 HOP, which starts T310 (10 s):
    at its expiry the root sees WSAETIMEDOUT and clears the party; the leaf's application,
    deciding after 100 s, finds the request withdrawn."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen({"defer": 100.0})
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(200)
    t_give_up = 1 + 2 * HOP + 10.0
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT", "WSATRY_AGAIN"),
        r(t_give_up, "R", "FD_CONNECT", "WSAETIMEDOUT"),
        r(101 + OW, "L", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "error") == [("timed_out", "WSAETIMEDOUT")]


def test_m6_the_requesters_timer_withdraws_a_held_request_and_a_later_accept_fails_wsaeacces():
    """T331 (60 s) twice: the repeated LEAF SETUP REQUEST finds the request held and gets no
    new FD_ACCEPT; at the second expiry the leaf sees WSAETIMEDOUT and withdraws."""
    w = chain()
    w.session("s", root="R")
    w.app("R").listen({"defer": 200.0})
    w.at(1.0, w.app("L").request)
    w.run(300)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT", "WSATRY_AGAIN"),
        r(121, "L", "FD_CONNECT", "WSAETIMEDOUT"),
        r(201 + OW, "R", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "attempts") == [("timed_out", 2)]


def test_m7_inviting_a_member_fails_wsaeisconn_at_once():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R")
    w.app("L1").listen()
    root = root_socket(w, listen=True)
    root.on(lambda ind: ind.event == FD_ACCEPT and root.accept())
    codes = []
    w.at(1.0, root.join_leaf, "L1")                         # Way 1 member
    w.at(1.5, w.app("L2").request)                         # Way 2 member
    w.at(2.0, lambda: codes.extend(code_of(root.join_leaf, leaf) for leaf in ("L1", "L2")))
    w.run(10)
    assert codes == [WsaError.WSAEISCONN] * 2
    assert w.log("spi") == [
        r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"), r(0, "R", "SOCKET"), r(0, "R", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.5, "L2", "SOCKET"), r(1.5, "L2", "JOIN_LEAF"),
        r(1.5 + OW, "R", "FD_ACCEPT"), r(1.5 + OW, "R", "ACCEPT"),
        r(1.5 + 2 * OW, "L2", "FD_CONNECT"),
        r(2, "R", "JOIN_LEAF", "WSAEISCONN"), r(2, "R", "JOIN_LEAF", "WSAEISCONN")]
    assert max(t for t, *_ in sent(w)) < 2.0 and len(w.stack.joins) == 2


# -- M8 .. M12: Way 2 ----------------------------------------------------------------------------------

def test_m8_join_leaf_on_a_c_leaf_returns_the_same_socket():
    w = chain()
    w.session("s", root="R")
    w.app("R").listen()
    leaf = w.stack.host("L").socket("s", LEAF)
    returned = []
    w.at(1.0, lambda: returned.append(leaf.join_leaf("R")))
    w.run(10)
    assert returned == [leaf] and leaf.connected
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + 2 * OW, "L", "FD_CONNECT")]


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
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L", "SOCKET"),
        r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT", "WSAECONNREFUSED"),
        r(1 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED"), r(1 + 2 * OW, "L", "JOIN_LEAF"),
        r(1 + 3 * OW, "R", "FD_ACCEPT"), r(1 + 3 * OW, "R", "ACCEPT"),
        r(1 + 4 * OW, "L", "FD_CONNECT")]
    assert rows(w, "outcome") == [("rejected",), ("connected",)]


def test_m9_lost_requests_time_out_and_the_leaf_may_ask_again():
    """Both LEAF SETUP REQUESTs are lost on the leaf's access link: WSAETIMEDOUT at
    1 + 2 × T331. The request made again at once leaves TAU behind the RELEASE that
    withdraws the first."""
    w = chain()
    w.session("s", root="R")
    w.app("R").listen()
    lose_next(w.net.link("L", 1), 2)
    leaf = w.stack.host("L").socket("s", LEAF)
    leaf.on(lambda ind: ind.error and leaf.join_leaf("R"))
    w.at(1.0, leaf.join_leaf, "R")
    w.run(200)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L", "SOCKET"),
        r(1, "L", "JOIN_LEAF"),
        r(121, "L", "FD_CONNECT", "WSAETIMEDOUT"), r(121, "L", "JOIN_LEAF"),
        r(121 + TAU + OW, "R", "FD_ACCEPT"), r(121 + TAU + OW, "R", "ACCEPT"),
        r(121 + TAU + 2 * OW, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "attempts") == [("timed_out", 2), ("connected", 1)]


def test_m9_a_root_host_that_is_down_gives_wsaetimedout():
    """The root host is in the topology but down: the requests are lost at its switch, and
    the leaf's T331 runs out twice (not WSAENETUNREACH, which is for no path at all)."""
    w = chain()
    w.session("s", root="R")
    w.app("R").listen()
    w.at(0.5, w.net.fail_node, "R")
    w.at(1.0, w.app("L").request)
    w.at(125.0, w.net.recover_node, "R")
    w.at(130.0, w.app("L").request)
    w.run(200)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(121, "L", "FD_CONNECT", "WSAETIMEDOUT"),
        r(130, "L", "JOIN_LEAF"),                                # the same socket again
        r(130 + OW, "R", "FD_ACCEPT"), r(130 + OW, "R", "ACCEPT"),
        r(130 + 2 * OW, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "error") == [("timed_out", "WSAETIMEDOUT"), ("connected", None)]
    drops = w.events("net").query("event == 'DROP'")
    assert [(round(t, 9), h, p) for t, h, p in zip(drops.time, drops.host, drops.peer)] == \
        [(round(t + 2 * HOP, 9), "0", "R") for t in (1.0, 61.0, 121.0)]


def test_m9_no_path_to_the_root_gives_wsaenetunreach_at_once():
    w = chain()
    w.session("s", root="R")
    w.app("R").listen()
    w.at(0.5, w.net.fail_link, 0, 1)
    w.at(1.0, w.app("L").request)
    w.at(2.0, w.net.recover_link, 0, 1)
    w.at(3.0, w.app("L").request)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"),
        r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"), r(1, "L", "FD_CONNECT", "WSAENETUNREACH"),
        r(3, "L", "JOIN_LEAF"),
        r(3 + OW, "R", "FD_ACCEPT"), r(3 + OW, "R", "ACCEPT"), r(3 + 2 * OW, "L", "FD_CONNECT")]
    assert rows(w, "outcome", "attempts") == [("unreachable", 0), ("connected", 1)]
    assert min(t for t, *_ in sent(w)) == 3.0


def test_m10_a_listening_root_also_invites_and_max_outstanding_counts_both_ways():
    """L2's request arrives while L1's invitation is outstanding (max_outstanding 1): the
    accept fails with WSAEALREADY; when L1 completes, FD_ACCEPT comes again and the
    admission's ADD PARTY leaves TAU behind L1's CONNECT ACK."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R")
    w.app("R").listen("accept")
    w.app("L1").listen()
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.01, w.app("L2").request)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(1.01, "L2", "SOCKET"), r(1.01, "L2", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1.01 + OW, "R", "FD_ACCEPT"), r(1.01 + OW, "R", "ACCEPT", "WSAEALREADY"),
        r(1 + 2 * OW, "R", "FD_CONNECT"), r(1 + 2 * OW, "R", "FD_ACCEPT"), r(1 + 2 * OW, "R", "ACCEPT"),
        r(1 + 3 * OW + TAU, "L2", "FD_CONNECT")]
    assert list(w.joins().latency) == pytest.approx([2 * OW, 1 + 3 * OW + TAU - 1.01], abs=1e-12)


def test_m10_both_ways_run_at_once_within_max_outstanding():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    w.app("R").listen("accept")
    w.app("L1").listen()
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.01, w.app("L2").request)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(1.01, "L2", "SOCKET"), r(1.01, "L2", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1.01 + OW, "R", "FD_ACCEPT"), r(1.01 + OW, "R", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.01 + 2 * OW, "L2", "FD_CONNECT")]
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
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + 2 * OW, "L", "FD_CONNECT")]


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
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT", "WSATRY_AGAIN"),
        r(1.5, "R", "ACCEPT"), r(1.5 + OW, "L", "FD_CONNECT")]


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
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L2", "SOCKET"), r(0, "L2", "LISTEN"),
        r(0, "L1", "SOCKET"),
        r(1, "L1", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + 2 * OW, "L1", "FD_CONNECT"),
        r(1.5, "R", "JOIN_LEAF"),
        r(1.5 + OW, "L2", "FD_ACCEPT"), r(1.5 + OW, "L2", "ACCEPT"), r(1.5 + 2 * OW, "R", "FD_CONNECT"),
        r(2, "L1", "JOIN_LEAF", "WSAEISCONN"), r(2, "L2", "JOIN_LEAF", "WSAEISCONN")]
    assert len(w.stack.joins) == 2


def test_m12_a_c_leaf_with_a_request_outstanding_fails_with_wsaealready():
    w = chain()
    w.session("s", root="R")
    w.app("R").listen()
    leaf = w.stack.host("L").socket("s", LEAF)
    codes = []
    w.at(1.0, leaf.join_leaf, "R")
    w.at(1.01, lambda: codes.append(code_of(leaf.join_leaf, "R")))
    w.run(10)
    assert codes == [WsaError.WSAEALREADY]
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L", "SOCKET"),
        r(1, "L", "JOIN_LEAF"), r(1.01, "L", "JOIN_LEAF", "WSAEALREADY"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + 2 * OW, "L", "FD_CONNECT")]
    assert [kind for _, src, _, kind in sent(w) if src == "L"] == ["LEAF_SETUP_REQUEST", "CONNECT"]
    assert len(w.stack.joins) == 1


# -- M15 .. M17: data (rooted halves) ---------------------------------------------------------------

def test_m15_root_data_reaches_every_connected_leaf_once_and_leaf_data_only_the_root():
    """L1 joined by invitation, L2 by request; L3 listens but was never invited. FD_READ
    comes once until the application reads (recv re-enables it)."""
    w = chain(leaves=("L1", "L2", "L3"))
    w.session("s", root="R")
    w.app("R").listen()
    w.app("L1").listen()
    w.app("L3").listen()
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.5, w.app("L2").request)
    w.at(2.0, w.app("R").send, 500)
    w.at(2.5, w.app("R").send, 500)
    w.at(3.0, w.app("L1").send, 200)
    w.at(3.5, w.app("L2").send, 300)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"),
        r(0, "L3", "SOCKET"), r(0, "L3", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.5, "L2", "SOCKET"), r(1.5, "L2", "JOIN_LEAF"),
        r(1.5 + OW, "R", "FD_ACCEPT"), r(1.5 + OW, "R", "ACCEPT"), r(1.5 + 2 * OW, "L2", "FD_CONNECT"),
        r(2 + data_one_way(500), "L1", "FD_READ"), r(2 + data_one_way(500), "L2", "FD_READ"),
        r(3 + data_one_way(200), "R", "FD_READ"),
        r(3.5 + data_one_way(300), "R", "FD_READ")]
    reads = w.events("spi").query("event == 'FD_READ' and host == 'R'")
    per_leaf = w.app("R").socket.leaves
    assert list(reads.socket) == [per_leaf["L1"].id, per_leaf["L2"].id]
    member, l2, l3 = w.app("L1").members[0], w.app("L2").socket, w.app("L3").socket
    assert [s.recv() for s in (member, l2, l3)] == [(2, 1000), (2, 1000), (0, 0)]
    assert [p.recv() for p in per_leaf.values()] == [(1, 200), (1, 300)]
    assert list(w.joins().t_first_data) == pytest.approx([2 + data_one_way(500)] * 2, abs=1e-12)


def test_m16_join_leaf_flags_limit_direction_in_a_rooted_session():
    """Leaves that join by request choose their direction: JL_SENDER_ONLY gets no root
    data, JL_RECEIVER_ONLY cannot send (WSAESHUTDOWN, recorded), JL_BOTH does both. (A
    leaf the root invites makes no join_leaf of its own: its member socket is JL_BOTH.)"""
    w = chain(leaves=("L1", "L2", "L3"))
    w.session("s", root="R")
    w.app("R").listen()
    flags = {"L1": JL_SENDER_ONLY, "L2": JL_RECEIVER_ONLY, "L3": JL_BOTH}
    socks = {leaf: w.stack.host(leaf).socket("s", LEAF) for leaf in flags}
    for k, (leaf, jl) in enumerate(flags.items()):
        w.at(1.0 + 0.2 * k, socks[leaf].join_leaf, "R", jl)
    codes = []
    w.at(2.0, w.app("R").send, 500)
    w.at(3.0, socks["L1"].send, 200)
    w.at(3.5, lambda: codes.append(code_of(socks["L2"].send, 200)))
    w.at(4.0, socks["L3"].send, 200)
    w.run(10)
    assert codes == [WsaError.WSAESHUTDOWN]
    joined = []
    for k, leaf in enumerate(flags):
        t = 1.0 + 0.2 * k
        joined += [r(t, leaf, "JOIN_LEAF"), r(t + OW, "R", "FD_ACCEPT"), r(t + OW, "R", "ACCEPT"),
                   r(t + 2 * OW, leaf, "FD_CONNECT")]
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"),
        r(0, "L1", "SOCKET"), r(0, "L2", "SOCKET"), r(0, "L3", "SOCKET"),
        *joined,
        r(2 + data_one_way(500), "L2", "FD_READ"), r(2 + data_one_way(500), "L3", "FD_READ"),
        r(3 + data_one_way(200), "R", "FD_READ"),
        r(3.5, "L2", "SEND", "WSAESHUTDOWN"),
        r(4 + data_one_way(200), "R", "FD_READ")]
    per_leaf = w.app("R").socket.leaves
    assert [per_leaf[leaf].rx_packets for leaf in flags] == [1, 0, 1]


def test_m17_rooted_data_crosses_each_tree_link_once():
    """The copy at branch points holds for the atm data tree too: three leaves below
    router 1, one packet on each tree link (SIO_MULTICAST_SCOPE is left for ipmc)."""
    leaves = ("L1", "L2", "L3")
    w = chain(leaves=leaves)
    w.session("s", root="R", max_outstanding=3)
    for leaf in leaves:
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, list(leaves))
    w.run(2.0)
    before = {key: link.bytes for key, link in w.net.links.items()}
    w.at(2.0, w.app("R").send, 1000)
    w.run(10)
    carried = {key: link.bytes - before[key] for key, link in w.net.links.items()
               if link.bytes != before[key]}
    assert carried == {("R", 0): 1000, (0, 1): 1000, (1, "L1"): 1000, (1, "L2"): 1000, (1, "L3"): 1000}
    assert [e for e in w.log("spi") if e[2] == "FD_READ"] == \
        [r(2 + data_one_way(1000), leaf, "FD_READ") for leaf in leaves]


# -- M18 .. M22: leaving ------------------------------------------------------------------------------

def test_m18_closing_the_root_ends_the_session():
    """L1 (invited) and L2 (admitted) are members, L3 holds an invitation, the root holds
    L4's request. At t = 2 the root closes its c_root socket: its per-leaf sockets close
    with it (no FD_CLOSE at the root, M22); L4's request is refused with WSAECONNRESET
    (LEAF SETUP FAILURE leaves first); L3's invitation is cancelled and later found
    withdrawn; the RELEASE, TAU behind, gives the members FD_CLOSE with error 0."""
    w = chain(leaves=("L1", "L2", "L3", "L4"))
    w.session("s", root="R", max_outstanding=3)
    root = root_socket(w, listen=True)

    def admit(ind):
        if ind.event == FD_ACCEPT:
            try:
                root.accept(lambda inc: CF_ACCEPT if inc.peer == "L2" else CF_DEFER)
            except SocketError:
                pass

    root.on(admit)
    w.app("L1").listen()
    w.app("L3").listen({"defer": 100.0})
    w.at(1.0, root.join_leaf, "L1")
    w.at(1.1, w.app("L2").request)
    w.at(1.2, root.join_leaf, "L3")
    w.at(1.3, w.app("L4").request)
    w.at(2.0, root.close)
    w.run(200)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"),
        r(0, "L3", "SOCKET"), r(0, "L3", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.1, "L2", "SOCKET"), r(1.1, "L2", "JOIN_LEAF"),
        r(1.1 + OW, "R", "FD_ACCEPT"), r(1.1 + OW, "R", "ACCEPT"), r(1.1 + 2 * OW, "L2", "FD_CONNECT"),
        r(1.2, "R", "JOIN_LEAF"),
        r(1.2 + OW, "L3", "FD_ACCEPT"), r(1.2 + OW, "L3", "ACCEPT", "WSATRY_AGAIN"),
        r(1.3, "L4", "SOCKET"), r(1.3, "L4", "JOIN_LEAF"),
        r(1.3 + OW, "R", "FD_ACCEPT"), r(1.3 + OW, "R", "ACCEPT", "WSATRY_AGAIN"),
        r(2, "R", "CLOSE"), r(2, "R", "CLOSE"), r(2, "R", "CLOSE"), r(2, "R", "CLOSE"),
        r(2 + OW, "L4", "FD_CONNECT", "WSAECONNRESET"),
        r(2 + TAU + OW, "L1", "FD_CLOSE"), r(2 + TAU + OW, "L2", "FD_CLOSE"),
        r(101.2 + OW, "L3", "ACCEPT", "WSAEACCES")]
    assert rows(w, "leaf", "outcome", "error", "t_complete") == [
        ("L1", "connected", None, pytest.approx(1 + 2 * OW)),
        ("L2", "connected", None, pytest.approx(1.1 + 2 * OW)),
        ("L3", "cancelled", "WSAECONNRESET", 2.0),
        ("L4", "cancelled", "WSAECONNRESET", pytest.approx(2 + OW))]
    tree = w.stack.session("s").state.tree
    assert (tree.out, tree.receivers) == ({}, {})


def test_m18_closing_the_root_releases_a_set_up_still_on_its_way():
    """The root closes 1 ms after its SETUP left: the invitation is cancelled at once
    (WSAECONNRESET), and the RELEASE that follows the SETUP clears the leaf that accepted
    it, so that no member is left behind in a session that has ended."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(1.001, w.app("R").leave)
    w.run(10)
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1.001, "R", "CLOSE"), r(1.001, "R", "CLOSE"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT"),
        r(1.001 + OW, "L", "FD_CLOSE")]
    assert rows(w, "outcome", "error") == [("cancelled", "WSAECONNRESET")]
    tree = w.stack.session("s").state.tree
    assert (tree.out, tree.receivers) == ({}, {})
    assert w.stack.session("s").state.switches == {}


def test_m18_an_accepted_request_still_on_its_way_completes_then_closes():
    """Reading of M18 for Way 2: the root closes 1 ms after accepting L's request. The
    join is the leaf's, and the SETUP that adds it is already ahead of the RELEASE, so the
    leaf's join completes (FD_CONNECT, row connected) and the RELEASE then closes it
    (FD_CLOSE, error 0) like every member. 'Joins still pending fail at their requesters
    with WSAECONNRESET' applies to the requests the root has not accepted (LEAF SETUP
    FAILURE) and to the root's own invitations."""
    w = chain()
    w.session("s", root="R")
    w.app("R").listen()
    w.at(1.0, w.app("L").request)
    w.at(1.001 + OW, w.app("R").leave)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"),
        r(1.001 + OW, "R", "CLOSE"), r(1.001 + OW, "R", "CLOSE"),
        r(1 + 2 * OW, "L", "FD_CONNECT"),
        r(1.001 + 2 * OW, "L", "FD_CLOSE")]
    assert rows(w, "outcome", "t_complete") == [("connected", pytest.approx(1 + 2 * OW))]
    assert w.app("L").socket.closed


def test_m18_a_request_on_its_way_when_the_root_closes_is_refused():
    """Reading of M18: the root closes 1 ms after inviting L and while L's own request is
    on its way. The invitation is cancelled (WSAECONNRESET); the RELEASE of the call that
    reaches L does not answer L's request, which is not part of the call: the request
    finds no listening root and is refused (WSAECONNREFUSED), as any request to a root
    that does not listen."""
    w = chain()
    w.session("s", root="R")
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(1.0, w.app("L").request)
    w.at(1.001, w.app("R").leave)
    w.run(10)
    assert w.log("spi") == [
        r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1.001, "R", "CLOSE"), r(1.001, "R", "CLOSE"),
        r(1 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "method", "outcome", "error") == [("root_invite", "cancelled", "WSAECONNRESET"),
                                                     ("leaf_request", "rejected", "WSAECONNREFUSED")]
    assert not w.app("L").socket.connected


def test_m19_closing_a_per_leaf_socket_drops_only_that_leaf():
    w, root, per_leaf, prefix = invited_pair()
    w.at(5.0, lambda: per_leaf["L1"].close())
    w.at(6.0, root.send, 100)
    w.run(10)
    assert w.log("spi") == prefix + [
        r(5, "R", "CLOSE"), r(5 + OW, "L1", "FD_CLOSE"),
        r(6 + OW, "L2", "FD_READ")]                       # 100 B data: one way is OW too
    drops = [(src, kind) for _, src, _, kind in sent(w) if kind.startswith("DROP")]
    assert drops == [("R", "DROP_PARTY"), ("0", "DROP_PARTY"), ("1", "DROP_PARTY"),
                     ("L1", "DROP_PARTY_ACK"), ("1", "DROP_PARTY_ACK"), ("0", "DROP_PARTY_ACK")]
    assert root.leaves == {"L2": per_leaf["L2"]} and per_leaf["L2"].connected


def test_m20_a_leaf_closing_gives_the_roots_per_leaf_socket_fd_close():
    w, root, per_leaf, prefix = invited_pair()
    w.at(5.0, w.app("L1").leave)
    w.run(10)
    assert w.log("spi") == prefix + [r(5, "L1", "CLOSE"), r(5, "L1", "CLOSE"), r(5 + OW, "R", "FD_CLOSE")]
    closes = w.events("spi").query("event == 'FD_CLOSE'")
    assert list(closes.socket) == [per_leaf["L1"].id]
    clearing = [(src, kind) for _, src, _, kind in sent(w) if kind in ("RELEASE", "DROP_PARTY")]
    assert clearing == [("L1", "RELEASE"), ("1", "DROP_PARTY"), ("0", "DROP_PARTY")]


def test_m20_a_leaf_that_joined_by_request_leaving_gives_fd_close_at_the_root():
    w = chain()
    w.session("s", root="R")
    w.app("R").listen()
    w.at(1.0, w.app("L").request)
    w.at(2.0, w.app("L").leave)
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + 2 * OW, "L", "FD_CONNECT"),
        r(2, "L", "CLOSE"), r(2 + OW, "R", "FD_CLOSE")]
    assert w.app("R").socket.leaves == {}


def test_m20_a_leaf_leaving_before_its_answer_got_through_ends_the_roots_join_wsaeconnreset():
    """L accepts, its CONNECT is lost, and L leaves at t = 1.5: the RELEASE (cause normal)
    reaches a root still waiting for the answer. The party was never up, so the join
    ends with WSAECONNRESET (not as a success) and the root keeps no per-leaf socket."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen()
    lose_next(w.net.link("L", 1), 1)
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(1.5, w.app("L").leave)
    w.run(30)
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT"),
        r(1.5, "L", "CLOSE"), r(1.5, "L", "CLOSE"),
        r(1.5 + OW, "R", "FD_CONNECT", "WSAECONNRESET")]
    assert rows(w, "outcome", "error") == [("cancelled", "WSAECONNRESET")]
    root = w.app("R").socket
    assert (root.leaves, root.outstanding) == ({}, {})


def test_m21_a_failed_link_gives_fd_close_wsaenetreset_at_both_ends():
    """Each side's switch notices after t_detect (7 s) and clears toward it: one hop."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(5.0, w.net.fail_link, 0, 1)
    w.run(60)
    t_notice = 5.0 + 7.0 + HOP
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(t_notice, "R", "FD_CLOSE", "WSAENETRESET"), r(t_notice, "L", "FD_CLOSE", "WSAENETRESET")]


@pytest.mark.parametrize("failed, told", [("L", "R"), ("R", "L")])
def test_m21_a_failed_host_gives_the_other_end_fd_close_wsaenetreset(failed, told):
    """The failed host's switch notices after t_detect and clears toward the other end
    (two hops); the failed host itself is told nothing."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(5.0, w.net.fail_node, failed)
    w.run(60)
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(5.0 + 7.0 + 2 * HOP, told, "FD_CLOSE", "WSAENETRESET")]


def test_m22_a_socket_being_closed_gets_no_fd_close_itself():
    w, root, per_leaf, prefix = invited_pair()
    w.at(5.0, lambda: per_leaf["L1"].close())         # at the root
    w.at(6.0, w.app("L2").leave)                      # at a leaf
    w.run(10)
    assert w.log("spi") == prefix + [
        r(5, "R", "CLOSE"), r(5 + OW, "L1", "FD_CLOSE"),
        r(6, "L2", "CLOSE"), r(6, "L2", "CLOSE"), r(6 + OW, "R", "FD_CLOSE")]
    spi = w.events("spi")
    closed = set(spi[spi.event == "CLOSE"].socket)
    told = set(spi[spi.event == "FD_CLOSE"].socket)
    assert closed and told and not closed & told


def test_m22_closing_a_c_leaf_with_its_request_pending_cancels_it():
    """The root holds L's request; L closes its socket at 1.5: the row is cancelled then,
    and the root's later accept finds the request withdrawn (WSAEACCES)."""
    w = chain()
    w.session("s", root="R")
    w.app("R").listen({"defer": 100.0})
    w.at(1.0, w.app("L").request)
    w.at(1.5, w.app("L").leave)
    w.run(200)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(1, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT", "WSATRY_AGAIN"),
        r(1.5, "L", "CLOSE"),
        r(101 + OW, "R", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "t_complete") == [("cancelled", 1.5)]


def test_m22_a_leaf_closing_its_member_socket_does_not_cancel_the_roots_join():
    """Reading of M22: only the socket a pending join_leaf returned cancels that join. The
    member socket accept returned stands in the root's join (Way 1); L closes it 1 ms
    after accepting, while its CONNECT is on the way: the root's join completes when the
    CONNECT arrives (row connected, FD_CONNECT), and the RELEASE that follows gives the
    per-leaf socket FD_CLOSE."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(1.001 + OW, w.app("L").leave)
    w.run(10)
    assert w.log("spi") == [
        r(0, "L", "SOCKET"), r(0, "L", "LISTEN"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT"),
        r(1.001 + OW, "L", "CLOSE"), r(1.001 + OW, "L", "CLOSE"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.001 + 2 * OW, "R", "FD_CLOSE")]
    assert rows(w, "outcome", "t_complete") == [("connected", pytest.approx(1 + 2 * OW))]
    root = w.app("R").socket
    assert (root.leaves, root.outstanding) == ({}, {})


# -- M23, M24: indications ----------------------------------------------------------------------------

def test_m23_an_event_outside_the_mask_is_neither_delivered_nor_recorded():
    """The leaf listens with FD_ACCEPT masked: the invitation is queued silently and found
    by polling accept at t = 2. The root's mask has no FD_CLOSE, and its per-leaf socket
    inherits it: the leaf's leaving at t = 3 is not indicated."""
    w = chain()
    w.session("s", root="R")
    root = root_socket(w)
    root.event_select(FD_CONNECT)
    leaf = w.stack.host("L").socket("s", LEAF)
    leaf.event_select(FD_CLOSE)
    leaf.listen()
    delivered = []
    for sock in (root, leaf):
        sock.on(lambda ind: delivered.append((round(ind.time, 9), ind.socket.host.name, ind.event.name)))
    members = []
    w.at(1.0, root.join_leaf, "L")
    w.at(2.0, lambda: members.append(leaf.accept()))
    w.at(3.0, lambda: members[0].close())
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "L", "SOCKET"), r(0, "L", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(2, "L", "ACCEPT"),
        r(2 + OW, "R", "FD_CONNECT"),
        r(3, "L", "CLOSE")]
    assert delivered == [(round(2 + OW, 9), "R", "FD_CONNECT")]
    assert members[0].mask == FD_CLOSE
    assert root.leaves == {}                           # the leaf is gone all the same


def test_m23_every_indication_is_recorded_with_the_time_it_was_delivered():
    """Handlers on every socket see exactly the FD_* records of the trace, each at its
    simulated time, with its error code (None = 0)."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    delivered = []

    def watch(sock):
        sock.on(lambda ind: delivered.append((round(w.sim.now, 9), ind.socket.host.name, ind.event.name,
                                              None if ind.error is None else ind.error.name)))
        return sock

    root = watch(root_socket(w, listen=True))
    l1 = watch(w.stack.host("L1").socket("s", LEAF))
    l2 = watch(w.stack.host("L2").socket("s", LEAF))
    l2.listen()
    socks = {}
    root.on(lambda ind: ind.event == FD_ACCEPT and socks.setdefault("p1", watch(root.accept())))
    l2.on(lambda ind: ind.event == FD_ACCEPT and socks.setdefault("m2", watch(l2.accept())))
    w.at(1.0, l1.join_leaf, "R")
    w.at(1.2, lambda: socks.setdefault("p2", watch(root.join_leaf("L2"))))
    w.at(2.0, root.send, 500)
    w.at(2.5, l1.send, 200)
    w.at(3.0, lambda: socks["m2"].close())
    w.at(4.0, lambda: socks["p1"].close())
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L1", "SOCKET"), r(0, "L2", "SOCKET"),
        r(0, "L2", "LISTEN"),
        r(1, "L1", "JOIN_LEAF"),
        r(1 + OW, "R", "FD_ACCEPT"), r(1 + OW, "R", "ACCEPT"), r(1 + 2 * OW, "L1", "FD_CONNECT"),
        r(1.2, "R", "JOIN_LEAF"),
        r(1.2 + OW, "L2", "FD_ACCEPT"), r(1.2 + OW, "L2", "ACCEPT"), r(1.2 + 2 * OW, "R", "FD_CONNECT"),
        r(2 + data_one_way(500), "L1", "FD_READ"), r(2 + data_one_way(500), "L2", "FD_READ"),
        r(2.5 + data_one_way(200), "R", "FD_READ"),
        r(3, "L2", "CLOSE"), r(3 + OW, "R", "FD_CLOSE"),
        r(4, "R", "CLOSE"), r(4 + OW, "L1", "FD_CLOSE")]
    assert delivered == [e for e in w.log("spi") if e[2].startswith("FD_")]


def test_m24_a_blocked_accept_waits_in_simulated_time_while_other_events_run():
    """The root's application blocks in accept from t = 0; meanwhile the same socket
    invites L3 at t = 1 and completes it, and L1's application, itself blocked on
    FD_CONNECT, asks at t = 2. Every call returns at once; each wait ends at the time its
    indication is delivered."""
    w = chain(leaves=("L1", "L3"))
    w.session("s", root="R")
    root = root_socket(w, listen=True)
    w.app("L3").listen()
    leaf = w.stack.host("L1").socket("s", LEAF)
    woke = []

    def root_app():
        call = root.accept_blocking()
        woke.append(("root called", w.sim.now))
        sock = yield call
        woke.append(("root accepted " + sock.leaf, round(w.sim.now, 9)))

    def leaf_app():
        yield w.sim.env.timeout(2.0)
        assert leaf.join_leaf("R") is leaf
        indication = yield leaf.wait(FD_CONNECT)
        woke.append(("L1 connected", round(w.sim.now, 9), indication.error))

    w.sim.process(root_app())
    w.sim.process(leaf_app())
    w.at(1.0, root.join_leaf, "L3")
    w.run(10)
    assert woke == [("root called", 0.0), ("root accepted L1", round(2 + OW, 9)),
                    ("L1 connected", round(2 + 2 * OW, 9), None)]
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "R", "LISTEN"), r(0, "L3", "SOCKET"), r(0, "L3", "LISTEN"),
        r(0, "L1", "SOCKET"),
        r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L3", "FD_ACCEPT"), r(1 + OW, "L3", "ACCEPT"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(2, "L1", "JOIN_LEAF"),
        r(2 + OW, "R", "FD_ACCEPT"), r(2 + OW, "R", "ACCEPT"),
        r(2 + 2 * OW, "L1", "FD_CONNECT")]


# -- coverage -------------------------------------------------------------------------------------------

COVERAGE = {
    "M1": ["test_m1_a_socket_needs_one_control_and_one_data_role_its_provider_supports",
           "test_m1_multipoint_flags_on_a_provider_without_multipoint_support_fail_wsaeinval"],
    "M2": ["test_m2_join_listen_accept_without_a_multipoint_role_fail_wsaeopnotsupp"],
    "M3": ["test_m3_join_leaf_on_c_root_returns_a_new_socket_per_leaf_and_completion_comes_on_the_root",
           "test_m3_a_per_leaf_socket_gets_its_leafs_fd_close_and_the_c_root_socket_stays_the_root",
           "test_m3_closing_a_pending_per_leaf_socket_cancels_the_join",
           "test_m3_closing_the_per_leaf_socket_of_an_accepted_request_adds_then_drops_the_leaf",
           "test_m3_a_root_cannot_invite_its_own_host"],
    "M4": ["test_m4_second_outstanding_join_fails_ealready_and_sends_nothing",
           "test_m4_apps_queue_invitations_so_the_wait_shows_in_the_latency"],
    "M5": ["test_m5_invited_host_not_listening_gives_the_root_wsaeconnrefused",
           "test_m5_a_further_party_not_listening_is_refused_by_add_party_reject"],
    "M6": ["test_m6_cf_accept_joins_both_ways",
           "test_m6_cf_reject_refuses_an_invitation_with_wsaeconnrefused_at_the_root",
           "test_m6_cf_reject_refuses_a_request_with_wsaeconnrefused_at_the_leaf",
           "test_m6_cf_defer_holds_a_request_without_a_new_fd_accept_until_a_later_accept",
           "test_m6_cf_defer_holds_an_invitation_until_a_later_accept",
           "test_m6_the_inviters_timer_withdraws_a_held_invitation_and_a_later_accept_fails_wsaeacces",
           "test_m6_the_requesters_timer_withdraws_a_held_request_and_a_later_accept_fails_wsaeacces",
           "test_m11_a_blocking_accept_decides_a_held_request_at_once"],
    "M7": ["test_m7_inviting_a_member_fails_wsaeisconn_at_once"],
    "M8": ["test_m8_join_leaf_on_a_c_leaf_returns_the_same_socket"],
    "M9": ["test_m9_a_rejected_leaf_may_ask_again_on_the_same_socket",
           "test_m9_lost_requests_time_out_and_the_leaf_may_ask_again",
           "test_m9_a_root_host_that_is_down_gives_wsaetimedout",
           "test_m9_no_path_to_the_root_gives_wsaenetunreach_at_once"],
    "M10": ["test_m10_a_listening_root_also_invites_and_max_outstanding_counts_both_ways",
            "test_m10_both_ways_run_at_once_within_max_outstanding"],
    "M11": ["test_m11_accept_not_listening_fails_wsaeinval_and_with_nothing_pending_wsaewouldblock",
            "test_m11_a_blocking_accept_waits_until_a_request_arrives",
            "test_m11_a_blocking_accept_decides_a_held_request_at_once"],
    "M12": ["test_m12_a_member_c_leaf_fails_a_second_join_leaf_with_wsaeisconn",
            "test_m12_a_c_leaf_with_a_request_outstanding_fails_with_wsaealready"],
    "M15": ["test_m15_root_data_reaches_every_connected_leaf_once_and_leaf_data_only_the_root"],
    "M16": ["test_m16_join_leaf_flags_limit_direction_in_a_rooted_session"],
    "M17": ["test_m17_rooted_data_crosses_each_tree_link_once"],
    "M18": ["test_m18_closing_the_root_ends_the_session",
            "test_m18_closing_the_root_releases_a_set_up_still_on_its_way",
            "test_m18_an_accepted_request_still_on_its_way_completes_then_closes",
            "test_m18_a_request_on_its_way_when_the_root_closes_is_refused"],
    "M19": ["test_m19_closing_a_per_leaf_socket_drops_only_that_leaf"],
    "M20": ["test_m20_a_leaf_closing_gives_the_roots_per_leaf_socket_fd_close",
            "test_m20_a_leaf_that_joined_by_request_leaving_gives_fd_close_at_the_root",
            "test_m20_a_leaf_leaving_before_its_answer_got_through_ends_the_roots_join_wsaeconnreset"],
    "M21": ["test_m21_a_failed_link_gives_fd_close_wsaenetreset_at_both_ends",
            "test_m21_a_failed_host_gives_the_other_end_fd_close_wsaenetreset"],
    "M22": ["test_m22_a_socket_being_closed_gets_no_fd_close_itself",
            "test_m22_closing_a_c_leaf_with_its_request_pending_cancels_it",
            "test_m22_a_leaf_closing_its_member_socket_does_not_cancel_the_roots_join",
            "test_m3_closing_a_pending_per_leaf_socket_cancels_the_join"],
    "M23": ["test_m23_an_event_outside_the_mask_is_neither_delivered_nor_recorded",
            "test_m23_every_indication_is_recorded_with_the_time_it_was_delivered"],
    "M24": ["test_m24_a_blocked_accept_waits_in_simulated_time_while_other_events_run",
            "test_m11_a_blocking_accept_waits_until_a_request_arrives"],
}

#: Rules, or the parts of rules, that concern only non-rooted sessions; they are checked
#: for ipmc in tests/protocols/test_ipmc_rules.py. Keys are the ids (iterating gives them).
LEFT_FOR_IPMC = {
    "M13": "whole rule: no root, so no member is told of another's joining or leaving",
    "M14": "whole rule: no designated router, no data, t_first_data null, row pending (or timed_out)",
    "M15": "non-rooted half: every member's data reaches every other member once, itself by loopback",
    "M16": "non-rooted half: a JL_SENDER_ONLY ipmc join sends no IGMP report",
    "M17": "SIO_MULTICAST_SCOPE as a router-hop limit, and the copy on the ipmc shared tree",
    "M20": "non-rooted half: IP_DROP_MEMBERSHIP, IGMP leave and prune, no indication",
    "M21": "non-rooted half: a member's data stops until routing finds another way",
}
#: The ids with nothing to check on a rooted session.
WHOLLY_NONROOTED = ("M13", "M14")


def test_every_rule_is_covered_here_or_left_for_ipmc():
    tests = {name for name, fn in globals().items() if name.startswith("test_") and callable(fn)}
    ids = [f"M{i}" for i in range(1, 25)]
    assert [rule for rule in ids if rule not in COVERAGE and rule not in LEFT_FOR_IPMC] == []
    assert set(COVERAGE) | set(LEFT_FOR_IPMC) <= set(ids)
    assert set(WHOLLY_NONROOTED) <= set(LEFT_FOR_IPMC) and not set(WHOLLY_NONROOTED) & set(COVERAGE)
    for rule, names in COVERAGE.items():
        assert names and set(names) <= tests, (rule, sorted(set(names) - tests))
        # At least one test is named by the rule's own id ...
        assert any(name.startswith(f"test_{rule.lower()}_") for name in names), rule
    # ... and every test named by an id is listed under it.
    for name in tests:
        prefix = name.split("_")[1]
        if prefix[0] == "m" and prefix[1:].isdigit():
            assert name in COVERAGE[prefix.upper()], name


def test_m3_a_root_cannot_invite_its_own_host():
    w = chain()
    w.session("s", root="R")
    root = w.stack.host("R").socket("s", C_ROOT | D_ROOT)
    with pytest.raises(SocketError) as err:
        root.join_leaf("R")
    assert err.value.code == WsaError.WSAEINVAL
    assert w.log("spi")[-1] == (0.0, "R", "JOIN_LEAF", "WSAEINVAL")
    assert len(w.stack.joins) == 0
