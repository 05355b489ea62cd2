"""Timeline: every join attempt as a bar on its leaf's row, socket indications as markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from mpsim.analysis import OUTCOMES, latency_table
from mpsim.analysis.frames import METHODS, events_frame
from mpsim.plot.style import (INDICATION_MARKERS, OUTCOME_COLOURS, figure, note, save, style,
                              thin_labels)

#: At most this many panels of a broken time axis.
MAX_PANELS = 4
#: Hatch of each method's bars (when a run has more than one method).
METHOD_HATCH = {"root_invite": None, "leaf_request": "...", "nonrooted": "///"}
METHOD_LABELS = {"root_invite": "root invites", "leaf_request": "leaf requests",
                 "nonrooted": "non-rooted (to first data)"}
BAR_ALPHA = 0.45


def time_panels(starts, ends, most: int = MAX_PANELS) -> list[tuple[float, float]]:
    """Time ranges to show: where joins happen, long idle gaps cut out.

    The intervals are merged; the (at most ``most - 1``) largest gaps between them
    that are longer than a quarter of the whole span and longer than half the busy
    time on either side are cut, so a few bursts of joins far apart each get a
    readable panel. Each range gets a 4 % margin.

    >>> time_panels([1.0, 1.0, 2.0, 3.0], [1.06, 1.13, 2.06, 3.9])
    [(0.9948, 1.1352), (1.9976, 2.0624), (2.964, 3.936)]
    """
    order = np.argsort(starts, kind="stable")
    merged: list[list[float]] = []
    starts, ends = np.asarray(starts, dtype=float)[order], np.asarray(ends, dtype=float)[order]
    for s, e in zip(starts, ends, strict=True):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    span = merged[-1][1] - merged[0][0]
    gaps = []
    for k in range(len(merged) - 1):
        gap = merged[k + 1][0] - merged[k][1]
        busy = min(merged[k][1] - merged[0][0], merged[-1][1] - merged[k + 1][0])
        if gap > 0.25 * span and gap > 0.5 * busy:
            gaps.append((gap, k))
    cuts = sorted(k for _, k in sorted(gaps, reverse=True)[: most - 1])
    out, first = [], 0
    for k in cuts + [len(merged) - 1]:
        a, b = merged[first][0], merged[k][1]
        width = b - a if b > a else max(1e-3, 0.01 * span)
        out.append((round(float(a - 0.04 * width), 12), round(float(b + 0.04 * width), 12)))
        first = k + 1
    return out


def _bars(table: pd.DataFrame, t_last: float) -> pd.DataFrame:
    """Start and end of each join's bar: to the figure's end, else to when it failed,
    else (pending) to the end of the trace."""
    start = table["t_request"].to_numpy(dtype=float)
    end = table["t_end"].to_numpy(dtype=float).copy()
    missing = ~np.isfinite(end)
    end[missing] = table["t_complete"].to_numpy(dtype=float)[missing]
    open_end = ~np.isfinite(end)
    end[open_end] = t_last
    return table.assign(start=start, end=np.maximum(end, start), open_end=open_end)


def _lanes(table: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Sub-row of each join and the number of sub-rows, so that attempts overlapping on
    one host stay visible: one sub-row per session when up to 4 sessions overlap
    (the same session always in the same place), else packed greedily."""
    sessions = list(dict.fromkeys(table["session"]))
    overlap = False
    last_end: dict = {}
    for host, s, e in zip(table["leaf"], table["start"], table["end"], strict=True):
        overlap |= host in last_end and s < last_end[host]
        last_end[host] = max(e, last_end.get(host, -np.inf))
    if not overlap:
        return np.zeros(len(table), dtype=int), 1
    if len(sessions) <= 4:
        rank = {s: i for i, s in enumerate(sessions)}
        return np.array([rank[s] for s in table["session"]]), len(sessions)
    lane = np.zeros(len(table), dtype=int)
    busy: dict = {}
    for i, (host, s, e) in enumerate(zip(table["leaf"], table["start"], table["end"], strict=True)):
        ends = busy.setdefault(host, [])
        free = [k for k, end in enumerate(ends) if end <= s]
        lane[i] = free[0] if free else len(ends)
        if free:
            ends[lane[i]] = e
        else:
            ends.append(e)
    return lane, int(lane.max()) + 1


def _light(colour: str, alpha: float = BAR_ALPHA) -> tuple:
    """``colour`` as it looks at ``alpha`` on white (legend patches match the bars)."""
    return tuple(1 - alpha + alpha * c for c in to_rgb(colour))


def _host_rows(table: pd.DataFrame) -> tuple[list, set]:
    """Hosts in order of their first join attempt, each root just before its first leaf."""
    roots = {r for r, m in zip(table["root"], table["method"], strict=True)
             if isinstance(r, str) and m != "nonrooted"}
    hosts: list = []
    for root, leaf in zip(table["root"], table["leaf"], strict=True):
        for host in (root if root in roots else None, leaf):
            if isinstance(host, str) and host not in hosts:
                hosts.append(host)
    return hosts, roots


