"""The network: routers and hosts, a ``Link`` per direction, routing, delivery, failures.

Hosts are nodes too, each attached to one router by an access link. Packets
move one hop per scheduled call. Three ways to move them:

- ``send_hop(packet, u, v)``: one hop to a neighbour, whose protocol gets it
  (signalling that every switch or router on the way processes);
- ``unicast(packet, src, dst)``: forwarded hop by hop along the current routes
  (looked up at every hop, so a route change takes effect mid-path) to the
  protocol at ``dst``;
- a ``MulticastTree`` (``mpsim.net.multicast``), copied at branch points.

A packet with a TTL (``Packet.ttl``) loses one at each router that forwards it,
by unicast or on a tree, and a router that receives it with TTL 1 forwards it
no further (``Packet.forwarded``; counted in ``ttl_drops``).

A node's protocols attach with ``attach(node, proto, handler)``: a packet for
that node is handed to ``handler(packet, link)`` by its message's ``proto``
(``attach(None, proto, handler)`` serves every node that has no handler of its
own for that protocol).
"""

from __future__ import annotations

import logging

import networkx as nx
import pandas as pd

from mpsim.core.errors import TopologyError
from mpsim.net.link import Link, LinkSpec
from mpsim.net.routing import Routing
from mpsim.net.topology import Topology

log = logging.getLogger(__name__)


