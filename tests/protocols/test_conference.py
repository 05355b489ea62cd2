"""conference: a chair admits members (RFC 3261 retransmission); data over IP multicast."""

import pytest

from mpsim.net import LinkSpec, Topology
from tests.protocols.ipmc_world import periodic_source
from tests.world import CASE_LINK, ONE_WAY, World, lose_next, sent

T1 = 0.5


def conference_world(**session):
    topo = Topology.from_generator("path_graph", {"n": 2}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {"C": 0, "M": 1, "S": 0}, providers=("conference",))
    w.session("conf", "conference", root="C", rp=0, **session)
    return w


def test_way1_chair_invites_member_admitted_after_round_trip_then_first_data():
    w = conference_world()
    periodic_source(w, "S", "conf", 0.01)
    w.app("M", "conf").listen()
    w.at(1.0, w.app("C", "conf").invite, ["M"])
    w.run(5.0)
    (row,) = w.joins().itertuples()
    assert (row.method, row.outcome, row.attempts) == ("root_invite", "connected", 1)
    assert row.latency == pytest.approx(2 * ONE_WAY, abs=1e-12)
    # The member joins the group when it accepts: its report and Join follow the ACCEPT.
    assert row.t_first_data > 1.0 + ONE_WAY
    kinds = [k for t, a, b, k in sent(w) if a in ("C", "M")]
    assert kinds[:4] == ["INVITE", "ACCEPT", "IGMP_REPORT", "ACK"]


def test_way2_member_request_admitted():
    w = conference_world()
    w.app("C", "conf").listen()
    w.at(1.0, w.app("M", "conf").request)
    w.run(5.0)
    (row,) = w.joins().itertuples()
    assert (row.method, row.outcome) == ("leaf_request", "connected")
    assert row.latency == pytest.approx(2 * ONE_WAY, abs=1e-12)
    assert ("M", "FD_CONNECT") in [(h, e) for _, h, e, _ in w.log("spi")]


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
def test_invitation_lost_k_times_joins_after_t1_times_2k_minus_1(k):
    w = conference_world()
    w.app("M", "conf").listen()
    lose_next(w.net.link("C", 0), k)
    w.at(1.0, w.app("C", "conf").invite, ["M"])
    w.run(60.0)
    (row,) = w.joins().itertuples()
    assert (row.outcome, row.attempts) == ("connected", k + 1)
    assert row.latency == pytest.approx(T1 * (2 ** k - 1) + 2 * ONE_WAY, abs=1e-9)


def test_chair_gives_up_after_64_t1_with_wsaetimedout():
    w = conference_world()
    w.app("M", "conf").listen()
    lose_next(w.net.link("C", 0), 100)
    w.at(1.0, w.app("C", "conf").invite, ["M"])
    w.run(100.0)
    (row,) = w.joins().itertuples()
    assert (row.outcome, row.error) == ("timed_out", "WSAETIMEDOUT")
    assert row.latency == pytest.approx(64 * T1, abs=1e-9)
    invites = [t for t, a, b, k in sent(w) if k == "INVITE"]
    assert invites == pytest.approx([1.0 + T1 * (2 ** i - 1) for i in range(7)])
    assert (round(1.0 + 64 * T1, 9), "C", "FD_CONNECT", "WSAETIMEDOUT") in w.log("spi")


def test_rejection_and_leaving():
    w = conference_world()
    w.app("M", "conf").listen("reject")
    w.at(1.0, w.app("C", "conf").invite, ["M"])
    w.run(5.0)
    (row,) = w.joins().itertuples()
    assert (row.outcome, row.error) == ("rejected", "WSAECONNREFUSED")


def test_member_leaving_gives_the_chair_fd_close_and_leaves_the_group():
    w = conference_world()
    periodic_source(w, "S", "conf", 0.01)
    w.app("C", "conf").listen()
    w.at(1.0, w.app("M", "conf").request)
    w.at(3.0, w.app("M", "conf").leave)
    w.run(10.0)
    closes = [e for e in w.log("spi") if e[2] == "FD_CLOSE"]
    # The BYE leaves just behind the member's IGMP Leave on its access link (0.8 ms).
    assert closes == [(round(3.0 + 0.0008 + ONE_WAY, 9), "C", "FD_CLOSE", None)]
    assert any(k == "IGMP_LEAVE" and a == "M" for t, a, b, k in sent(w))