def timeline(events: pd.DataFrame, joins: pd.DataFrame, path, format=None,
             title: str = "Join attempts over time"):
    """Draw hosts × time: each join attempt a bar from its request to its end on the leaf's row.

    A rooted join's bar ends at ``t_complete``, a nonrooted one's at
    ``t_first_data`` (when the member first received data), a failed one's when it
    failed, a pending one's at the end of the trace (with an arrow head). The
    colour is the outcome; with several methods in the run, the hatch is the method;
    with several sessions overlapping on a host, each session has its own sub-row.
    The first ``FD_ACCEPT``, ``FD_CONNECT``, ``FD_READ`` and ``FD_CLOSE`` of each
    socket and join are markers on the host's row. The time axis shows where joins
    happen: bursts far apart get panels of their own (a broken axis).

    Parameters
    ----------
    events, joins : DataFrame
        The run's events and joins tables.
    path : path-like
        Where to write; the suffix follows ``format``.
    format : "png" | "svg", optional
        Default: the suffix of ``path``, else PNG.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    table = latency_table(joins)
    table["t_complete"] = pd.to_numeric(joins.reset_index(drop=True)["t_complete"], errors="coerce")
    spi = events_frame(events, layers=("spi",))
    t_last = float(pd.to_numeric(events["time"]).max()) if len(events) else 0.0
    with style():
        if table.empty:
            return save(_empty_figure(title), path, format)
        table = _bars(table.sort_values(["t_request", "join_id"], kind="stable"), t_last)
        fig = _timeline_figure(table.reset_index(drop=True), spi, title)
        return save(fig, path, format)


def _empty_figure(title: str):
    """A small figure that says the run had no join attempt."""
    fig = figure(8, 3)
    ax = fig.add_subplot()
    note(ax, "no join attempts in this run")
    ax.set_title(title)
    return fig


def _timeline_figure(table: pd.DataFrame, spi: pd.DataFrame, title: str):
    """The figure of the join bars ``table`` (from ``_bars``, one row per attempt) and the
    socket indications of ``spi`` (not saved)."""
    hosts, roots = _host_rows(table)
    row_of = {h: i for i, h in enumerate(hosts)}
    lane, n_lanes = _lanes(table)
    methods = [m for m in METHODS if m in set(table["method"])]
    hatched = len(methods) > 1
    panels = time_panels(table["start"].to_numpy(), table["end"].to_numpy())
    marks = _first_indications(spi, hosts, panels)
    height = min(12.0, max(3.2, 1.5 + 0.3 * len(hosts) * (1 + 0.25 * (n_lanes - 1))))
    fig, axes = _panel_axes(panels, height)
    h = 0.76 / n_lanes
    # Points of height per sub-row: markers only where they fit, thinner lines when crowded.
    row_pt = (height - 1.3) * 72 / max(1, len(hosts)) * h
    draw_marks = row_pt >= 5
    omitted = 0 if draw_marks else len(marks)
    if not draw_marks:
        marks = marks.iloc[0:0]
    y = np.array([row_of[leaf] - 0.38 + (k + 0.5) * h
                  for leaf, k in zip(table["leaf"], lane, strict=True)])
    for k, ax in enumerate(axes):
        _draw_bars(ax, table, y, h, hatched, row_pt)
        _draw_indications(ax, marks, row_of)
        _dress_panel(ax, k, panels)
    _host_axis(axes[0], hosts, roots, height)
    broken = "  (axis broken between bursts of joins)" if len(panels) > 1 else ""
    fig.supxlabel("time (s)" + broken, fontsize=10)
    fig.suptitle(title)
    _legends(fig, table, marks, methods, hatched, n_lanes, omitted)
    return fig


def _first_indications(spi: pd.DataFrame, hosts: list, panels: list) -> pd.DataFrame:
    """The indications to mark: on the hosts' rows, inside a panel, and only the first of
    each per socket and join (a root's one socket signals FD_CONNECT once per leaf; a
    member's FD_READ only the first time)."""
    marks = spi[spi["event"].isin(list(INDICATION_MARKERS)) & spi["host"].isin(hosts)]
    marks = marks.drop_duplicates(["host", "socket", "join_id", "event"], keep="first")
    times = marks["time"].to_numpy()
    return marks[np.any([(a <= times) & (times <= b) for a, b in panels], axis=0)]


def _panel_axes(panels: list, height: float):
    """The figure and one axes per time panel, sharing the host axis; a panel's width grows
    with the square root of its time span (so a short burst stays readable)."""
    spans = np.array([b - a for a, b in panels])
    ratios = np.clip(np.sqrt(spans / spans.max()), 0.35, 1.0)
    fig = figure(10, height)
    axes = fig.subplots(1, len(panels), sharey=True, width_ratios=list(ratios), squeeze=False)[0]
    fig.get_layout_engine().set(wspace=0.03)
    return fig, axes


def _draw_indications(ax, marks: pd.DataFrame, row_of: dict) -> None:
    """The indications ``marks`` as markers on their host's row."""
    for event, spec in INDICATION_MARKERS.items():
        these = marks[marks["event"] == event]
        if len(these):
            rows = [row_of[x] for x in these["host"]]
            ax.plot(these["time"], rows, linestyle="none", zorder=3, **spec)


def _dress_panel(ax, k: int, panels: list) -> None:
    """Panel ``k``'s time range and ticks, with the strokes of a broken axis where it meets
    its neighbours (and slanted tick labels when there are more than two panels)."""
    a, b = panels[k]
    ax.set_xlim(a, b)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6 if len(panels) == 1 else 3, min_n_ticks=2))
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    if k > 0:
        ax.tick_params(axis="y", left=False)
        _break_marks(ax, "left")
    if k < len(panels) - 1:
        _break_marks(ax, "right")
    if len(panels) > 2:
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")


