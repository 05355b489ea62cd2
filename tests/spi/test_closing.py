"""multipoint.md §4, leaving: closing the root (M18), a per-leaf socket (M19), a leaf's
socket (M20), failures (M21), and §5's M22 (a socket being closed gets no FD_CLOSE, and
closing a pending join cancels it). The world and the constants: tests/spi/helpers.py."""

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import CF_ACCEPT, CF_DEFER, FD_ACCEPT
from tests.spi.helpers import (ACCESS_RTT, OW, TAU, invite_one, invited, invited_pair, listening, r,
                               request_one, requested, root_socket, rows, tree_state)
from tests.world import HOP, POLL_TX, chain, lose_next, sent


def leave_just_after_accepting(w, answerer, asker):
    """Run ``w`` (``invite_one`` or ``request_one``) with the ``answerer``'s app leaving
    1 ms after it accepted, its answer on the way: the ``asker``'s join completes all the
    same (FD_CONNECT, row connected), then the RELEASE behind the answer closes it there
    (FD_CLOSE, error 0)."""
    w.at(1.001 + OW, w.app(answerer).leave)
    w.run(10)
    arrival = invited(1) if answerer == "L" else requested(1)
    assert w.log("spi") == [
        *listening(answerer), r(1, asker, "SOCKET"), *arrival,
        r(1.001 + OW, answerer, "CLOSE"), r(1.001 + OW, answerer, "CLOSE"),
        r(1 + 2 * OW, asker, "FD_CONNECT"),
        r(1.001 + 2 * OW, asker, "FD_CLOSE")]
    assert rows(w, "outcome", "t_complete") == [("connected", pytest.approx(1 + 2 * OW))]


def test_m18_closing_the_root_ends_the_session():
    """L1 (invited) and L2 (admitted) are members, L3 holds an invitation, the root holds
    L4's request. At t = 2 the root closes its c_root socket: each of its per-leaf sockets
    (L1's, L2's, and L3's still pending) gets FD_CLOSE with error 0 at once; L4's request
    is refused with WSAECONNREFUSED (LEAF SETUP FAILURE leaves first; the row is then
    rejected); L3's invitation is cancelled and later found withdrawn; the RELEASE, TAU
    behind, gives the members FD_CLOSE with error 0.

    SSCOP: switch 0's POLL on 0-1 (Timer_POLL after its SETUP at 1 + HOP) is due at
    2 + HOP, the instant the LEAF SETUP FAILURE gets there, and goes first: the LEAF SETUP
    FAILURE and the RELEASE behind it reach 1 POLL_TX = 64 us later."""
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
        *listening("R"), *listening("L1"), *listening("L3"),
        *invited(1, "L1"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.1, "L2", "SOCKET"), *requested(1.1, "L2"), r(1.1 + 2 * OW + ACCESS_RTT, "L2", "FD_CONNECT"),
        *invited(1.2, "L3", answer="WSATRY_AGAIN"),
        r(1.3, "L4", "SOCKET"), *requested(1.3, "L4", answer="WSATRY_AGAIN"),
        r(2, "R", "CLOSE"), r(2, "R", "FD_CLOSE"), r(2, "R", "FD_CLOSE"), r(2, "R", "FD_CLOSE"),
        r(2 + POLL_TX + OW, "L4", "FD_CONNECT", "WSAECONNREFUSED"),
        r(2 + TAU + POLL_TX + OW, "L1", "FD_CLOSE"), r(2 + TAU + POLL_TX + OW, "L2", "FD_CLOSE"),
        r(101.2 + OW, "L3", "ACCEPT", "WSAEACCES")]
    spi = w.events("spi")
    at_root = spi[(spi.event == "FD_CLOSE") & (spi.host == "R")]
    assert list(at_root.peer) == ["L1", "L2", "L3"]             # one per per-leaf socket
    assert rows(w, "leaf", "outcome", "error", "t_complete") == [
        ("L1", "connected", None, pytest.approx(1 + 2 * OW)),
        ("L2", "connected", None, pytest.approx(1.1 + 2 * OW + ACCESS_RTT)),
        ("L3", "cancelled", "WSAECONNRESET", 2.0),
        ("L4", "rejected", "WSAECONNREFUSED", pytest.approx(2 + POLL_TX + OW))]
    assert tree_state(w) == ({}, {})


def test_m18_closing_the_root_releases_a_set_up_still_on_its_way():
    """The root closes 1 ms after its SETUP left: the invitation is cancelled at once
    (WSAECONNRESET) and its per-leaf socket gets FD_CLOSE (error 0), and the RELEASE that
    follows the SETUP clears the leaf that accepted it, so that no member is left behind
    in a session that has ended."""
    w = invite_one()
    w.at(1.001, w.app("R").leave)
    w.run(10)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1.001, "R", "CLOSE"), r(1.001, "R", "FD_CLOSE"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT"),
        r(1.001 + OW, "L", "FD_CLOSE")]
    assert rows(w, "outcome", "error") == [("cancelled", "WSAECONNRESET")]
    assert tree_state(w) == ({}, {})
    assert w.stack.session("s").state.switches == {}


