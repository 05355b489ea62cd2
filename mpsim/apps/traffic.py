"""Data traffic on a session: a host sends fixed-size packets at a constant rate."""

from __future__ import annotations

import math

from mpsim.core.errors import ParameterError
from mpsim.core.units import check_event_rate


class ConstantRateSender:
    """Every ``1/rate`` seconds from ``start`` until ``stop``, ``app`` sends ``size`` bytes
    (skipped while the host may not send, e.g. a leaf not yet connected).

    ``rate`` is > 0 and at most the limit ``max_rate``, with ``1/rate`` at least the limit
    ``min_period`` (``mpsim.core.limits``), the same rule as the scenario's ``traffic[].rate``."""

    def __init__(self, app, rate: float, size: int, start: float = 0.0, stop: float = math.inf):
        try:
            check_event_rate(rate)
        except ParameterError as exc:
            raise ParameterError(f"rate = {exc}") from None
        if not size > 0:
            raise ParameterError(f"size = {size!r} is not allowed; allowed: > 0 bytes")
        self.app = app
        self.interval = 1.0 / rate
        self.size = size
        self.stop = stop
        self.sent = 0
        self.skipped = 0
        self._k = 0
        self._start = start
        app.sim.call_at(max(start, app.sim.now), self._tick)

    def _tick(self) -> None:
        sim = self.app.sim
        if sim.now >= self.stop:
            return
        if self.app.send(self.size):
            self.sent += 1
        else:
            self.skipped += 1
        self._k += 1
        sim.call_at(self._start + self._k * self.interval, self._tick)
