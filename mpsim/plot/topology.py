"""A topology: routers and hosts, a multicast tree, the load on each link."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    values = pd.to_numeric(links[column], errors="coerce")
    for s, d, v in zip(links["src"], links["dst"], values, strict=True):
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
    layout = _layout(graph, hosts, seed)
    loads, load_name = _edge_loads(links)
    tree = {frozenset((str(u), str(v))) for u, v in (tree_links or [])}
    with style():
        fig = figure(layout.size, layout.size * 0.78)
        ax = fig.add_subplot()
        fig.suptitle(title)
        ax.set_aspect("equal")
        ax.axis("off")
        keys, segments = _drawn_links(layout)
        in_tree = [seg for seg, key in zip(segments, keys, strict=True) if key in tree]
        tree_drawn = _draw_tree(ax, in_tree)
        values = np.array([loads.get(k, np.nan) for k in keys], dtype=float)
        mappable = _draw_links(ax, segments, values, load_name)
        _draw_nodes(ax, layout)
        _draw_labels(ax, layout)
        ax.margins(0.12 if _labels_hosts(layout) else 0.06)
        handles = _legend_handles(layout, tree_drawn)
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   frameon=False)
        if mappable is not None:
            label = "link utilization, busier direction (%)" if load_name == "utilization" \
                else "packets on the link, busier direction"
            fig.colorbar(mappable, ax=ax, shrink=0.6, label=label)
        return save(fig, path, format)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each node goes and how big it is drawn (sizes in inches)."""

    graph: nx.Graph             # routers and hosts
    routers: nx.Graph
    host_of: dict               # host -> its router
    pos: dict                   # node -> (x, y); the routers' in [-1, 1]
    size: float                 # the figure's width; its height is 0.78 of it
    in_per_unit: float
    router_in: float            # a router's diameter
    host_in: float              # a host's side
    draw_hosts: bool            # False beyond MAX_DRAWN_HOSTS (routers filled instead)


def _attach_hosts(graph: nx.Graph, hosts) -> tuple[nx.Graph, dict]:
    """A copy of ``graph`` with the hosts of a mapping attached to their routers, and
    {host: its router} for each host that has one."""
    graph = nx.Graph(graph)
    host_of: dict = {}
    if hosts is None:
        return graph, host_of
    if isinstance(hosts, dict):
        for host, router in hosts.items():
            graph.add_edge(host, router)
    for host in hosts:
        neighbours = list(graph.neighbors(host)) if host in graph else []
        if neighbours:
            host_of[host] = neighbours[0]
    return graph, host_of


def _layout(graph: nx.Graph, hosts, seed: int) -> _Layout:
    """Positions of routers and hosts, and sizes from the room the layout leaves
    between neighbouring routers."""
    graph, host_of = _attach_hosts(graph, hosts)
    routers = graph.subgraph([n for n in graph.nodes if n not in host_of]).copy()
    pos = _router_layout(routers, seed)
    size = 10.0 if routers.number_of_nodes() <= 60 else 12.0
    in_per_unit = min(0.8 * size, 0.72 * size * 0.78) / 2.5
    spacing_in = _spacing(pos) * in_per_unit
    router_in = min(0.3, max(0.06, 0.42 * spacing_in))
    host_in = min(0.13, max(0.04, 0.45 * router_in))
    draw_hosts = len(host_of) <= MAX_DRAWN_HOSTS
    if draw_hosts:
        pos.update(_host_positions(host_of, pos, in_per_unit, router_in, host_in))
    return _Layout(graph=graph, routers=routers, host_of=host_of, pos=pos, size=size,
                   in_per_unit=in_per_unit, router_in=router_in, host_in=host_in,
                   draw_hosts=draw_hosts)


def _drawn_links(layout: _Layout) -> tuple[list, list]:
    """The links drawn (a host's only when hosts are drawn): their keys (frozenset
    of the two names as text, as in ``_edge_loads``) and their segments."""
    host_of = layout.host_of
    edges = [(u, v) for u, v in layout.graph.edges
             if layout.draw_hosts or (u not in host_of and v not in host_of)]
    keys = [frozenset((str(u), str(v))) for u, v in edges]
    return keys, [(layout.pos[u], layout.pos[v]) for u, v in edges]


def _segment(ax, a, b, **line) -> None:
    """A straight line from point ``a`` to point ``b``."""
    ax.plot([a[0], b[0]], [a[1], b[1]], **line)


def _draw_tree(ax, segments: list) -> bool:
    """The multicast tree's links as a wide pink band under the links; whether there
    was any."""
    for a, b in segments:
        _segment(ax, a, b, color=OKABE_ITO["reddish_purple"], linewidth=10, alpha=0.5,
                 solid_capstyle="round", zorder=1)
    return bool(segments)


