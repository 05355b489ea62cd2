"""The topology: a networkx graph of routers with a ``LinkSpec`` for every edge.

Build it from any networkx generator by name (``balanced_tree`` with ``{r: 2,
h: 3}``) or from a GraphML, GML or edge-list file. Edges are links in both
directions; every link has the default spec unless an override names its edge.
Graph-file edges may carry ``delay``, ``bandwidth``, ``queue`` and ``loss``
attributes, which are read as overrides.

No topology may eat the machine (``mpsim.core.limits``): a generator's node and
edge counts are estimated from its parameters and refused over ``topology_nodes``
/ ``topology_edges`` before it runs (``estimate_size``); its retry counts are
bounded by ``generator_tries``; it runs under a wall-time budget
(``generator_seconds``); and the graph it returns, or the one a file holds (whose
size is checked against ``graph_file_bytes`` first), is counted again.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import networkx as nx

from mpsim.core import limits
from mpsim.core.errors import MpsimError, TopologyError
from mpsim.net.budget import (BudgetError, call_text, check_generator_budget, check_graph_size,
                              generator_names, wall_time_budget)
from mpsim.net.link import LinkSpec

_FILE_READERS = {
    ".graphml": nx.read_graphml,
    ".gml": lambda path: nx.read_gml(path, label="label"),
    ".edgelist": lambda path: nx.read_edgelist(path, data=True),
    ".edges": lambda path: nx.read_edgelist(path, data=True),
    ".txt": lambda path: nx.read_edgelist(path, data=True),
}
LINK_ATTRIBUTES = ("delay", "bandwidth", "queue", "loss")


def _simple_graph(graph) -> nx.Graph:
    """An undirected simple graph with int or str node ids (others relabelled to ints,
    the original kept as the ``label`` node attribute)."""
    if not isinstance(graph, nx.Graph):
        raise TopologyError(f"the generator returned {type(graph).__name__}, not a graph")
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes(data=True))
    simple.add_edges_from((u, v, d) for u, v, d in graph.edges(data=True) if u != v)
    if simple.number_of_nodes() == 0:
        raise TopologyError("the topology has no nodes")
    if not all(isinstance(n, (int, str)) and not isinstance(n, bool) for n in simple):
        simple = nx.convert_node_labels_to_integers(simple, label_attribute="label")
    return simple


def _ensure_graph_edge(graph: nx.Graph, edge) -> tuple:
    try:
        u, v = edge
    except (TypeError, ValueError):
        raise TopologyError(f"edge {edge!r} is not a pair of nodes") from None
    if not graph.has_edge(u, v):
        raise TopologyError(f"edge {edge!r} is not a link of the topology; allowed: a pair of "
                            "adjacent nodes, e.g. " + (repr(list(next(iter(graph.edges)))) if graph.number_of_edges() else "none (no edges)"))
    return u, v


class Topology:
    """Routers and links.

    Parameters
    ----------
    graph : networkx.Graph
        The router graph (made simple and undirected).
    links : LinkSpec
        Defaults for every link.
    overrides : mapping of (u, v) -> dict or LinkSpec
        Per-edge attributes (both directions), changed from the defaults.
    """

    def __init__(self, graph: nx.Graph, links: LinkSpec | None = None, overrides=None):
        self.graph = _simple_graph(graph)
        self.defaults = links if links is not None else LinkSpec()
        self._specs: dict[frozenset, LinkSpec] = {}
        for u, v, data in self.graph.edges(data=True):
            from_file = {k: data[k] for k in LINK_ATTRIBUTES if k in data}
            if from_file:
                self._set(u, v, from_file)
        for edge, changes in (overrides or {}).items():
            u, v = _ensure_graph_edge(self.graph, edge)
            self._set(u, v, changes)

    def _set(self, u, v, changes) -> None:
        if isinstance(changes, LinkSpec):
            spec = changes
        else:
            spec = self._specs.get(frozenset((u, v)), self.defaults).with_(**dict(changes))
        self._specs[frozenset((u, v))] = spec

    @classmethod
    def from_generator(cls, name: str, params: dict | None = None, *, seed: int = 0,
                       links: LinkSpec | None = None, overrides=None) -> "Topology":
        """A topology from networkx generator ``name`` called with ``params``; a
        generator that takes ``seed`` gets the one given, so it is reproducible."""
        fn = getattr(nx, name, None) if isinstance(name, str) else None
        if fn is None or name not in generator_names():
            raise TopologyError(f"generator {name!r} is not a networkx graph generator; allowed: "
                                "a name from networkx.generators such as balanced_tree, path_graph, "
                                "grid_2d_graph, barabasi_albert_graph, random_internet_as_graph")
        params = dict(params or {})
        check_generator_budget(name, params)
        if "seed" in inspect.signature(fn).parameters and "seed" not in params:
            params["seed"] = seed
        call = call_text(name, params)
        try:
            with wall_time_budget(limits.get("generator_seconds"), f"generator {call}"):
                graph = fn(**params)
        except MpsimError:
            raise
        except Exception as exc:  # networkx reports bad parameters in many ways
            reason = str(exc) if len(str(exc)) <= 300 else str(exc)[:297] + "..."
            raise TopologyError(f"generator {call} failed: {reason}") from None
        check_graph_size(graph, call)
        return cls(graph, links, overrides)

    @classmethod
    def from_file(cls, path, *, links: LinkSpec | None = None, overrides=None) -> "Topology":
        """A topology read from a GraphML, GML or edge-list file (node ids are strings)."""
        path = Path(path)
        reader = _FILE_READERS.get(path.suffix.lower())
        if reader is None:
            raise TopologyError(f"graph file {str(path)!r} has an unknown extension; allowed: "
                                + ", ".join(_FILE_READERS))
        if not path.is_file():
            raise TopologyError(f"graph file {str(path)!r} does not exist")
        size = path.stat().st_size
        if size > limits.get("graph_file_bytes"):
            raise BudgetError(limits.exceeded("graph_file_bytes", size, f"graph file {str(path)!r}"))
        try:
            with wall_time_budget(limits.get("generator_seconds"), f"reading graph file {str(path)!r}"):
                graph = reader(path)
        except MpsimError:
            raise
        except Exception as exc:
            raise TopologyError(f"graph file {str(path)!r} could not be read: {exc}") from None
        check_graph_size(graph, f"graph file {str(path)!r}")
        return cls(graph, links, overrides)

    @property
    def nodes(self) -> list:
        return list(self.graph.nodes)

    def has_node(self, node) -> bool:
        return node in self.graph

    def check_node(self, node):
        """``node`` if the topology has it, else a ``TopologyError`` saying what is allowed."""
        if node not in self.graph:
            sample = list(self.graph.nodes)[:5]
            raise TopologyError(f"node {node!r} is not in the topology; allowed: one of its "
                                f"{self.graph.number_of_nodes()} nodes, e.g. {sample}")
        return node

    def check_edge(self, u, v) -> tuple:
        return _ensure_graph_edge(self.graph, (u, v))

    def spec(self, u, v) -> LinkSpec:
        """The spec of the link between ``u`` and ``v`` (either direction)."""
        self.check_edge(u, v)
        return self._specs.get(frozenset((u, v)), self.defaults)
