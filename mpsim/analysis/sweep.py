"""A sweep's statistics per grid point, session and method, with confidence intervals.

``mpsim sweep`` runs a scenario at every grid point, several replications each,
and keeps each run's joins table. ``aggregate_sweep`` turns them into one tidy
table (``sweep.csv``): a row per grid point, group and statistic with its interval.
Replications, not joins, are the independent units: the means and their Student t
intervals are over per-replication means, and the bootstrap of the quantiles
resamples whole runs (a cluster bootstrap).

Latency quantiles count the joins that never completed. A connected join is an
event at its latency (``latency_table``'s figure); any other join is right-censored
at ``t_end - t_request``, the time it was watched before the run ended, and the
quantile comes from the Kaplan–Meier estimate (``mpsim.analysis.survival``). A lossy
grid point therefore cannot look faster because its slow joins failed; when fewer
than a fraction p of the joins completed, the p quantile is ``inf`` ("not reached").
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd

from mpsim.analysis.frames import METHODS, as_float
from mpsim.analysis.latency import latency_table, t_quantile
from mpsim.analysis.survival import cluster_km_quantiles, kaplan_meier, km_quantile
from mpsim.core.errors import ParameterError

#: Statistics of each group, in the order of the table's rows.
SWEEP_STATISTICS = ("latency_mean", "latency_p50", "latency_p95", "success_ratio",
                    "messages_per_join", "attempts_per_join")
#: Columns of ``aggregate_sweep`` after ``point`` and the grid parameter columns.
SWEEP_COLUMNS = ("session", "method", "statistic", "value", "ci_low", "ci_high", "n", "unit")
#: Unit of each statistic.
UNITS = {"latency_mean": "s", "latency_p50": "s", "latency_p95": "s", "success_ratio": "ratio",
         "messages_per_join": "messages", "attempts_per_join": "transmissions"}
#: Columns of ``sweep_curves``.
CURVE_COLUMNS = ("point", "session", "method", "time", "cdf")
#: The ``session`` of the groups that pool every session of a method at a point.
ALL_SESSIONS = "*"
#: Quantile levels of ``latency_p50`` and ``latency_p95``.
LEVELS = (0.5, 0.95)

_NAN = math.nan


def method_order(methods) -> list:
    """``methods`` (distinct, text) in the order root_invite, leaf_request, nonrooted, then
    any other sorted.

    >>> method_order(["nonrooted", "x", "root_invite"])
    ['root_invite', 'nonrooted', 'x']
    """
    present = set(methods)
    return [m for m in METHODS if m in present] + sorted(present - set(METHODS))


def group_seed(point: int, session: str, method: str) -> int:
    """The bootstrap seed of a group: a stable hash (blake2b, not ``hash()``) of its key,
    so a group's interval does not depend on which groups were computed before it.

    >>> group_seed(0, "*", "root_invite") == group_seed(0, "*", "root_invite")
    True
    >>> group_seed(0, "*", "root_invite") == group_seed(1, "*", "root_invite")
    False
    """
    key = f"{int(point)}\x1f{session}\x1f{method}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def percentiles(values, levels) -> np.ndarray:
    """Linear-interpolation percentiles (numpy's default method) of ``values``, which may
    hold ``inf``: an interpolation that involves ``inf`` is ``inf`` (``np.quantile`` would
    give NaN there). NaN values are ignored; NaN when none is left.

    >>> percentiles([1.0, 2.0, 3.0, math.inf], [0.0, 0.5, 0.9, 1.0]).tolist()
    [1.0, 2.5, inf, inf]
    """
    values = np.sort(np.asarray(values, dtype=float))
    values = values[~np.isnan(values)]
    levels = np.asarray(levels, dtype=float)
    if values.size == 0:
        return np.full(levels.shape, _NAN)
    index = levels * (values.size - 1)
    low = np.floor(index).astype(np.int64)
    high = np.minimum(low + 1, values.size - 1)
    gap = index - low
    a, b = values[low], values[high]
    with np.errstate(invalid="ignore"):
        step = b - a
        out = np.where(gap >= 0.5, b - step * (1 - gap), a + step * gap)
    out = np.where(gap == 0, a, out)
    return np.where(np.isinf(a) | (np.isinf(b) & (gap > 0)), math.inf, out)


def mean_interval(values, confidence: float) -> tuple[float, float, float, int]:
    """Mean of ``values`` and its Student t ``confidence`` interval (n − 1 degrees of
    freedom, ``latency.t_quantile``), in their unit, with n. The
    interval is NaN for n < 2, everything for n = 0.

    >>> [round(x, 4) for x in mean_interval([1.0, 2.0, 3.0], 0.95)]
    [2.0, -0.4841, 4.4841, 3]
    """
    values = np.asarray(values, dtype=float)
    n = int(values.size)
    if n == 0:
        return _NAN, _NAN, _NAN, 0
    mean = float(values.mean())
    if n < 2:
        return mean, _NAN, _NAN, n
    half = t_quantile(0.5 + confidence / 2, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def replication_means(replication, values, replications: int) -> np.ndarray:
    """The mean of the finite ``values`` of each replication (``0 .. replications-1``) that
    has any, in replication order.

    >>> replication_means([0, 0, 2], [1.0, 3.0, 5.0], 3).tolist()
    [2.0, 5.0]
    """
    replication = np.asarray(replication, dtype=np.int64)
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values)
    sums = np.bincount(replication[keep], weights=values[keep], minlength=replications)
    counts = np.bincount(replication[keep], minlength=replications)
    return sums[counts > 0] / counts[counts > 0]


def _whole(series, name: str) -> np.ndarray:
    values = as_float(series)
    if not (np.isfinite(values).all() and (values == np.floor(values)).all()):
        raise ParameterError(f"{name} must hold whole numbers, no missing values")
    return values.astype(np.int64)


def _grid(points: pd.DataFrame) -> pd.DataFrame:
    if "point" not in points:
        raise ParameterError("points needs a 'point' column (the grid point index)")
    clash = [c for c in points.columns if c in SWEEP_COLUMNS]
    if clash:
        raise ParameterError(f"grid parameter columns {clash} clash with the table's own columns")
    grid = points.reset_index(drop=True).copy()
    grid["point"] = _whole(grid["point"], "points.point")
    if grid["point"].duplicated().any():
        raise ParameterError("points lists a grid point twice")
    return grid.sort_values("point", kind="mergesort").reset_index(drop=True)


def _runs(runs: pd.DataFrame) -> pd.DataFrame:
    """point, replication, t_end (s) and ``slot``: the run's position among the runs of
    its point, in replication order."""
    missing = [c for c in ("point", "replication", "t_end") if c not in runs]
    if missing:
        raise ParameterError(f"runs needs the columns {missing}")
    frame = pd.DataFrame({"point": _whole(runs["point"], "runs.point"),
                          "replication": _whole(runs["replication"], "runs.replication"),
                          "t_end": as_float(runs["t_end"])})
    if frame.duplicated(["point", "replication"]).any():
        raise ParameterError("runs lists a (point, replication) twice")
    frame = frame.sort_values(["point", "replication"], kind="mergesort").reset_index(drop=True)
    frame["slot"] = frame.groupby("point").cumcount().to_numpy(dtype=np.int64)
    return frame


def _join_rows(joins: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per join attempt with a session and a method, sorted by point, replication
    and join id: ``point, slot, session, method, event`` (connected with a known latency),
    ``time`` (the latency if an event, else the censoring time ``t_end - t_request``, at
    least 0, 0 when unknown), ``latency``, ``messages``, ``attempts``."""
    columns = ["point", "slot", "session", "method", "event", "time", "latency", "messages",
               "attempts"]
    if len(joins) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    missing = [c for c in ("point", "replication", "join_id") if c not in joins]
    if missing:
        raise ParameterError(f"joins needs the columns {missing}")
    point = _whole(joins["point"], "joins.point")
    replication = _whole(joins["replication"], "joins.replication")
    order = np.lexsort((as_float(joins["join_id"]), replication, point))
    joins = joins.iloc[order].reset_index(drop=True)
    point, replication = point[order], replication[order]
    where = pd.MultiIndex.from_arrays([runs["point"], runs["replication"]]).get_indexer(
        pd.MultiIndex.from_arrays([point, replication]))
    if (where < 0).any():
        first = int(np.flatnonzero(where < 0)[0])
        raise ParameterError(f"joins has rows of point {point[first]} replication "
                             f"{replication[first]}, which is not in runs")
    table = latency_table(joins)
    latency = table["latency"].to_numpy(dtype=float)
    event = (table["outcome"].to_numpy(dtype=object) == "connected") & np.isfinite(latency)
    watched = np.fmax(runs["t_end"].to_numpy()[where] - table["t_request"].to_numpy(), 0.0)
    frame = pd.DataFrame({
        "point": point, "slot": runs["slot"].to_numpy()[where],
        "session": table["session"].to_numpy(dtype=object),
        "method": table["method"].to_numpy(dtype=object), "event": event,
        "time": np.where(event, latency, watched), "latency": np.where(event, latency, _NAN),
        "messages": as_float(joins["messages"]) if "messages" in joins else _NAN,
        "attempts": as_float(joins["attempts"]) if "attempts" in joins else _NAN,
    })
    named = frame["session"].map(lambda s: isinstance(s, str)) & \
        frame["method"].map(lambda m: isinstance(m, str))
    return frame[named.to_numpy(dtype=bool)].reset_index(drop=True)


def _groups(rows: pd.DataFrame, pooled: bool):
    """(session, method, rows) of one point, in the table's order."""
    if pooled:
        for method in method_order(rows["method"].unique()):
            yield ALL_SESSIONS, method, rows[rows["method"].to_numpy() == method]
    for session in sorted(rows["session"].unique()):
        of_session = rows[rows["session"].to_numpy() == session]
        for method in method_order(of_session["method"].unique()):
            yield session, method, of_session[of_session["method"].to_numpy() == method]


def _bootstrap_counts(rng: np.random.Generator, resamples: int, replications: int) -> np.ndarray:
    """How many times each resample draws each replication, shape (resamples, replications)."""
    draws = rng.integers(0, replications, size=(resamples, replications))
    offset = np.arange(resamples, dtype=np.int64)[:, None] * replications
    return np.bincount((draws + offset).ravel(), minlength=resamples * replications).reshape(
        resamples, replications)


def _quantile_rows(group, replications: int, key, confidence: float, resamples: int) -> list:
    time = group["time"].to_numpy(dtype=float)
    event = group["event"].to_numpy(dtype=bool)
    values = km_quantile(time, event, LEVELS)
    low = high = np.full(len(LEVELS), _NAN)
    if replications >= 2 and resamples > 0:
        counts = _bootstrap_counts(np.random.default_rng(group_seed(*key)), resamples, replications)
        drawn = cluster_km_quantiles(time, event, group["slot"].to_numpy(dtype=np.int64), counts,
                                     LEVELS)
        tails = ((1 - confidence) / 2, (1 + confidence) / 2)
        bounds = np.array([percentiles(drawn[:, i], tails) for i in range(len(LEVELS))])
        low, high = bounds[:, 0], bounds[:, 1]
    return [(float(values[i]), float(low[i]), float(high[i]), len(group)) for i in range(len(LEVELS))]


def wilson_interval(k: int, n: int, confidence: float) -> tuple[float, float]:
    """The Wilson score ``confidence`` interval of a proportion ``k / n`` (n >= 1): scipy's
    ``binomtest(k, n).proportion_ci(method="wilson")``.

    >>> [round(x, 4) for x in wilson_interval(5, 10, 0.95)]
    [0.2366, 0.7634]
    """
    from scipy import stats
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def _success_row(group, confidence: float) -> tuple:
    n = len(group)
    k = int(group["event"].to_numpy(dtype=bool).sum())
    return (k / n, *wilson_interval(k, n, confidence), n)


def _group_statistics(group, replications: int, key, confidence: float, resamples: int) -> list:
    """(value, ci_low, ci_high, n) of each of ``SWEEP_STATISTICS`` for one group."""
    slot = group["slot"].to_numpy(dtype=np.int64)
    per_run = {name: replication_means(slot, group[column].to_numpy(dtype=float), replications)
               for name, column in (("latency_mean", "latency"), ("messages_per_join", "messages"),
                                    ("attempts_per_join", "attempts"))}
    p50, p95 = _quantile_rows(group, replications, key, confidence, resamples)
    return [mean_interval(per_run["latency_mean"], confidence), p50, p95,
            _success_row(group, confidence),
            mean_interval(per_run["messages_per_join"], confidence),
            mean_interval(per_run["attempts_per_join"], confidence)]


def _check_options(confidence: float, resamples: int) -> None:
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must lie in (0, 1), got {confidence}")
    if int(resamples) != resamples or resamples < 0:
        raise ParameterError(f"resamples must be a whole number >= 0, got {resamples}")


def aggregate_sweep(joins: pd.DataFrame, runs: pd.DataFrame, points: pd.DataFrame, *,
                    confidence: float = 0.95, resamples: int = 1000) -> pd.DataFrame:
    """The sweep's tidy statistics table: per grid point, session and method, each of
    ``SWEEP_STATISTICS`` with its ``confidence`` interval.

    Parameters
    ----------
    joins : DataFrame
        Every finished run's joins table (DESIGN.md ``joins.csv``) stacked, with int
        columns ``point`` and ``replication``. Rows without a session or method are
        in no group.
    runs : DataFrame
        One row per finished run: ``point``, ``replication``, ``t_end`` (s, the end of
        its observation window). A run without joins still counts as a replication.
    points : DataFrame
        One row per grid point: ``point``, then one column per grid parameter (dotted
        path), possibly none.
    confidence : float
        Level of every interval, in (0, 1).
    resamples : int
        Cluster bootstrap resamples for the latency quantiles' intervals (0: none).

    Returns
    -------
    DataFrame
        ``point``, the parameter columns of ``points``, then ``SWEEP_COLUMNS``:
        ``session`` (``"*"`` for the group pooling every session of a method),
        ``method``, ``statistic``, ``value``, ``ci_low``, ``ci_high``, ``n``, ``unit``.
        Latency figures are ``latency_table``'s, in seconds; a connected join is one
        with outcome ``connected`` and a known latency.

        - ``latency_mean`` (s): mean over replications of each one's mean latency of
          connected joins; Student t interval; n = replications with a connected join.
        - ``latency_p50``, ``latency_p95`` (s): Kaplan–Meier quantiles of all the
          group's joins pooled, non-connected ones censored at ``t_end - t_request``;
          ``inf`` when not reached. Cluster bootstrap percentile interval over the
          point's R runs: resample b takes the runs
          ``default_rng(group_seed(point, session, method)).integers(0, R, (resamples, R))[b]``
          (positions in replication order), and ``percentiles`` gives the bounds
          (``inf`` allowed); resamples holding no row of the group are left out. NaN
          with one run or no resamples. n = join rows.
        - ``success_ratio`` (ratio): connected / join rows; Wilson interval; n = rows.
        - ``messages_per_join`` (messages), ``attempts_per_join`` (transmissions): mean
          over replications of each one's mean over the group's rows; Student t.

        Rows by point, then the ``"*"`` groups, then sessions by name; methods in the
        order root_invite, leaf_request, nonrooted, others sorted; statistics in the
        order of ``SWEEP_STATISTICS``. The same inputs in any row order give the same
        table.
    """
    _check_options(confidence, resamples)
    grid = _grid(points)
    run_table = _runs(runs)
    _check_run_points(run_table, grid)
    rows = _join_rows(joins, run_table)
    records, positions = _statistic_records(rows, run_table, grid, confidence,
                                            int(resamples))
    return _sweep_frame(grid, records, positions)


def _check_run_points(run_table: pd.DataFrame, grid: pd.DataFrame) -> None:
    """``ParameterError`` if a run is at a grid point that ``points`` does not list."""
    unknown = sorted(set(run_table["point"]) - set(grid["point"]))
    if unknown:
        raise ParameterError(f"runs has grid points {unknown} that points does not list")


def _statistic_records(rows: pd.DataFrame, run_table: pd.DataFrame, grid: pd.DataFrame,
                       confidence: float, resamples: int) -> tuple[list, list]:
    """The table's rows (``SWEEP_COLUMNS``) of every group of every grid point that has
    joins, and for each the position of its point in ``grid``."""
    records, positions = [], []
    for position, point in enumerate(grid["point"].tolist()):
        here = rows[rows["point"].to_numpy() == point]
        if len(here) == 0:
            continue
        replications = int((run_table["point"] == point).sum())
        for session, method, group in _groups(here, pooled=True):
            statistics = _group_statistics(group, replications, (point, session, method),
                                           confidence, resamples)
            named = zip(SWEEP_STATISTICS, statistics, strict=True)
            for name, (value, low, high, n) in named:
                records.append((session, method, name, value, low, high, n, UNITS[name]))
                positions.append(position)
    return records, positions


def _sweep_frame(grid: pd.DataFrame, records: list, positions: list) -> pd.DataFrame:
    """The tidy table: each record after the parameter values of its point, with the
    column types of the table whatever the rows (an empty table included)."""
    parameters = grid.iloc[positions].reset_index(drop=True)
    body = pd.DataFrame.from_records(records, columns=list(SWEEP_COLUMNS)) if records else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in SWEEP_COLUMNS})
    frame = pd.concat([parameters, body], axis=1)
    frame["point"] = frame["point"].astype(np.int64)
    for name in ("session", "method", "statistic", "unit"):
        frame[name] = frame[name].astype(str)
    for name in ("value", "ci_low", "ci_high"):
        frame[name] = frame[name].astype(np.float64)
    frame["n"] = frame["n"].astype(np.int64)
    return frame


