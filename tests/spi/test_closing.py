"""multipoint.md §4, leaving: closing the root (M18), a per-leaf socket (M19), a leaf's
socket (M20), failures (M21), and §5's M22 (a socket being closed gets no FD_CLOSE, and
closing a pending join cancels it). The world, the constants and the providers'
profiles: tests/spi/helpers.py."""

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import CF_ACCEPT, CF_DEFER, FD_ACCEPT
from tests.spi.helpers import (
    OW,
    PROFILES,
    TAU,
    data_one_way,
    ended_1_ms_after_acceptance,
    invite_one,
    invited,
    invited_pair,
    listening,
    nonrooted,
    r,
    request_one,
    requested,
    root_socket,
    rooted,
    rows,
    tree_state,
)
from tests.world import HOP, POLL_TX, lose_next, sent


def leave_just_after_accepting(w, provider, answerer, asker):
    """Run ``w`` (``invite_one`` or ``request_one``) with the ``answerer``'s app leaving
    1 ms after it accepted, its answer on the way: the ``asker``'s join completes all the
    same (FD_CONNECT, row connected), then the message behind the answer closes it there
    (FD_CLOSE, error 0). atm: the RELEASE, 1 ms behind. conference: the BYE, which leaves
    behind the ACCEPT, its IGMP report and its IGMP leave on the answerer's link (each
    TAU) if the answerer is the leaf."""
    w.at(1.001 + OW, w.app(answerer).leave)
    w.run(10)
    arrival = invited(1) if answerer == "L" else requested(1)
    if provider == "conference" and answerer == "L":
        t_close = 1 + 2 * OW + 3 * TAU
    else:
        t_close = 1.001 + 2 * OW
    assert w.log("spi") == [
        *listening(answerer), r(1, asker, "SOCKET"), *arrival,
        r(1.001 + OW, answerer, "CLOSE"), r(1.001 + OW, answerer, "CLOSE"),
        r(1 + 2 * OW, asker, "FD_CONNECT"),
        r(t_close, asker, "FD_CLOSE")]
    assert rows(w, "outcome", "t_complete") == [("connected", pytest.approx(1 + 2 * OW))]


def test_m18_closing_the_root_ends_the_session(provider):
    """L1 (invited) and L2 (admitted) are members, L3 holds an invitation, the root holds
    L4's request. At t = 2 the root closes its c_root socket: each of its per-leaf sockets
    (L1's, L2's, and L3's still pending) gets FD_CLOSE with error 0 at once; L4's request
    is refused with WSAECONNREFUSED (its refusal leaves first; the row is then
    rejected); L3's invitation is cancelled and later found withdrawn; the messages that
    end the session give the members FD_CLOSE with error 0.

    atm: LEAF SETUP FAILURE, then one RELEASE TAU behind, copied at the branch point.
    SSCOP: switch 0's POLL on 0-1 (Timer_POLL after its SETUP at 1 + HOP) is due at
    2 + HOP, the instant the LEAF SETUP FAILURE gets there, and goes first: the LEAF SETUP
    FAILURE and the RELEASE behind it reach 1 POLL_TX = 64 us later.
    conference: the REJECT of L4's request, then a BYE to each member in the order the
    joins started (L1, L2, L3), each TAU behind the one before on R's link."""
    p = PROFILES[provider]
    if provider == "atm":
        t_refused, t_l1, t_l2 = 2 + POLL_TX + OW, 2 + TAU + POLL_TX + OW, 2 + TAU + POLL_TX + OW
    else:
        t_refused, t_l1, t_l2 = 2 + OW, 2 + TAU + OW, 2 + 2 * TAU + OW
    w = rooted(provider, leaves=("L1", "L2", "L3", "L4"), max_outstanding=3)
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
        r(1.1, "L2", "SOCKET"), *requested(1.1, "L2"), r(1.1 + OW + p.admission, "L2", "FD_CONNECT"),
        *invited(1.2, "L3", answer="WSATRY_AGAIN"),
        r(1.3, "L4", "SOCKET"), *requested(1.3, "L4", answer="WSATRY_AGAIN"),
        r(2, "R", "CLOSE"), r(2, "R", "FD_CLOSE"), r(2, "R", "FD_CLOSE"), r(2, "R", "FD_CLOSE"),
        r(t_refused, "L4", "FD_CONNECT", "WSAECONNREFUSED"),
        r(t_l1, "L1", "FD_CLOSE"), r(t_l2, "L2", "FD_CLOSE"),
        r(101.2 + OW, "L3", "ACCEPT", "WSAEACCES")]
    spi = w.events("spi")
    at_root = spi[(spi.event == "FD_CLOSE") & (spi.host == "R")]
    assert list(at_root.peer) == ["L1", "L2", "L3"]             # one per per-leaf socket
    assert rows(w, "leaf", "outcome", "error", "t_complete") == [
        ("L1", "connected", None, pytest.approx(1 + 2 * OW)),
        ("L2", "connected", None, pytest.approx(1.1 + OW + p.admission)),
        ("L3", "cancelled", "WSAECONNRESET", 2.0),
        ("L4", "rejected", "WSAECONNREFUSED", pytest.approx(t_refused))]
    assert tree_state(w) == ({}, {})


