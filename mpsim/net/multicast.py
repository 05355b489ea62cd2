"""Multicast distribution trees: forwarding state that copies a packet at branch points.

A ``MulticastTree`` is what routers hold for one group: for each node, the links
it copies an arriving packet onto, and the local receivers (member hosts'
sockets) it hands a copy to. A packet is one shared object; each tree link
carries it once, whatever the number of members below.

Trees grow and shrink link by link (``graft``/``prune``), which is how a
protocol such as PIM builds them as its joins arrive, or member by member
along the current unicast routes (``add_member``/``remove_member``):

- a **shared tree** (``shared_tree``) follows each member's route *toward* the
  root (a rendezvous point), as PIM (*,G) joins do (reverse-path);
- a **source tree** (``source_tree``) follows the routes *from* the source to
  each member.

A node forwards a copy only if it came from its parent link (the RPF check), so
stale state cannot loop or duplicate. A packet with a TTL (``Packet.ttl``, IP's
multicast scope) loses one at each node that forwards it, the node it is injected
at included unless that is a host (the origin); a node that gets it with TTL 1
still hands it to its local receiver but copies it onto no link.

The copies a node puts on its links at one instant that arrive at one instant
(alike links: a router's members behind alike access links, the branches of a
regular tree) are one scheduled call, not one each (``_arrive_together``): the
calls would have been consecutive in the heap, so nothing could run between
them, and they run in the same order; each still counts as an event
(``Clock.merged``). Traced packets are scheduled one call per copy, as their
loss records go between.
"""

from __future__ import annotations

from mpsim.core.errors import TopologyError


