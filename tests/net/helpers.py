"""Small builders shared by the network-layer tests."""

from __future__ import annotations

from dataclasses import dataclass

from mpsim.core import Simulation
from mpsim.net import LinkSpec, Network, Topology


@dataclass(frozen=True, slots=True)
class Msg:
    """A test message: ``proto`` names the receiving handler, ``seq`` numbers it."""
    seq: int = 0
    proto = "test"
    kind = "TEST"


def two_nodes(spec: LinkSpec, seed: int = 1, trace_packets: bool = False):
    """A simulation and the link 0 -> 1 of a one-edge topology."""
    sim = Simulation(seed, trace_packets=trace_packets)
    net = Network(sim, Topology.from_generator("path_graph", {"n": 2}, links=spec))
    return sim, net, net.link(0, 1)


def chain(h: int, spec: LinkSpec, seed: int = 1, **kw):
    """A simulation and a network of routers 0 - 1 - ... - h."""
    sim = Simulation(seed)
    net = Network(sim, Topology.from_generator("path_graph", {"n": h + 1}, links=spec), **kw)
    return sim, net
