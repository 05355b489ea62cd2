"""conference: SIP's INVITE transaction (RFC 3261 §13, §17.1.1, §17.2.1), exact logs.

World: multipoint.md's chain R — 0 — 1 — L, every link 10 ms / 1 Mbps, 100 B control
messages: one hop HOP = 10.8 ms, one way OW = 32.4 ms, and a message queued behind
another on a link waits TAU = 0.8 ms. R is the chair, the rendezvous point is router 0.

Each test compares the exchange of the join — (time, host, kind, "out" or "in") of every
conference message sent or received — with times worked out from those constants:
T1 = 500 ms (Timer A, first resend of a final answer), T2 = 4 s, 64·T1 = 32 s (Timers B
and H), answer_timeout 180 s. A message sent but not received was lost.

What the join row counts: ``attempts`` the requests (INVITE / JOIN REQUEST) sent;
``messages`` every control message sent for the join — requests, 100 Trying, final
answers and their copies, ACKs, a BYE sent before the join ended — plus the member's
IGMP reports and its router's PIM Join (``membership``).
"""

import pytest

from mpsim.analysis.messages import control_hops
from mpsim.spi import C_ROOT, D_LEAF, FD_ACCEPT
from tests.world import ONE_WAY, chain, lose_next

OW = ONE_WAY
TAU = 100 * 8 / 1e6
T1 = 0.5
CONF_KINDS = ("INVITE", "JOIN_REQUEST", "TRYING", "ACCEPT", "REJECT", "ACK", "BYE")


def conference(**session):
    w = chain(providers=("conference",))
    w.session("s", "conference", root="R", rp=0, **session)
    return w


def invited(policy="accept", **session):
    """L listens under ``policy``; R invites L at t = 1 (Way 1)."""
    w = conference(**session)
    w.app("L").listen(policy)
    w.at(1.0, w.app("R").invite, ["L"])
    return w


def requested(policy="accept", **session):
    """R listens under ``policy``; L asks R for admittance at t = 1 (Way 2)."""
    w = conference(**session)
    w.app("R").listen(policy)
    w.at(1.0, w.app("L").request)
    return w


def exchange(w):
    """(time, host, kind, "out" | "in") of every conference message sent or received."""
    f = w.events("proto")
    f = f[f.event.isin(CONF_KINDS)]
    return [(round(t, 9), h, e, "in" if d == "recv" else "out")
            for t, h, e, d in zip(f.time, f.host, f.event, f.detail)]


def x(t, host, kind, way="out"):
    return (round(t, 9), host, kind, way)


def causes(w, kind):
    """(msg_id, cause) of every send of ``kind``; a cause is the msg_id of what it answers."""
    f = w.events("proto")
    f = f[(f.event == kind) & (f.detail.fillna("") != "recv")]
    return [(int(m), None if c is None or str(c) in ("<NA>", "nan") else int(c))
            for m, c in zip(f.msg_id, f.cause)]


def msg_id(w, kind, nth=0):
    return causes(w, kind)[nth][0]


def row(w):
    (only,) = w.joins().itertuples()
    return only


def membership_messages(w, join_id=1):
    """The join's IGMP and PIM sends: the part of ``messages`` that is the group's."""
    f = w.events("proto")
    f = f[(f.join_id == join_id) & (f.detail.fillna("") != "recv") & ~f.event.isin(CONF_KINDS)]
    return len(f)


def sends(log):
    return sum(1 for e in log if e[3] == "out")


def check_counts(w, log, attempts):
    r = row(w)
    assert r.attempts == attempts
    assert r.messages == sends(log) + membership_messages(w)


# -- 1. 100 Trying: the 200 ms rule, both ways ---------------------------------------------------

def test_an_answer_within_200_ms_of_the_arrival_sends_no_100_trying():
    """The chair decides 150 ms after the JOIN REQUEST arrived: no 100 Trying; the ACCEPT
    (at 1 + OW + 0.15) reaches L before Timer A (1.5 s), and the ACK stops the ACCEPT's
    own retransmission (due T1 after it)."""
    w = requested({"defer": 0.15}).run(10)
    t = 1 + OW + 0.15
    log = exchange(w)
    assert log == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                   x(t, "R", "ACCEPT"), x(t + OW, "L", "ACCEPT", "in"),
                   x(t + OW, "L", "ACK"), x(t + 2 * OW, "R", "ACK", "in")]
    assert (row(w).outcome, row(w).latency) == ("connected", pytest.approx(0.15 + 2 * OW, abs=1e-12))
    check_counts(w, log, attempts=1)


