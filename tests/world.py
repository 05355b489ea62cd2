"""Small worlds for socket-layer and protocol tests, built through the public Python API."""

from __future__ import annotations

from mpsim.apps import SessionApp
from mpsim.core import Simulation
from mpsim.net import LinkSpec, Network, Topology
from mpsim.protocols import PROVIDERS
from mpsim.spi import Stack

#: multipoint.md §6: every link 10 ms, 1 Mbps, no loss; 100 B control messages.
CASE_LINK = dict(delay="10ms", bandwidth="1Mbps", queue=64)
HOP = 0.010 + 100 * 8 / 1e6          # 10.8 ms: one hop of a 100 B message
ONE_WAY = 3 * HOP                    # 32.4 ms: host - switch - switch - host
#: SSCOP's frames on those links (protocols.md: POLL 8 B, STAT 12 B + 8 B per gap).
POLL_TX = 8 * 8 / 1e6                # 64 us: a POLL's serialization at 1 Mbps
STAT_TX = 12 * 8 / 1e6               # 96 us: a STAT's with no gap
POLL_HOP = 0.010 + POLL_TX           # 10.064 ms
STAT_HOP = 0.010 + STAT_TX           # 10.096 ms


class World:
    """A simulation, a network, the socket layer, and one app per (host, session)."""

    def __init__(self, topology: Topology, hosts: dict, seed: int = 1, providers=("atm",),
                 trace_packets: bool = False):
        self.sim = Simulation(seed, trace_packets=trace_packets)
        self.net = Network(self.sim, topology)
        for name, node in hosts.items():
            node, access = node if isinstance(node, tuple) else (node, None)
            self.net.add_host(name, node, access)
        self.stack = Stack(self.sim, self.net)
        for name in providers:
            self.stack.add_provider(PROVIDERS[name](self.stack))
        self._apps: dict = {}

    def session(self, name="s", provider="atm", **settings):
        return self.stack.add_session(name, provider, **settings)

    def app(self, host, session="s") -> SessionApp:
        key = (host, session)
        if key not in self._apps:
            self._apps[key] = SessionApp(self.stack, host, session)
        return self._apps[key]

    def at(self, time, fn, *args):
        """Run ``fn(*args)`` at simulated ``time``."""
        self.sim.call_at(time, fn, *args)

    def run(self, until=None):
        self.sim.run(until)
        return self

    def joins(self):
        return self.stack.joins.frame()

    def events(self, layer=None):
        frame = self.sim.recorder.frame()
        return frame if layer is None else frame[frame.layer == layer]

    def log(self, layer="spi"):
        """(time, host, event, error) of every record of ``layer``: what tests compare exactly."""
        frame = self.events(layer)
        return [(round(t, 9), h, e, None if err is None or err != err else err)
                for t, h, e, err in zip(frame.time, frame.host, frame.event, frame.error)]


def lose_next(link, k):
    """Make ``link`` lose exactly its next ``k`` packets and none after (a scripted loss)."""
    from itertools import chain, repeat
    link._next_lost = chain(repeat(True, k), repeat(False)).__next__


def sent(world):
    """(time, from, to, kind) of every control message hop sent, in order."""
    frame = world.events("proto")
    frame = frame[frame.detail.fillna("") != "recv"]
    return [(round(t, 9), h, p, e) for t, h, p, e in zip(frame.time, frame.host, frame.peer, frame.event)]


#: SSCOP's own frames (mpsim.protocols.atm.sscop): sent by every hop under atm signalling,
#: not signalling messages themselves.
SSCOP_FRAMES = frozenset({"POLL", "STAT", "USTAT"})


def signalling(world):
    """``sent(world)`` without SSCOP's POLL, STAT and USTAT: the signalling messages only."""
    return [row for row in sent(world) if row[3] not in SSCOP_FRAMES]


def chain(seed=1, leaves=("L",), links=None, access=None, overrides=None, **kw) -> World:
    """multipoint.md's chain R — s1 — s2 — L (routers 0 and 1; every leaf on router 1).
    ``access`` maps a host to the LinkSpec keywords of its access link."""
    spec = LinkSpec(**(links or CASE_LINK))
    topo = Topology.from_generator("path_graph", {"n": 2}, links=spec, overrides=overrides)
    hosts = {"R": 0, **{leaf: 1 for leaf in leaves}}
    for host, changes in (access or {}).items():
        hosts[host] = (hosts[host], spec.with_(**changes))
    return World(topo, hosts, seed=seed, **kw)
