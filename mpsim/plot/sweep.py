"""Figures of a sweep: a statistic against a grid parameter, and a join latency CDF per point.

The input is the sweep's tidy table (one row per grid point, session, method and
statistic, with ``value``, ``ci_low``, ``ci_high``, ``n`` and ``unit``; one column per
grid parameter, named by its dotted path) and its curves table (a Kaplan–Meier CDF
per point, session and method). Only those DataFrames are read; nothing here knows
how they were computed.

A "vs" figure puts one grid parameter on x, gives each (session, method) a colour,
each value of a second parameter a line style and marker, and draws one facet per
combination of the values of any further parameters.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from mpsim.analysis.frames import METHODS
from mpsim.plot.cdf import LINESTYLES, METHOD_LABELS, latency_unit
from mpsim.plot.style import CYCLE, figure, note, save, style

#: Columns of the tidy sweep table that are not grid parameters.
TABLE_COLUMNS = ("point", "session", "method", "statistic", "value", "ci_low", "ci_high", "n", "unit")
#: Columns of the curves table that are not grid parameters.
CURVE_COLUMNS = ("point", "session", "method", "time", "cdf")
#: The session name that stands for all sessions of a method pooled.
POOLED = "*"
#: Markers of the values of the style parameter, in order (filled, distinct in greyscale).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Facets per row of a "vs" figure and panels per row of the CDF figure.
FACET_COLUMNS = 3
PANEL_COLUMNS = 4
#: gid of the dotted line at 1 in each CDF panel (against which a plateau below 1 shows).
GUIDE = "all_joins_completed"
#: Size (inches) of a figure with a single axes, as ``latency_cdf`` draws it.
SINGLE_SIZE = (7.5, 4.8)


@dataclass(frozen=True, slots=True)
class Statistic:
    """How one statistic of the table is drawn against a parameter."""

    name: str           # the ``statistic`` value of the rows
    title: str          # what the figure shows, before "against <param>"
    ylabel: str         # with ``{unit}`` for latencies; a line break where it is long
    interval: str       # what the error bars are
    counted: str        # what ``n`` counts
    latency: bool       # values in seconds, shown in ms or s


LATENCY_MEAN = Statistic("latency_mean", "Mean join latency", "mean join latency ({unit}), 95 % CI",
                         "95 % t-interval over replications", "replications", True)
SUCCESS_RATIO = Statistic("success_ratio", "Joins connected",
                          "joins connected (fraction),\n95 % Wilson interval", "95 % Wilson interval",
                          "joins", False)


# ---------------------------------------------------------------------------------------------
# Public functions


def latency_vs(table: pd.DataFrame, param: str, path, format=None, series: str = "session",
               style_param: str | None = None) -> Path:
    """Draw the mean join latency (statistic ``latency_mean``) against grid parameter
    ``param``, with its 95 % t-interval over replications as error bars.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy sweep table (``point``, one column per grid parameter, ``session``,
        ``method``, ``statistic``, ``value``, ``ci_low``, ``ci_high``, ``n``, ``unit``).
    param : str
        Dotted path of the parameter on x. Numeric values give a numeric axis (sorted),
        others evenly spaced ticks in their order of first appearance.
    path : str or pathlib.Path
        File to write.
    format : {"png", "svg"}, optional
        Overrides the suffix of ``path``.
    series : {"session", "method"}
        ``"session"``: a line per (session, method), real sessions (the pooled ``"*"``
        only for a method that has no real session); ``"method"``: a line per method,
        its sessions pooled.
    style_param : str, optional
        A second grid parameter whose values are shown as line styles and markers.
        Any further parameters get a facet per combination of their values.

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    The latency is in seconds in the table and shown in ms when every value is below
    1 s. For ``nonrooted`` joins it is the time to first data. A NaN value is no point
    (the line has a gap there), a missing interval no error bar.
    """
    with style():
        fig = _latency_vs_figure(table, param, series, style_param)
        return save(fig, path, format)


def success_vs(table: pd.DataFrame, param: str, path, format=None, style_param: str | None = None) -> Path:
    """Draw the fraction of joins that connected (statistic ``success_ratio``) against
    grid parameter ``param``, with its 95 % Wilson interval as error bars; y from 0 to 1.

    The parameters and the layout (colours, line styles for ``style_param``, facets for
    the further parameters) are those of :func:`latency_vs`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    with style():
        fig = _success_vs_figure(table, param, style_param)
        return save(fig, path, format)