def sweep_curves(joins: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan–Meier CDF of join latency per grid point, session and method, to plot.

    Censoring as in ``aggregate_sweep``: a join that did not connect was watched for
    ``t_end - t_request`` seconds of its run.

    Returns
    -------
    DataFrame
        ``point, session, method, time, cdf``: per group a first row at time 0 with
        cdf 0, then F just after each event time (s). Only real sessions (no ``"*"``);
        by point, session, method (in the order of ``aggregate_sweep``), time.
    """
    run_table = _runs(runs)
    rows = _join_rows(joins, run_table)
    parts = []
    for point in sorted(set(rows["point"].tolist())):
        here = rows[rows["point"].to_numpy() == point]
        for session, method, group in _groups(here, pooled=False):
            times, cdf = kaplan_meier(group["time"].to_numpy(dtype=float),
                                      group["event"].to_numpy(dtype=bool))
            parts.append(pd.DataFrame({"point": point, "session": session, "method": method,
                                       "time": np.concatenate([[0.0], times]),
                                       "cdf": np.concatenate([[0.0], cdf])}))
    if not parts:
        return pd.DataFrame({"point": pd.Series(dtype=np.int64), "session": pd.Series(dtype=str),
                             "method": pd.Series(dtype=str), "time": pd.Series(dtype=np.float64),
                             "cdf": pd.Series(dtype=np.float64)})
    frame = pd.concat(parts, ignore_index=True)
    frame["point"] = frame["point"].astype(np.int64)
    return frame
