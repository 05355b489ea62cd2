"""Topologies from generators and files, per-edge overrides, and their errors."""

import networkx as nx
import pytest

from mpsim.core import Simulation
from mpsim.core.errors import ParameterError, TopologyError
from mpsim.net import LinkSpec, Network, Topology, generator_names

SPEC = LinkSpec(delay="1ms", bandwidth="10Mbps", queue=8)


def test_from_generator_builds_the_graph():
    topo = Topology.from_generator("balanced_tree", {"r": 2, "h": 3}, links=SPEC)
    assert topo.graph.number_of_nodes() == 15 and topo.graph.number_of_edges() == 14
    assert topo.spec(0, 1) is SPEC and topo.spec(1, 0) is SPEC


def test_random_generators_take_the_seed():
    def edges(seed):
        return sorted(Topology.from_generator("gnp_random_graph", {"n": 30, "p": 0.2}, seed=seed).graph.edges)
    assert edges(1) == edges(1)
    assert edges(1) != edges(2)
    explicit = Topology.from_generator("gnp_random_graph", {"n": 30, "p": 0.2, "seed": 2}, seed=1)
    assert sorted(explicit.graph.edges) == edges(2)       # params win over the keyword


def test_tuple_labelled_generator_gets_int_labels():
    topo = Topology.from_generator("grid_2d_graph", {"m": 3, "n": 3})
    assert sorted(topo.nodes) == list(range(9))
    labels = nx.get_node_attributes(topo.graph, "label")
    assert sorted(labels.values()) == [(i, j) for i in range(3) for j in range(3)]
    # adjacency is preserved: labels of neighbours differ by one step on the grid
    for u, v in topo.graph.edges:
        (a, b), (c, d) = labels[u], labels[v]
        assert abs(a - c) + abs(b - d) == 1
    net = Network(Simulation(), topo)
    corner = {labels[n]: n for n in topo.nodes}
    assert len(net.routing.path(corner[(0, 0)], corner[(2, 2)])) == 5


def test_graph_is_made_simple():
    graph = nx.MultiGraph()
    graph.add_edges_from([(0, 1), (0, 1), (1, 1), (1, 2)])
    topo = Topology(graph)
    assert isinstance(topo.graph, nx.Graph) and not topo.graph.is_multigraph()
    assert sorted(topo.graph.edges) == [(0, 1), (1, 2)]


def test_overrides_apply_to_both_directions_and_only_their_edge():
    topo = Topology.from_generator("path_graph", {"n": 4}, links=SPEC,
                                   overrides={(2, 1): {"delay": "5ms", "loss": 0.1},
                                              (2, 3): LinkSpec(bandwidth="1Mbps")})
    assert topo.spec(1, 2).delay.mean == 0.005 and topo.spec(2, 1).loss.rate == 0.1
    assert topo.spec(1, 2).bandwidth == 10e6 and topo.spec(1, 2).queue == 8   # the rest from the defaults
    assert topo.spec(3, 2).bandwidth == 1e6
    assert topo.spec(0, 1) is SPEC
    net = Network(Simulation(), topo)
    assert net.link(1, 2).spec.delay.mean == net.link(2, 1).spec.delay.mean == 0.005


def test_from_graphml_with_link_attributes(tmp_path):
    graph = nx.Graph()
    graph.add_edge("a", "b", delay="5ms", bandwidth="2Mbps", queue=3, loss=0.25)
    graph.add_edge("b", "c")
    path = tmp_path / "net.graphml"
    nx.write_graphml(graph, path)
    topo = Topology.from_file(path, links=SPEC)
    assert sorted(topo.nodes) == ["a", "b", "c"]
    spec = topo.spec("b", "a")
    assert (spec.delay.mean, spec.bandwidth, spec.queue, spec.loss.rate) == (0.005, 2e6, 3, 0.25)
    assert topo.spec("b", "c") is SPEC
    net = Network(Simulation(), topo)
    assert net.routing.path("a", "c") == ["a", "b", "c"]


@pytest.mark.parametrize("suffix", [".edgelist", ".edges", ".txt"])
def test_from_edge_list(tmp_path, suffix):
    path = tmp_path / f"net{suffix}"
    path.write_text("r1 r2 {'delay': '4ms'}\nr2 r3 {}\nr3 r1 {'queue': 2}\n")
    topo = Topology.from_file(path, links=SPEC)
    assert sorted(topo.nodes) == ["r1", "r2", "r3"]
    assert topo.spec("r2", "r1").delay.mean == 0.004 and topo.spec("r1", "r3").queue == 2
    assert topo.spec("r2", "r3") is SPEC


def test_from_gml(tmp_path):
    path = tmp_path / "net.gml"
    graph = nx.Graph()
    graph.add_edge("x", "y", delay="3ms")
    nx.write_gml(graph, path)
    assert Topology.from_file(path).spec("x", "y").delay.mean == 0.003


@pytest.mark.parametrize("name,text,fragment", [
    ("net.json", "{}", "unknown extension"),
    ("missing.graphml", None, "does not exist"),
    ("bad.graphml", "<not graphml", "could not be read"),
])
def test_from_file_errors(tmp_path, name, text, fragment):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(TopologyError) as info:
        Topology.from_file(path)
    assert repr(str(path)) in str(info.value) and fragment in str(info.value)


def test_bad_link_attribute_in_a_file_is_a_parameter_error(tmp_path):
    path = tmp_path / "net.edgelist"
    path.write_text("a b {'delay': '2 parsecs'}\n")
    with pytest.raises(ParameterError, match="'2 parsecs'"):
        Topology.from_file(path)


def test_generator_errors():
    with pytest.raises(TopologyError, match="failed"):
        Topology.from_generator("balanced_tree", {"r": 2})            # h missing
    with pytest.raises(TopologyError, match="no nodes"):
        Topology.from_generator("empty_graph", {"n": 0})
    with pytest.raises(TopologyError, match="not a networkx graph generator"):
        Topology.from_generator("read_graphml", {"path": "x"})        # a networkx function, not a generator


def test_generator_names():
    names = generator_names()
    assert {"balanced_tree", "path_graph", "grid_2d_graph", "barabasi_albert_graph"} <= set(names)
    assert list(names) == sorted(names)


def test_check_node_and_edge():
    topo = Topology.from_generator("path_graph", {"n": 3})
    assert topo.check_node(2) == 2 and topo.has_node(0) and not topo.has_node(5)
    with pytest.raises(TopologyError) as info:
        topo.check_node(5)
    assert "5" in str(info.value) and "allowed" in str(info.value)
    with pytest.raises(TopologyError, match="not a pair"):
        Topology.from_generator("path_graph", {"n": 3}, overrides={(0, 1, 2): {"delay": "1ms"}})
