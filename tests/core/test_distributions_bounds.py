"""Bounds of the delay distributions: every parameter finite, no draw that can overflow, the
truncated normal's far tail drawn by its inverse CDF (no loop) with a mean that never divides
by zero, and the draws of ordinary parameters unchanged."""

import math
from itertools import islice

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from mpsim.core.distributions import (Constant, Exponential, LogNormal, TruncatedNormal, Uniform,
                                      make_distribution)
from mpsim.core.errors import ParameterError
from mpsim.core.rng import BLOCK, RngStreams
from tests.bounds import memory_bound


@pytest.fixture(autouse=True)
def _bounded_memory():
    """Every test here runs under a memory limit: a runaway fails it with MemoryError."""
    with memory_bound():
        yield



def stream(seed=3):
    return RngStreams(seed).stream("test:delay")


def reference_mean(mu: float, sigma: float) -> float:
    """The truncated normal's mean by quadrature, in the offset t = (x - 0)/sigma from the cut
    (no tail probability is formed, so this works however far out the cut is)."""
    a = -mu / sigma
    if a <= 0:
        return stats.truncnorm(a, np.inf, loc=mu, scale=sigma).mean()
    weight = lambda t: math.exp(-(a * t + t * t / 2))             # phi(a + t) / phi(a)
    scale = 1 / a if a > 1 else 1.0
    top = 60 * scale
    mass = integrate.quad(weight, 0, top, points=[scale])[0]
    first = integrate.quad(lambda t: t * weight(t), 0, top, points=[scale])[0]
    return sigma * first / mass


# -- the truncated normal's far tail -------------------------------------------------------

def test_far_tail_normal_draws_a_million_finite_positive_delays_near_zero():
    """mean -10 s, std 1 s: a share of 1e-23 of the normal is >= 0; the old rejection sampler
    never returned. A million draws return (no loop), all finite and >= 0, and their mean is
    the closed form's within 3 standard errors."""
    dist = TruncatedNormal(-10.0, 1.0)
    draw = dist.sampler(stream())
    sample = np.fromiter((draw() for _ in range(1_000_000)), float, 1_000_000)
    assert np.isfinite(sample).all() and (sample >= 0).all()
    assert sample.max() < 5.0                    # near 0: the tail beyond a = 10 decays like e^(-10 t)
    se = sample.std(ddof=1) / math.sqrt(sample.size)
    assert abs(sample.mean() - dist.mean) < 3 * se, (sample.mean(), dist.mean, se)


@pytest.mark.parametrize("mu, sigma", [(-0.004, 0.002), (-10.0, 1.0), (-40.0, 1.0), (-500.0, 2.0)])
def test_inverse_cdf_sample_mean_matches_the_closed_form(mu, sigma):
    dist = TruncatedNormal(mu, sigma)
    draw = dist.sampler(stream(5))
    sample = np.array(list(islice(iter(draw, None), 200_000)))
    se = sample.std(ddof=1) / math.sqrt(sample.size)
    assert abs(sample.mean() - dist.mean) < 3 * se, (sample.mean(), dist.mean, se)


def test_inverse_cdf_draws_follow_the_truncated_normal():
    """A Kolmogorov-Smirnov test against scipy's truncnorm (a fixed seed: deterministic)."""
    mu, sigma = -0.004, 0.002
    draw = TruncatedNormal(mu, sigma).sampler(stream(11))
    sample = [draw() for _ in range(20_000)]
    reference = stats.truncnorm(-mu / sigma, np.inf, loc=mu, scale=sigma)
    assert stats.kstest(sample, reference.cdf).pvalue > 0.001


@pytest.mark.parametrize("mu, sigma", [(0.002, 0.001), (0.0, 1.0), (-1.0, 2.0), (-3.0, 1.0),
                                       (-10.0, 1.0), (-40.0, 1.0), (-100.0, 0.5), (-1000.0, 1.0),
                                       (1e300, 1e-300), (5.0, 0.0)])
def test_mean_is_finite_and_matches_a_quadrature(mu, sigma):
    dist = TruncatedNormal(mu, sigma)
    mean = dist.mean
    assert math.isfinite(mean) and mean >= 0
    expected = mu if sigma == 0 or mu / sigma > 30 else reference_mean(mu, sigma)
    assert mean == pytest.approx(expected, rel=1e-7)


def test_a_tail_beyond_the_limit_is_refused_with_what_is_allowed():
    with pytest.raises(ParameterError, match=r"allowed: mean >= -1000 x std") as info:
        TruncatedNormal(-5000.0, 1.0)
    assert "10^-" in str(info.value)
    with pytest.raises(ParameterError, match="mean >= -1000 x std"):
        make_distribution({"dist": "normal", "mean": "-1e300s", "std": "1ns"})


