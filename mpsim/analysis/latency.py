"""Join latency: the figure users compare, and its statistics per session and method.

For the rooted methods (``root_invite``, ``leaf_request``) a join is done when
the socket layer signals ``FD_CONNECT``, so the figure is ``latency =
t_complete - t_request``. A ``nonrooted`` join (IP multicast) signals
``FD_CONNECT`` at once, so the figure is ``t_first_data - t_request``: how long
until the member first received session data (DESIGN.md, joins.csv).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mpsim.analysis.frames import METHODS, OUTCOMES, ROOTED, clean, joins_frame

#: Columns of ``join_summary``'s frame after ``session`` and ``method``.
STAT_COLUMNS = ("n", "mean", "p50", "p95", "max", "ci95")


def latency_table(joins: pd.DataFrame) -> pd.DataFrame:
    """One row per join attempt with the latency figure users compare.

    Parameters
    ----------
    joins : DataFrame
        The joins table (DESIGN.md ``joins.csv``), from memory or read from disk.

    Returns
    -------
    DataFrame
        ``join_id, session, method, root, leaf, outcome, t_request, t_end, latency,
        figure``: ``t_end`` is ``t_complete`` for rooted methods and ``t_first_data``
        for ``nonrooted``; ``latency = t_end - t_request`` in seconds (NaN while
        unknown: a pending join, a member that never received data); ``figure`` says
        which (``"setup"`` or ``"first_data"``). For a failed rooted join the
        latency is the time until it failed.

    Examples
    --------
    >>> joins = pd.DataFrame({"join_id": [1, 2], "session": ["s", "g"],
    ...     "method": ["root_invite", "nonrooted"], "root": ["R", None], "leaf": ["L", "H"],
    ...     "t_request": [1.0, 1.0], "t_complete": [1.0648, 1.0], "latency": [0.0648, 0.0],
    ...     "outcome": ["connected", "connected"], "t_first_data": [None, 1.0652]})
    >>> [round(x, 4) for x in latency_table(joins).latency]
    [0.0648, 0.0652]
    """
    frame = joins_frame(joins)
    rooted = np.isin(frame["method"].to_numpy(dtype=object), ROOTED)
    t_end = np.where(rooted, frame["t_complete"], frame["t_first_data"])
    return pd.DataFrame({
        "join_id": frame["join_id"], "session": frame["session"], "method": frame["method"],
        "root": frame["root"], "leaf": frame["leaf"], "outcome": frame["outcome"],
        "t_request": frame["t_request"], "t_end": t_end, "latency": t_end - frame["t_request"],
        "figure": np.where(rooted, "setup", "first_data"),
    })


def t_quantile(p: float, dof: int) -> float:
    """The ``p`` quantile of Student's t with ``dof`` degrees of freedom: scipy's
    ``special.stdtrit``, the function behind ``stats.t.ppf`` (the same values), without
    the half second that importing ``scipy.stats`` costs every sweep worker. For 1, 2
    and 4 degrees of freedom it is the closed form stdtrit itself uses (Boost's, exact
    to the bit), so that small runs need not import scipy at all; stdtrit's other
    values come from a Newton step on an incomplete beta function, which only scipy
    reproduces to the bit.

    >>> round(t_quantile(0.975, 9), 6), round(t_quantile(0.975, 2), 6)
    (2.262157, 4.302653)
    """
    if dof in (1, 2, 4) and 0 < p < 1 and p != 0.5:
        t = _t_closed_form(p, int(dof))
        if math.isfinite(t):          # an overflow is scipy's to report (as +inf)
            return t
    from scipy.special import stdtrit
    return float(stdtrit(dof, p))


def _t_closed_form(p: float, dof: int) -> float:
    """Boost's ``inverse_students_t`` for dof 1 (Cauchy), 2 and 4 (Shaw, eqs. 35-39),
    operation for operation: the lower tail ``u`` is solved, the sign set after."""
    u = 1 - p if p > 0.5 else p
    v = 1 - u
    if dof == 1:
        t = -math.cos(math.pi * u) / math.sin(math.pi * u)
    elif dof == 2:
        t = (2 * u - 1) / math.sqrt(2 * u * v)
    else:
        root_alpha = math.sqrt(4 * u * v)
        t = -math.sqrt(4 * math.cos(math.acos(root_alpha) / 3) / root_alpha - 4)
    return -t if p > 0.5 else t


def latency_stats(values, confidence: float = 0.95) -> dict:
    """n, mean, p50, p95, max and the half-width of a ``confidence`` interval of the mean
    (t-distribution with n−1 degrees of freedom) of the
    finite ``values``, in their unit. Empty statistics are NaN; the half-width needs n ≥ 2.

    >>> s = latency_stats([1.0, 2.0, 3.0])
    >>> s["n"], s["mean"], round(s["ci95"], 4)
    (3, 2.0, 2.4841)
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return {"n": 0, "mean": math.nan, "p50": math.nan, "p95": math.nan, "max": math.nan,
                "ci95": math.nan}
    half = math.nan
    if n >= 2:
        half = t_quantile(0.5 + confidence / 2, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return {"n": n, "mean": float(values.mean()), "p50": float(np.quantile(values, 0.5)),
            "p95": float(np.quantile(values, 0.95)), "max": float(values.max()), "ci95": half}


def _order(methods) -> list:
    known = [m for m in METHODS if m in set(methods)]
    return known + sorted(m for m in set(methods) if m not in METHODS and isinstance(m, str))


def join_summary(joins: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per session and method: join attempts by outcome and statistics of the latency
    figure (``latency_table``) of the connected ones.

    Returns
    -------
    DataFrame
        ``session, method, joins``, one count column per outcome (``connected``,
        ``rejected``, ``timed_out``, ``unreachable``, ``cancelled``, ``pending``), then
        ``n, mean, p50, p95, max, ci95`` (seconds; ``ci95`` is the half-width of the
        ``confidence`` interval of the mean, NaN for n < 2). ``n`` counts connected
        joins with a known latency (a nonrooted member that never received data has none).
        Sorted by session, then method in the order root_invite, leaf_request, nonrooted.
    """
    table = latency_table(joins)
    columns = ["session", "method", "joins", *OUTCOMES, *STAT_COLUMNS]
    session = table["session"].to_numpy(dtype=object)
    method = table["method"].to_numpy(dtype=object)
    outcome = table["outcome"].to_numpy(dtype=object)
    latency = table["latency"].to_numpy(dtype=float)
    groups: dict = {}
    for i, key in enumerate(zip(session, method, strict=True)):     # one pass: indices of each group
        if isinstance(key[0], str):
            groups.setdefault(key, []).append(i)
    rows = []
    for name in sorted({key[0] for key in groups}):
        for kind in _order([m for s, m in groups if s == name]):
            index = np.asarray(groups[(name, kind)])
            outcomes = list(outcome[index])
            connected = index[outcome[index] == "connected"]
            stats = latency_stats(latency[connected], confidence)
            rows.append([name, kind, len(index), *(outcomes.count(o) for o in OUTCOMES),
                         *(stats[c] for c in STAT_COLUMNS)])
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("joins", *OUTCOMES, "n"):
        frame[name] = frame[name].astype(np.int64)
    return frame


def join_summary_dict(joins: pd.DataFrame, confidence: float = 0.95) -> dict:
    """``join_summary`` as plain data for JSON: ``{session: {method: {"joins": int,
    "outcomes": {outcome: int}, "latency": {"n", "mean", "p50", "p95", "max", "ci95"}}}}``,
    seconds, None where a statistic is undefined."""
    out: dict = {}
    for row in join_summary(joins, confidence).to_dict("records"):
        out.setdefault(row["session"], {})[row["method"]] = {
            "joins": int(row["joins"]),
            "outcomes": {o: int(row[o]) for o in OUTCOMES},
            "latency": {c: clean(row[c]) for c in STAT_COLUMNS},
        }
    return out
