"""Empirical CDF of join latency per session and method."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from mpsim.analysis import latency_table
from mpsim.analysis.frames import METHODS
from mpsim.plot.style import CYCLE, figure, note, save, style

LINESTYLES = ("-", "--", "-.", ":")
#: Method names as a reader of the figure knows them.
METHOD_LABELS = {"root_invite": "root invites", "leaf_request": "leaf requests",
                 "nonrooted": "non-rooted, to first data"}


def latency_unit(values) -> tuple[float, str]:
    """Scale and unit name to show latencies in: ms below one second, else s."""
    values = np.asarray(values, dtype=float)
    largest = np.nanmax(values) if values.size and np.isfinite(values).any() else 0.0
    return (1e3, "ms") if largest < 1.0 else (1.0, "s")


def latency_cdf(joins: pd.DataFrame, path, format=None, title: str = "Join latency"):
    """Draw the empirical CDF of the latency figure users compare (``latency_table``) of
    the connected joins, one step curve per (session, method), with n in the legend.

    The latency is ``t_complete − t_request`` for rooted methods and ``t_first_data −
    t_request`` for ``nonrooted`` (time to first data). The x axis is in ms when
    every latency is below 1 s, else in s, and logarithmic when the latencies span
    more than two decades. Curves differ in colour and line style.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    table = latency_table(joins)
    table = table[(table["outcome"] == "connected") & np.isfinite(table["latency"].to_numpy())]
    with style():
        fig = figure(7.5, 4.8)
        ax = fig.add_subplot()
        ax.set_title(title)
        if table.empty:
            note(ax, "no connected joins with a known latency")
            return save(fig, path, format)
        scale, unit = latency_unit(table["latency"])
        values = table["latency"].to_numpy() * scale
        positive = values[values > 0]
        log = positive.size == values.size and positive.size > 0 and positive.max() / positive.min() > 100
        order = {m: i for i, m in enumerate(METHODS)}
        groups = sorted(table.groupby(["session", "method"], sort=False).groups.items(),
                        key=lambda item: (item[0][0], order.get(item[0][1], 9), item[0][1]))
        for k, ((session, method), index) in enumerate(groups):
            x = np.sort(table.loc[index, "latency"].to_numpy() * scale)
            n = x.size
            y = np.arange(1, n + 1) / n
            xs = np.concatenate([[x[0]], x])
            ys = np.concatenate([[0.0], y])
            label = f"{session}: {METHOD_LABELS.get(method, method)}"
            ax.step(xs, ys, where="post", color=CYCLE[k % len(CYCLE)],
                    linestyle=LINESTYLES[k % len(LINESTYLES)], linewidth=1.8, label=f"{label} (n={n})",
                    marker="o" if n <= 12 else None, markersize=4, markevery=list(range(1, n + 1)))
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        else:
            ax.set_xlim(left=0)
            lo, hi = ax.get_xlim()
            ax.set_xlim(0, hi * 1.03 if hi > 0 else 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(f"join latency ({unit})" + (", log scale" if log else ""))
        ax.set_ylabel("fraction of connected joins")
        ax.grid(True, which="major")
        ax.set_axisbelow(True)
        fig.legend(loc="outside lower center", ncols=min(3, len(groups)), frameon=False)
        return save(fig, path, format)
