"""Packet loss models of a link: Bernoulli and Gilbert–Elliott.

>>> Bernoulli(0.1).rate
0.1
>>> round(GilbertElliott(p=0.01, r=0.25).rate, 6)
0.038462
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mpsim.core.errors import ParameterError
from mpsim.core.rng import bernoulli_flags, gilbert_elliott_flags


def _probability(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise ParameterError(f"{name} = {value!r} is not a probability; allowed: a number in [0, 1]")
    return float(value)


@dataclass(frozen=True, slots=True)
class Bernoulli:
    """Each packet is lost independently with probability ``p``."""
    p: float

    def __post_init__(self):
        object.__setattr__(self, "p", _probability("loss", self.p))

    @property
    def rate(self) -> float:
        return self.p

    @property
    def lossless(self) -> bool:
        return self.p == 0.0

    def flags(self, rng):
        """Endless iterator of per-packet loss flags drawn from ``rng``."""
        return bernoulli_flags(rng, self.p)


@dataclass(frozen=True, slots=True)
class GilbertElliott:
    """Two-state Markov loss: good -> bad with ``p``, bad -> good with ``r`` (per packet);
    a packet is lost with ``loss_good`` in the good state and ``loss_bad`` in the bad one."""
    p: float
    r: float
    loss_good: float = 0.0
    loss_bad: float = 1.0

    def __post_init__(self):
        for name in ("p", "r", "loss_good", "loss_bad"):
            object.__setattr__(self, name, _probability(f"gilbert_elliott.{name}", getattr(self, name)))
        if self.p + self.r == 0:
            raise ParameterError(
                f"gilbert_elliott p = {self.p!r}, r = {self.r!r}: with p + r = 0 the chain never moves "
                "and has no unique stationary distribution; allowed: p + r > 0")

    @property
    def rate(self) -> float:
        """Stationary loss probability (r*loss_good + p*loss_bad) / (p + r)."""
        return (self.r * self.loss_good + self.p * self.loss_bad) / (self.p + self.r)

    @property
    def lossless(self) -> bool:
        return self.loss_good == 0.0 and (self.loss_bad == 0.0 or self.p == 0.0)

    def flags(self, rng):
        return gilbert_elliott_flags(rng, self.p, self.r, self.loss_good, self.loss_bad)


LossModel = Bernoulli | GilbertElliott


def make_loss(spec) -> LossModel:
    """A loss model from a probability (``0.01``) or
    ``{"gilbert_elliott": {"p": .., "r": .., "loss_good": .., "loss_bad": ..}}``."""
    if isinstance(spec, (Bernoulli, GilbertElliott)):
        return spec
    if isinstance(spec, dict):
        if set(spec) != {"gilbert_elliott"} or not isinstance(spec["gilbert_elliott"], dict):
            raise ParameterError(f"loss {spec!r} is not allowed; allowed: a probability or "
                                 "{gilbert_elliott: {p, r, loss_good, loss_bad}}")
        params = spec["gilbert_elliott"]
        unknown = sorted(set(params) - {"p", "r", "loss_good", "loss_bad"})
        if unknown or not {"p", "r"} <= set(params):
            raise ParameterError(f"gilbert_elliott {params!r}: needs p and r, may have loss_good "
                                 "and loss_bad" + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        return GilbertElliott(**params)
    return Bernoulli(spec)