def latency_cdfs(curves: pd.DataFrame, points: pd.DataFrame, path, format=None) -> Path:
    """Draw the Kaplan–Meier CDF of join latency of every (session, method), one panel
    per grid point (at most four per row, shared axes).

    Parameters
    ----------
    curves : pandas.DataFrame
        ``point``, ``session``, ``method``, ``time`` (s), ``cdf``: step curves that
        start at (0, 0). A curve may stay below 1: joins that never completed are
        censored, so it ends at the fraction that did; it is drawn out to the largest
        time of the figure so that the plateau shows.
    points : pandas.DataFrame
        ``point`` and one column per grid parameter, which title the panels; with no
        parameter column the single panel is titled "all runs".
    path : str or pathlib.Path
        File to write.
    format : {"png", "svg"}, optional
        Overrides the suffix of ``path``.

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    Times are shown in ms when all are below 1 s, else in s, on a log axis when the
    positive times span more than two decades. For ``nonrooted`` joins the latency
    is the time to first data.
    """
    with style():
        fig = _latency_cdfs_figure(curves, points)
        return save(fig, path, format)


def render_sweep(out_dir, table: pd.DataFrame, curves: pd.DataFrame, points: pd.DataFrame,
                 params: list[str], format: str = "png") -> list[Path]:
    """Draw a sweep's plots into ``out_dir/plots``.

    For each grid parameter of ``params`` (dotted paths, in grid order) that takes at
    least two values: ``latency_vs_<name>`` and ``success_vs_<name>`` with that
    parameter on x, the first other parameter that varies as line styles and the rest
    as facets. ``<name>`` is the last component of the path, or the whole path with
    ``_`` for ``.`` when two parameters end alike (:func:`file_names`). Always
    ``latency_cdf``: a panel per grid point.

    Returns
    -------
    list of pathlib.Path
        The files written, in that order.
    """
    plots = Path(out_dir) / "plots"
    names = file_names(params)
    varying = [p for p in params if value_count(table, points, p) >= 2]
    paths = []
    for param in varying:
        others = [p for p in varying if p != param]
        style_param = others[0] if others else None
        paths.append(latency_vs(table, param, plots / f"latency_vs_{names[param]}", format,
                                style_param=style_param))
        paths.append(success_vs(table, param, plots / f"success_vs_{names[param]}", format,
                                style_param=style_param))
    paths.append(latency_cdfs(curves, points, plots / "latency_cdf", format))
    return paths


# ---------------------------------------------------------------------------------------------
# Names and values of grid parameters


def short_names(params) -> dict[str, str]:
    """Each dotted path of ``params`` by its last component, or by the whole path when
    two of them end alike.

    >>> short_names(["links.loss", "feed.loss", "feed.max_outstanding"])
    {'links.loss': 'links.loss', 'feed.loss': 'feed.loss', 'feed.max_outstanding': 'max_outstanding'}
    """
    params = list(params)
    last = [p.rsplit(".", 1)[-1] for p in params]
    return {p: (p if last.count(tail) > 1 else tail)
            for p, tail in zip(params, last, strict=True)}


def file_names(params) -> dict[str, str]:
    """The ``<name>`` of each parameter in ``latency_vs_<name>.png``: its short name
    (:func:`short_names`) with ``_`` for ``.``.

    >>> file_names(["a.loss", "b.loss", "c.rate"])
    {'a.loss': 'a_loss', 'b.loss': 'b_loss', 'c.rate': 'rate'}
    """
    return {p: name.replace(".", "_") for p, name in short_names(params).items()}


