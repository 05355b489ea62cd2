"""Kaplan–Meier estimates against scipy.stats.ecdf and hand-worked cases."""

import math

import numpy as np
import pytest
from scipy import stats

from mpsim.analysis import kaplan_meier, km_quantile
from mpsim.analysis.survival import cluster_km_quantiles
from mpsim.core.errors import ParameterError


def scipy_cdf(times, observed):
    """scipy's KM: its distinct times (events and censorings) and F there."""
    times, observed = np.asarray(times, float), np.asarray(observed, bool)
    result = stats.ecdf(stats.CensoredData(uncensored=times[observed], right=times[~observed]))
    return result.cdf.quantiles, result.cdf.probabilities


def censored_sample(seed, size):
    """Integer times (many ties, also between events and censorings), ~40 % censored."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 8, size).astype(float), rng.random(size) < 0.6


@pytest.mark.parametrize("seed", range(8))
def test_matches_scipy_on_censored_samples_with_ties(seed):
    times, observed = censored_sample(seed, 5 + 7 * seed)
    if not observed.any():
        observed[0] = True
    t, cdf = kaplan_meier(times, observed)
    assert t.tolist() == sorted(set(times[observed].tolist()))
    at, probabilities = scipy_cdf(times, observed)
    expected = probabilities[np.searchsorted(at, t)]
    np.testing.assert_allclose(cdf, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_quantile_is_the_first_event_time_where_scipys_cdf_reaches_p(seed):
    times, observed = censored_sample(100 + seed, 40)
    at, probabilities = scipy_cdf(times, observed)
    events = np.isin(at, times[observed])
    for p in (0.1, 0.25, 0.5, 0.75, 0.95):
        reached = at[events & (probabilities >= p - 1e-12)]
        expected = reached[0] if reached.size else math.inf
        assert km_quantile(times, observed, p) == expected


def test_without_censoring_it_is_the_empirical_cdf():
    times = np.array([0.3, 0.1, 0.2, 0.2, 0.5, 0.1, 0.1])
    t, cdf = kaplan_meier(times, np.ones(times.size, dtype=bool))
    assert t.tolist() == [0.1, 0.2, 0.3, 0.5]
    np.testing.assert_allclose(cdf, [(times <= x).mean() for x in t], rtol=0, atol=1e-15)


def test_events_count_before_censorings_at_the_same_time():
    # One join completes at 1 s, another is last seen at 1 s: the second is still at risk
    # for the event, so F(1) = 1/2 (were censorings first, F(1) would be 1).
    t, cdf = kaplan_meier([1.0, 1.0], [True, False])
    assert t.tolist() == [1.0] and cdf.tolist() == [0.5]


def test_hand_worked_product_limit():
    # 5 joins: events at 1 and 3, censored at 2, 3 and 5. At 1: 5 at risk, S = 4/5.
    # At 3: 3 at risk (the one censored at 3 included), S = 4/5 * 2/3 = 8/15.
    t, cdf = kaplan_meier([1.0, 2.0, 3.0, 3.0, 5.0], [True, False, True, False, False])
    assert t.tolist() == [1.0, 3.0]
    assert cdf == pytest.approx([1 / 5, 7 / 15], abs=1e-15)


def test_quantile_when_p_is_exactly_reached():
    assert km_quantile([1.0, 2.0, 3.0, 4.0], [True] * 4, 0.5) == 2.0
    assert km_quantile([1.0, 2.0, 3.0, 4.0], [True] * 4, 0.75) == 3.0
    # 8 of 16 complete, 8 are censored after: F after the 8th event is the product
    # 15/16 · 14/15 · … · 8/9, 1/2 only up to rounding; the tolerance counts it as 1/2.
    times = np.r_[np.arange(1, 9) / 10, np.full(8, 9.0)]
    observed = np.r_[np.ones(8, bool), np.zeros(8, bool)]
    assert km_quantile(times, observed, 0.5) == 0.8
    assert km_quantile(times, observed, 0.5 + 1e-9) == math.inf


def test_quantile_not_reached_is_inf_and_no_data_is_nan():
    assert km_quantile([1.0, 2.0], [True, False], 0.9) == math.inf
    assert km_quantile([1.0, 2.0], [False, False], 0.5) == math.inf     # data, no event
    assert math.isnan(km_quantile([], [], 0.5))
    t, cdf = kaplan_meier([], [])
    assert t.size == 0 and cdf.size == 0
    t, cdf = kaplan_meier([3.0], [False])
    assert t.size == 0 and cdf.size == 0


def test_quantile_of_an_array_of_levels():
    out = km_quantile([1.0, 2.0, 3.0, 4.0], [True, False, True, False], np.array([0.25, 0.5, 0.9]))
    assert isinstance(out, np.ndarray) and out.tolist() == [1.0, 3.0, math.inf]
    assert isinstance(km_quantile([1.0], [True], 0.5), float)
    nan = km_quantile([], [], [0.5, 0.95])
    assert nan.shape == (2,) and np.isnan(nan).all()


def test_bad_input_is_a_parameter_error():
    with pytest.raises(ParameterError):
        kaplan_meier([-1.0], [True])
    with pytest.raises(ParameterError):
        kaplan_meier([1.0, 2.0], [True])
    with pytest.raises(ParameterError):
        km_quantile([1.0], [True], 1.0)


def test_cluster_resamples_equal_km_quantile_of_the_pooled_rows():
    rng = np.random.default_rng(7)
    cluster = np.repeat(np.arange(6), 5)
    times = np.round(rng.exponential(1.0, cluster.size), 1)        # ties
    observed = rng.random(cluster.size) < 0.7
    draws = rng.integers(0, 6, size=(200, 6))
    counts = np.array([np.bincount(d, minlength=6) for d in draws])
    got = cluster_km_quantiles(times, observed, cluster, counts, [0.5, 0.9], chunk_cells=50)
    for b, drawn in enumerate(draws):
        rows = np.concatenate([np.flatnonzero(cluster == c) for c in drawn])
        assert got[b].tolist() == km_quantile(times[rows], observed[rows], [0.5, 0.9]).tolist()


def test_cluster_resample_without_rows_is_nan():
    got = cluster_km_quantiles([1.0, 2.0], [True, True], [0, 0], [[0, 2], [1, 1]], [0.5])
    assert math.isnan(got[0, 0]) and got[1, 0] == 1.0
