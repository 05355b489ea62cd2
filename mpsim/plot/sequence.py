"""Message sequence chart of the control messages that set joins up, hop by hop."""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.transforms import Bbox

from mpsim.analysis import control_hops, latency_table
from mpsim.analysis.frames import events_frame
from mpsim.plot.style import CYCLE, INDICATION_MARKERS, OKABE_ITO, figure, save, style

#: Indications drawn on host lifelines.
LIFELINE_INDICATIONS = ("FD_ACCEPT", "FD_CONNECT", "FD_READ", "FD_CLOSE")
#: Vertical space of a typical hop (inches) and of a cut idle gap (in typical hops).
HOP_INCHES = 0.32
CUT_HOPS = 1.6
#: An idle gap longer than this many typical hops is cut out of the time axis.
CUT_AFTER_HOPS = 3.0
MAX_HEIGHT = 20.0


class NoSequenceChart(ValueError):
    """There is no chart to draw within the limits asked for: the trace has no control
    messages (of the joins asked for), or the joins to draw need more lifelines than
    ``max_hosts``. A ``ValueError``; ``render_all`` skips the chart on this one only, so
    that any other error in drawing still surfaces."""


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.3g} s"


def lifeline_order(pairs, first_sender) -> list:
    """Nodes in an order that keeps the messages between them short: the first sender
    (a root that invites, a member that reports, a chair) at the left, then a
    depth-first walk of the breadth-first tree of who talked to whom, branches in
    the order they were first used, so the first join's path runs straight across
    and each member sits next to its own routers. ``pairs`` are (sender, receiver)
    in order of first contact.

    >>> lifeline_order([("R", "0"), ("0", "1"), ("1", "L")], "R")
    ['R', '0', '1', 'L']
    """
    graph = nx.Graph()
    rank: dict = {}
    for u, v in pairs:
        for node in (u, v):
            rank.setdefault(node, len(rank))
        graph.add_edge(u, v)
    order: list = []
    components = sorted(nx.connected_components(graph), key=lambda c: min(rank[n] for n in c))
    for component in components:
        sub = graph.subgraph(component)
        end = first_sender if first_sender in component else min(component, key=rank.get)
        tree = nx.bfs_tree(sub, end, sort_neighbors=lambda ns: sorted(ns, key=rank.get))
        stack = [end]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(sorted(tree.successors(node), key=rank.get, reverse=True))
    return order


class _TimeAxis:
    """Simulated time → vertical position, with idle gaps longer than ``cut`` shrunk to
    ``shown``; positions are in seconds of drawn time."""

    def __init__(self, times, cut: float, shown: float):
        knots = np.unique(np.asarray(times, dtype=float))
        gaps = np.diff(knots)
        drawn = np.where(gaps > cut, shown, gaps)
        self.knots = knots
        self.y = np.concatenate([[0.0], np.cumsum(drawn)])
        self.cuts = [((self.y[i] + self.y[i + 1]) / 2, float(gaps[i]))
                     for i in np.flatnonzero(gaps > cut)]

    def __call__(self, t):
        return np.interp(t, self.knots, self.y)


def _select(hops: pd.DataFrame, join_ids, max_hosts: int, max_joins: int, max_messages: int):
    """The hops to draw and a note on what was left out; ``NoSequenceChart`` if
    nothing fits."""
    if join_ids is not None:
        wanted = {float(j) for j in join_ids}
        chosen = hops[hops["join_id"].isin(wanted)]
        if chosen.empty:
            raise NoSequenceChart(f"sequence: no control messages of joins "
                                  f"{sorted(join_ids)} in the trace")
        nodes = set(chosen["src"]) | set(chosen["dst"])
        if len(nodes) > max_hosts:
            raise NoSequenceChart(f"sequence: joins {sorted(join_ids)} involve "
                                  f"{len(nodes)} nodes (hosts and routers), more than "
                                  f"max_hosts={max_hosts}; raise max_hosts or pick "
                                  "fewer joins")
        return chosen, ""
    tagged = hops[hops["join_id"].notna()]
    if tagged.empty:
        if hops.empty:
            raise NoSequenceChart("sequence: the trace has no control messages "
                                  "(layer 'proto') to draw")
        tagged = hops.assign(join_id=-1.0)          # messages of no join: draw them as one group
    order = list(dict.fromkeys(tagged["join_id"]))
    nodes: set = set()
    kept, count = [], 0
    groups = tagged.groupby("join_id", sort=False)
    for join_id in order:
        group = groups.get_group(join_id)
        more = nodes | set(group["src"]) | set(group["dst"])
        if kept and (len(more) > max_hosts or count + len(group) > max_messages
                     or len(kept) >= max_joins):
            break
        if not kept and len(more) > max_hosts:
            raise NoSequenceChart(f"sequence: join {int(join_id)} alone involves "
                                  f"{len(more)} nodes (hosts and routers), more than "
                                  f"max_hosts={max_hosts}; raise max_hosts")
        kept.append(join_id)
        nodes, count = more, count + len(group)
    chosen = tagged[tagged["join_id"].isin(kept)]
    left = "" if len(kept) == len(order) else f" (first {len(kept)} of {len(order)} joins)"
    return chosen, left


