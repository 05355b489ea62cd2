"""Multicast trees: exact path delay, replication at branch points (each tree link carries a
packet once), tree invariants under joins and leaves, losses below a branch."""

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpsim.core import Simulation
from mpsim.core.errors import TopologyError
from mpsim.net import LinkSpec, MulticastTree, Network, Packet, Topology, shared_tree, source_tree
from tests.net.helpers import Msg, chain


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 8), delay=st.floats(0.0, 0.05), bandwidth=st.floats(64e3, 10e9),
       size=st.integers(1, 9000), kind=st.sampled_from(["shared", "source"]))
def test_tree_path_delay_is_exact(h, delay, bandwidth, size, kind):
    sim, net = chain(h, LinkSpec(delay=delay, bandwidth=bandwidth))
    got = []
    make = shared_tree if kind == "shared" else source_tree
    tree = make(net, 0, [h], receiver=lambda packet, link: got.append(sim.now))
    tree.send(Packet(size, Msg()))
    sim.run()
    assert got == [pytest.approx(h * (delay + 8 * size / bandwidth), abs=1e-12, rel=0)]


def test_one_packet_on_a_depth_six_binary_tree_is_replicated_not_repeated():
    size = 1000
    sim = Simulation(1)
    net = Network(sim, Topology.from_generator("balanced_tree", {"r": 2, "h": 6},
                                               links=LinkSpec(delay="1ms", bandwidth="10Mbps")))
    graph = net.topology.graph
    leaves = [n for n in graph if graph.degree(n) == 1 and n != 0]
    assert len(leaves) == 64
    received = {}
    hosts = [net.add_host(f"h{router}", router) for router in leaves]
    tree = shared_tree(net, 0, hosts, receiver=lambda packet, link: received.setdefault(link.dst, []).append(sim.now))
    tree.send(Packet(size, Msg()))
    sim.run()

    # every leaf host exactly once, after 7 hops
    assert sorted(received) == sorted(hosts)
    assert all(times == [pytest.approx(7 * (0.001 + 8 * size / 10e6), abs=1e-12)] for times in received.values())
    # the tree is exactly the downward edges of the router tree plus the access links
    downward = {(u, v) for u, v in nx.bfs_edges(graph, 0)} | {(net.router_of(h), h) for h in hosts}
    assert {(l.src, l.dst) for l in tree.links()} == downward and len(downward) == 126 + 64
    table = net.link_table()
    on_tree = {(str(u), str(v)) for u, v in downward}
    mask = [(s, d) in on_tree for s, d in zip(table.src, table.dst)]
    assert (table[mask].packets == 1).all() and (table[mask].bytes == size).all()
    off = table[[not m for m in mask]]
    assert len(off) == len(table) - len(downward) and (off.packets == 0).all() and (off.bytes == 0).all()
    assert table.drops.sum() == 0


def test_loss_on_a_tree_link_cuts_off_exactly_its_subtree():
    sim = Simulation(1)
    net = Network(sim, Topology.from_generator("balanced_tree", {"r": 2, "h": 2},
                                               overrides={(0, 1): {"loss": 1.0}}))
    got = []
    tree = shared_tree(net, 0, [3, 4, 5, 6], receiver=lambda p, link: got.append(link.dst))
    tree.send(Packet(100, Msg()))
    sim.run()
    assert sorted(got) == [5, 6]                      # 3 and 4 hang below 1
    assert net.link(0, 1).losses == 1 and net.link(1, 3).packets == 0


def test_failed_tree_link_drops_the_packet_in_flight():
    sim, net = chain(2, LinkSpec(delay="10ms"))
    got = []
    tree = shared_tree(net, 0, [2], receiver=lambda p, l: got.append(l.dst))
    tree.send(Packet(100, Msg()))
    sim.call_at(0.005, lambda: net.fail_link(0, 1))
    sim.run()
    assert got == [] and net.link(0, 1).drops == 1 and net.link(1, 2).packets == 0


