"""Named random-number streams: one ``numpy.random.Generator`` per source of randomness.

Each stream is seeded from the run seed and a stable hash (BLAKE2b, never
Python's salted ``hash()``) of its name, so adding, removing or changing one
part of a model does not reshuffle the draws of any other part: the common
random numbers that make paired comparisons fair. This module is the only
place in mpsim that creates generators.

>>> streams = RngStreams(7)
>>> a = streams.stream("link:0->1:loss").random()
>>> b = RngStreams(7).stream("link:0->1:loss").random()
>>> a == b
True
"""

from __future__ import annotations

import hashlib
from itertools import chain, repeat

import numpy as np

from mpsim.core.errors import ParameterError

#: Draws are made this many at a time and handed out one by one: numpy's
#: per-call overhead dwarfs a single draw, and the hot path only wants a float.
BLOCK = 4096
#: A stream's first block is this small, and each next one twice the last up to
#: ``BLOCK``: a network has thousands of links, most of which draw little, and
#: full blocks for all of them would cost time and memory (32 KB of flags, 128 KB
#: of delays per link). The values are the same whatever the block sizes.
FIRST_BLOCK = 64


def name_key(name: str) -> list[int]:
    """Four 32-bit words of a stable digest of ``name`` (same on every machine and run)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]


class RngStreams:
    """The run's named random streams.

    Parameters
    ----------
    seed : int
        The run seed (any non-negative integer).
    """

    def __init__(self, seed: int = 0):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ParameterError(f"seed {seed!r} is not allowed; allowed: an integer >= 0")
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def stream(self, name: str) -> np.random.Generator:
        """The generator named ``name``, created on first use and the same object after."""
        rng = self._streams.get(name)
        if rng is None:
            entropy = [self.seed & 0xFFFFFFFF, self.seed >> 32, *name_key(name)]
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
            self._streams[name] = rng
        return rng

    def names(self) -> list[str]:
        """Names of the streams created so far, in creation order."""
        return list(self._streams)


def replication_seed(base_seed: int, replication: int) -> int:
    """The run seed of replication ``replication`` (0, 1, ...) of a sweep whose base seed
    is ``base_seed``: a function of those two numbers only.

    So replication i draws the same named streams at every grid point (common random
    numbers: differences between grid points are not noise), adding grid points or
    replications never changes a run already made, and sweeps with different base
    seeds (even 7 and 8) are independent: the seed is numpy's ``SeedSequence`` child
    ``i`` of the base seed (``spawn_key=(i,)``), as 63 bits so that it fits a signed
    64-bit column. ``mpsim run --seed <that seed>`` repeats the run alone.

    >>> replication_seed(7, 0) == replication_seed(7, 0)
    True
    >>> len({replication_seed(7, 0), replication_seed(7, 1), replication_seed(8, 0)})
    3
    >>> 0 <= replication_seed(7, 3) < 2 ** 63
    True
    """
    for name, value in (("base seed", base_seed), ("replication", replication)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ParameterError(f"{name} {value!r} is not allowed; allowed: an integer >= 0")
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(int(replication),))
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


def block_sizes(block: int = BLOCK, first: int = FIRST_BLOCK):
    """Sizes of successive blocks: ``first``, doubling, then ``block`` for ever.

    >>> from itertools import islice
    >>> list(islice(block_sizes(300, 64), 5))
    [64, 128, 256, 300, 300]
    """
    size = first
    while size < block:
        yield size
        size *= 2
    yield from repeat(block)


def blocks(draw, sizes=None):
    """An endless iterator over the values of ``draw(n)`` (a numpy array of ``n`` values),
    called again, with ``n`` the next of ``sizes`` (default ``block_sizes()``), whenever
    the values run out.

    The iteration is in C (``chain`` over ``map``): Python code runs once per
    block, not once per value, which matters on the per-packet hot path.

    >>> it = blocks(lambda n: np.arange(n), [2, 3, 3])
    >>> [next(it) for _ in range(7)]
    [0, 1, 0, 1, 2, 0, 1]
    """
    return chain.from_iterable(map(lambda n: draw(n).tolist(), block_sizes() if sizes is None else sizes))


def bernoulli_flags(rng: np.random.Generator, p: float, block: int = BLOCK):
    """An endless iterator of booleans, each ``True`` with probability ``p``
    (``U[0, 1) < p``, the uniforms drawn in blocks growing to ``block``)."""
    if p <= 0.0:
        return repeat(False)
    return blocks(lambda n: rng.random(n) < p, block_sizes(block))


def gilbert_elliott_flags(rng: np.random.Generator, p: float, r: float,
                          loss_good: float, loss_bad: float, block: int = BLOCK):
    """An endless iterator of loss flags from a two-state Gilbert–Elliott chain.

    One step of the chain per packet: the packet is lost with the loss
    probability of the current state, then the state moves (good -> bad with
    probability ``p``, bad -> good with ``r``). Sojourns are therefore
    geometric and are drawn whole, a run at a time. The first state is drawn
    from the stationary distribution, so the loss rate is stationary from the
    first packet: ``(r*loss_good + p*loss_bad) / (p + r)``.
    """
    return chain.from_iterable(_gilbert_elliott_runs(rng, p, r, loss_good, loss_bad, block))


def _gilbert_elliott_runs(rng, p, r, loss_good, loss_bad, block):
    """The flags of ``gilbert_elliott_flags``, one sojourn (an iterable of flags) at a time."""
    bad = bool(rng.random() < p / (p + r))
    while True:
        leave = r if bad else p
        run = int(rng.geometric(leave)) if leave > 0 else block
        h = loss_bad if bad else loss_good
        if h <= 0.0:
            yield repeat(False, run)
        elif h >= 1.0:
            yield repeat(True, run)
        else:                          # in chunks: a rarely left state may last millions of packets
            for done in range(0, run, block):
                yield (rng.random(min(block, run - done)) < h).tolist()
        if leave > 0:
            bad = not bad
