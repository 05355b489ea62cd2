"""Packet hops per second of the net layer, against a plain ``heapq`` loop doing the same work.

    python benchmarks/bench_net.py [--packets 200] [--depth 10] [--loss 1e-3] [--repeat 3]
                                   [--seed 1] [--tiny]

The workload: a binary tree of routers (networkx ``balanced_tree``, r = 2,
h = depth: 2047 routers at depth 10), links of 1 ms and 10 Mbps with a
drop-tail queue of 64 and Bernoulli loss. The root sends packets of 1000 B,
1 ms apart, down a multicast tree grafted over every edge parent -> child, so
each packet is copied at every branch point and crosses each tree link once
(unless lost on the way).

Both contenders run in this process, on the same tree:

- **mpsim**: ``Network`` + ``MulticastTree.send`` scheduled with
  ``Simulation.call_at``, run by ``Simulation.run``;
- **heapq**: a tight loop over one heap of ``(time, seq, node, size)`` with the
  link state in flat lists: per link busy_until, serialization, the drop-tail
  backlog of departure times, one loss flag per hop from a block of numpy
  uniforms (compared with the loss probability a block at a time),
  packet/byte/drop counters, and one heap push per hop that survives.

The baseline draws its loss uniforms from the same named streams
(``link:u->v:loss``), in blocks of the same sizes as mpsim's links
(``mpsim.core.rng.block_sizes``), so given the seed both lose the same
packets and pay for the same draws: the benchmark checks that every tree link
carried, lost and dropped exactly as many packets in both (and that links off
the tree carried none) before it reports. Only the running of the packets is
timed, not building the network; both run with the objects built beforehand
with the cyclic GC off and the objects frozen, as ``Simulation.run`` does
(``mpsim.core.sim.collector_off``). A packet hop is one
packet put on one link; the rates are packet hops per wall second (best of
``--repeat`` runs each), and the ratio is mpsim / heapq.

``run_simpy`` is a third contender, for the suite (``python -m benchmarks tree``):
the same tree in SimPy the naive way, one process per packet hop and a
``simpy.Resource`` per link as its transmitter, with the same loss draws, so the
same check applies to it.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import deque
from heapq import heappop, heappush
from itertools import count
from pathlib import Path

import networkx as nx
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mpsim.core import RngStreams, Simulation  # noqa: E402
from mpsim.core.rng import bernoulli_flags, block_sizes  # noqa: E402
from mpsim.core.sim import collector_off  # noqa: E402
from mpsim.core.units import tx_time  # noqa: E402
from mpsim.net import LinkSpec, MulticastTree, Network, Packet, Topology  # noqa: E402

SIZE = 1000            # bytes per packet
SPACING = 1e-3         # seconds between packets sent by the root
DELAY = 1e-3           # propagation delay of every link, seconds
BANDWIDTH = 10e6       # bits per second
QUEUE = 64             # packets that may wait behind the one in transmission


def tree_edges(depth: int) -> list[tuple[int, int]]:
    """Edges parent -> child of the binary router tree, breadth first from the root 0."""
    return list(nx.bfs_edges(nx.balanced_tree(2, depth), 0))


# -- mpsim ---------------------------------------------------------------------------
def run_mpsim(depth: int, packets: int, loss: float, seed: int) -> dict:
    sim = Simulation(seed)
    spec = LinkSpec(delay=DELAY, bandwidth=BANDWIDTH, queue=QUEUE, loss=loss)
    net = Network(sim, Topology.from_generator("balanced_tree", {"r": 2, "h": depth}, links=spec))
    tree = MulticastTree(net, 0, "from_root")
    for parent, child in tree_edges(depth):
        tree.graft(parent, child)
    gc.collect()
    t0 = time.perf_counter()
    for k in range(packets):
        sim.call_at(k * SPACING, tree.send, Packet(SIZE))
    sim.run()
    wall = time.perf_counter() - t0
    off_tree = sum(link.packets for link in net.links.values()) - sum(l.packets for l in tree.links())
    if off_tree:
        raise AssertionError(f"mpsim put {off_tree} packets on links off the tree")
    counts = {(l.src, l.dst): (l.packets, l.bytes, l.losses, l.queue_drops, l.drops)
              for l in tree.links()}
    return {"wall": wall, "counts": counts, "events": sim.events_processed, "sim_time": sim.now}


# -- the baselines -------------------------------------------------------------------
def tree_links(depth: int, seed: int):
    """The tree edges, each node's children and each link's loss stream, by child: the
    link parent -> child is named by its child (each node has one parent)."""
    edges = tree_edges(depth)
    n = len(edges) + 1
    children: list[list[int]] = [[] for _ in range(n)]
    streams = RngStreams(seed)
    rngs = [None] * n
    for parent, child in edges:
        children[parent].append(child)
        rngs[child] = streams.stream(f"link:{parent!r}->{child!r}:loss")
    return edges, children, rngs


def run_heapq(depth: int, packets: int, loss: float, seed: int) -> dict:
    edges, children, rngs = tree_links(depth, seed)
    n = len(edges) + 1
    byte_time = tx_time(1, BANDWIDTH)
    busy = [0.0] * n
    backlogs = [deque() for _ in range(n)]
    sent = [0] * n
    sent_bytes = [0] * n
    losses = [0] * n
    queue_drops = [0] * n
    sizes = [block_sizes() for _ in range(n)]  # sizes of the blocks each link draws
    flags: list = [[] for _ in range(n)]       # the current block of loss flags of each link
    used = [0] * n                              # how many of them are used
    draw = loss > 0.0
    gc.collect()

    with collector_off():
        t0 = time.perf_counter()
        heap: list = []
        seq = count()
        for k in range(packets):
            heappush(heap, (k * SPACING, next(seq), 0, SIZE))
        while heap:
            now, _, node, size = heappop(heap)
            for c in children[node]:
                backlog = backlogs[c]
                start = busy[c]
                if start <= now:
                    start = now
                    if backlog:
                        backlog.clear()
                else:
                    while backlog[0] <= now:
                        backlog.popleft()
                    if len(backlog) > QUEUE:
                        queue_drops[c] += 1
                        continue
                departure = start + size * byte_time
                busy[c] = departure
                backlog.append(departure)
                sent[c] += 1
                sent_bytes[c] += size
                if draw:
                    block = flags[c]
                    i = used[c]
                    if i == len(block):
                        block = flags[c] = (rngs[c].random(next(sizes[c])) < loss).tolist()
                        i = 0
                    used[c] = i + 1
                    if block[i]:
                        losses[c] += 1
                        continue
                heappush(heap, (departure + DELAY, next(seq), c, size))
        wall = time.perf_counter() - t0

    counts = {(p, c): (sent[c], sent_bytes[c], losses[c], queue_drops[c], losses[c] + queue_drops[c])
              for p, c in edges}
    return {"wall": wall, "counts": counts, "sim_time": now if packets else 0.0}


def run_simpy(depth: int, packets: int, loss: float, seed: int) -> dict:
    """The same work in SimPy the obvious way: one process per packet hop, holding its
    link's ``Resource`` (the transmitter) while it serializes, then propagating. The
    drop-tail limit (one sending, QUEUE waiting) and the loss flags (drawn at admission,
    per link in order) are the heapq loop's, so the same packets are carried and lost
    (checked; the workload never queues: 0.8 ms per packet on a link, 1 ms apart)."""
    edges, children, rngs = tree_links(depth, seed)
    n = len(edges) + 1
    env = simpy.Environment()
    wires = [simpy.Resource(env, capacity=1) for _ in range(n)]
    flags = [bernoulli_flags(rng, loss) if rng is not None else None for rng in rngs]
    byte_time = tx_time(1, BANDWIDTH)
    in_system = [0] * n                         # admitted and not yet serialized
    sent, sent_bytes, losses, queue_drops = [0] * n, [0] * n, [0] * n, [0] * n

    def hop(c: int, size: int, lost: bool):
        with wires[c].request() as turn:
            yield turn
            yield env.timeout(size * byte_time)
        in_system[c] -= 1
        if not lost:
            yield env.timeout(DELAY)
            forward(c, size)

    def forward(node: int, size: int) -> None:
        for c in children[node]:
            if in_system[c] > QUEUE:            # one in transmission and QUEUE waiting
                queue_drops[c] += 1
                continue
            in_system[c] += 1
            sent[c] += 1
            sent_bytes[c] += size
            lost = next(flags[c])
            losses[c] += lost
            env.process(hop(c, size, lost))

    def source():
        for k in range(packets):
            yield env.timeout(k * SPACING - env.now)
            forward(0, SIZE)

    env.process(source())
    gc.collect()
    with collector_off():
        t0 = time.perf_counter()
        env.run()
        wall = time.perf_counter() - t0
    counts = {(p, c): (sent[c], sent_bytes[c], losses[c], queue_drops[c], losses[c] + queue_drops[c])
              for p, c in edges}
    return {"wall": wall, "counts": counts, "sim_time": env.now}


# -- comparing -----------------------------------------------------------------------
def check_same_work(a: dict, b: dict, names: tuple[str, str] = ("mpsim", "heapq")) -> None:
    """Raise unless both runs put the same packets on the same links and lost the same ones."""
    if a["counts"].keys() != b["counts"].keys():
        raise AssertionError("the two runs used different tree links")
    differ = [(link, a["counts"][link], b["counts"][link]) for link in a["counts"]
              if a["counts"][link] != b["counts"][link]]
    if differ:
        link, x, y = differ[0]
        raise AssertionError(f"{len(differ)} links differ, e.g. {link}: {names[0]} (packets, bytes, "
                             f"losses, queue drops, drops) = {x}, {names[1]} = {y}")


def hops(result: dict) -> int:
    return sum(c[0] for c in result["counts"].values())


def bench(depth: int, packets: int, loss: float, seed: int, repeat: int, with_simpy: bool = False) -> dict:
    """Best of ``repeat`` alternate runs of each contender, their work checked equal."""
    runs = {"heapq": run_heapq, "mpsim": run_mpsim} | ({"simpy": run_simpy} if with_simpy else {})
    best = dict.fromkeys(runs)
    for _ in range(repeat):
        for name, run in runs.items():
            result = run(depth, packets, loss, seed)
            if best[name] is None or result["wall"] < best[name]["wall"]:
                best[name] = result
        check_same_work(best["mpsim"], best["heapq"])
        if with_simpy:
            check_same_work(best["mpsim"], best["simpy"], ("mpsim", "simpy"))
    mp, hq = best["mpsim"], best["heapq"]
    work = hops(mp)
    if work != hops(hq):
        raise AssertionError(f"hop counts differ: mpsim {work}, heapq {hops(hq)}")
    losses = sum(c[2] for c in mp["counts"].values())
    sp = best.get("simpy")
    extra = {} if not with_simpy else {
        "simpy_wall_s": sp["wall"], "simpy_rate": work / sp["wall"],
        "simpy_ratio": hq["wall"] / sp["wall"], "mpsim_vs_simpy": sp["wall"] / mp["wall"]}
    return {
        "depth": depth, "routers": 2 ** (depth + 1) - 1, "tree_links": len(mp["counts"]),
        "packets": packets, "loss": loss, "seed": seed, "repeat": repeat,
        "hops": work, "losses": losses, "same_work": True, "sim_time_s": mp["sim_time"],
        "mpsim_wall_s": mp["wall"], "heapq_wall_s": hq["wall"],
        "mpsim_events": mp["events"],
        "mpsim_rate": work / mp["wall"], "heapq_rate": work / hq["wall"],
        "ratio": hq["wall"] / mp["wall"],
    } | extra


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=200, help="packets sent by the root, 1 ms apart")
    parser.add_argument("--depth", type=int, default=10, help="depth of the binary router tree")
    parser.add_argument("--loss", type=float, default=1e-3, help="Bernoulli loss probability per link")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tiny", action="store_true", help="depth 4, 20 packets, 1 run: just proves it runs")
    args = parser.parse_args(argv)
    if args.tiny:
        args.depth, args.packets, args.repeat = 4, 20, 1
    r = bench(args.depth, args.packets, args.loss, args.seed, max(1, args.repeat))
    print(f"balanced_tree(r=2, h={r['depth']}): {r['routers']} routers, {r['tree_links']} tree links; "
          f"{r['packets']} packets of {SIZE} B, loss {r['loss']:g}: {r['hops']} packet hops, "
          f"{r['losses']} lost (same work in both: yes; best of {r['repeat']})")
    print(f"  mpsim: {r['mpsim_rate']:>12,.0f} hops/s  ({r['mpsim_wall_s']:.3f} s, "
          f"{r['mpsim_events']} events)")
    print(f"  heapq: {r['heapq_rate']:>12,.0f} hops/s  ({r['heapq_wall_s']:.3f} s)")
    print(f"  ratio mpsim/heapq: {r['ratio']:.2f}")
    return r


if __name__ == "__main__":
    main()