def test_root_receiver_and_injection_inside_the_tree():
    sim, net = chain(3, LinkSpec(delay="1ms", bandwidth="1Mbps"))
    got = []
    receiver = lambda p, link: got.append((sim.now, None if link is None else link.dst))
    tree = shared_tree(net, 0, [0, 3], receiver=receiver)
    tree.send(Packet(125, Msg()))
    sim.run()
    assert got == [(0.0, None), (pytest.approx(3 * 0.002, abs=1e-12), 3)]
    got.clear()
    tree.send(Packet(125, Msg()), at=1)               # enters at router 1: only downstream copies
    sim.run()
    assert got == [(pytest.approx(sim.now, abs=1e-12), 3)] and sim.now == pytest.approx(0.006 + 0.004)


@pytest.mark.parametrize("ttl, reached", [(None, [0, 1, 2, 3]), (1, [0]), (2, [0, 1]), (3, [0, 1, 2])])
def test_ttl_each_forwarding_node_decrements_and_ttl_1_goes_no_further(ttl, reached):
    """Receivers on routers 0..3 of a chain; the root 0 forwards too (a router injecting a
    packet it received, as an RP does), so router j gets TTL ttl - j: a router that gets
    TTL 1 still hands it to its receiver but copies it onto no link. One new packet per
    forwarding router, none per link; the sender's packet is never changed."""
    sim, net = chain(3, LinkSpec(delay="1ms", bandwidth="1Mbps"))
    got = []
    tree = shared_tree(net, 0, [0, 1, 2, 3], receiver=lambda p, link: got.append((p.ttl, link)))
    packet = Packet(125, Msg(), ttl=ttl)
    tree.send(packet)
    sim.run()
    assert [ttl_seen for ttl_seen, _ in got] == [None if ttl is None else ttl - j for j in reached]
    assert [0 if link is None else link.dst for _, link in got] == reached   # the root's: no link
    assert net.ttl_drops == (0 if ttl is None else 1) and packet.ttl == ttl
    assert [net.link(j, j + 1).packets for j in range(3)] == [int(j + 1 in reached) for j in range(3)]


def test_a_ttl_source_tree_rooted_at_a_host_does_not_decrement_at_the_origin():
    sim, net = chain(1, LinkSpec())
    net.add_host("s", 0)
    got = []
    tree = source_tree(net, "s", [1], receiver=lambda p, link: got.append(p.ttl))
    tree.send(Packet(100, Msg(), ttl=2))                  # s -> 0 (TTL 2) -> 1 (TTL 1)
    sim.run()
    assert got == [1] and net.ttl_drops == 0


def test_graft_of_a_stale_link_makes_it_the_parent_again():
    """A Join arriving over a link the tree still has (stale state after a route change)
    must move the RPF parent back to it, or the node would accept copies from nowhere."""
    sim = Simulation(1)
    net = Network(sim, Topology.from_generator("cycle_graph", {"n": 4}))
    tree = MulticastTree(net, 0)
    tree.graft(0, 1)
    tree.graft(1, 2)
    tree.graft(0, 3)
    tree.graft(3, 2)                                      # 2 moved: its parent is now 3 -> 2
    assert tree.parent[2] is net.link(3, 2) and net.link(1, 2) in tree.out[1]
    assert tree.graft(1, 2) is True                       # back: the link was there, the parent not
    assert tree.parent[2] is net.link(1, 2)
    assert tree.graft(1, 2) is False
    tree.prune(3, 2)                                      # the old branch goes; 2 keeps its parent
    assert tree.parent[2] is net.link(1, 2)