def test_m18_closing_the_root_releases_a_set_up_still_on_its_way(provider):
    """The root closes 1 ms after its invitation left: the invitation is cancelled at
    once (WSAECONNRESET) and its per-leaf socket gets FD_CLOSE (error 0), and the message
    that follows the invitation (atm: RELEASE; conference: BYE) clears the leaf that
    accepted it, so that no member is left behind in a session that has ended."""
    w = invite_one(provider)
    w.at(1.001, w.app("R").leave)
    w.run(10)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
        r(1.001, "R", "CLOSE"), r(1.001, "R", "FD_CLOSE"),
        r(1 + OW, "L", "FD_ACCEPT"), r(1 + OW, "L", "ACCEPT"),
        r(1.001 + OW, "L", "FD_CLOSE")]
    assert rows(w, "outcome", "error") == [("cancelled", "WSAECONNRESET")]
    assert tree_state(w) == ({}, {})
    if provider == "atm":                                   # atm's switches keep call state
        assert w.stack.session("s").state.switches == {}


def test_m18_an_accepted_request_still_on_its_way_ends_at_the_leaf(provider):
    """Reading of M18 for Way 2: the root closes 1 ms after accepting L's request. The
    root's per-leaf socket for L gets FD_CLOSE with the c_root socket's close (M18).
    atm: the SETUP that adds L is ahead of the RELEASE, but L's call becomes active only
    with its switch's CONNECT ACK (C2), and switch 1 has passed the RELEASE on before L's
    CONNECT reaches it: no CONNECT ACK comes. L's request is still outstanding when the
    RELEASE arrives, so it fails: FD_CONNECT with WSAECONNREFUSED (M18), row rejected,
    and no FD_CLOSE (L was never connected). conference: the ACCEPT reaches L first and
    admits it (FD_CONNECT, row connected); the BYE 1 ms behind it ends the session
    there (FD_CLOSE, error 0), as for every member (M18)."""
    w = request_one(provider)
    w.at(1.001 + OW, w.app("R").leave)
    w.run(10)
    ending, row = ended_1_ms_after_acceptance(provider)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1),
        r(1.001 + OW, "R", "CLOSE"), r(1.001 + OW, "R", "FD_CLOSE"),       # its per-leaf socket
        *ending]
    assert rows(w, "outcome", "t_complete") == [row]
    assert w.app("L").socket.join.done and not w.app("L").socket.connected


def test_m18_a_request_on_its_way_when_the_root_closes_is_refused(provider):
    """Reading of M18: the root closes 1 ms after inviting L and while L's own request is
    on its way. The invitation is cancelled (WSAECONNRESET; its per-leaf socket gets
    FD_CLOSE, error 0); the RELEASE of the call that
    reaches L does not answer L's request, which is not part of the call: the request
    finds no listening root and is refused (WSAECONNREFUSED), as any request to a root
    that does not listen."""
    w = rooted(provider)
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


