"""Helpers for ipmc tests: a periodic source and closed-form passage times."""

from __future__ import annotations

import math

from mpsim.spi import C_LEAF, D_LEAF


def periodic_source(world, host, session, period, size=100, start=0.0, stop=math.inf):
    """``host`` sends ``size`` bytes on ``session`` every ``period`` s from ``start`` (a sender
    need not be a member); returns the socket."""
    sock = world.stack.host(host).socket(session, C_LEAF | D_LEAF)

    def tick(k):
        t = start + k * period
        if t < stop:
            sock.send(size)
            world.sim.call_at(start + (k + 1) * period, tick, k + 1)

    world.sim.call_at(start, tick, 0)
    return sock


def hop_time(link, size):
    """Serialization plus (constant) propagation of one packet of ``size`` bytes on ``link``."""
    return size * 8 / link.spec.bandwidth + link.spec.delay.mean


def path_time(net, path, size):
    return sum(hop_time(net.link(u, v), size) for u, v in zip(path, path[1:]))
