"""Delay distributions (seconds): constant, uniform, exponential, truncated normal, lognormal.

A distribution is a small frozen value object; ``sampler(rng)`` turns it into a
zero-argument callable for the hot path, drawing in blocks from the given
generator (a constant draws nothing and needs no generator).

Every parameter is a finite number, and parameters whose draws could not be
finite numbers (an exponential mean near 1e308, a lognormal whose underlying
normal overflows) are refused when the distribution is made, so that a scenario
that validates never draws an infinite or NaN delay.

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
from typing import ClassVar

import numpy as np

from mpsim.core.errors import ParameterError
from mpsim.core.rng import BLOCK, blocks
from mpsim.core.text import short
from mpsim.core.units import parse_duration

#: No standard normal that numpy draws is larger than this in size (its ziggurat's tail
#: starts at 3.65 and a 53-bit uniform adds at most 10.1 to it), and no standard
#: exponential is larger than ``_MAX_EXPONENTIAL`` (-log of the smallest 53-bit
#: uniform, 36.7, plus the ziggurat's start): parameters are checked so that a draw
#: that far out is still a finite number.
_MAX_Z = 14.0
_MAX_EXPONENTIAL = 48.0
#: The largest draw allowed (seconds): far below the largest float, so that sums of a
#: few delays stay finite too.
_MAX_DRAW = 1e300


def _check_non_negative(name: str, value: float) -> float:
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value)) \
            or value < 0:
        raise ParameterError(f"{name} = {short(value)} is not allowed; allowed: a finite duration >= 0")
    return float(value)


def _check_draws_finite(kind: str, largest: float, what: str) -> None:
    """Refuse parameters whose largest possible draw (``largest``, seconds) is too large."""
    if not largest <= _MAX_DRAW:
        raise ParameterError(f"{kind} {what}: its draws could reach infinity; allowed: parameters "
                             f"whose draws stay below {_MAX_DRAW:g} s")


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
        _check_draws_finite("uniform", low + high, f"low = {low!r} and high = {high!r}")
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
        mean = _check_non_negative("mean", self.mean)
        _check_draws_finite("exponential", mean * _MAX_EXPONENTIAL, f"mean = {mean!r}")
        object.__setattr__(self, "mean", mean)

    is_random = True

    def sampler(self, rng):
        return blocks(lambda n: rng.exponential(self.mean, n)).__next__


@dataclass(frozen=True, slots=True)
class TruncatedNormal:
    """Normal(mu, sigma) conditioned on being >= 0 (seconds).

    Where at least ``REJECTION_MIN_MASS`` of the normal lies at or above 0, negative
    draws are redrawn (the values mpsim has always drawn for such parameters); further
    out, the delay is drawn by the inverse CDF in log space (``log_ndtr``,
    ``ndtri_exp``): one uniform per draw and no loop, so a mean of -10 s with std 1 s
    (a share of 1e-23 at or above 0) gives its small positive delays at once. More
    than ``MAX_TAIL`` standard deviations below 0 the parameters are refused: the share
    at or above 0 is then below 10^-217000, and a draw would keep fewer than six of
    its digits.

    >>> round(TruncatedNormal(-10.0, 1.0).mean, 6)
    0.098093
    >>> TruncatedNormal(0.002, 0.001).mean > 0.002
    True
    """
    mu: float
    sigma: float

    #: The rejection sampler is kept where it accepts at least this share of its draws.
    REJECTION_MIN_MASS: ClassVar[float] = 0.1
    #: ``-mean/std`` may be at most this.
    MAX_TAIL: ClassVar[float] = 1000.0

    def __post_init__(self):
        mu = self.mu
        if isinstance(mu, bool) or not (isinstance(mu, (int, float)) and math.isfinite(mu)):
            raise ParameterError(f"normal mean = {short(mu)} is not allowed; allowed: a finite duration")
        mu = float(mu)
        sigma = _check_non_negative("std", self.sigma)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "sigma", sigma)
        if sigma == 0 and mu < 0:
            raise ParameterError(f"normal mean = {mu!r} with std 0 has no value >= 0; allowed: "
                                 "mean >= 0, or std > 0")
        _check_draws_finite("normal", abs(mu) + _MAX_Z * sigma, f"mean = {mu!r} and std = {sigma!r}")
        if sigma > 0 and -mu / sigma > self.MAX_TAIL:
            raise ParameterError(
                f"normal mean = {mu:g} s with std = {sigma:g} s: the delay is the part of this "
                f"normal at or above 0, {-mu / sigma:.4g} standard deviations out in its tail (a share of "
                f"10^{_log10_upper_tail(-mu / sigma):.0f}), too far out to be drawn from; allowed: "
                f"mean >= -{self.MAX_TAIL:g} x std (for delays close to 0, an exponential)")

    @property
    def _cut(self) -> float:
        """Where 0 lies, in standard deviations from the mean: ``-mu/sigma`` (-inf if sigma is 0)."""
        return -self.mu / self.sigma if self.sigma > 0 else -math.inf

    @property
    def mean(self) -> float:
        """Mean of the truncated distribution: mu + sigma * h(a), a = -mu/sigma, with h the
        inverse Mills ratio phi(a) / (1 - Phi(a)) = sqrt(2/pi) / erfcx(a/sqrt(2)), which has
        no 0/0 however far out a is; for a > 3 it is sigma * (h(a) - a), from the continued
        fraction of h(a) - a, so that mu does not cancel against sigma * h(a)."""
        a = self._cut
        if a == -math.inf:
            return self.mu
        if a <= 3:
            return self.mu + self.sigma * math.sqrt(2 / math.pi) / float(_special().erfcx(a / math.sqrt(2)))
        return self.sigma * _mills_excess(a)

    is_random = True

    def sampler(self, rng):
        mu, sigma, a = self.mu, self.sigma, self._cut
        if a == -math.inf or float(_special().ndtr(-a)) >= self.REJECTION_MIN_MASS:
            def draw(n):
                out = rng.normal(mu, sigma, n)
                out = out[out >= 0]
                while out.size < n:          # 1/REJECTION_MIN_MASS rounds at most, on average
                    more = rng.normal(mu, sigma, n)
                    out = np.concatenate([out, more[more >= 0]])
                return out[:n]
            # Whole blocks only: a block's surplus draws are discarded, so its values
            # depend on the block size, which must therefore never change.
            return blocks(draw, repeat(BLOCK)).__next__
        log_share = float(_special().log_ndtr(-a))
        ndtri_exp = _special().ndtri_exp

        def tail(n):
            # Z with log(1 - Phi(Z)) = log(1 - Phi(a)) + log(V), V uniform on (0, 1]: the
            # inverse CDF from the upper end, in log space (1 - Phi(a) may underflow).
            z = -ndtri_exp(log_share + np.log1p(-rng.random(n)))
            return sigma * np.maximum(z - a, 0.0)      # mu + sigma * z, as sigma * (z - a)
        return blocks(tail).__next__


def _special():
    """``scipy.special``, imported when a truncated normal first needs it: importing it
    costs every run a tenth of a second, and most have no truncated normal."""
    from scipy import special
    return special


def _mills_excess(a: float, terms: int = 80) -> float:
    """h(a) - a for a >= 2, h the inverse Mills ratio of the standard normal, by the
    continued fraction 1/(a + 2/(a + 3/(a + ...))) (80 terms: exact to rounding).

    >>> round(_mills_excess(10.0), 8)
    0.09809323
    """
    acc = 0.0
    for k in range(terms, 1, -1):
        acc = k / (a + acc)
    return 1.0 / (a + acc)


def _log10_upper_tail(a: float) -> float:
    """log10(1 - Phi(a))."""
    return float(_special().log_ndtr(-a)) / math.log(10)


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Lognormal with the given mean and standard deviation of the delay itself (seconds).

    Its underlying normal has sigma^2 = log(1 + (std/mean)^2) and mu = log(mean) - sigma^2/2;
    parameters for which these are not finite numbers, or for which a draw could
    overflow, are refused.

    >>> LogNormal(1e-200, 1e200)
    Traceback (most recent call last):
    ...
    mpsim.core.errors.ParameterError: lognormal mean = 1e-200 with std = 1e+200: std/mean is too large for a lognormal (its sigma^2 = log(1 + (std/mean)^2) is not a finite number); allowed: std/mean below 1e154, and far less for a useful delay
    """
    mean: float
    std: float

    def __post_init__(self):
        mean = _check_non_negative("mean", self.mean)
        if mean == 0:
            raise ParameterError("lognormal mean = 0 is not allowed; allowed: a duration > 0")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", _check_non_negative("std", self.std))
        mu, sigma = self._normal()
        top = mu + _MAX_Z * sigma
        _check_draws_finite("lognormal", math.exp(top) if top < 700 else math.inf,
                            f"mean = {mean!r} with std = {self.std!r}")

    def _normal(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal."""
        try:
            sigma2 = math.log1p((self.std / self.mean) ** 2)
        except OverflowError:
            sigma2 = math.inf
        mu = math.log(self.mean) - sigma2 / 2
        if not (math.isfinite(sigma2) and math.isfinite(mu)):
            raise ParameterError(f"lognormal mean = {self.mean!r} with std = {self.std!r}: std/mean "
                                 "is too large for a lognormal (its sigma^2 = log(1 + (std/mean)^2) "
                                 "is not a finite number); allowed: std/mean below 1e154, and far "
                                 "less for a useful delay")
        return mu, math.sqrt(sigma2)

    is_random = True

    def sampler(self, rng):
        mu, sigma = self._normal()
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
        raise ParameterError(f"dist = {short(kind)} is not a known distribution; "
                             f"allowed: {', '.join(DISTRIBUTIONS)}")
    names = DISTRIBUTIONS[kind]
    extra = sorted(k if isinstance(k, str) and len(k) <= 40 else short(k)
                   for k in set(spec) - {"dist", *names})
    missing = [n for n in names if n not in spec]
    if extra or missing:
        raise ParameterError(f"{kind} distribution takes {', '.join(names)}; "
                             + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"))
    if kind == "normal":
        mean = spec["mean"]
        if isinstance(mean, str) and mean.strip().startswith("-"):
            mu = -parse_duration(mean.strip()[1:])
        elif isinstance(mean, (int, float)) and not isinstance(mean, bool):
            try:
                mu = float(mean)                # a bare number: seconds, and may be negative
            except OverflowError:
                raise ParameterError(f"normal mean = {short(mean)} is not allowed; allowed: a "
                                     "finite duration") from None
        else:
            mu = parse_duration(mean)
        return TruncatedNormal(mu, parse_duration(spec["std"]))
    args = [parse_duration(spec[n]) for n in names]
    return {"constant": Constant, "uniform": Uniform, "exponential": Exponential,
            "lognormal": LogNormal}[kind](*args)