def test_an_answer_after_200_ms_sends_100_trying_at_the_arrival():
    """Deciding 250 ms after the arrival: 100 Trying leaves at the arrival itself (the
    application said when it would decide), caused by the request it answers."""
    w = requested({"defer": 0.25}).run(10)
    t = 1 + OW + 0.25
    log = exchange(w)
    assert log == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                   x(1 + OW, "R", "TRYING"), x(1 + 2 * OW, "L", "TRYING", "in"),
                   x(t, "R", "ACCEPT"), x(t + OW, "L", "ACCEPT", "in"),
                   x(t + OW, "L", "ACK"), x(t + 2 * OW, "R", "ACK", "in")]
    request = msg_id(w, "JOIN_REQUEST")
    assert causes(w, "TRYING") == [(msg_id(w, "TRYING"), request)]
    assert causes(w, "ACCEPT") == [(msg_id(w, "ACCEPT"), request)]
    assert row(w).latency == pytest.approx(0.25 + 2 * OW, abs=1e-12)
    check_counts(w, log, attempts=1)



def listening_chair(w):
    """R's c_root socket listening, with no application deciding for it."""
    sock = w.stack.host("R").socket("s", C_ROOT | D_LEAF)
    sock.listen()
    return sock


def test_a_broken_promise_gets_100_trying_200_ms_after_the_arrival():
    """The application promised an answer 100 ms after the arrival but gives it after
    1 s: the responder sends 100 Trying once 200 ms have passed unanswered (§17.2.1),
    still caused by the request."""
    w = conference()
    sock = listening_chair(w)
    provider = w.stack.session("s").provider
    sock.on(lambda ind: ind.event == FD_ACCEPT and provider.answer_promised(sock.pending[-1], ind.time + 0.1))
    w.at(1.0, w.app("L").request)
    w.at(1 + OW + 1.0, sock.accept)
    w.run(10)
    t = 1 + OW + 1.0
    assert exchange(w) == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                           x(1 + OW + 0.2, "R", "TRYING"), x(1 + 2 * OW + 0.2, "L", "TRYING", "in"),
                           x(t, "R", "ACCEPT"), x(t + OW, "L", "ACCEPT", "in"),
                           x(t + OW, "L", "ACK"), x(t + 2 * OW, "R", "ACK", "in")]
    assert causes(w, "TRYING") == [(msg_id(w, "TRYING"), msg_id(w, "JOIN_REQUEST"))]


def test_a_blocking_accept_at_the_arrival_answers_at_once_without_100_trying():
    """A blocking accept decides in the instant the request arrives (its process runs
    after the FD_ACCEPT): that is an answer within 200 ms, so no 100 Trying."""
    w = conference()
    sock = listening_chair(w)

    def chair():
        yield sock.accept_blocking()
    w.sim.process(chair())
    w.at(1.0, w.app("L").request)
    w.run(10)
    assert [e[2] for e in exchange(w) if e[3] == "out"] == ["JOIN_REQUEST", "ACCEPT", "ACK"]
    assert row(w).latency == pytest.approx(2 * OW, abs=1e-12)


def test_an_invitation_answered_at_once_has_no_100_trying_and_its_reject_is_acknowledged():
    """A refusal is a final answer too: the chair ACKs it (else it would be resent)."""
    w = invited("reject").run(40)
    log = exchange(w)
    assert log == [x(1, "R", "INVITE"), x(1 + OW, "L", "INVITE", "in"),
                   x(1 + OW, "L", "REJECT"), x(1 + 2 * OW, "R", "REJECT", "in"),
                   x(1 + 2 * OW, "R", "ACK"), x(1 + 3 * OW, "L", "ACK", "in")]
    assert (row(w).outcome, row(w).error, row(w).messages) == ("rejected", "WSAECONNREFUSED", 3)


