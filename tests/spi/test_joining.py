"""multipoint.md §2, Way 1 — the root invites a leaf: max_outstanding (M4), a host that
does not listen (M5), the leaf's condition function, in both ways (M6), inviting a
member (M7). The world, the constants and the providers' profiles: tests/spi/helpers.py."""

import pytest

from mpsim.spi import CF_ACCEPT, CF_DEFER, FD_ACCEPT, WsaError
from tests.spi.helpers import (LEAF, LONG_HOLD, OW, PROFILES, TAU, code_of, invite_one, invited, listening, r,
                               request_one, requested, root_socket, rooted, rows)
from tests.world import POLL_TX, sent, signalling


def test_m4_second_outstanding_join_fails_ealready_and_sends_nothing(provider):
    w = rooted(provider, leaves=("L1", "L2"))
    session = w.stack.session("s")
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
    joins = w.events("proto").join_id
    assert set(joins[joins.notna()]) == {1} and len(w.stack.joins) == 1
    # Room again once the first is answered. atm, SSCOP: R's POLL, due Timer_POLL after
    # the SETUP at 1, goes first on R's link; the ADD PARTY waits POLL_TX behind it and
    # finds the other hops' POLLs sent by the time it gets there.
    lag = POLL_TX if provider == "atm" else 0.0
    w.at(2.0, root.join_leaf, "L2")
    w.run(10)
    assert w.log("spi") == [
        r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"), r(0, "L2", "SOCKET"), r(0, "L2", "LISTEN"),
        r(0, "R", "SOCKET"),
        r(1, "R", "JOIN_LEAF"), r(1, "R", "JOIN_LEAF", "WSAEALREADY"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(2, "R", "JOIN_LEAF"),
        r(2 + lag + OW, "L2", "FD_ACCEPT"), r(2 + lag + OW, "L2", "ACCEPT"),
        r(2 + lag + 2 * OW, "R", "FD_CONNECT")]


def test_m4_apps_queue_invitations_so_the_wait_shows_in_the_latency(provider):
    """L2's invitation leaves when L1 completes, TAU behind the root's acknowledgement
    (atm: CONNECT ACK; conference: ACK), which goes before the FD_CONNECT."""
    w = rooted(provider, leaves=("L1", "L2"))
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    w.run(10)
    assert w.log("spi") == [
        *listening("L1"), *listening("L2"),
        r(1, "R", "SOCKET"), *invited(1, "L1"),
        r(1 + 2 * OW, "R", "FD_CONNECT"), r(1 + 2 * OW, "R", "JOIN_LEAF"),
        r(1 + 3 * OW + TAU, "L2", "FD_ACCEPT"), r(1 + 3 * OW + TAU, "L2", "ACCEPT"),
        r(1 + 4 * OW + TAU, "R", "FD_CONNECT")]
    assert rows(w, "leaf", "t_request", "outcome") == [("L1", 1.0, "connected"), ("L2", 1.0, "connected")]
    assert list(w.joins().latency) == pytest.approx([2 * OW, 4 * OW + TAU], abs=1e-12)


def test_m5_invited_host_not_listening_gives_the_root_wsaeconnrefused(provider):
    """L has a c_leaf socket in the session that does not listen: it does not count."""
    w = rooted(provider)
    w.stack.host("L").socket("s", LEAF)
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(10)
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"),
                            r(1 + 2 * OW, "R", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome", "error") == [("rejected", "WSAECONNREFUSED")]
    refusal = [(src, kind) for _, src, _, kind in sent(w) if kind in ("RELEASE", "REJECT")]
    if provider == "atm":                                   # hop by hop
        assert refusal == [("L", "RELEASE"), ("1", "RELEASE"), ("0", "RELEASE")]
    else:                                                   # end to end
        assert refusal == [("L", "REJECT")]


def test_m5_a_further_party_not_listening_is_refused(provider):
    """L2's invitation leaves with L1's (max_outstanding 2) and is refused: atm, by ADD
    PARTY REJECT (it waits in the provider until the call is active); conference, by
    REJECT (helpers: Profile.second_answered)."""
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2"), max_outstanding=2)
    w.app("L1").listen()
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    w.run(10)
    assert w.log("spi") == [
        *listening("L1"),
        r(1, "R", "SOCKET"), r(1, "R", "JOIN_LEAF"), r(1, "R", "JOIN_LEAF"),
        r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
        r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1 + p.second_answered, "R", "FD_CONNECT", "WSAECONNREFUSED")]
    refusal = [(src, kind) for _, src, _, kind in sent(w) if kind in ("RELEASE", "ADD_PARTY_REJECT", "REJECT")]
    if provider == "atm":
        assert refusal == [("L2", "RELEASE"), ("1", "ADD_PARTY_REJECT"), ("0", "ADD_PARTY_REJECT")]
    else:
        assert refusal == [("L2", "REJECT")]
    assert rows(w, "leaf", "outcome") == [("L1", "connected"), ("L2", "rejected")]


def test_m6_cf_accept_joins_both_ways(provider):
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2"))
    w.app("R").listen("accept")
    w.app("L1").listen("accept")
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.5, w.app("L2").request)
    w.run(10)
    assert w.log("spi") == [
        *listening("R"), *listening("L1"),
        *invited(1, "L1"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.5, "L2", "SOCKET"), *requested(1.5, "L2"), r(1.5 + OW + p.admission, "L2", "FD_CONNECT")]
    assert rows(w, "method", "outcome") == [("root_invite", "connected"), ("leaf_request", "connected")]


