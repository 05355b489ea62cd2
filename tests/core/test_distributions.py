"""Delay distributions: sampler means against closed forms (3 standard errors), support,
and the errors of ``make_distribution``."""

import math

import numpy as np
import pytest
from scipy import stats

from mpsim.core.distributions import (Constant, Exponential, LogNormal, TruncatedNormal, Uniform,
                                      make_distribution)
from mpsim.core.errors import MpsimError, ParameterError
from mpsim.core.rng import BLOCK, RngStreams

N = 20_000          # draws per distribution: SE of the mean = std / sqrt(N) < 0.8 % of std


def draws(dist, n=N, seed=3):
    sample = dist.sampler(RngStreams(seed).stream("test:delay"))
    return np.array([sample() for _ in range(n)])


def closed_form_mean(dist) -> float:
    """The mean computed here, independently of the classes' own ``mean`` properties."""
    if isinstance(dist, Uniform):
        return (dist.low + dist.high) / 2
    if isinstance(dist, Exponential):
        return dist.mean
    if isinstance(dist, TruncatedNormal):
        return stats.truncnorm(-dist.mu / dist.sigma, np.inf, loc=dist.mu, scale=dist.sigma).mean()
    if isinstance(dist, LogNormal):
        return dist.mean
    raise AssertionError(dist)


RANDOM = [
    {"dist": "uniform", "low": "1ms", "high": "3ms"},
    {"dist": "exponential", "mean": "2ms"},
    {"dist": "normal", "mean": "2ms", "std": "1ms"},
    {"dist": "normal", "mean": "-1ms", "std": "2ms"},   # heavily truncated
    {"dist": "lognormal", "mean": "5ms", "std": "3ms"},
]


@pytest.mark.parametrize("spec", RANDOM, ids=lambda s: f"{s['dist']}:{s.get('mean', '')}")
def test_sampler_mean_within_three_standard_errors(spec):
    dist = make_distribution(spec)
    sample = draws(dist)
    se = sample.std(ddof=1) / math.sqrt(N)
    expected = closed_form_mean(dist)
    assert abs(sample.mean() - expected) < 3 * se, (sample.mean(), expected, se)
    # the class's own mean property agrees with the closed form
    assert dist.mean == pytest.approx(expected, rel=1e-9)


def test_lognormal_std_matches_its_parameter():
    """Sample variance within 3 SE of std**2; SE of a sample variance is
    sqrt((mu4 - sigma**4) / n), mu4 = (excess kurtosis + 3) * sigma**4 of the lognormal."""
    mean, std, n = 0.005, 0.003, 100_000
    sample = draws(LogNormal(mean, std), n=n)
    s2 = math.log1p((std / mean) ** 2)
    m, v, _, kurtosis = stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2)).stats("mvsk")
    assert m == pytest.approx(mean) and v == pytest.approx(std**2)
    se_var = math.sqrt((kurtosis + 2) * std**4 / n)
    assert abs(sample.var(ddof=1) - std**2) < 3 * se_var


def test_uniform_stays_in_its_interval():
    sample = draws(Uniform(0.001, 0.003))
    assert sample.min() >= 0.001 and sample.max() <= 0.003


@pytest.mark.parametrize("mu", [0.002, 0.0, -0.001, -0.004])
def test_truncated_normal_never_negative(mu):
    sample = draws(TruncatedNormal(mu, 0.002))
    assert (sample >= 0).all()


def test_samplers_cross_block_boundaries():
    """Draws are made BLOCK at a time: the sequence continues past a block unchanged."""
    rng_a = RngStreams(5).stream("x")
    rng_b = RngStreams(5).stream("x")
    sample = Exponential(0.002).sampler(rng_a)
    got = [sample() for _ in range(2 * BLOCK + 3)]
    want = np.concatenate([rng_b.exponential(0.002, BLOCK) for _ in range(3)])[: 2 * BLOCK + 3]
    assert got == want.tolist()


def test_constant_draws_nothing_and_repeats_its_value():
    sample = Constant(0.01).sampler(None)
    assert [sample() for _ in range(3)] == [0.01, 0.01, 0.01]
    assert Constant(0.01).mean == 0.01 and not Constant(0.01).is_random


@pytest.mark.parametrize("spec,expected", [
    ("2ms", Constant(0.002)), (0.002, Constant(0.002)), (0, Constant(0.0)),
    ({"dist": "constant", "value": "3ms"}, Constant(0.003)),
    ({"dist": "uniform", "low": "1ms", "high": 0.003}, Uniform(0.001, 0.003)),
    ({"dist": "exponential", "mean": "2ms"}, Exponential(0.002)),
    ({"dist": "normal", "mean": "-1ms", "std": "2ms"}, TruncatedNormal(-0.001, 0.002)),
    ({"dist": "lognormal", "mean": "5ms", "std": "1ms"}, LogNormal(0.005, 0.001)),
])
def test_make_distribution(spec, expected):
    assert make_distribution(spec) == expected


def test_make_distribution_passes_distributions_through():
    d = Uniform(0.0, 1.0)
    assert make_distribution(d) is d


def test_make_distribution_normal_negative_mean_as_number():
    assert make_distribution({"dist": "normal", "mean": -0.001, "std": 0.002}) == \
        TruncatedNormal(-0.001, 0.002)


@pytest.mark.parametrize("spec,fragment", [
    ({"dist": "pareto", "mean": "1ms"}, "'pareto'"),
    ({"mean": "1ms"}, "None"),
    ({"dist": "uniform", "low": "1ms"}, "missing high"),
    ({"dist": "exponential", "mean": "1ms", "rate": 3}, "unknown rate"),
    ({"dist": "uniform", "low": "3ms", "high": "1ms"}, "allowed: high >= low"),
    ({"dist": "lognormal", "mean": 0, "std": "1ms"}, "allowed"),
    ({"dist": "normal", "mean": "-1ms", "std": 0}, "std 0"),
    ({"dist": "exponential", "mean": "-1ms"}, "'-1ms'"),
    ("2 parsecs", "'2 parsecs'"),
])
def test_make_distribution_errors_are_typed(spec, fragment):
    with pytest.raises(ParameterError) as info:
        make_distribution(spec)
    assert isinstance(info.value, MpsimError)
    assert fragment in str(info.value)


@pytest.mark.parametrize("make", [lambda: Constant(-0.001), lambda: Exponential(-1.0),
                                  lambda: Uniform(-1.0, 1.0), lambda: Constant(math.inf),
                                  lambda: TruncatedNormal(math.nan, 1.0)])
def test_direct_construction_checks_parameters(make):
    with pytest.raises(ParameterError, match="allowed"):
        make()
