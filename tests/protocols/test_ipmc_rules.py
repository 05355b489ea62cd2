"""multipoint.md rules for non-rooted sessions (ipmc), each named by its id.

tests/spi/rules.py takes this module's ``COVERAGE`` as ipmc's tests outside tests/spi/; with
those of tests/spi/ and its exemptions, every id M1–M24 is covered on ipmc
(``test_every_rule_is_covered``, tests/spi/test_coverage.py).
"""

import importlib

import pytest

from mpsim.core.errors import SocketError
from mpsim.net import LinkSpec, Topology
from mpsim.spi import JL_RECEIVER_ONLY, JL_SENDER_ONLY, WsaError
from tests.protocols.ipmc_world import gaps, periodic_source, pim_log, ring_world
from tests.world import CASE_LINK, HOP, World, sent

COVERAGE = {
    "M13": ["test_m13_no_member_is_told_when_another_joins_or_leaves"],
    "M14": ["test_m14_no_designated_router_no_data_row_pending",
            "test_m14_give_up_marks_the_row_timed_out"],
    "M15": ["test_m15_nonrooted_data_reaches_every_other_member_once_and_itself_by_loopback"],
    "M16": ["test_m16_sender_only_sends_no_report_and_receives_nothing",
            "test_m16_receiver_only_cannot_send"],
    "M17": ["test_m17_copied_at_branch_points", "test_m17_scope_is_the_ip_ttl"],
    "M20": ["test_m20_nonrooted_leave_prunes_and_tells_no_one"],
    "M21": ["test_m21_nonrooted_member_sees_a_gap_of_one_graft_after_a_failure"],
}


def chain_world(n_routers=3, hosts=None, **session):
    topo = Topology.from_generator("path_graph", {"n": n_routers}, links=LinkSpec(**CASE_LINK))
    w = World(topo, hosts or {"A": n_routers - 1, "B": n_routers - 1, "S": 0}, providers=("ipmc",))
    w.session("g", "ipmc", rp=0, **session)
    return w


def spi_of(w, host):
    return [e for e in w.log("spi") if e[1] == host]


def test_m13_no_member_is_told_when_another_joins_or_leaves():
    w = chain_world(hosts={"A": 2, "B": 1, "S": 0})
    periodic_source(w, "S", "g", 0.5, start=0.25)
    w.at(1.0, w.app("A", "g").join)
    w.at(5.0, w.app("B", "g").join)
    w.at(10.0, w.app("B", "g").leave)
    w.run(20.0)
    first = next(iter(w.stack.joins)).t_first_data
    assert [e[2:] for e in spi_of(w, "A")] == [("SOCKET", None), ("JOIN_LEAF", None),
                                             ("FD_CONNECT", None), ("FD_READ", None)]
    assert spi_of(w, "A")[-1][0] == round(first, 9)


def test_m14_no_designated_router_no_data_row_pending():
    w = chain_world()
    periodic_source(w, "S", "g", 0.5)
    w.at(0.5, w.net.fail_link, "A", 2)
    w.at(1.0, w.app("A", "g").join)
    w.run(100.0)
    row = w.joins().iloc[0]
    assert row.outcome == "pending" and row.t_first_data != row.t_first_data   # NaN: never
    assert [e[2:] for e in spi_of(w, "A")][-1] == ("FD_CONNECT", None)
    assert w.net.link("A", 2).drops >= 2                    # both v2 reports were lost


def test_m14_give_up_marks_the_row_timed_out():
    w = chain_world(give_up="30s")
    w.at(0.5, w.net.fail_link, "A", 2)
    w.at(1.0, w.app("A", "g").join)
    w.run(100.0)
    row = w.joins().iloc[0]
    assert (row.outcome, row.error) == ("timed_out", "WSAETIMEDOUT")


def test_m15_nonrooted_data_reaches_every_other_member_once_and_itself_by_loopback():
    for loopback, own in ((True, 1), (False, 0)):
        w = chain_world(hosts={"A": 2, "B": 2, "C": 1}, loopback=loopback)
        for host in "ABC":
            w.at(1.0, w.app(host, "g").join)
        w.at(5.0, w.app("A", "g").send, 300)
        w.run(10.0)
        received = {h: w.app(h, "g").socket.rx_packets for h in "ABC"}
        assert received == {"A": own, "B": 1, "C": 1}


def test_m16_sender_only_sends_no_report_and_receives_nothing():
    w = chain_world()
    periodic_source(w, "S", "g", 0.5)
    w.at(1.0, w.app("A", "g").join, JL_SENDER_ONLY)
    w.run(40.0)
    assert [k for t, a, b, k in sent(w) if a == "A"] == []
    assert w.app("A", "g").socket.rx_packets == 0
    assert w.net.link(2, "A").packets == 2                # the two startup general queries only


def test_m16_receiver_only_cannot_send():
    w = chain_world()
    w.at(1.0, w.app("A", "g").join, JL_RECEIVER_ONLY)
    w.run(2.0)
    with pytest.raises(SocketError) as err:
        w.app("A", "g").socket.send(100)
    assert err.value.code == WsaError.WSAESHUTDOWN
    assert w.log("spi")[-1] == (2.0, "A", "SEND", "WSAESHUTDOWN")


