"""Delay distributions (seconds): constant, uniform, exponential, truncated normal, lognormal.

A distribution is a small frozen value object; ``sampler(rng)`` turns it into a
zero-argument callable for the hot path, drawing in blocks from the given
generator (a constant draws nothing and needs no generator).

>>> d = make_distribution({"dist": "uniform", "low": "1ms", "high": "3ms"})
>>> d.mean
0.002
>>> Constant(0.01).sampler(None)()
0.01
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from mpsim.core.errors import ParameterError
from mpsim.core.rng import BLOCK, blocks
from mpsim.core.units import parse_duration


def _check_non_negative(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value)) or value < 0:
        raise ParameterError(f"{name} = {value!r} is not allowed; allowed: a duration >= 0")
    return float(value)


@dataclass(frozen=True, slots=True)
class Constant:
    """Always ``value`` seconds."""
    value: float

    def __post_init__(self):
        object.__setattr__(self, "value", _check_non_negative("delay", self.value))

    @property
    def mean(self) -> float:
        return self.value

    @property
    def is_random(self) -> bool:
        return False

    def sampler(self, rng=None):
        return repeat(self.value).__next__


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform on [low, high] seconds."""
    low: float
    high: float

    def __post_init__(self):
        low = _check_non_negative("low", self.low)
        high = _check_non_negative("high", self.high)
        if high < low:
            raise ParameterError(f"uniform high = {high!r} is below low = {low!r}; allowed: high >= low")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    is_random = True

    def sampler(self, rng):
        return blocks(lambda n: rng.uniform(self.low, self.high, n)).__next__


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with the given mean (seconds)."""
    mean: float

    def __post_init__(self):
        object.__setattr__(self, "mean", _check_non_negative("mean", self.mean))

    is_random = True

    def sampler(self, rng):
        return blocks(lambda n: rng.exponential(self.mean, n)).__next__


@dataclass(frozen=True, slots=True)
class TruncatedNormal:
    """Normal(mu, sigma) conditioned on being >= 0 (negative draws are redrawn, not clipped)."""
    mu: float
    sigma: float

    def __post_init__(self):
        if not math.isfinite(self.mu):
            raise ParameterError(f"normal mean = {self.mu!r} is not allowed; allowed: a finite duration")
        object.__setattr__(self, "sigma", _check_non_negative("std", self.sigma))
        if self.sigma == 0 and self.mu < 0:
            raise ParameterError(f"normal mean = {self.mu!r} with std 0 has no value >= 0")

    @property
    def mean(self) -> float:
        """Mean of the truncated distribution: mu + sigma * phi(a) / (1 - Phi(a)), a = -mu/sigma."""
        if self.sigma == 0:
            return self.mu
        a = -self.mu / self.sigma
        phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        tail = 0.5 * math.erfc(a / math.sqrt(2))
        return self.mu + self.sigma * phi / tail

    is_random = True

    def sampler(self, rng):
        def draw(n):
            out = rng.normal(self.mu, self.sigma, n)
            out = out[out >= 0]
            while out.size < n:
                more = rng.normal(self.mu, self.sigma, n)
                out = np.concatenate([out, more[more >= 0]])
            return out[:n]
        # Whole blocks only: a block's surplus draws are discarded, so its values
        # depend on the block size, which must therefore never change.
        return blocks(draw, repeat(BLOCK)).__next__


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Lognormal with the given mean and standard deviation of the delay itself (seconds)."""
    mean: float
    std: float

    def __post_init__(self):
        mean = _check_non_negative("mean", self.mean)
        if mean == 0:
            raise ParameterError("lognormal mean = 0 is not allowed; allowed: a duration > 0")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", _check_non_negative("std", self.std))

    is_random = True

    def sampler(self, rng):
        sigma2 = math.log1p((self.std / self.mean) ** 2)
        mu = math.log(self.mean) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return blocks(lambda n: rng.lognormal(mu, sigma, n)).__next__


Distribution = Constant | Uniform | Exponential | TruncatedNormal | LogNormal

#: Parameters each named distribution takes, all durations.
DISTRIBUTIONS = {
    "constant": ("value",),
    "uniform": ("low", "high"),
    "exponential": ("mean",),
    "normal": ("mean", "std"),
    "lognormal": ("mean", "std"),
}


def make_distribution(spec) -> Distribution:
    """A distribution from a duration (``"2ms"``, ``0.002``) or a mapping such as
    ``{"dist": "uniform", "low": "1ms", "high": "3ms"}``; see ``DISTRIBUTIONS``."""
    if isinstance(spec, (Constant, Uniform, Exponential, TruncatedNormal, LogNormal)):
        return spec
    if not isinstance(spec, dict):
        return Constant(parse_duration(spec))
    kind = spec.get("dist")
    if kind not in DISTRIBUTIONS:
        raise ParameterError(f"dist = {kind!r} is not a known distribution; "
                             f"allowed: {', '.join(DISTRIBUTIONS)}")
    names = DISTRIBUTIONS[kind]
    extra = sorted(set(spec) - {"dist", *names})
    missing = [n for n in names if n not in spec]
    if extra or missing:
        raise ParameterError(f"{kind} distribution takes {', '.join(names)}; "
                             + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"))
    if kind == "normal":
        mean = spec["mean"]
        if isinstance(mean, str) and mean.strip().startswith("-"):
            mu = -parse_duration(mean.strip()[1:])
        elif isinstance(mean, (int, float)) and not isinstance(mean, bool):
            mu = float(mean)                    # a bare number: seconds, and may be negative
        else:
            mu = parse_duration(mean)
        return TruncatedNormal(mu, parse_duration(spec["std"]))
    args = [parse_duration(spec[n]) for n in names]
    return {"constant": Constant, "uniform": Uniform, "exponential": Exponential,
            "lognormal": LogNormal}[kind](*args)