def test_a_chair_deferring_2_s_hears_one_join_request():
    """Without 100 Trying the member resent at 1.5 and 2.5 s (three requests); with it, one."""
    w = requested({"defer": 2.0}).run(40)
    t = 1 + OW + 2.0
    log = exchange(w)
    assert log == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                   x(1 + OW, "R", "TRYING"), x(1 + 2 * OW, "L", "TRYING", "in"),
                   x(t, "R", "ACCEPT"), x(t + OW, "L", "ACCEPT", "in"),
                   x(t + OW, "L", "ACK"), x(t + 2 * OW, "R", "ACK", "in")]
    assert (row(w).outcome, row(w).t_complete) == ("connected", pytest.approx(3 + 2 * OW, abs=1e-12))
    check_counts(w, log, attempts=1)


@pytest.mark.parametrize("way", [1, 2])
def test_deferring_40_s_connects_after_40_s_with_one_request(way):
    """Beyond Timer B (32 s) but within answer_timeout: the requester, which once gave up
    at 33 s after 7 requests, now connects at 1 + 40 s + 2 OW after one."""
    w = invited({"defer": 40.0}) if way == 1 else requested({"defer": 40.0})
    w.run(100)
    asker, answerer, request = ("R", "L", "INVITE") if way == 1 else ("L", "R", "JOIN_REQUEST")
    t = 1 + OW + 40.0
    log = exchange(w)
    assert log == [x(1, asker, request), x(1 + OW, answerer, request, "in"),
                   x(1 + OW, answerer, "TRYING"), x(1 + 2 * OW, asker, "TRYING", "in"),
                   x(t, answerer, "ACCEPT"), x(t + OW, asker, "ACCEPT", "in"),
                   x(t + OW, asker, "ACK"), x(t + 2 * OW, answerer, "ACK", "in")]
    r = row(w)
    assert (r.outcome, r.error, r.latency) == ("connected", None, pytest.approx(40 + 2 * OW, abs=1e-9))
    assert (round(41 + 2 * OW, 9), asker, "FD_CONNECT", None) in w.log("spi")
    check_counts(w, log, attempts=1)


# -- 2. retransmissions of the request ----------------------------------------------------------

def test_a_lost_invite_is_resent_at_t1_then_answered_with_100_trying_and_accept():
    """The first INVITE is lost on R's access link; Timer A resends it at 1 + T1; the
    member, deciding 1 s after it arrived, answers 100 Trying at once and ACCEPT later."""
    w = invited({"defer": 1.0})
    lose_next(w.net.link("R", 0), 1)
    w.run(40)
    t0 = 1 + T1
    t = t0 + OW + 1.0
    log = exchange(w)
    assert log == [x(1, "R", "INVITE"), x(t0, "R", "INVITE"), x(t0 + OW, "L", "INVITE", "in"),
                   x(t0 + OW, "L", "TRYING"), x(t0 + 2 * OW, "R", "TRYING", "in"),
                   x(t, "L", "ACCEPT"), x(t + OW, "R", "ACCEPT", "in"),
                   x(t + OW, "R", "ACK"), x(t + 2 * OW, "L", "ACK", "in")]
    assert row(w).latency == pytest.approx(T1 + 1.0 + 2 * OW, abs=1e-12)
    check_counts(w, log, attempts=2)


def test_a_lost_100_trying_is_sent_again_for_the_retransmitted_request():
    """The chair's 100 Trying is lost: the member, having heard nothing, resends at T1;
    the chair, still deciding, answers that copy with 100 Trying (caused by the copy)."""
    w = requested({"defer": 2.0})
    lose_next(w.net.link("R", 0), 1)
    w.run(40)
    t0 = 1 + T1
    t = 1 + OW + 2.0
    log = exchange(w)
    assert log == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                   x(1 + OW, "R", "TRYING"),
                   x(t0, "L", "JOIN_REQUEST"), x(t0 + OW, "R", "JOIN_REQUEST", "in"),
                   x(t0 + OW, "R", "TRYING"), x(t0 + 2 * OW, "L", "TRYING", "in"),
                   x(t, "R", "ACCEPT"), x(t + OW, "L", "ACCEPT", "in"),
                   x(t + OW, "L", "ACK"), x(t + 2 * OW, "R", "ACK", "in")]
    first, copy = (m for m, _ in causes(w, "JOIN_REQUEST"))
    assert [c for _, c in causes(w, "TRYING")] == [first, copy]
    check_counts(w, log, attempts=2)


