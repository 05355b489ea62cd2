"""atm sessions end to end: queueing behind max_outstanding, closing, failures, data."""

import pytest

from mpsim.net import LinkSpec, Topology
from tests.world import CASE_LINK, HOP, ONE_WAY, World, chain, sent

TAU = 100 * 8 / 1e6         # serialization of one 100 B control message at 1 Mbps


def star(n_leaves, max_outstanding):
    """Root host on the hub of a star; leaf i on spoke i: every leaf one way D = 3 hops away."""
    topo = Topology.from_generator("star_graph", {"n": n_leaves}, links=LinkSpec(**CASE_LINK))
    hosts = {"R": 0, **{f"L{i}": i for i in range(1, n_leaves + 1)}}
    w = World(topo, hosts)
    w.session("s", root="R", max_outstanding=max_outstanding)
    for i in range(1, n_leaves + 1):
        w.app(f"L{i}").listen()
    w.at(1.0, w.app("R").invite, [f"L{i}" for i in range(1, n_leaves + 1)])
    return w.run(60)


def test_max_outstanding_1_serializes_50_invitations():
    """The k-th of 50 completes at k·2D, plus τ for k ≥ 2: the first party's CONNECT ACK
    leaves just before the second invitation, which waits τ behind it; later ADD PARTYs
    find the root's access link idle. Every row's t_request is the invite time."""
    w = star(50, 1)
    joins = w.joins()
    assert (joins.outcome == "connected").all() and (joins.t_request == 1.0).all()
    two_d = 2 * ONE_WAY
    expected = [two_d] + [k * two_d + TAU for k in range(2, 51)]
    assert list(joins.latency) == pytest.approx(expected, abs=1e-9)


def test_max_outstanding_50_sends_the_other_49_together_once_the_call_is_active():
    """The first invitation is a SETUP; the other 49 wait in the provider until its
    CONNECT reaches the root (at 2D: ADD PARTY only once the call is active), then
    leave back to back behind the root's CONNECT ACK and come back in that order: the
    j-th (from 0) of them completes at exactly 2D + 2D + j·τ for j ≥ 1, so all within
    4D + 49τ."""
    w = star(50, 50)
    joins = w.joins()
    assert (joins.outcome == "connected").all() and (joins.t_request == 1.0).all()
    expected = [2 * ONE_WAY] + [4 * ONE_WAY + j * TAU for j in range(1, 50)]
    assert list(joins.latency) == pytest.approx(expected, abs=1e-9)
    assert joins.latency.max() <= 4 * ONE_WAY + 49 * TAU


def spi_events(w, event, host=None):
    return [e for e in w.log("spi") if e[2] == event and (host is None or e[1] == host)]


def test_m18_closing_the_root_ends_the_session():
    w = chain(leaves=("L1", "L2", "L3", "L4"))
    w.session("s", root="R", max_outstanding=3)
    w.app("L1").listen()
    w.app("L2").listen()
    w.app("L3").listen({"defer": 100.0})          # holds its invitation
    w.app("R").listen({"defer": 100.0})           # holds L4's request
    w.at(1.0, w.app("R").invite, ["L1", "L2", "L3"])
    w.at(1.0, w.app("L4").request)
    w.at(5.0, w.app("R").leave)
    w.run(200)
    joins = w.joins().set_index("leaf")
    # Connected leaves get FD_CLOSE (error 0) when the RELEASE reaches them; it leaves the
    # root's access link just behind the LEAF SETUP FAILURE for L4.
    t_release = 5.0 + TAU + ONE_WAY
    for leaf in ("L1", "L2"):
        assert spi_events(w, "FD_CLOSE", leaf) == [(round(t_release, 9), leaf, "FD_CLOSE", None)]
    # The pending invitation is cancelled at the root; its held request is withdrawn.
    assert joins.loc["L3", "outcome"] == "cancelled"
    assert joins.loc["L3", "error"] == "WSAECONNRESET"
    assert spi_events(w, "FD_CLOSE", "L3") == []
    # The pending admission request fails at its requester with WSAECONNREFUSED (M18).
    assert joins.loc["L4", "outcome"] == "rejected"
    assert spi_events(w, "FD_CONNECT", "L4") == [(round(5.0 + ONE_WAY, 9), "L4", "FD_CONNECT",
                                                  "WSAECONNREFUSED")]
    # Every per-leaf socket at the root (L1's, L2's, and L3's still pending) gets FD_CLOSE
    # with error 0 at once (M18); the c_root socket being closed gets none (M22).
    assert spi_events(w, "FD_CLOSE", "R") == [(5.0, "R", "FD_CLOSE", None)] * 3
    spi = w.events("spi")
    at_root = spi[(spi.event == "FD_CLOSE") & (spi.host == "R")]
    assert list(at_root.peer) == ["L1", "L2", "L3"]
    assert w.app("R").socket.id not in set(at_root.socket)
    # L3's deferred accept later finds the request withdrawn (M6).
    assert [e[3] for e in spi_events(w, "ACCEPT", "L3")] == ["WSATRY_AGAIN", "WSAEACCES"]