def _continues(hops: pd.DataFrame) -> np.ndarray:
    """Whether each hop forwards a hop of the same kind drawn in the chart (its recorded
    ``cause`` is that message): only the first hop of a forwarded message gets a label."""
    kinds = dict(zip(hops["msg_id"], hops["kind"], strict=True))
    return np.array([cause == cause and kinds.get(cause) == kind
                     for cause, kind in zip(hops["cause"], hops["kind"], strict=True)], dtype=bool)


def _join_windows(joins: pd.DataFrame) -> dict:
    """{join id: (t_request, end)}: end is when it connected (a nonrooted join: its first
    data) or failed, infinity while pending."""
    table = latency_table(joins)
    end = table["t_end"].to_numpy(dtype=float)
    t_complete = pd.to_numeric(joins.reset_index(drop=True)["t_complete"], errors="coerce").to_numpy()
    end = np.where(np.isfinite(end), end, t_complete)
    end = np.where(np.isfinite(end), end, np.inf)
    return {float(j): (s, e)
            for j, s, e in zip(table["join_id"], table["t_request"], end, strict=True)}


def _while_joining(join_ids, times, windows: dict, slack: float) -> np.ndarray:
    """Whether each record (of join ``join_ids[i]`` at ``times[i]``) falls between its join's
    request and ``slack`` after its end: not the refreshes and the leaving that carry the
    same join id later. Times read back from joins.csv carry 9 significant digits, hence
    the relative tolerance."""
    keep = np.ones(len(times), dtype=bool)
    for i, (j, t) in enumerate(zip(join_ids, times, strict=True)):
        window = windows.get(j)
        if window is not None:
            tol = 1e-8 * max(1.0, abs(t))
            keep[i] = window[0] - tol <= t <= window[1] + slack + tol
    return keep


@dataclass(frozen=True, slots=True)
class _Chart:
    """Everything a chart shows, decided before anything is drawn."""

    hops: pd.DataFrame          # the hops drawn, in order of sending
    joins: pd.DataFrame | None  # the joins table, for the legend's names
    joins_drawn: list           # their join ids, in order of first message
    colour_of: dict             # join id -> colour
    nodes: list                 # lifelines, left to right
    x_of: dict                  # node -> x of its lifeline
    hosts: set                  # the nodes that are hosts (not routers)
    marks: pd.DataFrame         # socket indications drawn on the lifelines
    typical: float              # s, the median duration of a received hop
    axis: _TimeAxis
    inches_per_s: float
    width: float                # in
    height: float               # in