def test_m17_copied_at_branch_points():
    topo = Topology.from_generator("balanced_tree", {"r": 2, "h": 3}, links=LinkSpec(**CASE_LINK))
    leaves = [n for n in topo.graph if topo.graph.degree(n) == 1]
    hosts = {"S": 0, **{f"h{n}": n for n in leaves}}
    w = World(topo, hosts, providers=("ipmc",))
    w.session("g", "ipmc", rp=0)
    for n in leaves:
        w.at(1.0, w.app(f"h{n}", "g").join)
    w.at(5.0, w.app("S", "g").send, 1000)
    w.run(6.0)
    tree_links = w.stack.session("g").state.tree.links()
    assert len(tree_links) == 14 + len(leaves)            # every router link and access link
    data_bytes = {(l.src, l.dst): l.bytes for l in tree_links}
    control = {}
    for t, a, b, k in sent(w):
        control[(a, b)] = control.get((a, b), 0) + 100
    for key, total in data_bytes.items():
        assert total - control.get(tuple(str(x) for x in key), 0) == 1000, key
    assert all(w.app(f"h{n}", "g").socket.rx_packets == 1 for n in leaves)


@pytest.mark.parametrize("scope, reached", [(2, []), (3, ["H1"]), (4, ["H1", "H2"])])
def test_m17_scope_is_the_ip_ttl(scope, reached):
    """Scope k reaches a member iff the data's path to it has at most k links: H1 is 3 links
    from S (S-0-1-H1), H2 4, H3 5. With scope 3 the RP forwards with TTL 2, router 1 with
    TTL 1, and router 2 gets it with TTL 1 and forwards it nowhere. Until this model
    followed IP, scope 2 reached H1 (one router further than IP allows)."""
    topo = Topology.from_generator("path_graph", {"n": 4}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {"S": 0, "H1": 1, "H2": 2, "H3": 3}, providers=("ipmc",))
    w.session("g", "ipmc", rp=0, scope=scope)
    for host in ("H1", "H2", "H3"):
        w.at(1.0, w.app(host, "g").join)
    w.at(5.0, w.app("S", "g").send, 1000)
    w.run(6.0)
    got = {h: w.app(h, "g").socket.rx_packets for h in ("H1", "H2", "H3")}
    assert got == {h: int(h in reached) for h in ("H1", "H2", "H3")}
    last = scope - 1                                      # gets TTL 1, forwards nowhere
    assert w.net.link(last - 1, last).bytes >= 1000           # the data crossed into it
    assert w.net.link(last, f"H{last}").bytes < 1000          # but not on to its member
    assert w.net.ttl_drops == 1


def test_m20_nonrooted_leave_prunes_and_tells_no_one():
    w = chain_world(hosts={"A": 2, "B": 1, "S": 0})
    periodic_source(w, "S", "g", 0.5)
    w.at(1.0, w.app("A", "g").join)
    w.at(1.0, w.app("B", "g").join)
    w.at(10.0, w.app("A", "g").leave)
    w.run(20.0)
    assert [k for t, a, b, k in sent(w) if a == "A" and t >= 10] == ["IGMP_LEAVE"]
    assert [t for t, a, b, k in sent(w) if k == "PIM_PRUNE"] == [round(10.0 + HOP + 2.0, 9)]
    later = [e for e in w.log("spi") if e[0] >= 10 and e[2].startswith("FD_")]
    assert later == []


def test_m21_nonrooted_member_sees_a_gap_of_one_graft_after_a_failure():
    """Ring 0-1-2-3-4 (10 ms, 1 Mbps), RP and S on 0, H on 2 (route 2-1-0); S sends 100 B
    every 1 ms from 0.5 ms (ipmc_world.ring_world). The link 1-2 fails at 10 s: router 2's
    route to the RP turns to 2-3-4-0, and at that instant it sends the Join to 3 (its
    Prune to 1 cannot cross the dead link); the Join grafts 3 (10.0108), 4 (10.0216) and
    0 (10.0324). H's last packet the old way left S at 9.9675 (at 2 at 9.9999, at H at
    10.0107); the first to pass 0 after the graft left S at 10.0225 and takes four hops
    of 10.8 ms from 0: at H at 10.0765. Until routers re-routed at once (RFC 7761 §4.5.7),
    the gap lasted until router 2's periodic refresh, ~61 s."""
    w, arrivals = ring_world()
    w.at(10.0, w.net.fail_link, 1, 2)
    w.run(30.0)
    assert pim_log(w) == [(1.0108, "2", "1", "PIM_JOIN"), (1.0216, "1", "0", "PIM_JOIN"),
                          (10.0, "2", "3", "PIM_JOIN"), (10.0108, "3", "4", "PIM_JOIN"),
                          (10.0216, "4", "0", "PIM_JOIN")]
    assert gaps(arrivals) == [(10.0107, 10.0765)]
    assert [e for e in w.log("spi") if e[1] == "H" and e[2] == "FD_CLOSE"] == []


def test_every_rule_is_covered():
    """This table is ipmc's in tests/spi/rules.py (ELSEWHERE), which, with the tests of
    tests/spi/ and the exemptions, covers every rule on ipmc (tests/spi/test_coverage.py)."""
    rules = importlib.import_module("tests.spi.rules")
    for rule, names in COVERAGE.items():
        assert names and all(callable(globals().get(n)) for n in names), (rule, names)
        assert rules.ELSEWHERE["ipmc"][rule] == [f"{__name__}::{n}" for n in names]
    assert [i for i in rules.RULES if not rules.covering("ipmc", i) and i not in rules.EXEMPT["ipmc"]] == []
