"""The simulated clock: a ``simpy.Environment`` whose heap also runs cheap direct calls.

Packets are many, so a packet hop is not a SimPy event: it is a plain heap
entry that the loop answers with a call. Every entry, whoever scheduled it,
has one shape, ``(time, seq, fn, a, b)``, answered with ``fn(a, b)``, and one
method writes them: ``Clock.at``. SimPy's own events reach the heap through
``Clock.schedule`` (SimPy's public hook, overridden) as ``(time, seq, _fire,
event, None)``.

The ordering promise: work due at one instant runs in the order it was
scheduled, whichever kind it is — a direct call, a ``timeout(0)``, a new
process (whose first step is scheduled when ``process()`` is called) or an
event that succeeds. SimPy's event priorities are therefore not used: SimPy
puts a new process's first step and an interrupt ahead of equal-time work
(``URGENT``); here they take their turn like everything else (a process still
starts before anyone can interrupt it, since it is scheduled first).

What this relies on of SimPy (``simpy>=4.1,<4.2``; ``tests/core/test_simpy_drift.py``
fails if it changes): every event is scheduled through ``Environment.schedule``;
the clock is ``_now`` and the heap ``_queue``; an event is processed by calling
its ``callbacks`` and then, if it failed (``_ok`` false) and was not defused,
raising a copy of its ``_value``, as ``Environment.step`` does.
"""

from __future__ import annotations

import contextlib
import gc
import math
from heapq import heappop, heappush
from itertools import count

import simpy
from simpy.core import EmptySchedule

from mpsim.core.errors import ParameterError
from mpsim.core.recorder import Recorder
from mpsim.core.rng import RngStreams


def _fire(event, _unused=None) -> None:
    """Process a SimPy event taken from the heap, as ``simpy.Environment.step`` does."""
    callbacks, event.callbacks = event.callbacks, None
    for callback in callbacks:
        callback(event)
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc


def _apply(fn, args) -> None:
    fn(*args)


class Clock(simpy.Environment):
    """A SimPy environment whose heap entries are all ``(time, seq, fn, a, b)``."""

    def __init__(self, initial_time: float = 0.0):
        super().__init__(initial_time)
        #: Events run by entries that stood for more than one (an entry that ran k counts
        #: k - 1 here): a multicast tree's copies that arrive together.
        self.merged = 0
        queue, seq, push = self._queue, count().__next__, heappush

        def at(time: float, fn, a=None, b=None) -> None:
            """Call ``fn(a, b)`` at simulated ``time``: the one writer of the heap.
            Hot paths (links, timers) keep a reference to it; ``time`` is not checked
            here (``Simulation.call_at`` checks it). A closure over the heap and the
            sequence, as it runs once per packet hop."""
            push(queue, (time, seq(), fn, a, b))
        self.at = at

    def schedule(self, event, priority=None, delay: float = 0) -> None:
        """SimPy's hook for every event it schedules; ``priority`` is not used (see the
        module docstring)."""
        self.at(self._now + delay, _fire, event)

    def step(self) -> None:
        """Run the next entry (SimPy's single step)."""
        try:
            entry = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self._now = entry[0]
        entry[2](entry[3], entry[4])

    def run(self, until: float | None = None) -> float:
        """Run until simulated time ``until`` (entries at ``until`` itself do not run) or
        until nothing is left. Unlike SimPy's ``run``, ``until`` is a time, not an event."""
        if until is not None and not isinstance(until, (int, float)):
            raise ParameterError(f"until = {until!r} is not allowed; allowed: a time in seconds "
                                 "(wait for an event inside a process instead)")
        self.run_until(math.inf if until is None else until)
        if until is not None:
            self._now = max(self._now, until)
        return self._now

    def run_until(self, limit: float, progress=None, every: int = 65536) -> int:
        """The event loop: run every entry due before ``limit``; returns how many ran.
        ``progress(now)`` is called every ``every`` entries if given."""
        queue = self._queue
        pop = heappop
        ran = 0
        budget = every if progress is not None else -1
        while queue:
            entry = pop(queue)
            now = entry[0]
            if now >= limit:
                heappush(queue, entry)      # its time has not come: put it back
                break
            self._now = now
            entry[2](entry[3], entry[4])
            ran += 1
            if ran == budget:
                progress(now)
                budget += every
        return ran


@contextlib.contextmanager
def collector_off():
    """Keep Python's cyclic garbage collector out of a run (benchmarks use it for their
    baselines too, so that both sides run alike).

    The model's objects live for the whole run, and running it makes almost no cyclic
    garbage (at most 9 objects in any scenario of the library, counted by gc.collect()
    after the run): the objects are frozen out of the collector's walks and the collector
    is off meanwhile, which saves 15-20 % of an atm join run. Reference counting still
    frees everything acyclic at once.
    """
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()         # what the run made goes to the oldest generation, unswept: enabling
        gc.unfreeze()       # first would sweep all of it at the next allocation (0.5 s at 10 k joins)
        if enabled:
            gc.enable()


class Timer:
    """A cancellable one-shot call; protocols use these for their retransmission timers."""

    __slots__ = ("fn", "arg", "when", "active")

    def __init__(self, clock: Clock, delay: float, fn, arg=None):
        self.fn = fn
        self.arg = arg
        self.when = clock._now + delay
        self.active = True
        clock.at(self.when, Timer._expire, self)

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
        #: Message ids (``msg_id`` in the trace), 1, 2, ... in the order messages are sent.
        self.message_ids = count(1)

    @property
    def now(self) -> float:
        return self.clock._now

    @property
    def env(self) -> Clock:
        """The SimPy environment, for processes and events."""
        return self.clock

    def call_later(self, delay: float, fn, *args) -> None:
        """Call ``fn(*args)`` after ``delay`` seconds (after the work already due then)."""
        if not delay >= 0:
            raise ParameterError(f"delay {delay!r} is not allowed; allowed: >= 0 s")
        self.clock.at(self.clock._now + delay, _apply, fn, args)

    def call_at(self, time: float, fn, *args) -> None:
        """Call ``fn(*args)`` at simulated ``time`` (not before now)."""
        if not time >= self.clock._now:
            raise ParameterError(f"time {time!r} is in the past (now {self.clock._now!r})")
        self.clock.at(time, _apply, fn, args)

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
        clock = self.clock
        if until is not None and not (until >= clock._now and not math.isnan(until)):
            raise ParameterError(f"until = {until!r} is not allowed; allowed: >= now")
        merged = clock.merged
        with collector_off():
            ran = clock.run_until(math.inf if until is None else until, progress, progress_every)
        if until is not None:
            clock._now = until
        self.events_processed += ran + clock.merged - merged
        return clock._now
