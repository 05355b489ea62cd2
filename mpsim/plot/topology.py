"""A topology: routers and hosts, a multicast tree, the load on each link."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from mpsim.plot.style import OKABE_ITO, figure, save, style

#: Label every router up to this many routers, hosts up to this many hosts.
MAX_ROUTER_LABELS = 60
MAX_HOST_LABELS = 30
#: Draw hosts up to this many; beyond, routers with hosts are filled instead.
MAX_DRAWN_HOSTS = 300
LOAD_CMAP = "viridis"


def _router_layout(graph: nx.Graph, seed: int) -> dict:
    """Positions of the routers: a layered drawing for a tree, Kamada–Kawai for small
    graphs (when scipy is there), else a seeded spring layout; scaled into [-1, 1]²."""
    n = graph.number_of_nodes()
    if n == 0:
        return {}
    if n == 1:
        return {next(iter(graph.nodes)): np.zeros(2)}
    nodes = sorted(graph.nodes, key=str)
    if nx.is_tree(graph) and n <= 200:
        pos = _tree_layout(graph, nx.center(graph)[0])
    else:
        pos = None
        if n <= 300:
            try:
                import scipy  # noqa: F401  (kamada_kawai_layout needs it)
                start = nx.circular_layout(nodes)
                pos = nx.kamada_kawai_layout(graph, pos=start)
            except ImportError:                                    # pragma: no cover
                pos = None
        if pos is None:
            pos = nx.spring_layout(graph, seed=seed, iterations=100 if n <= 500 else 50)
    coords = np.array(list(pos.values()), dtype=float)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    scale = np.where(hi - lo > 0, hi - lo, 1.0)
    return {node: 2 * (np.asarray(p) - lo) / scale - 1 for node, p in pos.items()}


def _tree_layout(tree: nx.Graph, root) -> dict:
    """Layered drawing of a tree: depth downward, leaves spread evenly, parents centred."""
    order = {n: i for i, n in enumerate(sorted(tree.nodes, key=str))}
    children = {n: sorted((c for c in tree.neighbors(n)), key=order.get) for n in tree}
    depth = {root: 0}
    parent = {root: None}
    queue = [root]
    for node in queue:
        for c in children[node]:
            if c not in depth:
                depth[c], parent[c] = depth[node] + 1, node
                queue.append(c)
    x: dict = {}
    next_leaf = [0.0]

    def place(node):
        kids = [c for c in children[node] if parent.get(c) == node]
        if not kids:
            x[node] = next_leaf[0]
            next_leaf[0] += 1
        else:
            for c in kids:
                place(c)
            x[node] = (x[kids[0]] + x[kids[-1]]) / 2

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * tree.number_of_nodes() + 100))
    try:
        place(root)
    finally:
        sys.setrecursionlimit(limit)
    return {n: (x[n], -depth[n]) for n in tree}


def _host_positions(hosts: dict, router_pos: dict, in_per_unit: float, router_in: float,
                    host_in: float) -> dict:
    """Hosts fanned out around their router, away from the centre of the drawing, just
    clear of the router's circle and of each other (sizes in inches)."""
    centre = np.mean(np.array(list(router_pos.values())), axis=0) if router_pos else np.zeros(2)
    by_router: dict = {}
    for host, router in hosts.items():
        by_router.setdefault(router, []).append(host)
    pos = {}
    gap = host_in + 0.03
    for router, names in by_router.items():
        base = np.asarray(router_pos.get(router, centre), dtype=float)
        out = base - centre
        angle = math.atan2(out[1], out[0]) if np.hypot(*out) > 1e-9 else -math.pi / 2
        k = len(names)
        radius = max(router_in / 2 + host_in / 2 + 0.04, k * gap / (1.6 * math.pi))
        step = gap / radius
        fan = step * (k - 1)
        for i, name in enumerate(sorted(names, key=str)):
            a = angle + (i * step - fan / 2)
            pos[name] = base + radius / in_per_unit * np.array([math.cos(a), math.sin(a)])
    return pos


