"""Kaplan–Meier estimates for right-censored times (join latencies seen in a finite window).

A join that had not completed when the run ended is not a join with no latency:
it would have taken longer than the time it was watched. Dropping it makes a
lossy configuration look faster than it is (its slow joins vanish); the
product-limit estimator keeps it in the risk set until it was last seen. Times
are in whatever unit they are given (seconds throughout mpsim).

Ties follow the usual convention (and ``scipy.stats.ecdf``): events at a time
count before censorings at the same time, so a join censored at ``t`` is still
at risk for the events at ``t``.
"""

from __future__ import annotations

import math

import numpy as np

from mpsim.core.errors import ParameterError

#: Slack on ``F(t) >= p``: a product of factors can miss ``p = 0.5`` by an ulp.
QUANTILE_TOLERANCE = 1e-12


def _checked(times, observed) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(times, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    if times.ndim != 1 or observed.shape != times.shape:
        raise ParameterError(f"times and observed must be 1-D arrays of the same length, "
                             f"got shapes {times.shape} and {observed.shape}")
    if times.size and not (np.isfinite(times).all() and (times >= 0).all()):
        raise ParameterError("times must be finite and >= 0")
    return times, observed


def _checked_p(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if not ((p > 0) & (p < 1)).all():
        raise ParameterError(f"quantile levels must lie in (0, 1), got {p.tolist()}")
    return p


def _buckets(times: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct event times and, per observation, the index of the last event time
    at or before it (-1 when none: it is in no event's risk set)."""
    event_times = np.unique(times[observed])
    return event_times, np.searchsorted(event_times, times, side="right") - 1


def _cdf(events: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """F just after each event time from per-bucket counts (``(..., U)`` arrays of the
    events at event time ``j`` and of the observations whose bucket is ``j``).

    The risk set at event time ``j`` is every observation whose bucket is ``>= j`` (it
    lasted at least until then; censored at the same time counts, as events come first).
    Buckets with nobody at risk (only in a resample) get factor 1 and change nothing.
    """
    at_risk = np.cumsum(totals[..., ::-1], axis=-1)[..., ::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(at_risk > 0, 1.0 - events / at_risk, 1.0)
    return 1.0 - np.cumprod(factor, axis=-1)


def kaplan_meier(times, observed) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan–Meier (product-limit) estimate of the CDF of right-censored times.

    Parameters
    ----------
    times : array of float
        When each observation ended, ``>= 0`` (seconds for join latencies).
    observed : array of bool
        True where the event happened at that time, False where the observation
        was right-censored there (it was still waiting when last seen).

    Returns
    -------
    t, cdf : ndarray of float
        The distinct event times, ascending, and ``F(t) = 1 - S(t)`` just after each.
        Both empty when there is no observation or no event.

    Examples
    --------
    Four joins: two complete at 1 s and 3 s, one is still waiting at 2 s, one at 4 s.

    >>> t, cdf = kaplan_meier([1.0, 2.0, 3.0, 4.0], [True, False, True, False])
    >>> t.tolist(), cdf.tolist()
    ([1.0, 3.0], [0.25, 0.625])
    """
    times, observed = _checked(times, observed)
    if not observed.any():
        return np.array([], dtype=float), np.array([], dtype=float)
    event_times, bucket = _buckets(times, observed)
    size = event_times.size
    events = np.bincount(bucket[observed], minlength=size).astype(float)
    totals = np.bincount(bucket[bucket >= 0], minlength=size).astype(float)
    return event_times, _cdf(events, totals)


def _first_reaching(event_times: np.ndarray, cdf: np.ndarray, events: np.ndarray | None,
                    p: np.ndarray) -> np.ndarray:
    """Per row of ``cdf`` (``(..., U)``) and per level of ``p``: the smallest event time
    with ``F >= p`` (inf when none). Where ``events`` is given, only buckets that hold
    an event count (a resample may miss some event times)."""
    if event_times.size == 0:
        return np.full(cdf.shape[:-1] + p.shape, math.inf)
    reached = cdf[..., None, :] >= p[:, None] - QUANTILE_TOLERANCE
    if events is not None:
        reached &= events[..., None, :] > 0
    return np.where(reached.any(axis=-1), event_times[reached.argmax(axis=-1)], math.inf)


def km_quantile(times, observed, p):
    """The ``p`` quantile of right-censored times: the smallest event time ``t`` with
    Kaplan–Meier ``F(t) >= p`` (within 1e-12).

    Parameters
    ----------
    times, observed
        As for ``kaplan_meier``.
    p : float or array of float
        Levels in (0, 1).

    Returns
    -------
    float or ndarray
        In the unit of ``times``; ``inf`` where ``F`` never reaches ``p`` (fewer than a
        fraction ``p`` of the joins completed within the window: "not reached"); NaN
        when there is no observation at all. An array of the shape of ``p`` if ``p``
        is an array.

    Examples
    --------
    >>> km_quantile([1.0, 2.0, 3.0, 4.0], [True, False, True, False], 0.5)
    3.0
    >>> km_quantile([1.0, 2.0, 3.0, 4.0], [True, False, True, False], [0.25, 0.9]).tolist()
    [1.0, inf]
    """
    times, observed = _checked(times, observed)
    levels = _checked_p(p)
    if times.size == 0:
        out = np.full(levels.shape, math.nan)
    else:
        event_times, cdf = kaplan_meier(times, observed)
        out = _first_reaching(event_times, cdf, None, levels.ravel()).reshape(levels.shape)
    return float(out) if out.ndim == 0 else out


def cluster_km_quantiles(times, observed, cluster, counts, p, *, chunk_cells: int = 2_000_000):
    """``km_quantile`` of many cluster resamples at once, without building each one.

    A resample takes cluster ``c`` (a run) ``counts[b, c]`` times and pools the rows of
    the clusters taken. The estimate of each resample is exactly what ``km_quantile``
    gives for those pooled rows (the same counts and the same product of factors),
    but the work is one matrix product per chunk of resamples instead of a sort each.

    Parameters
    ----------
    times, observed
        As for ``kaplan_meier``, one entry per row.
    cluster : array of int
        The cluster (``0 .. C-1``) of each row.
    counts : array of int, shape (B, C)
        How many times each resample takes each cluster.
    p : array of float
        Levels in (0, 1).
    chunk_cells : int
        Resamples are done in chunks of about this many (resample × event time) cells,
        to bound memory.

    Returns
    -------
    ndarray, shape (B, len(p))
        In the unit of ``times``; inf where not reached; NaN for a resample that holds
        no row at all.

    Examples
    --------
    Two runs: run 0 completes a join at 1 s, run 1 watched one for 2 s in vain.

    >>> cluster_km_quantiles([1.0, 2.0], [True, False], [0, 1], [[2, 0], [1, 1], [0, 2]],
    ...                      [0.5]).tolist()
    [[1.0], [1.0], [inf]]
    """
    times, observed = _checked(times, observed)
    levels = _checked_p(p).ravel()
    cluster, counts = _checked_clusters(cluster, counts, times)
    clusters = counts.shape[1]
    rows = counts @ np.bincount(cluster, minlength=clusters).astype(float)
    out = np.full((counts.shape[0], levels.size), math.nan)
    if not observed.any():
        out[rows > 0] = math.inf
        return out
    event_times, events, totals = _cluster_buckets(times, observed, cluster, clusters)
    step = max(1, chunk_cells // max(event_times.size, 1))
    for start in range(0, counts.shape[0], step):
        part = counts[start:start + step]
        drawn_events = part @ events
        cdf = _cdf(drawn_events, part @ totals)
        drawn = _first_reaching(event_times, cdf, drawn_events, levels)
        out[start:start + step] = drawn
    out[rows == 0] = math.nan
    return out


def _checked_clusters(cluster, counts, times: np.ndarray):
    """``cluster`` as int64 (one per row of ``times``, each a column of ``counts``) and
    ``counts`` as a float (resamples, clusters) matrix, or ``ParameterError``."""
    cluster = np.asarray(cluster, dtype=np.int64)
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or cluster.shape != times.shape:
        raise ParameterError("counts must be (resamples, clusters) and cluster one per row")
    clusters = counts.shape[1]
    if cluster.size and (cluster.min() < 0 or cluster.max() >= clusters):
        raise ParameterError(f"cluster indices must lie in 0 .. {clusters - 1}")
    return cluster, counts


def _cluster_buckets(times: np.ndarray, observed: np.ndarray, cluster: np.ndarray,
                     clusters: int):
    """The distinct event times and, per cluster, the counts ``_cdf`` takes: the
    events at each event time and the observations whose bucket it is
    (``(clusters, U)`` each), so that a resample's counts are one matrix product
    away."""
    event_times, bucket = _buckets(times, observed)
    size = event_times.size
    events = np.zeros((clusters, size))
    np.add.at(events, (cluster[observed], bucket[observed]), 1.0)
    totals = np.zeros((clusters, size))
    inside = bucket >= 0
    np.add.at(totals, (cluster[inside], bucket[inside]), 1.0)
    return event_times, events, totals