def test_m6_cf_reject_refuses_an_invitation_with_wsaeconnrefused_at_the_root(provider):
    w = invite_one(provider, "reject").run(10)
    assert w.log("spi") == [*listening("L"), r(1, "R", "SOCKET"), *invited(1, answer="WSAECONNREFUSED"),
                            r(1 + 2 * OW, "R", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome") == [("rejected",)]


def test_m6_cf_reject_refuses_a_request_with_wsaeconnrefused_at_the_leaf(provider):
    w = request_one(provider, "reject").run(10)
    assert w.log("spi") == [*listening("R"), r(1, "L", "SOCKET"), *requested(1, answer="WSAECONNREFUSED"),
                            r(1 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome") == [("rejected",)]


def test_m6_cf_defer_holds_a_request_without_a_new_fd_accept_until_a_later_accept(provider):
    p = PROFILES[provider]
    w = rooted(provider)
    root = root_socket(w, listen=True)
    codes, decided = [], []
    root.on(lambda ind: codes.append(code_of(root.accept, lambda inc: CF_DEFER)))
    w.at(1.0, w.app("L").request)
    w.at(1.5, lambda: decided.append(root.accept(lambda inc: CF_ACCEPT)))
    w.run(10)
    assert codes == [WsaError.WSATRY_AGAIN]
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1, answer="WSATRY_AGAIN"),
        r(1.5, "R", "ACCEPT"),
        r(1.5 + p.admission, "L", "FD_CONNECT")]
    assert decided[0].kind == "per_leaf" and decided[0].connected


def test_m6_cf_defer_holds_an_invitation_until_a_later_accept(provider):
    w = rooted(provider)
    leaf = w.stack.host("L").socket("s", LEAF)
    leaf.listen()
    leaf.on(lambda ind: code_of(leaf.accept, lambda inc: CF_DEFER))
    members = []
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(1.5, lambda: members.append(leaf.accept()))
    w.run(10)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1, answer="WSATRY_AGAIN"),
        r(1.5, "L", "ACCEPT"),
        r(1.5 + OW, "R", "FD_CONNECT")]
    assert members[0].kind == "member" and members[0].connected


def test_m6_the_inviters_timer_withdraws_a_held_invitation_and_a_later_accept_fails_wsaeacces(provider):
    """The leaf's application decides only after LONG_HOLD. atm: the root's SETUP gets
    CALL PROCEEDING back after 2 HOP, which starts T310 (30 s, the user side's); at its
    expiry the root sees WSAETIMEDOUT and clears the party. conference: the leaf's
    100 Trying reaches the root at 2 OW and starts answer_timeout (180 s); at its expiry
    the root sees WSAETIMEDOUT and withdraws the invitation with a BYE. Either way the
    leaf's application finds the request withdrawn."""
    p = PROFILES[provider]
    w = invite_one(provider, {"defer": LONG_HOLD}).run(300)
    assert w.log("spi") == [
        *listening("L"), r(1, "R", "SOCKET"), *invited(1, answer="WSATRY_AGAIN"),
        r(1 + p.held_invitation_gives_up, "R", "FD_CONNECT", "WSAETIMEDOUT"),
        r(1 + LONG_HOLD + OW, "L", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "error") == [("timed_out", "WSAETIMEDOUT")]


def test_m6_the_requesters_timer_withdraws_a_held_request_and_a_later_accept_fails_wsaeacces(provider):
    """atm: T331 (60 s) twice: the repeated LEAF SETUP REQUEST finds the request held and
    gets no new FD_ACCEPT; at the second expiry the leaf sees WSAETIMEDOUT and withdraws.
    conference: the root's 100 Trying starts answer_timeout (180 s) at the leaf, which
    then sees WSAETIMEDOUT and withdraws with a BYE."""
    p = PROFILES[provider]
    w = request_one(provider, {"defer": LONG_HOLD}).run(300)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1, answer="WSATRY_AGAIN"),
        r(1 + p.held_request_gives_up, "L", "FD_CONNECT", "WSAETIMEDOUT"),
        r(1 + LONG_HOLD + OW, "R", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "attempts") == [("timed_out", p.held_request_attempts)]


def test_m7_inviting_a_member_fails_wsaeisconn_at_once(provider):
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2"))
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
        *listening("L1"), *listening("R"),
        *invited(1, "L1"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.5, "L2", "SOCKET"), *requested(1.5, "L2"), r(1.5 + OW + p.admission, "L2", "FD_CONNECT"),
        r(2, "R", "JOIN_LEAF", "WSAEISCONN"), r(2, "R", "JOIN_LEAF", "WSAEISCONN")]
    # Nothing is signalled for the failed calls (atm: SSCOP's polls go on after 2).
    assert max(t for t, *_ in signalling(w)) < 2.0 and len(w.stack.joins) == 2