def test_m19_closing_a_per_leaf_socket_drops_only_that_leaf(provider):
    """The root's 100 B data at 6 takes one way, OW, to L2; atm, plus POLL_TX: switch 0's
    POLL on 0-1 is due Timer_POLL = 1 s after the DROP PARTY it forwarded at 5 + HOP, the
    instant the data gets to 0, and goes first (R's own POLL at 6 leaves after the
    data). conference: the chair's data goes through the RP, router 0, on the same path."""
    lag = POLL_TX if provider == "atm" else 0.0
    w, root, per_leaf, prefix = invited_pair(provider)
    w.at(5.0, lambda: per_leaf["L1"].close())
    w.at(6.0, root.send, 100)
    w.run(10)
    assert w.log("spi") == prefix + [
        r(5, "R", "CLOSE"), r(5 + OW, "L1", "FD_CLOSE"),
        r(6 + lag + OW, "L2", "FD_READ")]
    if provider == "atm":                                   # hop by hop
        drops = [(src, kind) for _, src, _, kind in sent(w) if kind.startswith("DROP")]
        assert drops == [("R", "DROP_PARTY"), ("0", "DROP_PARTY"), ("1", "DROP_PARTY"),
                         ("L1", "DROP_PARTY_ACK"), ("1", "DROP_PARTY_ACK"), ("0", "DROP_PARTY_ACK")]
    else:                                                   # end to end
        assert [(src, kind) for t, src, _, kind in sent(w) if t >= 5 and kind == "BYE"] == [("R", "BYE")]
    assert root.leaves == {"L2": per_leaf["L2"]} and per_leaf["L2"].connected


def test_m20_a_leaf_closing_gives_the_roots_per_leaf_socket_fd_close(provider):
    lag = PROFILES[provider].leaving_lag
    w, root, per_leaf, prefix = invited_pair(provider)
    w.at(5.0, w.app("L1").leave)
    w.run(10)
    assert w.log("spi") == prefix + [r(5, "L1", "CLOSE"), r(5, "L1", "CLOSE"), r(5 + lag + OW, "R", "FD_CLOSE")]
    closes = w.events("spi").query("event == 'FD_CLOSE'")
    assert list(closes.socket) == [per_leaf["L1"].id]
    clearing = [(src, kind) for t, src, _, kind in sent(w) if t >= 5 and kind in ("RELEASE", "DROP_PARTY", "BYE")]
    if provider == "atm":
        assert clearing == [("L1", "RELEASE"), ("1", "DROP_PARTY"), ("0", "DROP_PARTY")]
    else:
        assert clearing == [("L1", "BYE")]


def test_m20_a_leaf_that_joined_by_request_leaving_gives_fd_close_at_the_root(provider):
    """L's leaving at 2 reaches R one way later, plus: atm, POLL_TX (switch 1's POLL on
    1-0, due Timer_POLL after the LEAF SETUP REQUEST it forwarded at 1 + HOP, goes
    first); conference, TAU (its BYE leaves behind its IGMP leave)."""
    p = PROFILES[provider]
    lag = POLL_TX if provider == "atm" else p.leaving_lag
    w = request_one(provider)
    w.at(2.0, w.app("L").leave)
    w.run(10)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1), r(1 + OW + p.admission, "L", "FD_CONNECT"),
        r(2, "L", "CLOSE"), r(2 + lag + OW, "R", "FD_CLOSE")]
    assert w.app("R").socket.leaves == {}


def test_m20_a_leaf_leaving_before_its_answer_got_through_ends_the_roots_join_wsaeconnreset(provider):
    """L accepts, its answer (atm: CONNECT; conference: ACCEPT) is lost, and L leaves at
    t = 1.5: its message (atm: RELEASE, cause normal; conference: BYE, TAU behind its
    IGMP leave) reaches a root still waiting for the answer. The party was never up, so
    the join ends with WSAECONNRESET (not as a success) and the root keeps no per-leaf
    socket. The subject is a message lost end to end, so atm's signalling is unreliable
    (SSCOP would recover the CONNECT on L's hop when the RELEASE revealed the gap)."""
    p = PROFILES[provider]
    lag = p.leaving_lag
    w = rooted(provider, **p.unreliable)
    w.app("L").listen("accept")
    w.at(1.0, w.app("R").invite, ["L"])
    lose_next(w.net.link("L", 1), 1)
    w.at(1.5, w.app("L").leave)
    w.run(30)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1),
        r(1.5, "L", "CLOSE"), r(1.5, "L", "CLOSE"),
        r(1.5 + lag + OW, "R", "FD_CONNECT", "WSAECONNRESET")]
    assert rows(w, "outcome", "error") == [("cancelled", "WSAECONNRESET")]
    root = w.app("R").socket
    assert (root.leaves, root.outstanding) == ({}, {})


# atm only: conference runs no timer on a connected member (tests/spi/rules.py, EXEMPT).
@pytest.mark.parametrize("provider", ["atm"])
def test_m21_a_failed_link_gives_fd_close_wsaeconnaborted_at_both_ends(provider):
    """Each side's switch notices after Timer_NO-RESPONSE (signalling no_response, 7 s)
    and clears toward it: one hop."""
    w = invite_one(provider)
    w.at(5.0, w.net.fail_link, 0, 1)
    w.run(60)
    t_notice = 5.0 + 7.0 + HOP
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(t_notice, "R", "FD_CLOSE", "WSAECONNABORTED"), r(t_notice, "L", "FD_CLOSE", "WSAECONNABORTED")]