def test_m18_an_accepted_request_still_on_its_way_fails_at_the_leaf():
    """Reading of M18 for Way 2: the root closes 1 ms after accepting L's request. The
    SETUP that adds L is ahead of the RELEASE, but L's call becomes active only with its
    switch's CONNECT ACK (C2), and switch 1 has passed the RELEASE on before L's CONNECT
    reaches it: no CONNECT ACK comes. L's request is still outstanding when the RELEASE
    arrives, so it fails: FD_CONNECT with WSAECONNREFUSED (M18), row rejected, and no
    FD_CLOSE (L was never connected). The root's per-leaf socket for L gets FD_CLOSE
    with the c_root socket's close (M18)."""
    w = request_one()
    w.at(1.001 + OW, w.app("R").leave)
    w.run(10)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1),
        r(1.001 + OW, "R", "CLOSE"), r(1.001 + OW, "R", "FD_CLOSE"),       # its per-leaf socket
        r(1.001 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome", "t_complete") == [("rejected", pytest.approx(1.001 + 2 * OW))]
    assert w.app("L").socket.join.done and not w.app("L").socket.connected


def test_m18_a_request_on_its_way_when_the_root_closes_is_refused():
    """Reading of M18: the root closes 1 ms after inviting L and while L's own request is
    on its way. The invitation is cancelled (WSAECONNRESET; its per-leaf socket gets
    FD_CLOSE, error 0); the RELEASE of the call that
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
        r(1.001, "R", "CLOSE"), r(1.001, "R", "FD_CLOSE"),
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
        # 100 B data: one way is OW too, plus POLL_TX: switch 0's POLL on 0-1 is due
        # Timer_POLL = 1 s after the DROP PARTY it forwarded at 5 + HOP, the instant the
        # data gets to 0, and goes first (R's own POLL at 6 leaves after the data).
        r(6 + POLL_TX + OW, "L2", "FD_READ")]
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
    """L's RELEASE at 2 reaches R one way later, plus POLL_TX: switch 1's POLL on 1-0,
    due Timer_POLL after the LEAF SETUP REQUEST it forwarded at 1 + HOP, goes first."""
    w = request_one()
    w.at(2.0, w.app("L").leave)
    w.run(10)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1), r(1 + 2 * OW + ACCESS_RTT, "L", "FD_CONNECT"),
        r(2, "L", "CLOSE"), r(2 + POLL_TX + OW, "R", "FD_CLOSE")]
    assert w.app("R").socket.leaves == {}


def test_m20_a_leaf_leaving_before_its_answer_got_through_ends_the_roots_join_wsaeconnreset():
    """L accepts, its CONNECT is lost, and L leaves at t = 1.5: the RELEASE (cause normal)
    reaches a root still waiting for the answer. The party was never up, so the join
    ends with WSAECONNRESET (not as a success) and the root keeps no per-leaf socket.
    The subject is a message lost end to end, so the session's signalling is unreliable
    (SSCOP would recover the CONNECT on L's hop when the RELEASE revealed the gap)."""
    w = chain()
    w.session("s", root="R", signalling={"transport": "unreliable"})
    w.app("L").listen("accept")
    w.at(1.0, w.app("R").invite, ["L"])
    lose_next(w.net.link("L", 1), 1)
    w.at(1.5, w.app("L").leave)
    w.run(30)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1),
        r(1.5, "L", "CLOSE"), r(1.5, "L", "CLOSE"),
        r(1.5 + OW, "R", "FD_CONNECT", "WSAECONNRESET")]
    assert rows(w, "outcome", "error") == [("cancelled", "WSAECONNRESET")]
    root = w.app("R").socket
    assert (root.leaves, root.outstanding) == ({}, {})


def test_m21_a_failed_link_gives_fd_close_wsaeconnaborted_at_both_ends():
    """Each side's switch notices after Timer_NO-RESPONSE (signalling no_response, 7 s)
    and clears toward it: one hop."""
    w = invite_one()
    w.at(5.0, w.net.fail_link, 0, 1)
    w.run(60)
    t_notice = 5.0 + 7.0 + HOP
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(t_notice, "R", "FD_CLOSE", "WSAECONNABORTED"), r(t_notice, "L", "FD_CLOSE", "WSAECONNABORTED")]


@pytest.mark.parametrize("failed, told", [("L", "R"), ("R", "L")])
def test_m21_a_failed_host_gives_the_other_end_fd_close_wsaeconnaborted(failed, told):
    """The failed host's switch notices after Timer_NO-RESPONSE and clears toward the other end
    (two hops); the failed host itself is told nothing."""
    w = invite_one()
    w.at(5.0, w.net.fail_node, failed)
    w.run(60)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(5.0 + 7.0 + 2 * HOP, told, "FD_CLOSE", "WSAECONNABORTED")]


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
    w = request_one({"defer": 100.0})
    w.at(1.5, w.app("L").leave)
    w.run(200)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1, answer="WSATRY_AGAIN"),
        r(1.5, "L", "CLOSE"),
        r(101 + OW, "R", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "t_complete") == [("cancelled", 1.5)]


def test_m22_a_leaf_closing_its_member_socket_does_not_cancel_the_roots_join():
    """Reading of M22: only the socket a pending join_leaf returned cancels that join. The
    member socket accept returned stands in the root's join (Way 1); L closes it 1 ms
    after accepting, while its CONNECT is on the way: the root's join completes when the
    CONNECT arrives (row connected, FD_CONNECT), and the RELEASE that follows gives the
    per-leaf socket FD_CLOSE."""
    w = invite_one()
    leave_just_after_accepting(w, "L", "R")
    root = w.app("R").socket
    assert (root.leaves, root.outstanding) == ({}, {})
