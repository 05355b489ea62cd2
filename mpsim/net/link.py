"""A link in one direction: serialization, a drop-tail queue, propagation delay, loss.

A link is an object, not a process. ``transmit`` computes the departure
``max(now, busy_until) + 8*size/bandwidth`` and the arrival ``departure +
propagation delay`` and schedules exactly one call at the arrival time
(``enter`` does the same but leaves the scheduling to its caller: a multicast
tree schedules the copies that arrive together as one call).

Queue convention: ``queue = k`` means k packets may *wait* behind the one being
transmitted. A packet counts as queued from the moment it is accepted until its
last bit has left (its departure); at an arrival, the packets accepted earlier
whose departure is still in the future are the backlog (the one on the wire
plus the waiting ones), and the newcomer is dropped if k are already waiting.
So a burst of n packets at one instant loses exactly ``n - k - 1``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

from mpsim.core.distributions import Constant, Distribution, make_distribution
from mpsim.core.errors import ParameterError
from mpsim.core.units import parse_rate, tx_time
from mpsim.net.loss import Bernoulli, LossModel, make_loss

#: What ``Link.enter`` returns for a packet lost on the wire (never an arrival time).
LOST = -1.0


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """What a link is made of (both directions share one spec).

    delay : propagation delay distribution, seconds
    bandwidth : bits per second
    queue : packets that may wait behind the one in transmission (None: unlimited)
    loss : a loss model (Bernoulli or Gilbert–Elliott)
    """
    delay: Distribution = field(default_factory=lambda: Constant(0.001))
    bandwidth: float = 100e6
    queue: int | None = 64
    loss: LossModel = field(default_factory=lambda: Bernoulli(0.0))

    def __post_init__(self):
        object.__setattr__(self, "delay", make_distribution(self.delay))
        object.__setattr__(self, "bandwidth", parse_rate(self.bandwidth))
        q = self.queue
        if q is not None and (isinstance(q, bool) or not isinstance(q, int) or q < 0):
            raise ParameterError(f"queue = {q!r} is not allowed; allowed: a whole number of packets >= 0, or None")
        object.__setattr__(self, "loss", make_loss(self.loss))

    def with_(self, **changes) -> "LinkSpec":
        """A copy with some attributes changed (each parsed and checked as at creation)."""
        unknown = sorted(set(changes) - {"delay", "bandwidth", "queue", "loss"})
        if unknown:
            raise ParameterError(f"unknown link attribute(s) {', '.join(unknown)}; "
                                 "allowed: delay, bandwidth, queue, loss")
        return replace(self, **changes)


class Link:
    """One direction of an edge. Counters: ``packets``/``bytes`` put on the wire
    (lost ones included: they used the link), ``drops`` (queue overflow, loss, or
    link down)."""

    __slots__ = ("src", "dst", "spec", "up", "busy_until", "packets", "bytes", "drops",
                 "queue_drops", "losses", "_capacity", "_byte_time", "_backlog", "_delay", "_next_delay",
                 "_next_lost", "_clock", "_at", "_recorder", "_trace")

    def __init__(self, sim, src, dst, spec: LinkSpec):
        self.src = src
        self.dst = dst
        self.spec = spec
        self.up = True
        self.busy_until = 0.0
        self.packets = 0
        self.bytes = 0
        self.drops = 0
        self.queue_drops = 0
        self.losses = 0
        self._capacity = math.inf if spec.queue is None else spec.queue
        self._byte_time = tx_time(1, spec.bandwidth)   # seconds per byte
        self._backlog = None if spec.queue is None else deque()
        name = f"link:{src!r}->{dst!r}"     # repr: host "0" and router 0 differ
        delay = spec.delay
        self._next_delay = delay.sampler(sim.rng.stream(name + ":delay") if delay.is_random else None)
        self._delay = None if delay.is_random else delay.mean    # a constant needs no call per packet
        loss = spec.loss
        self._next_lost = None if loss.lossless else loss.flags(sim.rng.stream(name + ":loss")).__next__
        clock = sim.clock
        self._clock = clock
        self._at = clock.at                 # the clock's one writer, bound once
        self._recorder = sim.recorder
        self._trace = sim.recorder.packets

    def transmit(self, packet, on_arrival) -> bool:
        """Put ``packet`` on the link; ``on_arrival(packet, self)`` runs when it arrives.
        Returns False if it was dropped at once (queue full, link down); a packet lost
        on the wire returns True, as a sender cannot tell."""
        arrival = self.enter(packet)
        if arrival is None:
            return False
        if arrival >= 0.0:
            self._at(arrival, on_arrival, packet, self)
        return True

    def enter(self, packet):
        """Admit ``packet`` now and count it: the time it will arrive, ``LOST`` if it is lost
        on the wire, or None if it was dropped at once (queue full, link down). The caller
        schedules the arrival (``transmit``, or a tree that schedules its copies together)."""
        now = self._clock._now
        if not self.up:
            self.drop(packet, "down")
            return None
        backlog = self._backlog                 # None when the queue is unlimited
        start = self.busy_until
        if start <= now:
            start = now
            if backlog:
                backlog.clear()
        elif backlog is not None:
            while backlog[0] <= now:
                backlog.popleft()
            if len(backlog) > self._capacity:
                self.queue_drops += 1
                self.drop(packet, "queue")
                return None
        size = packet.size
        departure = start + size * self._byte_time
        self.busy_until = departure
        if backlog is not None:
            backlog.append(departure)
        self.packets += 1
        self.bytes += size
        if self._trace:
            self._recorder.record(now, "net", "SEND", host=self.src, peer=self.dst, detail=packet.kind,
                                  msg_id=packet.msg_id)
        delay = self._delay
        arrival = departure + (self._next_delay() if delay is None else delay)
        if self._next_lost is not None and self._next_lost():
            self.losses += 1
            self.drops += 1
            if packet.trace or self._trace:     # recorded when it would have arrived
                self._at(arrival, self._record_loss, packet)
            return LOST
        return arrival

    def drop(self, packet, why: str) -> None:
        """Count a packet dropped now, and record it if it is traced."""
        self.drops += 1
        if packet.trace or self._recorder.packets:
            self._recorder.record(self._clock._now, "net", "DROP", host=self.src, peer=self.dst,
                                  detail=f"{packet.kind} ({why})", msg_id=packet.msg_id)

    def _record_loss(self, packet, _unused) -> None:
        self._recorder.record(self._clock._now, "net", "DROP", host=self.src, peer=self.dst,
                              detail=f"{packet.kind} (loss)", msg_id=packet.msg_id)

    def utilization(self, duration: float) -> float:
        """Fraction of ``duration`` the link spent transmitting."""
        return 0.0 if duration <= 0 else self.bytes * self._byte_time / duration

    def __repr__(self) -> str:
        return f"Link({self.src!r}->{self.dst!r})"