def test_graft_prune_and_member_removal():
    sim, net = chain(3, LinkSpec())
    net.add_host("a", 2)
    net.add_host("b", 3)
    tree = shared_tree(net, 0, ["a", "b"], receiver=lambda p, l: None)
    assert {(l.src, l.dst) for l in tree.links()} == {(0, 1), (1, 2), (2, "a"), (2, 3), (3, "b")}
    assert tree.graft(0, 1) is False and tree.prune(3, 2) is False
    tree.remove_member("b")                           # prunes b's branch up to the branch point 2
    assert {(l.src, l.dst) for l in tree.links()} == {(0, 1), (1, 2), (2, "a")}
    assert not tree.on_tree(3) and tree.on_tree(2) and tree.on_tree(0)
    tree.remove_member("a")
    assert tree.links() == [] and tree.out == {} and tree.parent == {}


def test_tree_errors():
    sim, net = chain(1, LinkSpec())
    with pytest.raises(TopologyError, match="9"):
        MulticastTree(net, 9)
    with pytest.raises(TopologyError, match="allowed"):
        MulticastTree(net, 0, "sideways")
    with pytest.raises(TopologyError):
        MulticastTree(net, 0).graft(0, 5)
    net.fail_link(0, 1)
    assert shared_tree(net, 0).add_member(1) is False


def check_tree(tree, members):
    """Every on-tree node has one parent; following parents reaches the root without a
    loop; every branch ends at a member (nothing dangling)."""
    parents = {}
    for link in tree.links():
        assert link.dst not in parents, f"{link.dst} has two parents"
        parents[link.dst] = link.src
    assert tree.root not in parents
    for node in parents:
        seen = {node}
        while node != tree.root:
            node = parents[node]
            assert node not in seen, "loop"
            seen.add(node)
    leaves = set(parents) - set(parents.values())
    assert leaves <= set(members)
    assert set(members) - {tree.root} <= set(parents)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), direction=st.sampled_from(["shared", "source"]),
       ops=st.lists(st.tuples(st.booleans(), st.integers(0, 19)), min_size=1, max_size=30))
def test_trees_span_their_members_without_loops_and_deliver_once(seed, direction, ops):
    """Random joins and leaves on a random connected graph of 20 routers; then one packet
    reaches each member exactly once and crosses each tree link exactly once."""
    topo = Topology.from_generator("connected_watts_strogatz_graph", {"n": 20, "k": 4, "p": 0.3},
                                   seed=seed, links=LinkSpec(delay="1ms"))
    sim = Simulation(seed)
    net = Network(sim, topo)
    got = []
    make = shared_tree if direction == "shared" else source_tree
    tree = make(net, 0)
    members = set()
    for join, node in ops:
        if join:
            assert tree.add_member(node, lambda p, link, node=node: got.append(node))
            members.add(node)
        else:
            tree.remove_member(node)
            members.discard(node)
    check_tree(tree, members)
    tree.send(Packet(100, Msg()))
    sim.run()
    assert sorted(got) == sorted(members)
    links = tree.links()
    assert all(l.packets == 1 for l in links)
    assert sum(l.packets for l in net.links.values()) == len(links)


def test_rpf_check_drops_copies_from_a_stale_upstream_so_state_cannot_loop():
    """Grafting a node from a second upstream makes that its parent; copies still arriving
    from the old one are dropped (as a router's RPF check does), so a loop in the state
    cannot circulate packets."""
    from mpsim.core import Simulation
    from mpsim.net import LinkSpec, MulticastTree, Network, Packet, Topology

    sim = Simulation(1)
    net = Network(sim, Topology.from_generator("cycle_graph", {"n": 3},
                                               links=LinkSpec(delay="1ms", queue=None)))
    tree = MulticastTree(net, 0)
    got = []
    tree.graft(0, 1)
    tree.graft(1, 2)
    tree.graft(2, 1)                       # 1 now takes the group from 2: a loop 1 -> 2 -> 1
    tree.subscribe(2, lambda packet, link: got.append(sim.now))
    tree.send(Packet(100))
    sim.run(10.0)
    assert got == []                       # 0 -> 1 is no longer 1's upstream: dropped at 1
    assert net.link(0, 1).drops == 1
    assert net.link(1, 2).packets == 0 and net.link(2, 1).packets == 0
