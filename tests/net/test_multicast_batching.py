"""Copies scheduled together are the per-hop path, exactly.

A multicast tree schedules the copies that arrive at one instant, one after the
other, as one call (``MulticastTree._arrive_together``). The oracle here is the
per-hop forwarding mpsim had before, one scheduled call per copy, kept in
``PerHopTree``. On random graphs, trees, link specs (ties and random delays,
queues, Bernoulli and Gilbert–Elliott loss), sends (ties, TTLs, traced packets),
failures and receivers that schedule work of their own (cross traffic on tree
links at the same instant, new sends, timers, calls due at the very instant the
copies being gathered arrive), both must give the same
receipts in the same order at the same times, the same counters and
``busy_until`` on every link, the same trace and the same event count.
"""

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from mpsim.core import Simulation
from mpsim.net import LinkSpec, MulticastTree, Network, Packet, Topology
from tests.net.helpers import Msg


class PerHopTree(MulticastTree):
    """The forwarding of one scheduled call per copy (mpsim before copies were merged)."""

    def _put_on(self, packet, outs) -> None:
        for link in outs:
            link.transmit(packet, self._on_arrival)

    def _arrive(self, packet, link) -> None:
        if not link.up:
            link.drop(packet, "down")
            return
        entry = self._fwd.get(link.dst)
        if entry is None:
            return
        receiver, outs, upstream = entry
        if upstream is not link:
            link.drop(packet, "not from the upstream link")
            return
        if receiver is not None:
            receiver(packet, link)
        if outs:
            if packet.ttl is not None:
                packet = self.network.spend_ttl(packet, link.dst)
                if packet is None:
                    return
            for nxt in outs:
                nxt.transmit(packet, self._on_arrival)


DELAYS = st.one_of(st.sampled_from([0.0, 0.001, 0.002]),
                   st.builds(lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w},
                             st.sampled_from([0.0, 0.001]), st.sampled_from([0.0005, 0.003])))
LOSSES = st.one_of(st.sampled_from([0.0, 0.0, 0.1, 0.5]),
                   st.builds(lambda p, r: {"gilbert_elliott": {"p": p, "r": r}},
                             st.sampled_from([0.05, 0.3]), st.sampled_from([0.2, 0.6])))
SPECS = st.builds(LinkSpec, delay=DELAYS, bandwidth=st.sampled_from([1e6, 8e6, 1e9]),
                  queue=st.sampled_from([None, 0, 1, 3, 64]), loss=LOSSES)


@st.composite
def worlds(draw):
    n = draw(st.integers(2, 24))
    graph = nx.random_labeled_tree(n, seed=draw(st.integers(0, 2**16))) if draw(st.booleans()) \
        else nx.gnm_random_graph(n, n + draw(st.integers(0, n)), seed=draw(st.integers(0, 2**16)))
    if not nx.is_connected(graph):
        graph = graph.subgraph(max(nx.connected_components(graph), key=len)).copy()
        graph = nx.convert_node_labels_to_integers(graph)
    edges = sorted(graph.edges)
    default = draw(SPECS)
    overrides = {edge: {"loss": draw(LOSSES), "delay": draw(DELAYS)}
                 for edge in draw(st.lists(st.sampled_from(edges), max_size=4, unique=True))}
    nodes = sorted(graph)
    return {
        "graph": graph, "default": default, "overrides": overrides,
        "root": draw(st.sampled_from(nodes)),
        "direction": draw(st.sampled_from(["toward_root", "from_root"])),
        "members": draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=8, unique=True)),
        "hosts": draw(st.lists(st.tuples(st.sampled_from(nodes), st.integers(0, 3)), max_size=6)),
        "sends": draw(st.lists(st.tuples(st.sampled_from([0.0, 0.0005, 0.001, 0.002, 0.0031]),
                                         st.sampled_from([100, 125, 1000, 1500]),
                                         st.sampled_from([None, None, 1, 2, 3]), st.booleans()),
                               min_size=1, max_size=12)),
        "failures": draw(st.lists(st.tuples(st.sampled_from([0.001, 0.002, 0.0025, 0.004]),
                                            st.sampled_from(edges), st.booleans()), max_size=3)),
        "chatty": draw(st.lists(st.sampled_from(nodes), max_size=3, unique=True)),
        "trace_packets": draw(st.booleans()) and draw(st.booleans()),
        "seed": draw(st.integers(0, 3)),
    }


def run(world: dict, tree_class) -> dict:
    sim = Simulation(world["seed"], trace_packets=world["trace_packets"])
    net = Network(sim, Topology(world["graph"], links=world["default"], overrides=world["overrides"]))
    tree = tree_class(net, world["root"], world["direction"])
    log = []
    budget = [20]                                 # work the chatty receivers may still start

    def receiver(packet, link):
        node = link.dst if link is not None else None
        log.append((sim.now, node, None if link is None else link.src, packet.msg.seq, packet.ttl))
        if node in world["chatty"] and budget[0] > 0:
            budget[0] -= 1
            outs = tree.out.get(node)
            if outs:                              # cross traffic on a tree link, at this instant
                outs[0].transmit(Packet(700, Msg(-1)), lambda p, l: log.append((sim.now, "x", l.dst)))
            sim.call_later(0.0, log.append, (sim.now, "later", node))
            for other in tree.links()[:3]:        # due when copies entering idle links arrive
                due = sim.now + packet.size * other._byte_time + other.spec.delay.mean
                sim.call_at(due, log.append, (due, "due", node))
            sim.timer(0.0005, lambda n: log.append((sim.now, "timer", n)), node)
            if budget[0] % 3 == 0:
                sim.call_later(0.0, tree.send, Packet(300, Msg(1000 + budget[0])))

    for member in world["members"]:
        tree.add_member(member, receiver)
    for i, (router, extra) in enumerate(world["hosts"]):
        host = net.add_host(f"h{i}", router)
        if extra != 3:
            tree.add_member(host, receiver)
    for i, (t, size, ttl, trace) in enumerate(world["sends"]):
        sim.call_at(t, tree.send, Packet(size, Msg(i), trace=trace, ttl=ttl))
    for t, (u, v), recover in world["failures"]:
        sim.call_at(t, net.fail_link, u, v)
        if recover:
            sim.call_at(t + 0.001, net.recover_link, u, v)
    sim.run()
    links = {key: (l.packets, l.bytes, l.drops, l.queue_drops, l.losses, l.busy_until, l.up)
             for key, l in net.links.items()}
    return {"log": log, "links": links, "events": sim.events_processed, "now": sim.now,
            "trace": sim.recorder.frame().to_dict("list"), "ttl_drops": net.ttl_drops}


@settings(max_examples=150, deadline=None)
@given(world=worlds())
def test_copies_scheduled_together_are_exactly_the_per_hop_path(world):
    assert run(world, MulticastTree) == run(world, PerHopTree)


def test_a_regular_tree_schedules_one_call_per_level_and_counts_every_copy():
    """The merge is real: a binary tree's packet is 1 + depth heap entries, and the
    event count is still one per copy."""
    sim = Simulation(1)
    net = Network(sim, Topology.from_generator("balanced_tree", {"r": 2, "h": 4},
                                               links=LinkSpec(delay="1ms", bandwidth="10Mbps")))
    tree = MulticastTree(net, 0, "from_root")
    for u, v in nx.bfs_edges(net.topology.graph, 0):
        tree.graft(u, v)
    tree.send(Packet(1000, Msg()))
    entries = sim.clock.run_until(float("inf"))
    assert entries == 4                          # one per level below the root
    assert sim.clock.merged == 30 - 4            # 30 tree links, each copy one event
