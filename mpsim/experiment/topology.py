"""``mpsim topo``: a topology's picture and a few numbers about it."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from mpsim.net import Topology


def describe_topology(source, output, run_dir=None) -> str:
    """Draw the topology of a scenario (with its hosts) or of a graph file into ``output``;
    with ``run_dir`` (a run's output folder) also its link load and multicast trees."""
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
    links = tree_links = None
    if run_dir is not None:
        from mpsim.experiment.figures import read_table
        run_dir = Path(run_dir)
        names = {str(n): n for n in graph.nodes}
        links = read_table(run_dir / "links.csv", dtype={"src": str, "dst": str})
        links["src"] = links.src.map(lambda x: names.get(x, x))
        links["dst"] = links.dst.map(lambda x: names.get(x, x))
        if (run_dir / "trees.csv").is_file():
            trees = read_table(run_dir / "trees.csv", dtype={"src": str, "dst": str})
            tree_links = [(names.get(a, a), names.get(b, b))
                          for a, b in zip(trees.src, trees.dst, strict=True)]
    draw(graph, output, hosts=list(hosts), tree_links=tree_links, links=links,
         format=suffix if suffix in ("png", "svg") else "png")
    g = topology.graph
    parts = [f"{g.number_of_nodes()} routers, {g.number_of_edges()} links, {len(hosts)} hosts",
             f"connected: {nx.is_connected(g)}"]
    if nx.is_connected(g) and g.number_of_nodes() <= 5000:
        parts.append(f"diameter {nx.diameter(g)} hops")
    degrees = [d for _, d in g.degree]
    parts.append(f"degree min/mean/max {min(degrees)}/{sum(degrees) / len(degrees):.2f}/{max(degrees)}")
    return "; ".join(parts) + f"\nwrote {output}"