# -- 3. final answers retransmitted until the ACK ------------------------------------------------

@pytest.mark.parametrize("t2, gaps", [(None, [0.5, 1.0, 2.0, 4.0, 4.0]),
                                      ("1s", [0.5, 1.0, 1.0, 1.0, 1.0])])
def test_a_lost_accept_is_resent_from_t1_doubling_up_to_t2(t2, gaps):
    """The member decides 300 ms after the INVITE arrived (so 100 Trying has stopped the
    chair's retransmissions); its ACCEPT is lost five times on the chair's access link.
    The copies leave T1, 2·T1, 4·T1 ... apart, never more than T2 (default 4 s), with no
    cause (a timer sent them); the sixth gets through, and the ACK ends the copies."""
    w = invited({"defer": 0.3}, **({} if t2 is None else {"timers": {"T2": t2}}))
    w.at(1.1, lose_next, w.net.link(0, "R"), 5)       # after the 100 Trying went by
    w.run(60)
    accepts = [1 + OW + 0.3]
    for gap in gaps:
        accepts.append(accepts[-1] + gap)
    last = accepts[-1]
    log = exchange(w)
    assert log == [x(1, "R", "INVITE"), x(1 + OW, "L", "INVITE", "in"),
                   x(1 + OW, "L", "TRYING"), x(1 + 2 * OW, "R", "TRYING", "in"),
                   *[x(t, "L", "ACCEPT") for t in accepts],
                   x(last + OW, "R", "ACCEPT", "in"),
                   x(last + OW, "R", "ACK"), x(last + 2 * OW, "L", "ACK", "in")]
    assert [c for _, c in causes(w, "ACCEPT")] == [msg_id(w, "INVITE")] + [None] * 5
    r = row(w)
    assert (r.outcome, r.t_complete) == ("connected", pytest.approx(last + OW, abs=1e-9))
    check_counts(w, log, attempts=1)
    hops = control_hops(w.events())
    accepted = hops[hops.kind == "ACCEPT"]
    assert list(accepted.outcome) == ["dropped"] * 5 + ["received"]


def test_an_accept_never_acknowledged_ends_the_membership_after_64_t1():
    """Link 0–1 fails at 1.025 s, after the INVITE crossed it: the member's ACCEPT
    (1 + OW) and its copies (T1, 2·T1, ... capped at T2) are lost, as are the chair's
    INVITEs (Timer A). The chair gives up at 1 + 64·T1 (Timer B, WSAETIMEDOUT); the
    member stops at 1 + OW + 64·T1 (Timer H) and, as RFC 3261 §13.3.1.4 says, ends the
    session: FD_CLOSE with WSAECONNABORTED (a time-out, M21) and a BYE."""
    w = invited()
    w.at(1.025, w.net.fail_link, 0, 1)
    w.run(60)
    t0 = 1 + OW
    accepts = [t0, t0 + 0.5, t0 + 1.5, t0 + 3.5] + [t0 + 3.5 + 4 * k for k in range(1, 8)]
    invites = [1 + T1 * (2 ** i - 1) for i in range(7)]
    out = sorted([x(t, "R", "INVITE") for t in invites] + [x(t, "L", "ACCEPT") for t in accepts])
    log = exchange(w)
    assert log == [x(1, "R", "INVITE"), x(1 + OW, "L", "INVITE", "in"),
                   *[e for e in out if e[0] > 1], x(t0 + 64 * T1, "L", "BYE")]
    assert w.log("spi")[-2:] == [(round(1 + 64 * T1, 9), "R", "FD_CONNECT", "WSAETIMEDOUT"),
                                 (round(t0 + 64 * T1, 9), "L", "FD_CLOSE", "WSAECONNABORTED")]
    assert len(accepts) == 11 and accepts[-1] < t0 + 64 * T1 < accepts[-1] + 4
    r = row(w)
    # 7 INVITEs and 11 ACCEPTs; the BYE left after the join had ended (timed out): not counted.
    assert (r.outcome, r.attempts, r.messages) == ("timed_out", 7, 7 + 11 + membership_messages(w))
    assert w.stack.session("s").state.tree.receivers == {}          # it left the group


