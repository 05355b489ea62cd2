"""The event-loop floor: a plain ``heapq`` loop doing a given number of events.

The joins and the storm are protocol logic (signalling, IGMP/PIM state, timers)
that no plain loop reproduces without becoming a second implementation of it,
so their baseline is the cost of the events alone: the loop below pops an entry
shaped like mpsim's, ``(time, seq, fn, a, b)``, calls ``fn(a, b)`` (a no-op) and
pushes a successor, as many times as mpsim ran events, on a heap kept as wide as
mpsim's was on average during the run (``run_sampled`` measures that). A ratio
floor wall / mpsim wall of 1.0 would mean mpsim's events cost no more than the
bare loop's; the gap is the model's work per event.
"""

from __future__ import annotations

import gc
import time
from heapq import heapify, heappop, heappush
from itertools import count

import numpy as np

from mpsim.core.sim import collector_off

GAPS = 4096          # successor delays drawn once, then cycled (a power of two)


def run_sampled(sim, until: float | None = None, every: int = 1024) -> tuple[float, float]:
    """Run ``sim``: its wall seconds and its heap's mean width, sampled every ``every``
    events (one call per ``every`` events does not move the wall)."""
    queue = sim.clock._queue
    widths: list[int] = []
    t0 = time.perf_counter()
    sim.run(until, progress=lambda now: widths.append(len(queue)), progress_every=every)
    wall = time.perf_counter() - t0
    return wall, (sum(widths) / len(widths) if widths else 1.0)


def _noop(a, b) -> None:
    pass


def heapq_floor(events: int, width: float, seed: int = 1) -> float:
    """Wall seconds of ``events`` pop-call-push steps on a heap of ``width`` entries."""
    width = max(1, round(width))
    gaps = np.random.default_rng(seed).exponential(float(width), GAPS).tolist()
    heap = [(gaps[i % GAPS], i, _noop, None, None) for i in range(width)]
    heapify(heap)
    seq = count(width).__next__
    mask = GAPS - 1
    gc.collect()
    with collector_off():
        t0 = time.perf_counter()
        for i in range(events):
            now, _, fn, a, b = heappop(heap)
            fn(a, b)
            heappush(heap, (now + gaps[i & mask], seq(), fn, a, b))
        wall = time.perf_counter() - t0
    return wall