def _draw_links(ax, segments: list, values: np.ndarray, load_name: str | None):
    """The links, coloured and widened by their load when one is known (grey where
    it is not), else plain grey; returns the colour scale of the load, or None."""
    if load_name is None or not np.isfinite(values).any():
        for a, b in segments:
            _segment(ax, a, b, color="#888888", linewidth=1.0, zorder=2)
        return None
    shown = values * (100.0 if load_name == "utilization" else 1.0)
    norm = Normalize(0, np.nanmax(shown) if np.nanmax(shown) > 0 else 1.0)
    cmap = colormaps[LOAD_CMAP]
    for (a, b), v in zip(segments, shown, strict=True):
        if np.isfinite(v):
            _segment(ax, a, b, color=cmap(norm(v)), linewidth=1 + 4 * norm(v), zorder=2,
                     solid_capstyle="round")
        else:
            _segment(ax, a, b, color="#bbbbbb", linewidth=0.8, zorder=2)
    return ScalarMappable(norm=norm, cmap=cmap)


def _draw_nodes(ax, layout: _Layout) -> None:
    """Routers as circles (filled when they have hosts that are not drawn), hosts
    as squares."""
    routers, pos = layout.routers, layout.pos
    router_xy = np.array([pos[r] for r in routers.nodes]) if routers.number_of_nodes() \
        else np.zeros((0, 2))
    with_hosts = set(layout.host_of.values())
    fill = ["#f6c9a8" if (not layout.draw_hosts and r in with_hosts) else "white"
            for r in routers.nodes]
    ax.scatter(router_xy[:, 0], router_xy[:, 1], s=(layout.router_in * 72) ** 2, c=fill,
               edgecolors=OKABE_ITO["blue"],
               linewidths=1.5 if layout.router_in > 0.12 else 0.8, zorder=3)
    if layout.host_of and layout.draw_hosts:
        host_xy = np.array([pos[h] for h in layout.host_of])
        ax.scatter(host_xy[:, 0], host_xy[:, 1], s=(layout.host_in * 72) ** 2,
                   marker="s", c=OKABE_ITO["vermillion"], edgecolors="black",
                   linewidths=0.5, zorder=3)


def _labels_hosts(layout: _Layout) -> bool:
    """Whether the hosts are named (there are some, and at most MAX_HOST_LABELS)."""
    return 0 < len(layout.host_of) <= MAX_HOST_LABELS


def _draw_labels(ax, layout: _Layout) -> None:
    """Router names inside their circles when there are few routers and the circles
    are big enough; host names continuing away from their router, turned to read
    left to right."""
    pos, routers = layout.pos, layout.routers
    if routers.number_of_nodes() <= MAX_ROUTER_LABELS and layout.router_in >= 0.18:
        for r in routers.nodes:
            ax.text(*pos[r], str(r), ha="center", va="center", fontsize=9, zorder=4)
    if not _labels_hosts(layout):
        return
    for h, router in layout.host_of.items():
        out = np.asarray(pos[h]) - np.asarray(pos[router])
        out = out / (np.hypot(*out) or 1.0)
        xy = np.asarray(pos[h]) + (layout.host_in * 0.8 / layout.in_per_unit) * out
        ax.text(*xy, str(h), fontsize=9, zorder=4, color="#333333",
                rotation_mode="anchor", rotation=_reading_angle(out),
                ha="left" if out[0] >= 0 else "right", va="center")


def _legend_handles(layout: _Layout, tree_drawn: bool) -> list:
    """Routers (counted), hosts (counted; or the routers that have them), the tree."""
    n_hosts = len(layout.host_of)
    handles = [Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
                      markeredgecolor=OKABE_ITO["blue"], markersize=10,
                      label=f"router ({layout.routers.number_of_nodes()})")]
    if n_hosts and layout.draw_hosts:
        handles.append(Line2D([], [], marker="s", linestyle="none",
                              markerfacecolor=OKABE_ITO["vermillion"],
                              markeredgecolor="black", markersize=7,
                              label=f"host ({n_hosts})"))
    elif n_hosts:
        handles.append(Line2D([], [], marker="o", linestyle="none",
                              markerfacecolor="#f6c9a8",
                              markeredgecolor=OKABE_ITO["blue"], markersize=10,
                              label=f"router with hosts ({n_hosts} hosts, not drawn)"))
    if tree_drawn:
        handles.append(Line2D([], [], color=OKABE_ITO["reddish_purple"], linewidth=8,
                              alpha=0.5, label="multicast tree link"))
    return handles
