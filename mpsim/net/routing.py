"""Unicast routing: shortest paths by a link weight, with a stable tie-break.

Routes toward a destination are one shortest-path tree rooted there (links
are symmetric, so the next hop from ``u`` toward ``d`` is ``u``'s parent in
``d``'s tree). Trees are computed on first use and forgotten whenever a link
or node fails or recovers. Among equal-cost next hops the node that comes
first in the graph's node order wins, so routes do not depend on the order
in which edges were added or on dict iteration.
"""

from __future__ import annotations

from heapq import heappop, heappush

from mpsim.core.errors import ParameterError

WEIGHTS = ("delay", "hops")


class Routing:
    """Next hops over the network's links that are up.

    Parameters
    ----------
    network : Network
    weight : "delay" | "hops" | callable(link) -> float
        The cost of a link: its mean propagation delay (default), 1 per hop,
        or any function of the ``Link``.
    """

    def __init__(self, network, weight="delay"):
        if callable(weight):
            self._cost = weight
        elif weight == "delay":
            self._cost = lambda link: link.spec.delay.mean
        elif weight == "hops":
            self._cost = lambda link: 1.0
        else:
            raise ParameterError(f"routing weight {weight!r} is not allowed; allowed: "
                                 f"{', '.join(WEIGHTS)} or a function of a link")
        self.weight = weight
        self.network = network
        self._next_links: dict = {}   # destination -> {node: Link toward it}
        self._distances: dict = {}

    def invalidate(self) -> None:
        """Forget every route (after a failure or a recovery)."""
        self._next_links.clear()
        self._distances.clear()

    def next_links(self, destination) -> dict:
        """``{node: link}``: the link each node that can reach ``destination`` sends on."""
        table = self._next_links.get(destination)
        if table is None:
            table = self._compute(destination)
        return table

    def _compute(self, destination) -> dict:
        network = self.network
        rank = network.rank
        links = network.links
        adjacency = network.adjacency
        cost = self._cost
        dist = {destination: 0.0}
        parent = {}
        done = set()
        heap = [(0.0, rank[destination], destination)]
        while heap:
            d, _, u = heappop(heap)
            if u in done:
                continue
            done.add(u)
            if not network.node_up(u):
                continue
            for v in adjacency[u]:
                if v in done:
                    continue
                link = links[(v, u)]          # v would send toward u on this link
                if not link.up:
                    continue
                nd = d + cost(link)
                old = dist.get(v)
                if old is None or nd < old or (nd == old and rank[u] < rank[parent[v].dst]):
                    dist[v] = nd
                    parent[v] = link
                    heappush(heap, (nd, rank[v], v))
        self._next_links[destination] = parent
        self._distances[destination] = dist
        return parent

    def next_hop(self, node, destination):
        """The neighbour ``node`` forwards to toward ``destination``, or None if unreachable
        (``node`` itself if it is the destination)."""
        if node == destination:
            return node
        link = self.next_links(destination).get(node)
        return None if link is None else link.dst

    def path(self, source, destination) -> list | None:
        """The node sequence from ``source`` to ``destination``, or None if unreachable."""
        table = self.next_links(destination)
        path = [source]
        node = source
        while node != destination:
            link = table.get(node)
            if link is None:
                return None
            node = link.dst
            path.append(node)
        return path

    def distance(self, source, destination) -> float | None:
        """The route's cost (sum of link weights), or None if unreachable."""
        self.next_links(destination)
        return self._distances[destination].get(source) if (
            source == destination or source in self._next_links[destination]) else None

    def reachable(self, source, destination) -> bool:
        return source == destination or source in self.next_links(destination)