# atm only: as above.
@pytest.mark.parametrize("provider", ["atm"])
@pytest.mark.parametrize("failed, told", [("L", "R"), ("R", "L")])
def test_m21_a_failed_host_gives_the_other_end_fd_close_wsaeconnaborted(provider, failed, told):
    """The failed host's switch notices after Timer_NO-RESPONSE and clears toward the other end
    (two hops); the failed host itself is told nothing."""
    w = invite_one(provider)
    w.at(5.0, w.net.fail_node, failed)
    w.run(60)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(5.0 + 7.0 + 2 * HOP, told, "FD_CLOSE", "WSAECONNABORTED")]


def test_m22_a_socket_being_closed_gets_no_fd_close_itself(provider):
    lag = PROFILES[provider].leaving_lag
    w, root, per_leaf, prefix = invited_pair(provider)
    w.at(5.0, lambda: per_leaf["L1"].close())         # at the root
    w.at(6.0, w.app("L2").leave)                      # at a leaf
    w.run(10)
    assert w.log("spi") == prefix + [
        r(5, "R", "CLOSE"), r(5 + OW, "L1", "FD_CLOSE"),
        r(6, "L2", "CLOSE"), r(6, "L2", "CLOSE"), r(6 + lag + OW, "R", "FD_CLOSE")]
    spi = w.events("spi")
    closed = set(spi[spi.event == "CLOSE"].socket)
    told = set(spi[spi.event == "FD_CLOSE"].socket)
    assert closed and told and not closed & told


def test_m22_closing_a_c_leaf_with_its_request_pending_cancels_it(provider):
    """The root holds L's request; L closes its socket at 1.5: the row is cancelled then,
    and the root's later accept finds the request withdrawn (WSAEACCES)."""
    w = request_one(provider, {"defer": 100.0})
    w.at(1.5, w.app("L").leave)
    w.run(200)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1, answer="WSATRY_AGAIN"),
        r(1.5, "L", "CLOSE"),
        r(101 + OW, "R", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "t_complete") == [("cancelled", 1.5)]


def test_m22_a_leaf_closing_its_member_socket_does_not_cancel_the_roots_join(provider):
    """Reading of M22: only the socket a pending join_leaf returned cancels that join. The
    member socket accept returned stands in the root's join (Way 1); L closes it 1 ms
    after accepting, while its answer is on the way: the root's join completes when the
    answer arrives (row connected, FD_CONNECT), and the message that follows gives the
    per-leaf socket FD_CLOSE."""
    w = invite_one(provider)
    leave_just_after_accepting(w, provider, "L", "R")
    root = w.app("R").socket
    assert (root.leaves, root.outstanding) == ({}, {})


@pytest.mark.parametrize("provider", ["ipmc"])
def test_m22_closing_a_non_rooted_member_before_its_first_data_cancels_its_join(provider):
    """Way 3's join completes with its first data (multipoint.md §2). L1 and L2 join at 1;
    L1 closes at 2, before any data: its row is cancelled then. R sends at 3 and L2 gets
    it (row connected); L2 closes at 4. No socket gets FD_CLOSE: not the one being
    closed (M22), nor anyone else (M13)."""
    w = nonrooted(provider, leaves=("L1", "L2"))
    for leaf in ("L1", "L2"):
        w.at(1.0, w.app(leaf).join)
    w.at(2.0, w.app("L1").leave)
    w.at(3.0, w.app("R").send, 500)
    w.at(4.0, w.app("L2").leave)
    w.run(10)
    assert w.log("spi") == [
        r(1, "L1", "SOCKET"), r(1, "L1", "JOIN_LEAF"), r(1, "L2", "SOCKET"), r(1, "L2", "JOIN_LEAF"),
        r(1, "L1", "FD_CONNECT"), r(1, "L2", "FD_CONNECT"),
        r(2, "L1", "CLOSE"),
        r(3, "R", "SOCKET"), r(3 + data_one_way(500), "L2", "FD_READ"),
        r(4, "L2", "CLOSE")]
    assert rows(w, "leaf", "outcome", "t_complete") == [("L1", "cancelled", 2.0), ("L2", "connected", 1.0)]