def _host_axis(ax, hosts: list, roots: set, height: float) -> None:
    """A row per host, top down, labelled (every k-th when they do not all fit; 9 pt labels
    need about 0.19 in each), roots marked as such."""
    ax.set_ylim(len(hosts) - 0.5, -0.5)
    fits = max(5, int((height - 1.3) / 0.19))
    step = thin_labels(len(hosts), fits)
    ticks = list(range(0, len(hosts), step))
    ax.set_yticks(ticks, [f"{hosts[i]} (root)" if hosts[i] in roots else hosts[i] for i in ticks])
    ax.set_ylabel("host" + (f" (every {step}th labelled)" if step > 1 else ""))


def _draw_bars(ax, table, y, h, hatched, row_pt) -> None:
    """All join bars of one panel as a few collections (fast for thousands of joins)."""
    s = table["start"].to_numpy(dtype=float)
    e = table["end"].to_numpy(dtype=float)
    colours = [OUTCOME_COLOURS.get(o, "#777777") for o in table["outcome"]]
    half = h * 0.44
    boxes = [[(a, yi - half), (b, yi - half), (b, yi + half), (a, yi + half)]
             for a, b, yi in zip(s, e, y, strict=True)]
    edge = min(1.1, max(0.3, row_pt / 8))
    ax.add_collection(PolyCollection(boxes, facecolors=colours, alpha=BAR_ALPHA, linewidths=0))
    methods = table["method"].to_numpy(dtype=object)
    for method in dict.fromkeys(methods):
        pick = np.flatnonzero(methods == method)
        ax.add_collection(PolyCollection([boxes[i] for i in pick], facecolors="none",
                                         edgecolors=[colours[i] for i in pick], linewidths=edge,
                                         hatch=METHOD_HATCH.get(method) if hatched else None))
    # A bar too short to see at this scale still shows where it starts.
    ax.add_collection(LineCollection([[(a, yi - half), (a, yi + half)] for a, yi in zip(s, y, strict=True)],
                                     colors=colours, linewidths=min(1.8, 1.6 * edge + 0.2),
                                     capstyle="butt"))
    open_end = table["open_end"].to_numpy(dtype=bool)
    for i in np.flatnonzero(open_end):
        ax.plot(e[i], y[i], marker=">", color=colours[i], markersize=min(6, max(2, row_pt)), clip_on=False)


def _legends(fig, table, marks, methods, hatched, n_lanes, omitted=0) -> None:
    present = [o for o in OUTCOMES if o in set(table["outcome"])]
    handles = [Patch(facecolor=_light(OUTCOME_COLOURS[o]), edgecolor=OUTCOME_COLOURS[o],
                     label=o.replace("_", " ")) for o in present]
    if table["open_end"].any():
        handles.append(Line2D([], [], marker=">", linestyle="none", color="#555555",
                              label="still open at the end"))
    if hatched:
        handles += [Patch(facecolor="white", edgecolor="#555555", hatch=METHOD_HATCH[m],
                          label=METHOD_LABELS[m]) for m in methods]
    title = "join: request → done"
    if n_lanes > 1 and table["session"].nunique() <= 4:
        sessions = list(dict.fromkeys(table["session"]))
        title += "\nsub-rows: " + ", ".join(sessions)
    if omitted:
        title += f"\n({omitted} socket indications\nnot drawn: rows too thin)"
    fig.legend(handles=handles, loc="outside right upper", title=title, frameon=False, alignment="left")
    shown = [e for e in INDICATION_MARKERS if e in set(marks["event"])]
    if shown:
        fig.legend(handles=[Line2D([], [], linestyle="none", label=e, **INDICATION_MARKERS[e])
                            for e in shown],
                   loc="outside right lower", title="indication\n(first per socket, join)",
                   frameon=False, alignment="left")


def _break_marks(ax, side: str) -> None:
    """Hide the spine on ``side`` and draw the short diagonal stroke of a broken axis."""
    x = 1.0 if side == "right" else 0.0
    ax.plot([x - 0.012, x + 0.012], [-0.02, 0.02], transform=ax.transAxes, color="black",
            clip_on=False, linewidth=1)
    ax.spines[side].set_visible(False)
