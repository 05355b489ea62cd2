"""Small runs with known answers, built through the Python API, for the analysis and plot tests.

Chain R — s1 — s2 — L of tests/world.py (every link 10 ms, 1 Mbps; 100 B control
messages): one hop 10.8 ms = 10 ms propagation + 0.8 ms transmission.
"""

from __future__ import annotations

import functools

from mpsim.net import LinkSpec, Topology
from tests.protocols.ipmc_world import periodic_source
from tests.world import CASE_LINK, World, chain, lose_next

PROPAGATION = 0.010          # per link
TRANSMISSION = 100 * 8 / 1e6  # 0.8 ms per 100 B hop


def link_delays(world) -> dict:
    """{(src, dst): mean propagation} of every directed link, as run outputs name them."""
    return {(str(l.src), str(l.dst)): l.spec.delay.mean for l in world.net.links.values()}


def tables(world):
    """events, joins, links of a finished world."""
    return world.events(), world.joins(), world.net.link_table()


@functools.cache
def c1():
    """The root invites one leaf at 1 s: connected at 1.0648."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen("accept")
    w.at(1.0, w.app("R").invite, ["L"])
    return w.run(10)


@functools.cache
def c3():
    """The leaf asks at 1 s; the root defers its decision 200 ms: connected after 286.4 ms
    (C3: 200 ms + 64.8 ms + the leaf's access round trip, CONNECT and CONNECT ACK)."""
    w = chain()
    w.session("s", root="R")
    w.app("R").listen({"defer": 0.2})
    w.at(1.0, w.app("L").request)
    return w.run(10)


@functools.cache
def c4():
    """The root invites two leaves with max_outstanding 1: 64.8 ms and 130.4 ms."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=1)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen("accept")
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    return w.run(10)


@functools.cache
def c6_lost_once():
    """C1 with a 1 s invitation timer and the first SETUP lost between the switches:
    connected after 1 s + 64.8 ms. Its subject is the end-to-end retransmission (C6's
    study mode), so the signalling is unreliable: SSCOP would recover the loss on the hop."""
    w = chain()
    w.session("s", root="R", timers={"invite_timeout": 1.0, "retries": "inf"},
              signalling={"transport": "unreliable"})
    w.app("L").listen("accept")
    lose_next(w.net.link(0, 1), 1)
    w.at(1.0, w.app("R").invite, ["L"])
    return w.run(10)


@functools.cache
def ipmc3():
    """Three members join an IP multicast group at 1.0, 1.3, 1.6 s on a binary tree of
    depth 2 (RP = router 0, source on the RP, 10 ms data period, 100 B packets).

    A joins behind router 3 (report + PIM Joins 3->1->0: 3 hops), B behind router 4
    (1 is already on the tree: report + one Join, 2 hops), C behind router 6 (3 hops)."""
    topo = Topology.from_generator("balanced_tree", {"r": 2, "h": 2}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {"S": 0, "A": 3, "B": 4, "C": 6}, providers=("ipmc",))
    w.session("g", "ipmc", rp=0)
    periodic_source(w, "S", "g", 0.01)
    for i, host in enumerate("ABC"):
        w.at(1.0 + 0.3 * i, w.app(host, "g").join)
    return w.run(3)


@functools.cache
def conference_lost_twice():
    """A chair invites a member; the first two INVITEs are lost on the chair's link
    (T1 = 0.5 s): connected after 0.5 + 1.0 s + 64.8 ms."""
    from tests.protocols.test_conference import conference_world
    w = conference_world()
    w.app("M", "conf").listen()
    lose_next(w.net.link("C", 0), 2)
    w.at(1.0, w.app("C", "conf").invite, ["M"])
    return w.run(5)


@functools.cache
def star(n_hosts: int):
    """``n_hosts`` leaves on one switch, all invited at once (many hosts, one tiny topology)."""
    leaves = tuple(f"h{i:02d}" for i in range(n_hosts))
    w = chain(leaves=leaves)
    w.session("s", root="R")
    for leaf in leaves:
        w.app(leaf).listen("accept")
    w.at(1.0, w.app("R").invite, list(leaves))
    return w.run(10)
