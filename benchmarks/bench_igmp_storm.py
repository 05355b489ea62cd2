"""An IGMP join storm: many members join one IP multicast group within a few seconds.

    python benchmarks/bench_igmp_storm.py [--members 100000] [--routers 10000]
        [--window 10] [--duration 12] [--rate 10] [--seed 1] [--profile]

A Barabási–Albert router graph (m = 2), the RP at the best-connected router,
one source on the RP sending 1000 B packets at ``--rate`` per second, and
``--members`` hosts on random routers each joining at a uniform time in
[0, window). Prints wall time, simulated events per second, peak resident
memory, how many members got data and their join latency (first data −
request). ``--profile`` prints the top entries of a cProfile run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.floor import run_sampled  # noqa: E402
from mpsim.apps import ConstantRateSender, SessionApp  # noqa: E402
from mpsim.core import Simulation  # noqa: E402
from mpsim.net import LinkSpec, Network, Topology  # noqa: E402
from mpsim.protocols import IpmcProvider  # noqa: E402
from mpsim.spi import Stack  # noqa: E402


def build(members: int, routers: int, window: float, rate: float, seed: int):
    sim = Simulation(seed)
    links = LinkSpec(delay="2ms", bandwidth="1Gbps", queue=None)
    topo = Topology.from_generator("barabasi_albert_graph", {"n": routers, "m": 2}, seed=seed,
                                   links=links)
    net = Network(sim, topo)
    rp = max(topo.graph.degree, key=lambda item: (item[1], -item[0]))[0]
    rng = sim.rng.stream("bench:placement")
    net.add_host("source", rp)
    names = [f"m{i}" for i in range(members)]
    for name, router in zip(names, rng.integers(0, routers, size=members).tolist()):
        net.add_host(name, router)
    stack = Stack(sim, net)
    stack.add_provider(IpmcProvider(stack))
    stack.add_session("tv", "ipmc", rp=rp, group="239.1.1.1")
    ConstantRateSender(SessionApp(stack, "source", "tv"), rate, 1000)
    starts = rng.uniform(0.0, window, size=members).tolist()
    for name, start in zip(names, starts):
        sim.call_at(start, lambda app: app.join(), SessionApp(stack, name, "tv"))
    return sim, stack


def run(members: int, routers: int, window: float, duration: float, rate: float, seed: int,
        profiler: cProfile.Profile | None = None) -> dict:
    """Build and run the storm; its figures (``run_wall_s`` and ``mean_pending`` unrounded)."""
    t0 = time.perf_counter()
    sim, stack = build(members, routers, window, rate, seed)
    t_build = time.perf_counter() - t0
    if profiler:
        profiler.enable()
    t_run, pending = run_sampled(sim, duration)
    if profiler:
        profiler.disable()
    joins = stack.joins.frame()
    got = joins.t_first_data.notna()
    latency = (joins.t_first_data - joins.t_request)[got]
    return {
        "members": members, "routers": routers, "build_s": round(t_build, 2),
        "run_s": round(t_run, 2), "wall_s": round(t_build + t_run, 2), "events": sim.events_processed,
        "events_per_s": round(sim.events_processed / t_run), "records": len(sim.recorder),
        "with_data": int(got.sum()),
        "latency_mean_s": round(float(latency.mean()), 4) if len(latency) else None,
        "latency_p95_s": round(float(np.quantile(latency, 0.95)), 4) if len(latency) else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "run_wall_s": t_run, "mean_pending": pending,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--routers", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=12.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    profiler = cProfile.Profile() if args.profile else None
    result = run(args.members, args.routers, args.window, args.duration, args.rate, args.seed, profiler)
    print(f"{args.members} members, {args.routers} routers: build {result['build_s']} s + run "
          f"{result['run_s']} s = {result['wall_s']} s wall; {result['events']} events "
          f"({result['events_per_s']}/s); {result['records']} records; peak RSS {result['peak_rss_mb']} MB; "
          f"{result['with_data']} members got data, latency mean {result['latency_mean_s']} s, "
          f"p95 {result['latency_p95_s']} s")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return result


if __name__ == "__main__":
    main()