class MulticastTree:
    """Forwarding state of one multicast group, rooted at ``root``.

    Parameters
    ----------
    network : Network
    root : node
        Where packets enter the tree (the RP of a shared tree, or the source).
    direction : "toward_root" | "from_root"
        How ``add_member`` finds a member's branch: along the member's route toward
        the root (shared trees), or along the root's route to the member (source trees).
    """

    def __init__(self, network, root, direction: str = "toward_root"):
        if root not in network.graph:
            raise TopologyError(f"tree root {root!r} is not in the network")
        if direction not in ("toward_root", "from_root"):
            raise TopologyError(f"direction {direction!r}; allowed: toward_root, from_root")
        self.network = network
        self.root = root
        self.direction = direction
        self.out: dict = {}        # node -> [Link, ...] it copies packets onto
        self.parent: dict = {}     # node -> Link it receives the group's packets on
        self.receivers: dict = {}  # node -> callable(packet, link) for local members
        self._fwd: dict = {}       # node -> (receiver or None, out links): one lookup per hop
        self._on_arrival = self._arrive  # bound once, not once per hop
        self._together = self._arrive_together
        sim = network.sim
        self._clock = sim.clock
        self._at = sim.clock.at
        self._recorder = sim.recorder

    # -- state ----------------------------------------------------------------
    def graft(self, u, v) -> bool:
        """Add link u->v to the tree and make it ``v``'s parent (where ``v`` accepts the
        group's packets from). Returns False if it was both already."""
        link = self.network.link(u, v)
        outs = self.out.setdefault(u, [])
        if link in outs:
            if self.parent.get(v) is link:
                return False
        else:
            outs.append(link)
        self.parent[v] = link
        self._refresh(u)
        self._refresh(v)
        return True

    def prune(self, u, v) -> bool:
        """Remove link u->v. Returns False if it was not in the tree."""
        link = self.network.link(u, v)
        outs = self.out.get(u)
        if not outs or link not in outs:
            return False
        outs.remove(link)
        if not outs:
            del self.out[u]
        if self.parent.get(v) is link:
            del self.parent[v]
        self._refresh(u)
        self._refresh(v)
        return True

    def _refresh(self, node) -> None:
        receiver = self.receivers.get(node)
        outs = self.out.get(node)
        if receiver is None and not outs:
            self._fwd.pop(node, None)
        else:
            self._fwd[node] = (receiver, outs if outs is not None else (), self.parent.get(node))

    def on_tree(self, node) -> bool:
        """Whether ``node`` is the root or has a branch of the tree reaching it."""
        return node == self.root or node in self.parent

    def links(self) -> list:
        """Every link of the tree, in a deterministic order."""
        return [link for outs in self.out.values() for link in outs]

    def subscribe(self, node, receiver) -> None:
        """Hand a copy of each packet that reaches ``node`` to ``receiver(packet, link)``."""
        self.receivers[node] = receiver
        self._refresh(node)

    def unsubscribe(self, node) -> None:
        self.receivers.pop(node, None)
        self._refresh(node)

    def _branch(self, member) -> list | None:
        routing = self.network.routing
        if self.direction == "toward_root":
            path = routing.path(member, self.root)
            return None if path is None else path[::-1]
        return routing.path(self.root, member)

    def add_member(self, member, receiver=None) -> bool:
        """Graft the branch from the tree to ``member`` along the current routes (stopping
        where it meets the tree) and subscribe ``receiver`` there. False if unreachable."""
        path = self._branch(member)
        if path is None:
            return False
        # Walk from the member back up until the tree is met: graft only the new part.
        start = 0
        for i in range(len(path) - 1, -1, -1):
            if self.on_tree(path[i]):
                start = i
                break
        for u, v in zip(path[start:], path[start + 1:], strict=False):   # consecutive pairs
            self.graft(u, v)
        if receiver is not None:
            self.subscribe(member, receiver)
        return True

    def remove_member(self, member) -> None:
        """Unsubscribe ``member`` and prune branches that no longer lead to a receiver."""
        self.unsubscribe(member)
        node = member
        while node != self.root and node not in self.out and node not in self.receivers:
            link = self.parent.get(node)
            if link is None:
                break
            self.prune(link.src, node)
            node = link.src

    # -- delivery ----------------------------------------------------------------
    def send(self, packet, at=None) -> None:
        """Inject ``packet`` at node ``at`` (default the root): a local receiver there gets
        it, and it is copied onto every tree link out of that node."""
        node = self.root if at is None else at
        receiver = self.receivers.get(node)
        if receiver is not None:
            receiver(packet, None)
        outs = self.out.get(node)
        if not outs:
            return
        if packet.ttl is not None and not self.network.is_host(node):
            packet = self.network.spend_ttl(packet, node)
            if packet is None:
                return
        self._put_on(packet, outs)

    def _put_on(self, packet, outs) -> None:
        """Copy an injected packet onto ``outs``, the copies that arrive together as one call."""
        if packet.trace or self._recorder.packets:
            for link in outs:
                link.transmit(packet, self._on_arrival)
            return
        when, group = -1.0, None
        for link in outs:
            arrival = link.enter(packet)
            if arrival is None or arrival < 0.0:          # dropped or lost
                continue
            if arrival == when:
                group.append(link)
                continue
            if group is not None:
                self._at(when, self._together, packet, group)
            when, group = arrival, [link]
        if group is not None:
            self._at(when, self._together, packet, group)

    def _arrive(self, packet, link) -> None:
        """One copy's arrival (traced packets are scheduled a copy at a time)."""
        self._arrive_together(packet, (link,))

    def _arrive_together(self, packet, links) -> None:
        """The arrivals of ``packet`` over ``links`` at this instant, in order. The copies
        they put on links that arrive at one instant, one after the other, are scheduled
        as one call; a local receiver's turn ends the group (it may schedule work)."""
        self._clock.merged += len(links) - 1
        fwd = self._fwd
        per_copy = packet.trace or self._recorder.packets
        at, together = self._at, self._together
        when, group, sent = -1.0, None, None         # the group being gathered
        for link in links:
            if not link.up:
                link.drop(packet, "down")
                continue
            entry = fwd.get(link.dst)
            if entry is None:
                continue
            receiver, outs, upstream = entry
            if upstream is not link:       # the RPF check: only copies from the parent go on,
                link.drop(packet, "not from the upstream link")  # so stale state cannot loop
                continue
            if receiver is not None:
                if group is not None:
                    at(when, together, sent, group)
                    when, group = -1.0, None
                receiver(packet, link)
            if not outs:
                continue
            copy = packet
            if copy.ttl is not None:
                copy = self.network.spend_ttl(copy, link.dst)
                if copy is None:
                    continue
            if per_copy:
                for out in outs:
                    out.transmit(copy, self._on_arrival)
                continue
            for out in outs:
                arrival = out.enter(copy)
                if arrival is None or arrival < 0.0:      # dropped or lost
                    continue
                if arrival == when and copy is sent:
                    group.append(out)
                    continue
                if group is not None:
                    at(when, together, sent, group)
                when, group, sent = arrival, [out], copy
        if group is not None:
            at(when, together, sent, group)


def shared_tree(network, rp, members=(), receiver=None) -> MulticastTree:
    """A tree rooted at the rendezvous point ``rp``, each member's branch following
    its route toward ``rp``."""
    tree = MulticastTree(network, rp, "toward_root")
    for member in members:
        tree.add_member(member, receiver)
    return tree


def source_tree(network, source, members=(), receiver=None) -> MulticastTree:
    """A shortest-path tree from ``source``, each branch following the route from
    ``source`` to the member."""
    tree = MulticastTree(network, source, "from_root")
    for member in members:
        tree.add_member(member, receiver)
    return tree