# -- 4. answer_timeout ----------------------------------------------------------------------------

def test_no_final_answer_within_answer_timeout_times_out_and_withdraws_the_request():
    """With ``answer_timeout: 10s`` and a chair deciding after 20 s: 100 Trying reaches L
    at 1 + 2 OW, which waits 10 s more, then fails with WSAETIMEDOUT and withdraws the
    request with a BYE (SIP's CANCEL): the chair's accept at 1 + OW + 20 fails WSAEACCES."""
    w = requested({"defer": 20.0}, timers={"answer_timeout": "10s"}).run(60)
    t = 1 + 2 * OW + 10.0
    log = exchange(w)
    assert log == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                   x(1 + OW, "R", "TRYING"), x(1 + 2 * OW, "L", "TRYING", "in"),
                   x(t, "L", "BYE"), x(t + OW, "R", "BYE", "in")]
    assert w.log("spi")[-2:] == [(round(t, 9), "L", "FD_CONNECT", "WSAETIMEDOUT"),
                                 (round(21 + OW, 9), "R", "ACCEPT", "WSAEACCES")]
    r = row(w)
    assert (r.outcome, r.error, r.t_complete) == ("timed_out", "WSAETIMEDOUT", pytest.approx(t, abs=1e-9))
    assert (r.attempts, r.messages) == (1, 3)           # JOIN REQUEST, 100 Trying, BYE


def test_the_default_answer_timeout_is_180_s_and_the_held_request_is_withdrawn():
    """M6 on conference: the requester's timer runs out first (180 s after 100 Trying),
    it sees WSAETIMEDOUT, and the chair's accept at 1 + OW + 200 fails WSAEACCES."""
    w = requested({"defer": 200.0}).run(300)
    t = 1 + 2 * OW + 180.0
    assert w.log("spi") == [
        (0.0, "R", "SOCKET", None), (0.0, "R", "LISTEN", None),
        (1.0, "L", "SOCKET", None), (1.0, "L", "JOIN_LEAF", None),
        (round(1 + OW, 9), "R", "FD_ACCEPT", None), (round(1 + OW, 9), "R", "ACCEPT", "WSATRY_AGAIN"),
        (round(t, 9), "L", "FD_CONNECT", "WSAETIMEDOUT"),
        (round(201 + OW, 9), "R", "ACCEPT", "WSAEACCES")]
    assert [e for e in exchange(w) if e[2] == "JOIN_REQUEST"] == [
        x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in")]


# -- 5. closed means closed -------------------------------------------------------------------

def test_m20_a_member_leaving_before_its_accept_got_through_ends_the_chairs_join_wsaeconnreset():
    """tests/spi's M20 case on conference. L accepts at once, its ACCEPT is lost, L leaves
    at 1.5. Before: the BYE gave the chair's pending per-leaf socket FD_CLOSE and the
    INVITE resent at 1.5 then got REJECT (no listener), so the root saw FD_CLOSE before
    FD_CONNECT WSAECONNREFUSED. Now the BYE (TAU behind L's IGMP Leave on its access link)
    ends the chair's join with FD_CONNECT WSAECONNRESET, no FD_CLOSE; the resent INVITE
    finds L gone and is refused "closed" (never a new admission), and that REJECT is
    ACKed. L's own ACCEPT copy, due 1 + OW + T1, stopped when L left."""
    w = invited()
    lose_next(w.net.link("L", 1), 1)
    w.at(1.5, w.app("L").leave)
    w.run(30)
    t0 = 1 + T1
    log = exchange(w)
    assert log == [x(1, "R", "INVITE"), x(1 + OW, "L", "INVITE", "in"), x(1 + OW, "L", "ACCEPT"),
                   x(1.5, "L", "BYE"), x(t0, "R", "INVITE"),
                   x(t0 + OW, "L", "INVITE", "in"), x(t0 + OW, "L", "REJECT"),
                   x(1.5 + TAU + OW, "R", "BYE", "in"),
                   x(t0 + 2 * OW, "R", "REJECT", "in"), x(t0 + 2 * OW, "R", "ACK"),
                   x(t0 + 3 * OW, "L", "ACK", "in")]
    assert w.log("spi") == [
        (0.0, "L", "SOCKET", None), (0.0, "L", "LISTEN", None),
        (1.0, "R", "SOCKET", None), (1.0, "R", "JOIN_LEAF", None),
        (round(1 + OW, 9), "L", "FD_ACCEPT", None), (round(1 + OW, 9), "L", "ACCEPT", None),
        (1.5, "L", "CLOSE", None), (1.5, "L", "CLOSE", None),
        (round(1.5 + TAU + OW, 9), "R", "FD_CONNECT", "WSAECONNRESET")]
    r = row(w)
    assert (r.outcome, r.error) == ("cancelled", "WSAECONNRESET")
    root = w.app("R").socket
    assert (root.leaves, root.outstanding) == ({}, {})
    check_counts(w, log, attempts=2)


def test_a_closed_chair_answers_a_retransmitted_request_with_reject_not_an_admission():
    """R accepts L's request at once; its ACCEPT and, at 1.2 s, the BYE of its closing are
    both lost. L resends at 1 + T1: the chair, closed, answers REJECT "closed" (before,
    it sent the ACCEPT again and L joined a session that had ended); L's join ends
    WSAECONNREFUSED (M18: a leaf's outstanding request when the root closes; it ended
    WSAECONNRESET until the regression tests below), and the chair's ACCEPT copy (due
    1 + OW + T1) never left."""
    w = requested()
    lose_next(w.net.link("R", 0), 2)
    w.at(1.2, w.app("R").leave)
    w.run(30)
    t0 = 1 + T1
    log = exchange(w)
    assert log == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                   x(1 + OW, "R", "ACCEPT"), x(1.2, "R", "BYE"),
                   x(t0, "L", "JOIN_REQUEST"), x(t0 + OW, "R", "JOIN_REQUEST", "in"),
                   x(t0 + OW, "R", "REJECT"), x(t0 + 2 * OW, "L", "REJECT", "in"),
                   x(t0 + 2 * OW, "L", "ACK"), x(t0 + 3 * OW, "R", "ACK", "in")]
    assert [e for e in w.log("spi") if e[1] == "L"][-1] == \
        (round(t0 + 2 * OW, 9), "L", "FD_CONNECT", "WSAECONNREFUSED")
    assert (row(w).outcome, row(w).error) == ("rejected", "WSAECONNREFUSED")
    assert [e[2] for e in w.log("spi")].count("FD_ACCEPT") == 1
    assert not w.app("L").socket.connected
    assert w.stack.session("s").state.tree.receivers == {}
    check_counts(w, log, attempts=2)


