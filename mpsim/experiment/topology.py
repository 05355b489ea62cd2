"""``mpsim topo``: a topology's picture and a few numbers about it."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from mpsim.net import Topology


def describe_topology(source, output) -> str:
    """Draw the topology of a scenario (with its hosts) or of a graph file into ``output``."""
    source = Path(source)
    hosts = {}
    if source.suffix.lower() in (".yaml", ".yml"):
        from mpsim.scenario import load_plan
        plan = load_plan(source)
        topology = plan.topology
        hosts = {name: node for name, (node, _spec) in plan.hosts.items()}
    else:
        topology = Topology.from_file(source)
    graph = topology.graph.copy()
    for name, node in hosts.items():
        graph.add_edge(name, node)
    from mpsim.plot import topology as draw
    suffix = Path(output).suffix.lower().lstrip(".") or "png"
    draw(graph, output, hosts=list(hosts), format=suffix if suffix in ("png", "svg") else "png")
    g = topology.graph
    parts = [f"{g.number_of_nodes()} routers, {g.number_of_edges()} links, {len(hosts)} hosts",
             f"connected: {nx.is_connected(g)}"]
    if nx.is_connected(g) and g.number_of_nodes() <= 5000:
        parts.append(f"diameter {nx.diameter(g)} hops")
    degrees = [d for _, d in g.degree]
    parts.append(f"degree min/mean/max {min(degrees)}/{sum(degrees) / len(degrees):.2f}/{max(degrees)}")
    return "; ".join(parts) + f"\nwrote {output}"