# -- ordinary parameters keep their draws ---------------------------------------------------

def old_truncated_normal(rng, mu, sigma, count):
    """The rejection sampler mpsim used before, copied: whole blocks of BLOCK draws."""
    out = []
    while len(out) < count:
        block = rng.normal(mu, sigma, BLOCK)
        block = block[block >= 0]
        while block.size < BLOCK:
            more = rng.normal(mu, sigma, BLOCK)
            block = np.concatenate([block, more[more >= 0]])
        out.extend(block[:BLOCK].tolist())
    return out[:count]


@pytest.mark.parametrize("mu, sigma", [(0.002, 0.001), (0.0, 0.002), (-0.001, 0.002), (0.01, 0.0),
                                       (-0.0012, 0.001)])
def test_ordinary_truncated_normals_are_unchanged(mu, sigma):
    """Where at least 10 % of the normal is >= 0, the draws are exactly the old ones."""
    draw = TruncatedNormal(mu, sigma).sampler(stream(7))
    got = [draw() for _ in range(2 * BLOCK + 5)]
    assert got == old_truncated_normal(stream(7), mu, sigma, 2 * BLOCK + 5)


def test_ordinary_lognormal_draws_are_unchanged():
    mean, std = 0.005, 0.003
    draw = LogNormal(mean, std).sampler(stream(2))
    sigma2 = math.log1p((std / mean) ** 2)
    want = stream(2).lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), 64)
    assert [draw() for _ in range(64)] == want.tolist()


# -- parameters that cannot give finite draws ----------------------------------------------

@pytest.mark.parametrize("make, fragment", [
    (lambda: LogNormal(1e-200, 1e200), "std/mean is too large"),
    (lambda: LogNormal(1e305, 1e306), "could reach infinity"),
    (lambda: LogNormal(1e301, 1.0), "could reach infinity"),
    (lambda: Exponential(1e307), "could reach infinity"),
    (lambda: Uniform(0.0, 1.7e308), "could reach infinity"),
    (lambda: TruncatedNormal(0.0, 1e306), "could reach infinity"),
])
def test_overflowing_parameters_are_refused(make, fragment):
    with pytest.raises(ParameterError, match=fragment) as info:
        make()
    assert "allowed" in str(info.value)


@pytest.mark.parametrize("make, name", [
    (lambda: Constant(math.nan), "delay"), (lambda: Uniform(0.0, math.inf), "high"),
    (lambda: Uniform(math.nan, 1.0), "low"), (lambda: Exponential(math.nan), "mean"),
    (lambda: TruncatedNormal(0.0, math.inf), "std"), (lambda: TruncatedNormal(math.inf, 1.0), "mean"),
    (lambda: LogNormal(math.inf, 1.0), "mean"), (lambda: LogNormal(1.0, math.nan), "std"),
    (lambda: TruncatedNormal(True, 1.0), "mean"),
])
def test_non_finite_parameters_are_refused_by_name(make, name):
    with pytest.raises(ParameterError, match=rf"{name} = .* allowed: a finite duration"):
        make()


def test_a_huge_bare_normal_mean_is_an_error_not_an_overflow():
    with pytest.raises(ParameterError, match="finite duration"):
        make_distribution({"dist": "normal", "mean": 10 ** 400, "std": 1})


# -- a property: accepted parameters give finite draws and a finite mean --------------------

magnitudes = st.one_of(st.just(0.0), st.floats(1e-300, 1e300, allow_nan=False, allow_infinity=False))


def check_accepted(make):
    try:
        dist = make()
    except ParameterError:
        return
    assert math.isfinite(dist.mean) and dist.mean >= 0
    draw = dist.sampler(stream(1))
    values = [draw() for _ in range(70)]
    assert all(math.isfinite(v) and v >= 0 for v in values), values


@settings(max_examples=300, deadline=None)
@given(mu=st.floats(-1e300, 1e300, allow_nan=False), sigma=magnitudes)
def test_every_accepted_normal_draws_finite_delays(mu, sigma):
    check_accepted(lambda: TruncatedNormal(mu, sigma))


@settings(max_examples=300, deadline=None)
@given(mean=magnitudes, std=magnitudes)
def test_every_accepted_lognormal_and_exponential_draws_finite_delays(mean, std):
    check_accepted(lambda: LogNormal(mean, std))
    check_accepted(lambda: Exponential(mean))
    check_accepted(lambda: Uniform(min(mean, std), max(mean, std)))
