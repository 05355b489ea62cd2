"""ipmc end to end: exact lossless join latency, leave and prune, v2 report suppression."""

import math

import numpy as np
import pytest

from mpsim.net import LinkSpec, Topology
from tests.protocols.ipmc_world import hop_time, path_time, periodic_source
from tests.world import CASE_LINK, World, sent


def c5_world():
    topo = Topology.from_generator("path_graph", {"n": 3}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {"H": 2, "S": 0}, providers=("ipmc",))
    w.session("news", "ipmc", rp=0, group="239.1.1.1")
    periodic_source(w, "S", "news", 1e-3)
    return w


def test_c5_first_data_within_the_spec_window():
    w = c5_world()
    w.at(1.0, w.app("H", "news").join)
    w.run(1.2)
    (row,) = w.joins().itertuples()
    assert (row.method, row.outcome, row.t_complete) == ("nonrooted", "connected", 1.0)
    spi = [e for e in w.log("spi") if e[2] == "FD_CONNECT"]
    assert spi == [(1.0, "H", "FD_CONNECT", None)]
    proto = sent(w)
    assert (1.0108, "2", "1", "PIM_JOIN") in [(t, str(a), str(b), k) for t, a, b, k in proto]
    assert any(k == "PIM_JOIN" and t == 1.0216 for t, _, _, k in proto)
    assert 1.0648 <= row.t_first_data <= 1.0658
    assert row.t_first_data == pytest.approx(1.0652, abs=1e-12)


def expected_first_data(net, rp, source, member, on_tree, t_join, period, data_size, ctrl=100):
    """Closed form of one member's t_first_data on a lossless network.

    The report reaches the DR one access hop later; the PIM Join climbs router by
    router until the first router already on the tree (or the RP), grafting as it
    goes. The first data packet to pass that router at or after the Join's arrival
    then follows the new branch down to the member. Packet k passes router X at
    k·period + d(source -> RP) + d(RP -> X) (no queueing at these rates)."""
    routing = net.routing
    dr = net.router_of(member)
    t = t_join + hop_time(net.link(member, dr), ctrl)
    x = dr
    while x not in on_tree and x != rp:
        nxt = routing.next_hop(x, rp)
        t += hop_time(net.link(x, nxt), ctrl)
        x = nxt
    to_rp = path_time(net, routing.path(source, rp), data_size)
    down = path_time(net, routing.path(x, rp)[::-1], data_size)
    k = math.ceil((t - to_rp - down) / period - 1e-12)
    passing = k * period + to_rp + down
    branch = routing.path(member, x)[::-1]
    return passing + path_time(net, branch, data_size), routing.path(dr, rp)


@pytest.mark.parametrize("kind,seed", [("tree", 1), ("tree", 2), ("tree", 3), ("grid", 4)])
def test_lossless_latency_equals_closed_form(kind, seed):
    if kind == "tree":
        topo = Topology.from_generator("random_labeled_tree", {"n": 30}, seed=seed,
                                       links=LinkSpec(delay="3ms", bandwidth="10Mbps"))
    else:
        topo = Topology.from_generator("grid_2d_graph", {"m": 5, "n": 5},
                                       links=LinkSpec(delay="3ms", bandwidth="10Mbps"))
    rng = np.random.default_rng(seed)
    routers = list(topo.graph.nodes)
    rp = routers[int(rng.integers(len(routers)))]
    member_routers = [routers[int(i)] for i in rng.integers(len(routers), size=8)]
    member_routers[7] = member_routers[0]      # at least one member joins under an on-tree DR
    hosts = {"S": routers[int(rng.integers(len(routers)))],
             **{f"m{i}": r for i, r in enumerate(member_routers)}}
    w = World(topo, hosts, providers=("ipmc",))
    w.session("g", "ipmc", rp=rp)
    period, size = 0.0137, 300
    periodic_source(w, "S", "g", period, size)
    on_tree, expected = set(), {}
    for i in range(8):
        t_join = 1.0 + 2.0 * i + 0.00123 * i
        w.at(t_join, w.app(f"m{i}", "g").join)
        expected[f"m{i}"], path = expected_first_data(w.net, rp, "S", f"m{i}", on_tree, t_join,
                                                       period, size)
        on_tree.update(path)
    w.run(20.0)
    joins = w.joins().set_index("leaf")
    for member, t in expected.items():
        assert joins.loc[member, "t_first_data"] == pytest.approx(t, abs=1e-9), member
    # A member whose DR is already on the tree sends no PIM Join.
    pim = [e for e in w.events("proto").itertuples() if e.event == "PIM_JOIN" and e.detail != "recv"]
    joins_with_pim = {int(e.join_id) for e in pim if e.join_id == e.join_id and e.join_id is not None}
    seen_dr = set()
    for i in range(8):
        dr = w.net.router_of(f"m{i}")
        join_id = int(joins.loc[f"m{i}", "join_id"])
        if dr in seen_dr:
            assert join_id not in joins_with_pim
        seen_dr.add(dr)
    assert len(seen_dr) < 8                    # the check above ran at least once