def test_m19_closing_a_per_leaf_socket_drops_only_that_leaf():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    w.at(5.0, lambda: w.app("R").socket.leaves["L1"].close())
    w.run(60)
    assert spi_events(w, "FD_CLOSE", "L1") == [(round(5.0 + ONE_WAY, 9), "L1", "FD_CLOSE", None)]
    assert spi_events(w, "FD_CLOSE", "L2") == []
    assert set(w.app("R").socket.leaves) == {"L2"}
    drops = [(src, kind) for _, src, _, kind in sent(w) if kind.startswith("DROP")]
    assert drops == [("R", "DROP_PARTY"), ("0", "DROP_PARTY"), ("1", "DROP_PARTY"),
                     ("L1", "DROP_PARTY_ACK"), ("1", "DROP_PARTY_ACK"), ("0", "DROP_PARTY_ACK")]


def test_m20_a_leaf_closing_gives_the_roots_per_leaf_socket_fd_close():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    per_leaf = {}
    w.at(4.0, lambda: per_leaf.update(w.app("R").socket.leaves))
    w.at(5.0, w.app("L1").leave)
    w.run(60)
    closes = [e for e in w.events("spi").itertuples() if e.event == "FD_CLOSE"]
    assert [(round(e.time, 9), e.host, int(e.socket), e.error if isinstance(e.error, str) else None)
            for e in closes] == \
        [(round(5.0 + ONE_WAY, 9), "R", per_leaf["L1"].id, None)]
    # The leaf's RELEASE becomes a DROP PARTY where the call still has another party.
    clearing = [(src, kind) for _, src, _, kind in sent(w) if kind in ("RELEASE", "DROP_PARTY")]
    assert clearing == [("L1", "RELEASE"), ("1", "DROP_PARTY"), ("0", "DROP_PARTY")]


def test_m21_failed_link_gives_fd_close_wsaeconnaborted_after_detection():
    w = chain()
    w.session("s", root="R")
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(5.0, w.net.fail_link, 0, 1)
    w.run(60)
    t_notice = 5.0 + 7.0 + HOP             # noticed after Timer_NO-RESPONSE (7 s), then one hop
    assert spi_events(w, "FD_CLOSE") == [(round(t_notice, 9), "R", "FD_CLOSE", "WSAECONNABORTED"),
                                         (round(t_notice, 9), "L", "FD_CLOSE", "WSAECONNABORTED")]


def test_m15_root_data_reaches_each_leaf_once_and_leaf_data_only_the_root():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    w.at(2.0, w.app("R").send, 500)
    w.at(3.0, w.app("L1").send, 200)
    w.run(10)
    members = {leaf: w.app(leaf).members[0] for leaf in ("L1", "L2")}
    assert [(m.rx_packets, m.rx_bytes) for m in members.values()] == [(1, 500), (1, 500)]
    per_leaf = w.app("R").socket.leaves
    assert (per_leaf["L1"].rx_packets, per_leaf["L2"].rx_packets) == (1, 0)
    # The shared root link carried the data once: copied at the branch point. R also sent
    # three 100 B signalling messages, SSCOP's POLL (8 B, 1 s after the SETUP) and the
    # STAT (12 B, no gap) answering switch 0's POLL.
    from_root = [kind for _, src, _, kind in sent(w) if src == "R"]
    assert from_root == ["SETUP", "CONNECT_ACK", "ADD_PARTY", "POLL", "STAT"]
    assert w.net.link("R", 0).bytes == 500 + 3 * 100 + 8 + 12
    joins = w.joins()
    assert list(joins.t_first_data) == pytest.approx([2.0 + 3 * (0.010 + 500 * 8 / 1e6)] * 2)
