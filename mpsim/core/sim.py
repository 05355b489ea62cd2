"""The simulated clock: a ``simpy.Environment`` that also runs cheap direct calls.

Packets are many, so a packet hop is not a SimPy event: it is a plain heap entry
``(time, NORMAL, eid, fn, a, b)`` that the loop answers with ``fn(a, b)``. SimPy
processes and events (applications, blocking socket calls) share the same heap
and the same event-id counter, so all work at equal times runs in the order it
was scheduled, whichever kind it is.
"""

from __future__ import annotations

import gc
import math
from heapq import heappop, heappush

import simpy
from simpy.core import EmptySchedule
from simpy.events import NORMAL

from mpsim.core.errors import ParameterError
from mpsim.core.recorder import Recorder
from mpsim.core.rng import RngStreams


def _fire(event) -> None:
    """Process a SimPy event popped from the heap, as ``simpy.Environment.step`` does."""
    callbacks, event.callbacks = event.callbacks, None
    for callback in callbacks:
        callback(event)
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc


class Clock(simpy.Environment):
    """A SimPy environment whose heap may also hold direct calls (6-tuples)."""

    def call_later(self, delay: float, fn, a=None, b=None) -> None:
        """Call ``fn(a, b)`` after ``delay`` seconds."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), fn, a, b))

    def call_at(self, time: float, fn, a=None, b=None) -> None:
        """Call ``fn(a, b)`` at simulated ``time`` (not before now)."""
        heappush(self._queue, (max(time, self._now), NORMAL, next(self._eid), fn, a, b))

    def step(self) -> None:
        try:
            entry = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self._now = entry[0]
        if len(entry) == 6:
            entry[3](entry[4], entry[5])
        else:
            _fire(entry[3])


class Timer:
    """A cancellable one-shot call; protocols use these for their retransmission timers."""

    __slots__ = ("fn", "arg", "when", "active")

    def __init__(self, clock: Clock, delay: float, fn, arg=None):
        self.fn = fn
        self.arg = arg
        self.when = clock._now + delay
        self.active = True
        clock.call_later(delay, Timer._expire, self)

    def cancel(self) -> None:
        self.active = False

    @staticmethod
    def _expire(timer: "Timer", _unused=None) -> None:
        if timer.active:
            timer.active = False
            timer.fn(timer.arg)


class Simulation:
    """One run: the clock, the named RNG streams and the recorder.

    Higher layers hang their objects on it (``sim.network`` is set by the
    network layer), but this class knows nothing about them.

    Parameters
    ----------
    seed : int
        Run seed from which every named stream is derived.
    trace_packets : bool
        Record every packet hop (costly; off by default).
    """

    def __init__(self, seed: int = 0, *, trace_packets: bool = False):
        self.seed = seed
        self.clock = Clock()
        self.rng = RngStreams(seed)
        self.recorder = Recorder(packets=trace_packets)
        self.events_processed = 0

    @property
    def now(self) -> float:
        return self.clock._now

    @property
    def env(self) -> Clock:
        """The SimPy environment, for processes and events."""
        return self.clock

    def call_later(self, delay: float, fn, a=None, b=None) -> None:
        if not delay >= 0:
            raise ParameterError(f"delay {delay!r} is not allowed; allowed: >= 0 s")
        self.clock.call_later(delay, fn, a, b)

    def call_at(self, time: float, fn, a=None, b=None) -> None:
        if not time >= self.clock._now:
            raise ParameterError(f"time {time!r} is in the past (now {self.clock._now!r})")
        self.clock.call_at(time, fn, a, b)

    def timer(self, delay: float, fn, arg=None) -> Timer:
        """Start a cancellable timer that calls ``fn(arg)`` after ``delay`` seconds."""
        return Timer(self.clock, delay, fn, arg)

    def process(self, generator):
        """Start a SimPy process (an application's script)."""
        return self.clock.process(generator)

    def run(self, until: float | None = None, *, progress=None, progress_every: int = 65536) -> float:
        """Run until simulated time ``until`` (events at ``until`` itself do not run), or
        until nothing is left to happen. Returns the time reached.

        ``progress``, if given, is called as ``progress(now)`` every ``progress_every``
        events, for a progress bar.
        """
        if until is not None and not (until >= self.clock._now and not math.isnan(until)):
            raise ParameterError(f"until = {until!r} is not allowed; allowed: >= now")
        clock = self.clock
        queue = clock._queue
        limit = math.inf if until is None else until
        pop = heappop
        count = 0
        budget = progress_every if progress is not None else -1
        # The model's objects live for the whole run: keep the cyclic collector from
        # walking them again and again (it costs a fifth of a large run otherwise).
        gc.freeze()
        try:
            while queue:
                entry = pop(queue)
                now = entry[0]
                if now >= limit:
                    heappush(queue, entry)      # its time has not come: put it back
                    break
                clock._now = now
                if len(entry) == 6:
                    entry[3](entry[4], entry[5])
                else:
                    _fire(entry[3])
                count += 1
                if count == budget:
                    progress(now)
                    budget += progress_every
        finally:
            gc.unfreeze()
        if until is not None:
            clock._now = until
        self.events_processed += count
        return clock._now