def parameter_columns(frame: pd.DataFrame, known=TABLE_COLUMNS) -> list[str]:
    """The grid parameter columns of ``frame``: every column not in ``known``, in order."""
    return [c for c in frame.columns if c not in known]


def value_count(table: pd.DataFrame, points: pd.DataFrame, param: str) -> int:
    """How many distinct values ``param`` takes in ``points`` (or, if it has no such
    column, in ``table``); 0 when neither has it."""
    for frame in (points, table):
        if frame is not None and param in frame.columns:
            return int(frame[param].nunique(dropna=False))
    return 0


def is_numeric(values) -> bool:
    """Whether the values of a parameter (NaN aside) are all numbers (booleans are not).

    >>> is_numeric([0.1, 2, "3"]), is_numeric(["2ms", "5ms"]), is_numeric([True, False])
    (True, False, False)
    """
    present = pd.Series(list(values), dtype=object).dropna()
    if present.empty or any(isinstance(v, (bool, np.bool_)) for v in present):
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def ordered_values(values) -> list:
    """The distinct values of a parameter: sorted if numeric, else in order of first appearance."""
    distinct = list(pd.unique(pd.Series(list(values), dtype=object)))
    if is_numeric(distinct):
        return sorted(distinct, key=float)
    return distinct


def format_value(value) -> str:
    """A parameter value as a label: ``0.01``, ``4``, ``2ms``."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        return f"{float(value):g}"
    return str(value)


def assignment(names: dict[str, str], params, values) -> str:
    """``"loss = 0.01, max_outstanding = 4"`` for parameters ``params`` at ``values``."""
    return ", ".join(f"{names[p]} = {format_value(v)}"
                     for p, v in zip(params, values, strict=True))


def _matches(column: pd.Series, value) -> pd.Series:
    """Rows where ``column`` equals ``value`` (NaN matching NaN)."""
    if not isinstance(value, str) and pd.isna(value):
        return column.isna()
    return column == value


# ---------------------------------------------------------------------------------------------
# The lines of a "vs" figure


def series_label(session: str, method: str) -> str:
    """``"tv_v2: non-rooted, to first data"``; the pooled session is "all sessions"."""
    who = "all sessions" if session == POOLED else session
    return f"{who}: {METHOD_LABELS.get(method, method)}"


def method_order(method: str) -> tuple[int, str]:
    """Sort key of a method: the order of ``METHODS``, unknown ones after, by name."""
    return (METHODS.index(method), method) if method in METHODS else (len(METHODS), method)


def line_series(rows: pd.DataFrame, series: str = "session") -> list[tuple[str, str]]:
    """The (session, method) pairs to draw a line for, by method then session.

    ``series="session"``: the real sessions of each method, or the pooled ``"*"`` for a
    method that has none; ``series="method"``: one per method, ``"*"`` if the table
    has it, else its only session (a method with several sessions and no pooled rows
    gets a line per session).
    """
    if series not in ("session", "method"):
        raise ValueError(f"series={series!r}: use 'session' (a line per session and method) "
                         "or 'method' (a line per method, its sessions pooled)")
    pairs = []
    for method in sorted(pd.unique(rows["method"]), key=method_order):
        sessions = list(pd.unique(rows.loc[rows["method"] == method, "session"]))
        real = sorted(s for s in sessions if s != POOLED)
        if series == "method" and POOLED in sessions:
            pairs.append((POOLED, method))
        else:
            pairs += [(s, method) for s in real] or [(POOLED, method)]
    return pairs


def n_text(n: pd.Series, counted: str) -> str:
    """``"n = 5 replications per point"`` or ``"n = 3–5 replications per point"``."""
    n = pd.to_numeric(n, errors="coerce").dropna()
    if n.empty:
        return f"n = ? {counted} per point"
    lo, hi = int(n.min()), int(n.max())
    return f"n = {lo} {counted} per point" if lo == hi else f"n = {lo}–{hi} {counted} per point"


def grid_shape(count: int, most_columns: int) -> tuple[int, int]:
    """(rows, columns) of ``count`` panels with at most ``most_columns`` per row."""
    columns = max(1, min(most_columns, count))
    return max(1, math.ceil(count / columns)), columns


def facet_size(count: int) -> tuple[float, float]:
    """Inches of a "vs" figure of ``count`` facets: one is 7.5 × 4.8; more are 3.4 × 2.8
    each, plus room for the title and the legend below."""
    if count <= 1:
        return SINGLE_SIZE
    rows, columns = grid_shape(count, FACET_COLUMNS)
    return max(SINGLE_SIZE[0], 3.4 * columns + 0.8), 2.8 * rows + 2.2


def panel_size(count: int) -> tuple[float, float]:
    """Inches of the CDF figure of ``count`` panels: one is 7.5 × 4.8; more are
    2.7 × 2.4 each, plus room for the title and the legend below."""
    if count <= 1:
        return SINGLE_SIZE
    rows, columns = grid_shape(count, PANEL_COLUMNS)
    return max(SINGLE_SIZE[0], 2.7 * columns + 0.8), 2.4 * rows + 2.2


def _latency_vs_figure(table: pd.DataFrame, param: str, series: str = "session",
                       style_param: str | None = None) -> Figure:
    """The figure :func:`latency_vs` writes (not saved)."""
    return _vs_figure(table, param, LATENCY_MEAN, series, style_param)


def _success_vs_figure(table: pd.DataFrame, param: str, style_param: str | None = None) -> Figure:
    """The figure :func:`success_vs` writes (not saved)."""
    return _vs_figure(table, param, SUCCESS_RATIO, "session", style_param)


def _check_params(table: pd.DataFrame, param: str, style_param: str | None) -> list[str]:
    """The grid parameter columns of ``table``; an error naming the fix if ``param`` or
    ``style_param`` is not one of them."""
    params = parameter_columns(table)
    for name, value in (("param", param), ("style_param", style_param)):
        if value is not None and value not in params:
            known = ", ".join(params) or "none (the sweep has replications only)"
            raise ValueError(f"{name}={value!r} is not a grid parameter of the table; "
                             f"its parameters: {known}")
    if style_param == param:
        raise ValueError(f"style_param={style_param!r} is the parameter on x; pick another one or None")
    return params


def _vs_figure(table: pd.DataFrame, param: str, stat: Statistic, series: str,
               style_param: str | None) -> Figure:
    """A statistic against ``param``: the shared layout of the "vs" figures."""
    title = f"{stat.title} against {param}"
    if table.empty:
        return _empty_figure(title, "the sweep table is empty: no grid point was run")
    params = _check_params(table, param, style_param)
    rows = table[table["statistic"] == stat.name]
    why = _nothing_to_draw(rows, stat)
    if why:
        return _empty_figure(title, why)
    plan = _vs_plan(rows, params, param, stat, series, style_param)
    facets = plan.facets
    fig = figure(*facet_size(len(facets)))
    nrows, ncols = grid_shape(len(facets), FACET_COLUMNS)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    drawn_n = []                          # n of the points drawn, for the caption
    for ax, facet in zip(axes, facets, strict=False):     # more axes than facets: blank
        drawn_n += _draw_facet(ax, plan, rows, facet)
    for ax in axes[len(facets):]:
        ax.set_axis_off()
    _set_limits(axes[0], stat, plan.positions, plan.numeric, plan.nudge, plan.log)
    ylabel = stat.ylabel.format(unit=plan.unit) + (", log scale" if plan.log else "")
    _label_axes(fig, axes[:len(facets)], ncols, param, ylabel)
    fig.suptitle(title)
    caption = f"error bars: {stat.interval}; {n_text(pd.concat(drawn_n), stat.counted)}"
    if len(plan.pairs) * len(plan.styles) > 1:          # lines per facet
        caption += ("\npoints of different lines nudged sideways so their bars do not "
                    "hide each other")
    _vs_legend(fig, plan.pairs, plan.colours, style_param, plan.names, plan.styles,
               caption)
    return fig


def _nothing_to_draw(rows: pd.DataFrame, stat: Statistic) -> str:
    """Why the rows of ``stat`` give no line (no row, or no known value), or ""."""
    if rows.empty:
        return f"the sweep table has no {stat.name} rows"
    values = pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).any():
        return f"no {stat.name} value is known (all NaN): no join was measured"
    return ""


@dataclass(frozen=True, slots=True)
class _VsPlan:
    """What a "vs" figure draws, decided from its rows before anything is drawn."""

    param: str                  # on x
    stat: Statistic
    style_param: str | None     # as line styles
    names: dict                 # parameter -> short name
    facet_params: list          # the others: a facet per combination of their values
    facets: list                # those combinations, in order of appearance
    pairs: list                 # (session, method) of each line, a colour each
    colours: dict
    styles: list                # the values of style_param ([None] without one)
    x_values: list
    numeric: bool               # x values are numbers (else categories, evenly spaced)
    positions: dict             # x value -> position on the axis
    scale: float                # value -> shown (s -> ms for latencies below 1 s)
    unit: str
    log: bool                   # a log axis: latencies spanning more than two decades
    nudge: list                 # sideways offset of each line of a facet


def _vs_plan(rows: pd.DataFrame, params: list, param: str, stat: Statistic, series: str,
             style_param: str | None) -> _VsPlan:
    """The facets, lines, x positions and scale of a "vs" figure of ``rows``."""
    facet_params = [p for p in params if p not in (param, style_param)]
    facets = (list(rows[facet_params].drop_duplicates().itertuples(index=False, name=None))
              if facet_params else [()])
    pairs = line_series(rows, series)
    styles = ordered_values(rows[style_param]) if style_param else [None]
    x_values = ordered_values(rows[param])
    numeric = is_numeric(x_values)
    positions = {v: (float(v) if numeric else float(i)) for i, v in enumerate(x_values)}
    scale, unit = (latency_unit(_finite(rows, ("value", "ci_high"))) if stat.latency else (1.0, ""))
    positive = _finite(rows, ("value",))
    positive = positive[positive > 0]
    log = bool(stat.latency and positive.size and positive.max() / positive.min() > 100)
    colours = {pair: CYCLE[k % len(CYCLE)] for k, pair in enumerate(pairs)}
    nudge = _nudges(list(positions.values()), numeric, len(pairs) * len(styles))
    return _VsPlan(param=param, stat=stat, style_param=style_param,
                   names=short_names(params), facet_params=facet_params, facets=facets,
                   pairs=pairs, colours=colours, styles=styles, x_values=x_values,
                   numeric=numeric, positions=positions, scale=scale, unit=unit, log=log,
                   nudge=nudge)


def _draw_facet(ax, plan: _VsPlan, rows: pd.DataFrame, facet: tuple) -> list:
    """The lines of one facet (the rows at the values ``facet`` of the facet
    parameters), its title and ticks; returns the ``n`` of the points drawn, for the
    caption."""
    here = rows
    for p, v in zip(plan.facet_params, facet, strict=True):
        here = here[_matches(here[p], v)]
    drawn_n = []
    k = 0
    for pair in plan.pairs:
        for j, value in enumerate(plan.styles):
            line = here[(here["session"] == pair[0]) & (here["method"] == pair[1])]
            if plan.style_param:
                line = line[_matches(line[plan.style_param], value)]
            if _draw_line(ax, line, plan.param, plan.positions, plan.scale, plan.nudge[k],
                          plan.colours[pair], j, plan.style_param, clip=plan.stat.latency):
                values = pd.to_numeric(line["value"], errors="coerce").to_numpy(dtype=float)
                drawn_n.append(line.loc[np.isfinite(values), "n"])
            k += 1
    if plan.facet_params:
        ax.set_title(assignment(plan.names, plan.facet_params, facet), fontsize=9)
    _dress_axes(ax, plan.x_values, plan.positions, plan.numeric)
    return drawn_n


def _finite(rows: pd.DataFrame, columns) -> np.ndarray:
    """The finite numbers of ``columns`` of ``rows``, as one float array."""
    values = np.concatenate([pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float)
                             for c in columns])
    return values[np.isfinite(values)]


def _nudges(positions: list[float], numeric: bool, count: int) -> list[float]:
    """Sideways offsets of ``count`` lines drawn at the same x positions: together
    at most a twenty-fifth of the smallest gap between two positions (none for one line):
    enough to tell the bars apart, too little to be read as another x value."""
    if count <= 1:
        return [0.0] * max(count, 1)
    distinct = np.unique(positions)
    gap = float(np.min(np.diff(distinct))) if distinct.size > 1 else (1.0 if not numeric else 0.0)
    step = gap / 25 / (count - 1)
    return [(k - (count - 1) / 2) * step for k in range(count)]


def _draw_line(ax, line: pd.DataFrame, param: str, positions: dict, scale: float, nudge: float,
               colour: str, style_index: int, style_param: str | None, clip: bool = True) -> bool:
    """One line with error bars; NaN values are gaps, missing intervals no bars.
    ``clip=False`` lets a marker at a limit (a ratio of 0 or 1) show whole.
    Returns whether anything was drawn (nothing for a line with no known value)."""
    if line.empty:
        return False
    x = np.array([positions[v] for v in line[param]], dtype=float)
    order = np.argsort(x, kind="stable")
    x = x[order]
    y, low, high = (pd.to_numeric(line[c], errors="coerce").to_numpy(dtype=float)[order] * scale
                    for c in ("value", "ci_low", "ci_high"))
    y = np.where(np.isfinite(y), y, np.nan)
    if not np.isfinite(y).any():
        return False
    below = np.where(np.isfinite(low), np.clip(y - low, 0, None), np.nan)
    above = np.where(np.isfinite(high), np.clip(high - y, 0, None), np.nan)
    ax.errorbar(x + nudge, y, yerr=np.vstack([below, above]), color=colour,
                linestyle=LINESTYLES[style_index % len(LINESTYLES)] if style_param else "-",
                marker=MARKERS[style_index % len(MARKERS)] if style_param else "o",
                markersize=5, linewidth=1.6, elinewidth=1.0, capsize=3, clip_on=clip)
    return True


def _dress_axes(ax, x_values: list, positions: dict, numeric: bool) -> None:
    """Ticks and grid of one facet: a tick at each grid value (numeric values when there
    are few and they are far enough apart to be read), the categories evenly spaced."""
    if numeric:
        ticks = np.array([positions[v] for v in x_values])
        span = ticks.max() - ticks.min() if ticks.size else 0.0
        if 0 < ticks.size <= 10 and (ticks.size == 1 or np.min(np.diff(ticks)) >= span / 12):
            ax.set_xticks(ticks, [format_value(v) for v in x_values])
    else:
        labels = [format_value(v) for v in x_values]
        ax.set_xticks(range(len(labels)), labels)
        if sum(len(t) for t in labels) > 40:
            ax.tick_params(axis="x", labelrotation=30)
    ax.grid(True, axis="y")
    ax.set_axisbelow(True)


def _set_limits(ax, stat: Statistic, positions: dict, numeric: bool, nudge: list[float],
                log: bool = False) -> None:
    """Limits of the shared axes, once everything is drawn: x just past the outermost
    (nudged) points, y from 0 (a ratio up to 1.02, a latency up to its largest bar), or a
    logarithmic latency axis when the means span more than two decades (milliseconds
    next to seconds: on a linear axis the small ones would lie flat on zero)."""
    ticks = np.array(list(positions.values()), dtype=float)
    if not numeric:
        ax.set_xlim(-0.5, ticks.size - 0.5)
    elif ticks.size and ticks.max() > ticks.min():
        span = ticks.max() - ticks.min()
        margin = max(span * 0.05, max(abs(d) for d in nudge) + span * 0.03)
        ax.set_xlim(ticks.min() - margin, ticks.max() + margin)
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    elif stat.latency:
        ax.set_ylim(0, ax.get_ylim()[1])
    else:
        ax.set_ylim(0, 1.02)


def _label_axes(fig: Figure, axes, ncols: int, xlabel: str, ylabel: str) -> None:
    """Axis labels: on the one axes; with facets the x label (and the x tick labels) under
    the lowest facet of each column, the y label once for the figure, on the left (a
    figure x label would collide with the legend below)."""
    if len(axes) == 1:
        axes[0].set_xlabel(xlabel)
        axes[0].set_ylabel(ylabel)
        return
    for k, ax in enumerate(axes):
        if k + ncols >= len(axes):                   # nothing below it
            ax.set_xlabel(xlabel)
            ax.xaxis.set_tick_params(labelbottom=True)
    fig.supylabel(ylabel, fontsize=10)


def _vs_legend(fig: Figure, pairs, colours: dict, style_param: str | None, names: dict, styles: list,
               caption: str) -> None:
    """One legend below the axes: a colour per (session, method), then a line style per
    ``style_param = value``; the caption (what the bars are, n) is its title."""
    handles = [Line2D([], [], color=colours[pair], marker="" if style_param else "o", linewidth=1.6,
                      label=series_label(*pair)) for pair in pairs]
    if style_param:
        handles += [Line2D([], [], color="#555555", linestyle=LINESTYLES[j % len(LINESTYLES)],
                           marker=MARKERS[j % len(MARKERS)], markersize=5, linewidth=1.4,
                           label=f"{names[style_param]} = {format_value(v)}")
                    for j, v in enumerate(styles)]
    longest = max(len(h.get_label()) for h in handles)
    ncols = min(len(handles), 2 if longest > 24 else 3)
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False,
               title=wrap(caption, fig.get_figwidth()))


def wrap(text: str, width_in: float) -> str:
    """``text`` broken into lines that fit ``width_in`` inches at the legend's 9 pt
    (about 13 characters an inch); its own line breaks are kept."""
    most = max(20, int(width_in * 13))
    return "\n".join(textwrap.fill(line, most) for line in text.split("\n"))


def _empty_figure(title: str, why: str) -> Figure:
    """A single-axes figure titled ``title`` that says ``why`` it is empty."""
    fig = figure(*SINGLE_SIZE)
    ax = fig.add_subplot()
    ax.set_title(title)
    note(ax, why)
    return fig


# ---------------------------------------------------------------------------------------------
# The CDF panels


def _panel_points(curves: pd.DataFrame, points: pd.DataFrame) -> list:
    """The grid points to draw a panel for: those of ``points`` in order, then any
    other point of ``curves``."""
    listed = list(points["point"]) if points is not None and "point" in points.columns else []
    extra = [p for p in pd.unique(curves["point"]) if p not in set(listed)] if len(curves) else []
    return listed + extra


def panel_title(point, points: pd.DataFrame, names: dict[str, str], params: list[str]) -> str:
    """The title of a point's panel: its parameter values (one per line when long),
    "all runs" with no parameter, "point N" for a point ``points`` does not list."""
    if not params:
        return "all runs"
    row = points[points["point"] == point]
    if row.empty:
        return f"point {point}"
    parts = [f"{names[p]} = {format_value(row.iloc[0][p])}" for p in params]
    joined = ", ".join(parts)
    return joined if len(joined) <= 34 else "\n".join(parts)


def _latency_cdfs_figure(curves: pd.DataFrame, points: pd.DataFrame) -> Figure:
    """The figure :func:`latency_cdfs` writes (not saved)."""
    title = "Join latency CDF per grid point (Kaplan–Meier)"
    curves = curves[np.isfinite(pd.to_numeric(curves["time"], errors="coerce").to_numpy(dtype=float))] \
        if len(curves) else curves
    panel_points = _panel_points(curves, points)
    if curves.empty or not panel_points:
        return _empty_figure(title, "no latency curves: the sweep measured no join")
    params = parameter_columns(points, known=("point",)) if points is not None else []
    names = short_names(params)
    times = curves["time"].to_numpy(dtype=float)
    scale, unit = latency_unit(times)
    positive = times[times > 0] * scale
    log = positive.size > 0 and positive.max() / positive.min() > 100
    t_end = _right_edge(float(times.max() * scale), log)
    pairs = sorted(set(zip(curves["session"], curves["method"], strict=True)),
                   key=lambda pair: (method_order(pair[1]), pair[0]))
    looks = {pair: (CYCLE[k % len(CYCLE)], LINESTYLES[k % len(LINESTYLES)]) for k, pair in enumerate(pairs)}

    fig = figure(*panel_size(len(panel_points)))
    nrows, ncols = grid_shape(len(panel_points), PANEL_COLUMNS)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, point in zip(axes, panel_points, strict=False):   # more axes: blank
        ax.set_title(panel_title(point, points, names, params), fontsize=9)
        here = curves[curves["point"] == point]
        for pair in pairs:
            curve = here[(here["session"] == pair[0]) & (here["method"] == pair[1])]
            if len(curve):
                _draw_cdf(ax, curve, scale, t_end, log, *looks[pair])
        ax.axhline(1.0, color="#999999", linewidth=0.8, linestyle=":", zorder=0, gid=GUIDE)
        if here.empty:
            ax.text(0.5, 0.5, "no joins at this point", transform=ax.transAxes, ha="center",
                    va="center", color="#555555")
        ax.set_ylim(0, 1.05)
        ax.grid(True, which="major")
        ax.set_axisbelow(True)
    for ax in axes[len(panel_points):]:
        ax.set_axis_off()
    if log:
        axes[0].set_xscale("log")
        axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        axes[0].set_xlim(right=t_end)
    else:
        axes[0].set_xlim(0, t_end if t_end > 0 else 1)
    xlabel = f"join latency ({unit})" + (", log scale" if log else "")
    _label_axes(fig, axes[:len(panel_points)], ncols, xlabel, "fraction of joins completed (Kaplan–Meier)")
    fig.suptitle(title)
    handles = [Line2D([], [], color=looks[pair][0], linestyle=looks[pair][1], linewidth=1.8,
                      label=series_label(*pair)) for pair in pairs]
    longest = max(len(h.get_label()) for h in handles)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 2 if longest > 24 else 3),
               frameon=False, title=wrap("joins that never completed are censored, not dropped: "
                                         "such a curve levels off below 1 at the fraction completed",
                                         fig.get_figwidth()))
    return fig


def _right_edge(t_max: float, log: bool) -> float:
    """The right end of the x axis: a little past the largest time, so that every curve
    shows a flat stretch at its last level."""
    return t_max * (10 ** 0.08 if log else 1.03)


def _draw_cdf(ax, curve: pd.DataFrame, scale: float, t_end: float, log: bool, colour: str,
              linestyle: str) -> None:
    """One Kaplan–Meier step curve, drawn on to ``t_end`` (the right edge) at its last level."""
    curve = curve.sort_values("time", kind="stable")
    x = curve["time"].to_numpy(dtype=float) * scale
    y = pd.to_numeric(curve["cdf"], errors="coerce").to_numpy(dtype=float)
    if x[-1] < t_end:
        x, y = np.append(x, t_end), np.append(y, y[-1])
    if log:                              # time 0 has no place on a log axis: start at the first jump
        keep = x > 0
        x, y = np.concatenate([x[keep][:1], x[keep]]), np.concatenate([[0.0], y[keep]])
    ax.step(x, y, where="post", color=colour, linestyle=linestyle, linewidth=1.8)