class Network:
    """Routers from a ``Topology``, hosts attached to them, and the links between.

    Parameters
    ----------
    sim : mpsim.core.Simulation
    topology : Topology
    routing_weight : "delay" | "hops" | callable(link)
    """

    def __init__(self, sim, topology: Topology, routing_weight="delay", processing: float = 0.0):
        self.sim = sim
        #: Seconds a router takes to handle a control message (protocols apply it).
        self.processing = float(processing)
        sim.network = self
        self.topology = topology
        self.graph = nx.Graph()
        self.links: dict[tuple, Link] = {}
        self.adjacency: dict = {}
        self.rank: dict = {}
        self.hosts: dict = {}          # host name -> the router it is attached to
        self._failed_links: set = set()
        self._failed_nodes: set = set()
        self._handlers: dict = {}      # node -> {proto: handler}
        self._default_handlers: dict = {}  # proto -> handler for any node
        self._route_listeners: list = []
        #: Packets dropped because a node had no route to their destination.
        self.no_route_drops = 0
        #: Packets a router did not forward because their TTL was spent (IP scope).
        self.ttl_drops = 0
        for node, data in topology.graph.nodes(data=True):
            self._add_node(node, "router", data)
        for u, v in topology.graph.edges:
            self._add_edge(u, v, topology.spec(u, v))
        self.routing = Routing(self, routing_weight)

    # -- building ---------------------------------------------------------------
    def _add_node(self, node, kind: str, data=None) -> None:
        self.graph.add_node(node, kind=kind, **(data or {}))
        self.adjacency[node] = []
        self.rank[node] = len(self.rank)

    def _add_edge(self, u, v, spec: LinkSpec) -> None:
        self.graph.add_edge(u, v)
        self.adjacency[u].append(v)
        self.adjacency[v].append(u)
        self.links[(u, v)] = Link(self.sim, u, v, spec)
        self.links[(v, u)] = Link(self.sim, v, u, spec)

    def add_host(self, name: str, router, access: LinkSpec | None = None) -> str:
        """Attach host ``name`` to ``router`` by an access link (the topology's
        default link spec unless ``access`` is given). Returns the host's node id."""
        if not isinstance(name, str) or not name:
            raise TopologyError(f"host name {name!r} is not allowed; allowed: a non-empty string")
        if name in self.graph:
            raise TopologyError(f"host name {name!r} is already a node of the network; allowed: a new name")
        self.topology.check_node(router)
        self._add_node(name, "host")
        self._add_edge(name, router, access if access is not None else self.topology.defaults)
        self.hosts[name] = router
        self.routing.invalidate()
        return name

    def is_host(self, node) -> bool:
        return node in self.hosts

    def router_of(self, host):
        """The router a host is attached to (its designated router)."""
        try:
            return self.hosts[host]
        except KeyError:
            raise TopologyError(f"host {host!r} is not attached; allowed: one of "
                                f"{sorted(self.hosts)[:5]}") from None

    def link(self, u, v) -> Link:
        """The link from ``u`` to ``v``."""
        try:
            return self.links[(u, v)]
        except (KeyError, TypeError):
            raise TopologyError(f"edge ({u!r}, {v!r}) is not a link of the network; allowed: a pair "
                                "of adjacent nodes") from None

    # -- delivery --------------------------------------------------------------
    def attach(self, node, proto: str, handler) -> None:
        """Have ``handler(packet, link)`` receive packets for ``node`` whose message's
        ``proto`` is ``proto``."""
        if node is None:
            self._default_handlers[proto] = handler
            return
        if node not in self.graph:
            raise TopologyError(f"node {node!r} is not in the network")
        self._handlers.setdefault(node, {})[proto] = handler

    def handler(self, node, proto: str):
        """The handler that receives ``proto`` packets at ``node``, or None."""
        handlers = self._handlers.get(node)
        handler = handlers.get(proto) if handlers else None
        return handler if handler is not None else self._default_handlers.get(proto)

    def _deliver(self, packet, link) -> None:
        handler = self.handler(link.dst, packet.msg.proto)
        if handler is None:
            link.drop(packet, "no receiver")
        else:
            handler(packet, link)

    def _hop_arrive(self, packet, link) -> None:
        if link.up:
            self._deliver(packet, link)
        else:
            link.drop(packet, "down")

    def send_hop(self, packet, u, v) -> bool:
        """Send ``packet`` from ``u`` to its neighbour ``v``, whose protocol receives it."""
        return self.link(u, v).transmit(packet, self._hop_arrive)

    def unicast(self, packet, src, dst) -> bool:
        """Route ``packet`` from ``src`` to ``dst`` hop by hop; ``dst``'s protocol receives it.
        Returns False if ``src`` has no route (the packet is dropped and counted)."""
        packet.dst = dst
        if src == dst:
            self.sim.call_later(0.0, self._deliver_local, packet, src)
            return True
        link = self.routing.next_links(dst).get(src)
        if link is None:
            self._no_route(packet, src)
            return False
        return link.transmit(packet, self._unicast_arrive)

    def _deliver_local(self, packet, node) -> None:
        handler = self.handler(node, packet.msg.proto)
        if handler is not None:
            handler(packet, None)

    def _unicast_arrive(self, packet, link) -> None:
        if not link.up:
            link.drop(packet, "down")
            return
        node = link.dst
        dst = packet.dst
        if node == dst:
            self._deliver(packet, link)
            return
        nxt = self.routing.next_links(dst).get(node)
        if nxt is None:
            self._no_route(packet, node)
            return
        if packet.ttl is not None:
            packet = self.spend_ttl(packet, node)
            if packet is None:
                return
        nxt.transmit(packet, self._unicast_arrive)

    def _no_route(self, packet, node) -> None:
        self.no_route_drops += 1
        if packet.trace or self.sim.recorder.packets:
            self.sim.recorder.record(self.sim.now, "net", "DROP", host=node, peer=packet.dst,
                                     detail=f"{packet.kind} (no route)", msg_id=packet.msg_id)

    def spend_ttl(self, packet, node):
        """The copy router ``node`` forwards (TTL one less), or None: ``node`` got it with
        TTL 1 and forwards it nowhere (counted and traced; not a link's drop: the link
        delivered it)."""
        copy = packet.forwarded()
        if copy is not None:
            return copy
        self.ttl_drops += 1
        if packet.trace or self.sim.recorder.packets:
            self.sim.recorder.record(self.sim.now, "net", "DROP", host=node, peer=packet.dst,
                                     detail=f"{packet.kind} (ttl)", msg_id=packet.msg_id)
        return None

    # -- failures ----------------------------------------------------------------
    def on_route_change(self, listener) -> None:
        """Call ``listener(event, u, v)`` after every failure or recovery (routes have
        changed): ``event`` is LINK_DOWN, LINK_UP (edge u-v), NODE_DOWN or NODE_UP (node u)."""
        self._route_listeners.append(listener)

    def node_up(self, node) -> bool:
        return node not in self._failed_nodes

    def _refresh(self, u, v) -> None:
        up = (frozenset((u, v)) not in self._failed_links
              and u not in self._failed_nodes and v not in self._failed_nodes)
        self.links[(u, v)].up = up
        self.links[(v, u)].up = up

    def _changed(self, what: str, host, peer=None) -> None:
        self.sim.recorder.record(self.sim.now, "net", what, host=host, peer=peer)
        self.routing.invalidate()
        for listener in list(self._route_listeners):
            listener(what, host, peer)

    def fail_link(self, u, v) -> None:
        """Take the link between ``u`` and ``v`` down (both directions); what it carries is lost."""
        self.link(u, v)
        self._failed_links.add(frozenset((u, v)))
        self._refresh(u, v)
        self._changed("LINK_DOWN", u, v)

    def recover_link(self, u, v) -> None:
        self.link(u, v)
        self._failed_links.discard(frozenset((u, v)))
        self._refresh(u, v)
        self._changed("LINK_UP", u, v)

    def fail_node(self, node) -> None:
        """Take a node down: every link it has goes down with it."""
        if node not in self.graph:
            raise TopologyError(f"node {node!r} is not in the network")
        self._failed_nodes.add(node)
        for v in self.adjacency[node]:
            self._refresh(node, v)
        self._changed("NODE_DOWN", node)

    def recover_node(self, node) -> None:
        if node not in self.graph:
            raise TopologyError(f"node {node!r} is not in the network")
        self._failed_nodes.discard(node)
        for v in self.adjacency[node]:
            self._refresh(node, v)
        self._changed("NODE_UP", node)

    # -- results ---------------------------------------------------------------
    def link_table(self, duration: float | None = None) -> pd.DataFrame:
        """Per directed link: src, dst, packets, bytes, drops, utilization (over ``duration``,
        default the simulated time so far), plus the drops split into queue and loss."""
        duration = self.sim.now if duration is None else duration
        rows = [(str(link.src), str(link.dst), link.packets, link.bytes, link.drops,
                 link.utilization(duration), link.queue_drops, link.losses)
                for link in self.links.values()]
        return pd.DataFrame(rows, columns=["src", "dst", "packets", "bytes", "drops", "utilization",
                                           "queue_drops", "losses"])
