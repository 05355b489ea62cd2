"""Join throughput of the atm provider: many leaves joining one root.

    python benchmarks/bench_joins.py [--leaves 10000] [--switches 1000] [--max-outstanding 64]
                                     [--mode invite|request|both] [--seed 1]

Builds a random tree of switches (networkx ``random_labeled_tree``), attaches
the root to switch 0 and each leaf to a random switch, and has every leaf join:
by invitation (the root invites them all, ``max_outstanding`` at a time) or by
request (every leaf asks at t = 0 and the root admits at once). Prints the
joins per second of wall time, simulated events per second, events per join and
the peak resident memory of the process. Events per join grow with the route
length, so to see whether a join costs more after many others, compare sizes
with ``--switches`` held fixed. Each mode runs in a process of its own so the
memory figure is that mode's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.floor import run_sampled  # noqa: E402
from mpsim.apps import SessionApp  # noqa: E402
from mpsim.core import Simulation  # noqa: E402
from mpsim.net import LinkSpec, Network, Topology  # noqa: E402
from mpsim.protocols import AtmProvider  # noqa: E402
from mpsim.spi import Stack  # noqa: E402


def build(leaves: int, switches: int, max_outstanding: int, seed: int):
    sim = Simulation(seed)
    links = LinkSpec(delay="1ms", bandwidth="100Mbps", queue=None)
    topo = Topology.from_generator("random_labeled_tree", {"n": switches}, seed=seed, links=links)
    net = Network(sim, topo)
    rng = sim.rng.stream("bench:placement")
    net.add_host("root", 0)
    names = [f"h{i}" for i in range(1, leaves + 1)]
    for name, switch in zip(names, rng.integers(0, switches, size=leaves).tolist()):
        net.add_host(name, switch)
    stack = Stack(sim, net)
    stack.add_provider(AtmProvider(stack))
    stack.add_session("s", "atm", root="root", max_outstanding=max_outstanding)
    return sim, stack, names


def run_mode(mode: str, leaves: int, switches: int, max_outstanding: int, seed: int) -> dict:
    t0 = time.perf_counter()
    sim, stack, names = build(leaves, switches, max_outstanding, seed)
    t_build = time.perf_counter() - t0
    root = SessionApp(stack, "root", "s")
    if mode == "invite":
        for name in names:
            SessionApp(stack, name, "s").listen("accept")
        sim.call_at(0.0, lambda: root.invite(names))
    else:
        root.listen("accept")
        for name in names:
            sim.call_at(0.0, lambda app: app.request(), SessionApp(stack, name, "s"))
    wall, pending = run_sampled(sim)
    joins = stack.joins.frame()
    connected = int((joins.outcome == "connected").sum())
    return {
        "mode": mode, "leaves": leaves, "switches": switches, "max_outstanding": max_outstanding,
        "connected": connected, "build_s": round(t_build, 3), "run_s": round(wall, 3),
        "joins_per_s": round(connected / wall, 1), "events": sim.events_processed,
        "events_per_s": round(sim.events_processed / wall), "records": len(sim.recorder),
        "events_per_join": round(sim.events_processed / max(connected, 1), 1),
        "sim_time_s": round(sim.now, 4), "mean_latency_s": round(float(joins.latency.mean()), 6),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "run_wall_s": wall, "mean_pending": pending,
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=10_000)
    parser.add_argument("--switches", type=int, default=1_000)
    parser.add_argument("--max-outstanding", type=int, default=64)
    parser.add_argument("--mode", choices=("invite", "request", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-process", action="store_true", help="run modes in this process")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    modes = ("invite", "request") if args.mode == "both" else (args.mode,)
    results = []
    for mode in modes:
        if args.in_process or len(modes) == 1:
            result = run_mode(mode, args.leaves, args.switches, args.max_outstanding, args.seed)
        else:
            out = subprocess.run([sys.executable, __file__, "--mode", mode, "--leaves", str(args.leaves),
                                  "--switches", str(args.switches), "--max-outstanding",
                                  str(args.max_outstanding), "--seed", str(args.seed), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{mode:>8}: {result['connected']}/{result['leaves']} connected in {result['run_s']} s "
                  f"wall -> {result['joins_per_s']} joins/s, {result['events_per_s']} events/s, "
                  f"{result['events_per_join']} events/join, "
                  f"peak RSS {result['peak_rss_mb']} MB (build {result['build_s']} s, "
                  f"{result['records']} records, mean latency {result['mean_latency_s']} s)")
    return results


if __name__ == "__main__":
    main()