def test_m18_a_request_the_closing_chair_holds_is_refused_wsaeconnrefused():
    """M18 (regression): the chair holds L's request (100 Trying sent) and closes at 2:
    its REJECT "closed" reaches L at 2 + OW, and L's outstanding request fails with
    WSAECONNREFUSED, row rejected (tests/spi's M18 case). Before, it failed with
    WSAECONNRESET, row cancelled."""
    w = requested({"defer": 100.0})
    w.at(2.0, w.app("R").leave)
    w.run(10)
    assert exchange(w) == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                           x(1 + OW, "R", "TRYING"), x(1 + 2 * OW, "L", "TRYING", "in"),
                           x(2, "R", "REJECT"), x(2 + OW, "L", "REJECT", "in"),
                           x(2 + OW, "L", "ACK"), x(2 + 2 * OW, "R", "ACK", "in")]
    assert w.log("spi")[-1] == (round(2 + OW, 9), "L", "FD_CONNECT", "WSAECONNREFUSED")
    assert (row(w).outcome, row(w).error) == ("rejected", "WSAECONNREFUSED")


def test_m18_a_request_whose_accept_was_lost_is_refused_by_the_closing_chairs_bye():
    """M18 (regression): R accepts L's request at once, its ACCEPT is lost, and R closes at
    1.2: the BYE of its closing reaches L, whose request is still outstanding, at
    1.2 + OW: FD_CONNECT with WSAECONNREFUSED, row rejected. Before, WSAECONNRESET."""
    w = requested()
    lose_next(w.net.link("R", 0), 1)
    w.at(1.2, w.app("R").leave)
    w.run(30)
    assert exchange(w)[:5] == [x(1, "L", "JOIN_REQUEST"), x(1 + OW, "R", "JOIN_REQUEST", "in"),
                               x(1 + OW, "R", "ACCEPT"), x(1.2, "R", "BYE"), x(1.2 + OW, "L", "BYE", "in")]
    assert [e for e in w.log("spi") if e[1] == "L"][-1] == \
        (round(1.2 + OW, 9), "L", "FD_CONNECT", "WSAECONNREFUSED")
    assert (row(w).outcome, row(w).error) == ("rejected", "WSAECONNREFUSED")
    assert not w.app("L").socket.connected


