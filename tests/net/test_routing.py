"""Unicast routing: shortest paths, the stable tie-break (earliest neighbour in node order,
whatever the edge insertion order), rerouting on failure and recovery, unreachability."""

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpsim.core import Simulation
from mpsim.core.errors import ParameterError
from mpsim.net import LinkSpec, Network, Topology

SPEC = LinkSpec(delay="1ms", bandwidth="10Mbps")


def network(nodes, edges, weight="delay", spec=SPEC, overrides=None):
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    return Network(Simulation(), Topology(graph, spec, overrides), routing_weight=weight)


def expected_path(graph, rank, source, destination):
    """The rule, computed independently: at each node step to the neighbour that is one
    hop closer to the destination and earliest in the node order."""
    dist = nx.single_source_shortest_path_length(graph, destination)
    if source not in dist:
        return None
    path = [source]
    while path[-1] != destination:
        here = path[-1]
        closer = [v for v in graph[here] if dist.get(v) == dist[here] - 1]
        path.append(min(closer, key=rank.__getitem__))
    return path


GRID = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 4), ordering="sorted")
CYCLE = nx.cycle_graph(6)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), which=st.sampled_from(["grid", "cycle"]), weight=st.sampled_from(["delay", "hops"]))
def test_ties_broken_by_node_order_whatever_the_edge_order(data, which, weight):
    base = GRID if which == "grid" else CYCLE
    nodes = list(base.nodes)
    edges = data.draw(st.permutations(list(base.edges)))
    edges = [e if data.draw(st.booleans()) else e[::-1] for e in edges]   # either orientation
    net = network(nodes, edges, weight)
    rank = {n: i for i, n in enumerate(nodes)}
    for source in nodes:
        for destination in nodes:
            assert net.routing.path(source, destination) == expected_path(base, rank, source, destination)


def test_node_order_decides_between_equal_paths():
    edges = [(0, 1), (1, 2), (2, 3), (3, 0)]
    assert network([0, 1, 2, 3], edges).routing.path(0, 2) == [0, 1, 2]
    assert network([0, 3, 2, 1], edges).routing.path(0, 2) == [0, 3, 2]


def test_weights_delay_hops_and_callable():
    overrides = {(0, 2): {"delay": "10ms"}}
    triangle = [(0, 1), (1, 2), (0, 2)]
    by_delay = network([0, 1, 2], triangle, overrides=overrides)
    assert by_delay.routing.path(0, 2) == [0, 1, 2]
    assert by_delay.routing.distance(0, 2) == pytest.approx(0.002)
    by_hops = network([0, 1, 2], triangle, "hops", overrides=overrides)
    assert by_hops.routing.path(0, 2) == [0, 2] and by_hops.routing.distance(0, 2) == 1.0
    custom = network([0, 1, 2], triangle, lambda link: 5.0 if {link.src, link.dst} == {0, 2} else 1.0)
    assert custom.routing.path(0, 2) == [0, 1, 2] and custom.routing.distance(2, 0) == 2.0


def test_bad_weight():
    with pytest.raises(ParameterError) as info:
        network([0, 1], [(0, 1)], "latency")
    assert "'latency'" in str(info.value) and "allowed" in str(info.value)


def test_reroute_after_fail_link_and_back_after_recover():
    net = network(range(4), [(0, 1), (1, 2), (2, 3), (3, 0)])
    routing = net.routing
    assert routing.path(0, 2) == [0, 1, 2] and routing.next_hop(0, 2) == 1
    net.fail_link(1, 0)
    assert routing.path(0, 2) == [0, 3, 2] and routing.next_hop(0, 2) == 3
    assert routing.path(1, 0) == [1, 2, 3, 0]
    net.recover_link(0, 1)
    assert routing.path(0, 2) == [0, 1, 2] and routing.path(1, 0) == [1, 0]


def test_reroute_around_a_failed_node():
    net = network(range(4), [(0, 1), (1, 2), (2, 3), (3, 0)])
    net.fail_node(1)
    assert net.routing.path(0, 2) == [0, 3, 2]
    assert net.routing.path(0, 1) is None
    net.recover_node(1)
    assert net.routing.path(0, 2) == [0, 1, 2]


def test_unreachable_is_none():
    net = network(range(4), [(0, 1), (1, 2), (2, 3)])
    net.fail_link(1, 2)
    routing = net.routing
    assert routing.path(0, 3) is None and routing.next_hop(0, 3) is None
    assert routing.distance(0, 3) is None and not routing.reachable(0, 3)
    assert routing.path(2, 3) == [2, 3] and routing.reachable(3, 2)
    assert routing.next_hop(3, 3) == 3 and routing.distance(3, 3) == 0.0 and routing.path(3, 3) == [3]


def test_disconnected_topology():
    net = network(range(4), [(0, 1), (2, 3)])
    assert net.routing.path(0, 3) is None and net.routing.path(3, 2) == [3, 2]


def test_hosts_are_routed_through_their_router():
    net = network(range(3), [(0, 1), (1, 2)])
    net.add_host("a", 0)
    net.add_host("b", 2)
    assert net.routing.path("a", "b") == ["a", 0, 1, 2, "b"]
    assert net.routing.distance("a", "b") == pytest.approx(0.004)