def test_data_before_the_chair_hears_accept_does_not_complete_the_join():
    """The member's ACCEPT is lost, but it has joined the group and gets data; the join
    completes only when the chair's retransmitted INVITE is answered (T1 later)."""
    w = conference_world()
    periodic_source(w, "S", "conf", 0.005)
    w.app("M", "conf").listen()
    lose_next(w.net.link("M", 1), 1)
    w.at(1.0, w.app("C", "conf").invite, ["M"])
    w.run(5.0)
    (row,) = w.joins().itertuples()
    assert (row.outcome, row.attempts) == ("connected", 2)
    assert row.latency == pytest.approx(T1 + 2 * ONE_WAY, abs=1e-9)
    assert row.t_first_data < row.t_complete
    assert [e for e in w.log("spi") if e[2] == "FD_CONNECT"] == \
        [(round(1.0 + T1 + 2 * ONE_WAY, 9), "C", "FD_CONNECT", None)]


# -- what a conference keeps (issue 11 item 6) --------------------------------------------------

def test_a_late_retransmission_is_answered_after_its_transaction_is_forgotten():
    """The chair's REJECT is lost; the member retransmits at T1 and leaves while that copy is
    on its way. Nothing can look the transaction up any more, but the copy that arrives
    carries it and is refused again, as a duplicate always is. The chair's own copy of
    the REJECT (T1 after the first, no cause: a timer sent it) leaves at the same instant
    (RFC 3261 §17.2.1 resends on a request copy without touching Timer G)."""
    w = conference_world()
    w.app("C", "conf").listen("reject")
    lose_next(w.net.link("C", 0), 1)
    w.at(1.0, w.app("M", "conf").request)
    w.at(1.0 + T1 + 0.01, w.app("M", "conf").leave)
    w.run(5.0)
    assert [(t, k) for t, a, b, k in sent(w) if a == "C"] == [
        (round(1.0 + ONE_WAY, 9), "REJECT"), (round(1.0 + ONE_WAY + T1, 9), "REJECT"),
        (round(1.0 + T1 + ONE_WAY, 9), "REJECT")]
    proto = w.events("proto")
    requests = list(proto[(proto.event == "JOIN_REQUEST") & (proto.detail.fillna("") != "recv")].msg_id)
    rejects = proto[(proto.event == "REJECT") & (proto.detail.fillna("") != "recv")]
    assert [None if c is None or str(c) in ("<NA>", "nan") else c for c in rejects.cause] == \
        [requests[0], None, requests[1]]
    # The member, gone, still acknowledges both copies that reach it.
    assert [(t, k) for t, a, b, k in sent(w) if a == "M" and k == "ACK"] == [
        (round(1.0 + T1 + 2 * ONE_WAY, 9), "ACK"), (round(1.0 + T1 + 2 * ONE_WAY + 0.0008, 9), "ACK")]
    (row,) = w.joins().itertuples()
    assert (row.outcome, row.attempts) == ("cancelled", 2)
    conf = w.stack.session("conf").state
    assert conf.reachable == {} and conf.closing == {}


def test_finished_requests_are_forgotten_and_invitations_kept_for_the_chairs_closing():
    import gc

    from mpsim.protocols.conference.provider import Transaction
    topo = Topology.from_generator("path_graph", {"n": 2}, links=LinkSpec(**CASE_LINK))
    guests = [f"G{i}" for i in range(20)]
    w = World(topo, {"C": 0, "M": 1, **{g: 1 for g in guests}}, providers=("conference",))
    w.session("conf", "conference", root="C", rp=0)
    w.app("C", "conf").listen()
    w.app("M", "conf").listen()
    for i, guest in enumerate(guests):
        w.at(1.0 + i, w.app(guest, "conf").request)
        w.at(1.5 + i, w.app(guest, "conf").leave)
    w.at(30.0, w.app("C", "conf").invite, ["M"])
    w.run(100.0)
    frame = w.joins()
    assert (frame.outcome == "connected").all() and len(frame) == 21
    conf = w.stack.session("conf").state
    assert list(conf.reachable) == [21]                   # the invitation: both sockets open
    assert [tx.join.join_id for tx in conf.closing.values()] == [21]
    gc.collect()
    assert sum(type(o) is Transaction and o.conf is conf for o in gc.get_objects()) == 1
