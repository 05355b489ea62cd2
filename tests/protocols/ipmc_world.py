"""Helpers for ipmc tests: a periodic source, closed-form passage times, a ring to fail."""

from __future__ import annotations

import math
from itertools import pairwise

from mpsim.net import LinkSpec, Topology
from mpsim.spi import C_LEAF, D_LEAF, FD_READ
from tests.world import CASE_LINK, World, sent


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


def ring_world():
    """A ring 0-1-2-3-4 of multipoint.md's 10 ms, 1 Mbps links; RP and source S on 0, the
    member H on 2, whose route to the RP is 2-1-0 (two hops; the other way is three). S
    sends 100 B every 1 ms from 0.5 ms, so a packet leaves S at t_k = 0.0005 + k·0.001 and
    no two events of this test fall at one instant. H records each packet's arrival."""
    topo = Topology.from_generator("cycle_graph", {"n": 5}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {"S": 0, "H": 2}, providers=("ipmc",))
    w.session("g", "ipmc", rp=0)
    periodic_source(w, "S", "g", 0.001, start=0.0005)
    arrivals = []

    def on_read(ind):
        if ind.event == FD_READ:
            arrivals.append(round(ind.time, 9))
            ind.socket.recv()                   # re-enables FD_READ: one per packet

    w.at(1.0, w.app("H", "g").join)
    w.at(1.0, lambda: w.app("H", "g").socket.on(on_read))
    return w, arrivals


def pim_log(w):
    """(time, from, to, kind) of every PIM Join and Prune a router sent."""
    return [(t, str(a), str(b), k) for t, a, b, k in sent(w) if k.startswith("PIM")]


def gaps(arrivals, longer_than=0.0015):
    """(before, after) of each pause in ``arrivals`` longer than 1.5 packet periods."""
    return [(a, b) for a, b in pairwise(arrivals) if b - a > longer_than]