def _reading_angle(direction) -> float:
    """The angle (degrees) of ``direction``, turned to read left to right."""
    angle = math.degrees(math.atan2(direction[1], direction[0]))
    return angle - 180 if angle > 90 else (angle + 180 if angle < -90 else angle)


def _spacing(pos: dict) -> float:
    """A typical distance between neighbouring nodes of the drawing."""
    coords = np.array(list(pos.values()), dtype=float)
    if len(coords) < 2:
        return 0.5
    d = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)) if len(coords) <= 2000 else None
    if d is None:
        return 2.0 / math.sqrt(len(coords))
    np.fill_diagonal(d, np.inf)
    return float(np.median(d.min(axis=1)))


def _edge_loads(links: pd.DataFrame | None):
    """{frozenset(u, v) as text: load} (the busier direction) and the load's name."""
    if links is None or len(links) == 0:
        return {}, None
    column = "utilization" if "utilization" in links else "packets"
    loads: dict = {}
    for s, d, v in zip(links["src"], links["dst"], pd.to_numeric(links[column], errors="coerce")):
        key = frozenset((str(s), str(d)))
        if v == v:
            loads[key] = max(loads.get(key, 0.0), float(v))
    return loads, column


def topology(graph: nx.Graph, path, hosts=None, tree_links=None, links: pd.DataFrame | None = None,
             format=None, title: str = "Topology", seed: int = 1):
    """Draw a network: routers as circles, hosts as small squares, a multicast tree
    highlighted, link load as edge colour and width.

    Parameters
    ----------
    graph : networkx.Graph
        The routers and their links; may also hold the hosts as nodes with an edge to
        their router.
    path : path-like
        Where to write.
    hosts : iterable of node names, or mapping host -> router, optional
        Which nodes are hosts (a mapping also attaches hosts that are not in ``graph``).
        Hosts are drawn fanned out around their router (names up to 30 hosts); beyond
        300 hosts they are not drawn and the routers that have hosts are filled.
    tree_links : iterable of (u, v), optional
        Links of a multicast distribution tree, drawn over a wide pink band.
    links : DataFrame, optional
        The links table: the busier direction of each link sets its colour and width
        (``utilization`` in %, else ``packets``), with a colour bar.
    seed : int
        Seed of the spring layout used for large non-tree graphs (the drawing is
        deterministic for a given graph and seed).

    Returns
    -------
    pathlib.Path
    """
    graph = nx.Graph(graph)
    host_of: dict = {}
    if hosts is not None:
        if isinstance(hosts, dict):
            for host, router in hosts.items():
                graph.add_edge(host, router)
        for host in hosts:
            neighbours = [n for n in graph.neighbors(host)] if host in graph else []
            if neighbours:
                host_of[host] = neighbours[0]
    routers = graph.subgraph([n for n in graph.nodes if n not in host_of]).copy()
    pos = _router_layout(routers, seed)
    n = routers.number_of_nodes()
    size = 10.0 if n <= 60 else 12.0
    # Sizes in inches from the room the layout leaves between neighbouring routers.
    in_per_unit = min(0.8 * size, 0.72 * size * 0.78) / 2.5
    spacing_in = _spacing(pos) * in_per_unit
    router_in = min(0.3, max(0.06, 0.42 * spacing_in))
    host_in = min(0.13, max(0.04, 0.45 * router_in))
    node_size = (router_in * 72) ** 2
    draw_hosts = len(host_of) <= MAX_DRAWN_HOSTS
    with_hosts = set(host_of.values())
    if draw_hosts:
        pos.update(_host_positions(host_of, pos, in_per_unit, router_in, host_in))
    loads, load_name = _edge_loads(links)
    tree = {frozenset((str(u), str(v))) for u, v in (tree_links or [])}

    with style():
        fig = figure(size, size * 0.78)
        ax = fig.add_subplot()
        fig.suptitle(title)
        ax.set_aspect("equal")
        ax.axis("off")
        edges = [(u, v) for u, v in graph.edges if draw_hosts or (u not in host_of and v not in host_of)]
        keys = [frozenset((str(u), str(v))) for u, v in edges]
        segments = [(pos[u], pos[v]) for u, v in edges]
        tree_segments = [seg for seg, key in zip(segments, keys) if key in tree]
        if tree_segments:
            for a, b in tree_segments:
                ax.plot([a[0], b[0]], [a[1], b[1]], color=OKABE_ITO["reddish_purple"], linewidth=10, alpha=0.5,
                        solid_capstyle="round", zorder=1)
        values = np.array([loads.get(k, np.nan) for k in keys], dtype=float)
        mappable = None
        if load_name is not None and np.isfinite(values).any():
            scale = 100.0 if load_name == "utilization" else 1.0
            shown = values * scale
            top = np.nanmax(shown) if np.nanmax(shown) > 0 else 1.0
            norm = Normalize(0, top)
            cmap = colormaps[LOAD_CMAP]
            for (a, b), v in zip(segments, shown):
                if np.isfinite(v):
                    ax.plot([a[0], b[0]], [a[1], b[1]], color=cmap(norm(v)), linewidth=1 + 4 * norm(v),
                            zorder=2, solid_capstyle="round")
                else:
                    ax.plot([a[0], b[0]], [a[1], b[1]], color="#bbbbbb", linewidth=0.8, zorder=2)
            mappable = ScalarMappable(norm=norm, cmap=cmap)
        else:
            for a, b in segments:
                ax.plot([a[0], b[0]], [a[1], b[1]], color="#888888", linewidth=1.0, zorder=2)
        router_xy = np.array([pos[r] for r in routers.nodes]) if n else np.zeros((0, 2))
        fill = ["#f6c9a8" if (not draw_hosts and r in with_hosts) else "white" for r in routers.nodes]
        ax.scatter(router_xy[:, 0], router_xy[:, 1], s=node_size, c=fill, edgecolors=OKABE_ITO["blue"],
                   linewidths=1.5 if router_in > 0.12 else 0.8, zorder=3)
        if host_of and draw_hosts:
            host_xy = np.array([pos[h] for h in host_of])
            ax.scatter(host_xy[:, 0], host_xy[:, 1], s=(host_in * 72) ** 2, marker="s",
                       c=OKABE_ITO["vermillion"], edgecolors="black", linewidths=0.5, zorder=3)
        if n <= MAX_ROUTER_LABELS and router_in >= 0.18:
            for r in routers.nodes:
                ax.text(*pos[r], str(r), ha="center", va="center", fontsize=9, zorder=4)
        if 0 < len(host_of) <= MAX_HOST_LABELS:
            for h, router in host_of.items():
                out = np.asarray(pos[h]) - np.asarray(pos[router])
                out = out / (np.hypot(*out) or 1.0)       # the label continues away from the router
                xy = np.asarray(pos[h]) + (host_in * 0.8 / in_per_unit) * out
                ax.text(*xy, str(h), fontsize=9, zorder=4, color="#333333", rotation_mode="anchor",
                        rotation=_reading_angle(out), ha="left" if out[0] >= 0 else "right", va="center")
        ax.margins(0.12 if 0 < len(host_of) <= MAX_HOST_LABELS else 0.06)
        handles = [Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
                          markeredgecolor=OKABE_ITO["blue"], markersize=10, label=f"router ({n})")]
        if host_of and draw_hosts:
            handles.append(Line2D([], [], marker="s", linestyle="none", markerfacecolor=OKABE_ITO["vermillion"],
                                  markeredgecolor="black", markersize=7, label=f"host ({len(host_of)})"))
        elif host_of:
            handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="#f6c9a8",
                                  markeredgecolor=OKABE_ITO["blue"], markersize=10,
                                  label=f"router with hosts ({len(host_of)} hosts, not drawn)"))
        if tree_segments:
            handles.append(Line2D([], [], color=OKABE_ITO["reddish_purple"], linewidth=8, alpha=0.5,
                                  label="multicast tree link"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
        if mappable is not None:
            label = "link utilization, busier direction (%)" if load_name == "utilization" else \
                "packets on the link, busier direction"
            fig.colorbar(mappable, ax=ax, shrink=0.6, label=label)
        return save(fig, path, format)