def sequence(events: pd.DataFrame, path, max_hosts: int = 20, joins: pd.DataFrame | None = None,
             join_ids=None, max_joins: int = 8, max_messages: int = 160, format=None,
             title: str = "Control messages"):
    """Draw a message sequence chart of the control messages of joins.

    One lifeline per node that sent or received a control message (hosts in blue
    boxes, routers and switches in grey), ordered along the paths the messages
    took; time runs downward. Each hop is an arrow from its send to its receipt
    (paired as in ``mpsim.analysis.control_hops``), coloured by join and labelled
    with its kind on the first hop of each message. A hop lost on the way is a
    dashed stub ending in an X (its ``net``/``DROP`` record). ``FD_ACCEPT``,
    ``FD_CONNECT``, the first ``FD_READ`` and ``FD_CLOSE`` of the drawn joins are
    marked on the host lifelines. Idle gaps longer than three typical hops are cut
    out of the time axis and labelled with their length, so retransmission timers
    and admission delays do not squash the hops.

    Parameters
    ----------
    events : DataFrame
        The events table.
    path : path-like
        Where to write.
    max_hosts : int
        Most lifelines (hosts and routers). Without ``join_ids`` the chart keeps
        the first joins (in order of their first message) that fit in
        ``max_hosts`` lifelines, ``max_joins`` joins and ``max_messages`` hops, and
        says so in the title.
    joins : DataFrame, optional
        The joins table: with it, each join's messages are drawn only while it was
        being set up (from its request to a little after it ended), not the later
        refreshes and leaving that carry its id, and the legend names the leaf and method.
    join_ids : iterable of int, optional
        Draw exactly these joins (``NoSequenceChart`` if they need more than
        ``max_hosts``).
    max_joins, max_messages : int
        Most joins and hops drawn when choosing joins automatically (a first join is
        always drawn whole).
    format : "png" | "svg", optional

    Returns
    -------
    pathlib.Path

    Raises
    ------
    NoSequenceChart (a ValueError)
        If the trace has no control messages, or the joins to draw need more than
        ``max_hosts`` lifelines.
    """
    hops, windows, slack = _hops_while_joining(control_hops(events), joins)
    chosen, left = _select(hops, join_ids, max_hosts, max_joins, max_messages)
    chosen = chosen.sort_values("send_row", kind="stable").reset_index(drop=True)
    chart = _plan_chart(chosen, events, joins, windows, slack)
    with style():
        return save(_draw_chart(chart, title + left), path, format)


def _typical_hop(hops: pd.DataFrame) -> float:
    """The median time (s) from send to receipt of the hops received, 1 ms if none
    was: the unit of the chart's vertical scale and of its idle-gap cuts."""
    spans = hops["t_recv"].to_numpy() - hops["t_send"].to_numpy()
    spans = spans[np.isfinite(spans) & (spans > 0)]
    return float(np.median(spans)) if spans.size else 1e-3


def _hops_while_joining(hops: pd.DataFrame, joins: pd.DataFrame | None):
    """The hops to choose from, the join windows and their slack: with a joins
    table, only each join's hops while it was being set up (its later refreshes
    and leaving carry the same join id); without one, every hop, no windows."""
    if joins is None or not len(joins) or not len(hops):
        return hops, {}, 0.0
    windows = _join_windows(joins)
    slack = CUT_AFTER_HOPS * _typical_hop(hops)
    keep = _while_joining(hops["join_id"], hops["t_send"], windows, slack)
    return hops[keep], windows, slack


def _indication_marks(events: pd.DataFrame, joins_drawn: list, windows: dict,
                      slack: float):
    """The first of each lifeline indication per socket and join of the drawn
    joins, while they were being set up; and the hosts (nodes with socket events)."""
    spi = events_frame(events, layers=("spi",))
    marks = spi[spi["event"].isin(LIFELINE_INDICATIONS)
                & spi["join_id"].isin(joins_drawn)]
    marks = marks.drop_duplicates(["host", "socket", "join_id", "event"], keep="first")
    marks = marks[_while_joining(marks["join_id"], marks["time"], windows, slack)]
    return marks, set(spi["host"])


def _geometry(hops: pd.DataFrame, marks: pd.DataFrame, lifelines: int, typical: float):
    """The time axis (idle gaps cut), its scale (in per s of drawn time) and the
    figure's width and height (in): a typical hop ``HOP_INCHES`` tall unless the
    chart would be taller than ``MAX_HEIGHT``."""
    times = np.concatenate([hops["t_send"], hops["t_recv"].dropna(),
                            hops["t_drop"].dropna(), marks["time"]])
    axis = _TimeAxis(times, CUT_AFTER_HOPS * typical, CUT_HOPS * typical)
    inches_per_s = HOP_INCHES / typical
    span = float(axis.y[-1])
    if span * inches_per_s > MAX_HEIGHT - 2.5:
        inches_per_s = (MAX_HEIGHT - 2.5) / span
    height = min(MAX_HEIGHT, max(4.0, span * inches_per_s + 2.6))
    width = min(16.0, max(7.0, 1.05 * lifelines + 3.0))
    return axis, inches_per_s, width, height