# -- M-rule cases of tests/spi, on conference -------------------------------------------------

def test_m22_closing_a_c_leaf_with_its_request_pending_withdraws_it_at_the_chair():
    """The chair holds L's request (100 Trying sent); L closes at 1.5: its BYE withdraws
    the request, and the chair's later accept fails WSAEACCES (row cancelled at 1.5)."""
    w = requested({"defer": 100.0})
    w.at(1.5, w.app("L").leave)
    w.run(200)
    assert w.log("spi")[-2:] == [(1.5, "L", "CLOSE", None), (round(101 + OW, 9), "R", "ACCEPT", "WSAEACCES")]
    assert exchange(w)[-2:] == [x(1.5, "L", "BYE"), x(1.5 + OW, "R", "BYE", "in")]
    assert (row(w).outcome, row(w).t_complete) == ("cancelled", 1.5)


def test_m9_a_root_host_that_is_down_gives_wsaetimedout_not_wsaenetunreach():
    """The chair's host is down but in the topology: the requests are sent and lost, and
    Timer B answers after 64·T1 (WSAENETUNREACH is for no path at all)."""
    w = requested()
    w.at(0.5, w.net.fail_node, "R")
    w.run(60)
    r = row(w)
    assert (r.outcome, r.error, r.attempts, r.t_complete) == ("timed_out", "WSAETIMEDOUT", 7, 1 + 64 * T1)


def test_m21_a_failed_link_is_not_noticed_by_the_dialog_and_the_data_moves_at_once():
    """M21 on conference: rooted sessions notice a failure "through their provider's
    timers", and SIP keeps none on an established dialog (RFC 3261 has no keep-alive;
    session timers, RFC 4028, are an extension mpsim does not model), so neither end
    gets FD_CLOSE. The data plane is non-rooted and moves with its routers: ring
    0-1-2-3-4, chair R and a source S on 0 (the RP), member H on 2 (route 2-1-0); the link
    1-2 fails at 10 s and router 2 sends its Join the other way at once (RFC 7761
    §4.5.7), so H misses exactly what ipmc's member misses (test_ipmc_rules' M21)."""
    from mpsim.net import LinkSpec, Topology
    from mpsim.spi import FD_READ
    from tests.protocols.ipmc_world import gaps, periodic_source, pim_log
    from tests.world import CASE_LINK, World

    topo = Topology.from_generator("cycle_graph", {"n": 5}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {"R": 0, "S": 0, "H": 2}, providers=("conference",))
    w.session("s", "conference", root="R", rp=0, igmp={"version": 3, "robustness": 1})
    periodic_source(w, "S", "s", 0.001, start=0.0005)
    arrivals = []

    def on_read(ind):
        if ind.event == FD_READ:
            arrivals.append(round(ind.time, 9))
            ind.socket.recv()

    def watch():
        member = w.app("H").members[0]
        member.on(on_read)
        member.recv()

    w.app("H").listen("accept")
    w.at(1.0, w.app("R").invite, ["H"])
    w.at(1.05, watch)
    w.at(10.0, w.net.fail_link, 1, 2)
    w.run(30)
    assert [e for e in pim_log(w) if e[0] >= 10] == [
        (10.0, "2", "3", "PIM_JOIN"), (10.0108, "3", "4", "PIM_JOIN"), (10.0216, "4", "0", "PIM_JOIN")]
    assert [g for g in gaps(arrivals) if g[0] > 9] == [(10.0107, 10.0765)]
    assert [e for e in w.log("spi") if e[2] == "FD_CLOSE"] == []
    assert w.app("H").members[0].connected
    assert w.app("R").socket.leaves["H"].connected
