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


def test_max_outstanding_50_completes_within_2d_plus_50_serializations():
    """All 50 invitations leave back to back (j·τ apart) and come back in that order:
    the j-th (from 0) completes at exactly 2D + j·τ, so all within 2D + 50τ."""
    w = star(50, 50)
    joins = w.joins()
    assert (joins.outcome == "connected").all()
    expected = [2 * ONE_WAY + j * TAU for j in range(50)]
    assert list(joins.latency) == pytest.approx(expected, abs=1e-9)
    assert joins.latency.max() <= 2 * ONE_WAY + 50 * TAU


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
    # The pending admission request fails at its requester with WSAECONNRESET.
    assert joins.loc["L4", "outcome"] == "cancelled"
    assert spi_events(w, "FD_CONNECT", "L4") == [(round(5.0 + ONE_WAY, 9), "L4", "FD_CONNECT",
                                                  "WSAECONNRESET")]
    # The root's own sockets get no FD_CLOSE (M22).
    assert spi_events(w, "FD_CLOSE", "R") == []
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


def test_m21_failed_link_gives_fd_close_wsaenetreset_after_detection():
    w = chain()
    w.session("s", root="R")
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(5.0, w.net.fail_link, 0, 1)
    w.run(60)
    t_notice = 5.0 + 7.0 + HOP             # SSCOP notices after t_detect, then one hop
    assert spi_events(w, "FD_CLOSE") == [(round(t_notice, 9), "R", "FD_CLOSE", "WSAENETRESET"),
                                         (round(t_notice, 9), "L", "FD_CLOSE", "WSAENETRESET")]


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
    # The shared root link carried the data once: copied at the branch point.
    control_from_root = sum(1 for _, src, dst, _ in sent(w) if src == "R")
    assert w.net.link("R", 0).bytes == 500 + 100 * control_from_root
    joins = w.joins()
    assert list(joins.t_first_data) == pytest.approx([2.0 + 3 * (0.010 + 500 * 8 / 1e6)] * 2)