def _plan_chart(chosen: pd.DataFrame, events: pd.DataFrame, joins, windows: dict,
                slack: float) -> _Chart:
    """Lifelines, marks, colours and sizes of the chart of the hops ``chosen``."""
    joins_drawn = list(dict.fromkeys(chosen["join_id"]))
    marks, hosts = _indication_marks(events, joins_drawn, windows, slack)
    pairs = list(zip(chosen["src"], chosen["dst"], strict=True))
    nodes = lifeline_order(pairs, chosen["src"].iloc[0])
    marks = marks[marks["host"].isin(nodes)]
    typical = _typical_hop(chosen)
    axis, inches_per_s, width, height = _geometry(chosen, marks, len(nodes), typical)
    return _Chart(hops=chosen, joins=joins, joins_drawn=joins_drawn,
                  colour_of={j: CYCLE[k % len(CYCLE)] for k, j in enumerate(joins_drawn)},
                  nodes=nodes, x_of={n: i for i, n in enumerate(nodes)}, hosts=hosts,
                  marks=marks, typical=typical, axis=axis, inches_per_s=inches_per_s,
                  width=width, height=height)


def _draw_chart(chart: _Chart, title: str):
    """The chart's figure (not saved): lifelines, hops, indications, legend."""
    fig = figure(chart.width, chart.height)
    ax = fig.add_subplot()
    _draw_lifelines(ax, chart)
    labels, drops, unknown = _draw_hops(ax, chart)
    obstacles = _draw_indications(ax, chart)
    _lifeline_heads(ax, chart.nodes, chart.hosts, chart.width)
    _time_ticks(ax, chart.axis, chart.hops["t_send"].to_numpy(), chart.inches_per_s,
                chart.typical)
    _dress_time_axis(ax, chart.axis)
    fig.suptitle(title)
    handles = _legend_handles(chart, drops, unknown)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(6, len(handles)),
               frameon=False)
    _spread_labels(fig, labels, obstacles)
    return fig


def _draw_lifelines(ax, chart: _Chart) -> None:
    """The limits (time downward), a line per node and a dotted line at each cut."""
    pad = 0.4 * chart.typical
    ax.set_ylim(float(chart.axis.y[-1]) + pad, -pad)
    ax.set_xlim(-0.6, len(chart.nodes) - 0.4)
    for x in chart.x_of.values():
        ax.axvline(x, color="#bbbbbb", linewidth=1, zorder=0)
    for y, _gap in chart.axis.cuts:
        ax.axhline(y, color="#888888", linewidth=0.8, linestyle=(0, (1, 2)), zorder=0)


def _draw_hops(ax, chart: _Chart) -> tuple[list, int, int]:
    """Every hop, a label on the first hop of each message. Returns the labels with
    the ends of their arrows (for ``_spread_labels``), the number of hops lost on a
    link and the number with no receipt recorded."""
    continues = _continues(chart.hops)
    labels = []
    for i, hop in enumerate(chart.hops.itertuples(index=False)):
        colour = chart.colour_of[hop.join_id]
        x0, y0 = chart.x_of[hop.src], float(chart.axis(hop.t_send))
        if hop.outcome == "received":
            x1, y1 = _draw_arrow(ax, chart, hop, x0, y0, colour)
        else:
            x1, y1 = _draw_stub(ax, chart, hop, x0, y0, colour)
        if not continues[i]:
            label = _hop_label(ax, hop.kind, (x0 + x1) / 2, (y0 + y1) / 2, colour)
            labels.append((label, (x0, y0, x1, y1)))
    outcome = chart.hops["outcome"]
    dropped = int((outcome == "dropped").sum())
    return labels, dropped, int((~outcome.isin(("received", "dropped"))).sum())


def _draw_arrow(ax, chart: _Chart, hop, x0: float, y0: float, colour: str):
    """A hop received: an arrow from its send to its receipt (a patch, not an annotation:
    no text to lay out); returns where it ends."""
    x1, y1 = chart.x_of[hop.dst], float(chart.axis(hop.t_recv))
    ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", color=colour, linewidth=1.3,
                                 shrinkA=0, shrinkB=0, mutation_scale=11, zorder=2))
    return x1, y1