def leave_world(version=2):
    topo = Topology.from_generator("path_graph", {"n": 3}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {"H": 2, "S": 0}, providers=("ipmc",))
    w.session("g", "ipmc", rp=0, igmp={"version": version})
    periodic_source(w, "S", "g", 0.1)
    w.at(1.0, w.app("H", "g").join)
    return w


def test_v2_leave_of_last_member_prunes_after_two_last_member_queries():
    w = leave_world()
    w.at(50.0, w.app("H", "g").leave)
    w.run(60.0)
    hop = 0.010 + 100 * 8 / 1e6
    t_leave_at_dr = 50.0 + hop
    prunes = [(t, str(a), str(b)) for t, a, b, k in sent(w) if k == "PIM_PRUNE"]
    # Two group-specific queries 1 s apart, then the group is gone: 2 × LMQI after the Leave.
    assert prunes[0] == (round(t_leave_at_dr + 2.0, 9), "2", "1")
    queries = [t for t, a, b, k in sent(w) if k == "IGMP_QUERY" and t > 50]
    assert queries == [round(t_leave_at_dr, 9), round(t_leave_at_dr + 1.0, 9)]
    # Data stops reaching the access link: nothing crosses 2->H after the prune took effect.
    link = w.net.link(2, "H")
    before = link.packets
    w.run(80.0)
    assert link.packets == before


def test_silent_departure_ages_out_at_gmi():
    """A member that stops answering (its host's link to the DR fails) is forgotten
    260 s (GMI) after its last report."""
    w = leave_world()
    w.at(40.0, w.net.fail_link, "H", 2)
    w.run(400.0)
    reports = [t for t, a, b, k in sent(w) if k == "IGMP_REPORT" and a == "H" and t < 40]
    last_report_at_dr = max(reports) + (0.010 + 100 * 8 / 1e6)
    prunes = [t for t, a, b, k in sent(w) if k == "PIM_PRUNE" and str(a) == "2"]
    assert prunes[0] == pytest.approx(last_report_at_dr + 260.0, abs=1e-9)


def suppression_run(n, seed):
    topo = Topology.from_generator("path_graph", {"n": 2},
                                   links=LinkSpec(delay=0, bandwidth="100Gbps"))
    w = World(topo, {f"h{i}": 1 for i in range(n)}, seed=seed, providers=("ipmc",))
    w.session("g", "ipmc", rp=0)
    for i in range(n):
        w.at(0.5, w.app(f"h{i}", "g").join)
    w.run(45.0)
    query = 31.25                                     # the second startup query
    return [t for t, a, b, k in sent(w) if k == "IGMP_REPORT" and query <= t < query + 10.0]


def test_v2_suppression_one_report_per_query_first_at_qri_over_n_plus_1():
    n, runs = 5, 400
    firsts = []
    for seed in range(runs):
        reports = suppression_run(n, seed)
        assert len(reports) == 1, reports
        firsts.append(reports[0] - 31.25)
    firsts = np.array(firsts)
    se = firsts.std(ddof=1) / math.sqrt(runs)
    assert se < 0.1 * 10 / (n + 1)
    assert abs(firsts.mean() - 10 / (n + 1)) < 3 * se