def _draw_stub(ax, chart: _Chart, hop, x0: float, y0: float, colour: str):
    """A hop that never arrived: a dashed stub ending in an X where it was lost (its
    DROP), or a dotted one, 0.6 of a typical hop long, when no receipt was recorded.
    Returns where the stub ends."""
    dropped = hop.outcome == "dropped"
    x1 = chart.x_of[hop.dst]
    y1 = float(chart.axis(hop.t_drop if dropped else hop.t_send + chart.typical))
    xm = x0 + 0.6 * (x1 - x0)
    ym = y1 if dropped else y0 + 0.6 * (y1 - y0)
    ax.plot([x0, xm], [y0, ym], color=colour, linewidth=1.3,
            linestyle="--" if dropped else ":", zorder=2)
    if dropped:
        ax.plot(xm, ym, marker="X", markersize=9, color=OKABE_ITO["vermillion"],
                markeredgecolor="black", markeredgewidth=0.5, zorder=4)
    return xm, ym


def _hop_label(ax, kind: str, x: float, y: float, colour: str):
    """The kind of a message, boxed in its join's colour, at (x, y) (moved later)."""
    return ax.text(x, y, kind, ha="center", va="center", fontsize=9, color="black",
                   zorder=5, bbox=dict(facecolor="white", edgecolor=colour, linewidth=0.6,
                                       boxstyle="round,pad=0.15", alpha=0.9))


def _draw_indications(ax, chart: _Chart) -> list:
    """The socket indications as markers on the host lifelines; returns their
    (x, y), which the message labels keep clear of."""
    obstacles = []
    for event in LIFELINE_INDICATIONS:
        these = chart.marks[chart.marks["event"] == event]
        if len(these):
            xs = [chart.x_of[h] for h in these["host"]]
            ys = chart.axis(these["time"].to_numpy())
            ax.plot(xs, ys, linestyle="none", zorder=6, **INDICATION_MARKERS[event])
            obstacles += list(zip(xs, ys, strict=True))
    return obstacles


def _dress_time_axis(ax, axis: _TimeAxis) -> None:
    """Lengths of cut gaps in grey italics, the y label, no frame but the time axis."""
    for label in ax.get_yticklabels():
        if label.get_text().startswith("+"):
            label.set_color("#555555")
            label.set_fontstyle("italic")
    cut = "; +t: idle time cut out" if axis.cuts else ""
    ax.set_ylabel("time (s), downward" + cut)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", bottom=False, labelbottom=False)


def _legend_handles(chart: _Chart, drops: int, unknown: int) -> list:
    """The legend: a colour per join (the first 12), the stubs drawn, the
    indications drawn, the two kinds of node."""
    shown, more = chart.joins_drawn[:12], len(chart.joins_drawn) - 12
    joins = chart.joins
    rows = latency_table(joins).set_index("join_id") if joins is not None and len(joins) else None
    handles = [Line2D([], [], color=chart.colour_of[j], linewidth=1.6,
                      label=_join_label(j, rows)) for j in shown]
    if more > 0:
        handles.append(Line2D([], [], color="white", label=f"… {more} more"))
    if drops:
        handles.append(Line2D([], [], marker="X", linestyle="--", color="#555555",
                              markerfacecolor=OKABE_ITO["vermillion"],
                              markeredgecolor="black", markersize=8, label="lost on a link"))
    if unknown:
        handles.append(Line2D([], [], linestyle=":", color="#555555",
                              label="no receipt recorded"))
    drawn = set(chart.marks["event"])
    handles += [Line2D([], [], linestyle="none", label=e, **INDICATION_MARKERS[e])
                for e in LIFELINE_INDICATIONS if e in drawn]
    handles += [Patch(facecolor="#d6e9f8", edgecolor=OKABE_ITO["blue"], label="host"),
                Patch(facecolor="#eeeeee", edgecolor="#888888",
                      label="router / switch")]
    return handles


def _join_label(join_id, rows) -> str:
    """The legend's name of a join: its leaf and method, from ``rows`` (``latency_table``
    by join id, or None)."""
    if join_id == -1:
        return "messages of no join"
    if rows is not None and int(join_id) in rows.index:
        r = rows.loc[int(join_id)]
        return f"join {int(join_id)}: {r['leaf']}, {METHOD_WORDS.get(r['method'], r['method'])}"
    return f"join {int(join_id)}"


METHOD_WORDS = {"root_invite": "invited", "leaf_request": "asked", "nonrooted": "non-rooted"}

#: Where along its arrow a label may sit, in order of preference.
LABEL_PLACES = (0.5, 0.32, 0.68, 0.2, 0.8, 0.42, 0.58)


def _spread_labels(fig, labels, obstacles=()) -> None:
    """Move each message label along its arrow (or a little above or below it) until it
    covers no label placed before it and no indication marker. The figure is laid out
    once, here, and kept so (the labels' moves inside the axes do not change it): saving
    draws it without a second layout."""
    if not labels:
        return
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")
    ax = labels[0][0].axes
    r = 0.05 * fig.dpi                                # markers: 0.05 in around their centre
    placed = [Bbox.from_extents(px - r, py - r, px + r, py + r)
              for px, py in ax.transData.transform(list(obstacles))] if len(obstacles) else []
    (_, ya), (_, yb) = ax.transData.inverted().transform([(0, 0), (0, 0.17 * fig.dpi)])
    dy = abs(yb - ya)                                 # 0.17 in, in data units
    places = [(f, 0.0) for f in LABEL_PLACES] + [(f, d) for d in (-dy, dy) for f in LABEL_PLACES[:3]]
    to_pixels = ax.transData.transform
    for text, (x0, y0, x1, y1) in labels:
        # measured once, where it is: elsewhere its box is the same, moved with its anchor
        ax0, ay0 = to_pixels(text.get_position())
        here = text.get_window_extent(renderer).expanded(1.05, 1.1)
        best = None
        for f, shift in places:
            px, py = to_pixels((x0 + f * (x1 - x0), y0 + f * (y1 - y0) + shift))
            box = here.translated(px - ax0, py - ay0)
            clash = sum(_overlap(box, other) for other in placed)
            if best is None or clash < best[0]:
                best = (clash, f, shift, box)
            if clash == 0:
                break
        _, f, shift, box = best
        text.set_position((x0 + f * (x1 - x0), y0 + f * (y1 - y0) + shift))
        placed.append(box)


def _overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _lifeline_heads(ax, nodes, hosts, width: float) -> None:
    """Node names above the lifelines: hosts in blue boxes, routers in grey ones; slanted
    when the longest name would not fit between two lifelines."""
    ax.xaxis.set_ticks_position("top")
    ax.set_xticks(range(len(nodes)), [str(n) for n in nodes])
    per_node = (width - 1.2) / max(1, len(nodes))
    crowded = max(len(str(n)) for n in nodes) * 0.085 + 0.15 > 0.9 * per_node
    for label, node in zip(ax.get_xticklabels(), nodes, strict=True):
        host = node in hosts
        label.set_bbox(dict(facecolor="#d6e9f8" if host else "#eeeeee",
                            edgecolor=OKABE_ITO["blue"] if host else "#888888",
                            boxstyle="round,pad=0.3" if host else "square,pad=0.3", linewidth=0.8))
        label.set_fontweight("bold" if host else "normal")
        if crowded:
            label.set_rotation(45)
            label.set_horizontalalignment("left")
            label.set_rotation_mode("anchor")
    ax.tick_params(axis="x", top=False, pad=6)


def _time_ticks(ax, axis: _TimeAxis, candidates, inches_per_s: float, typical: float) -> None:
    """Tick labels down the left: the length of each cut gap (``+978.4 ms``) where it was
    cut, and send times at least 0.2 in away from every other label."""
    decimals = min(6, max(3, math.ceil(-math.log10(typical / 20)))) if typical > 0 else 4
    ticks = [(y, f"+{_duration(gap)}") for y, gap in axis.cuts]
    for t in np.unique(candidates):
        y = float(axis(t))
        if all(abs(y - other) * inches_per_s >= 0.2 for other, _ in ticks):
            ticks.append((y, f"{t:.{decimals}f}"))
    ticks.sort()
    ax.set_yticks([y for y, _ in ticks], [label for _, label in ticks])
