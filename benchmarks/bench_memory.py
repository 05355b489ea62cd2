"""Peak RSS of a long run with packet records on, its trace written to events.parquet (issue 13).

    python benchmarks/bench_memory.py [--packets 5000] [--depth 10] [--seed 1] [--quick]

The workload is ``bench_net.py``'s: the root of a binary router tree (depth 10:
2046 tree links, loss 1e-3) multicasts ``--packets`` packets of 1000 B, 1 ms
apart, each crossing every tree link, in a ``Simulation(seed, trace_packets=True)``:
every hop is a ``net``/``SEND`` record, about one record per event, so the default
5000 packets are ~10^7 events and as many records. After the run the trace is
written to events.parquet (``Recorder.to_parquet``) and the frame summary.json's
latency decomposition reads is taken (``Recorder.frame`` without the packet sends),
as ``run_scenario`` does. Issue 13's goal: peak RSS under 2 GB.

The baseline is the same run with packet tracing off (no trace to hold). Each
runs in a fresh process of its own (``ru_maxrss`` only grows), whose peak RSS
(from ``os.wait4``) and walls are reported. ``--quick``: depth 6, 200 packets
(~25 000 events), in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 2048.0


def workload(depth: int, packets: int, seed: int, traced: bool) -> dict:
    """The run, events.parquet and the summary's frame, in this process; walls of each."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_net import BANDWIDTH, DELAY, QUEUE, SIZE, SPACING, tree_edges
    from mpsim.core import Simulation
    from mpsim.experiment.single import PACKET_SENDS
    from mpsim.net import LinkSpec, MulticastTree, Network, Packet, Topology

    with tempfile.TemporaryDirectory() as out:
        sim = Simulation(seed, trace_packets=traced)
        sim.recorder.spool = out
        spec = LinkSpec(delay=DELAY, bandwidth=BANDWIDTH, queue=QUEUE, loss=1e-3)
        net = Network(sim, Topology.from_generator("balanced_tree", {"r": 2, "h": depth}, links=spec))
        tree = MulticastTree(net, 0, "from_root")
        for parent, child in tree_edges(depth):
            tree.graft(parent, child)
        for k in range(packets):
            sim.call_at(k * SPACING, tree.send, Packet(SIZE))
        t0 = time.perf_counter()
        sim.run()
        t1 = time.perf_counter()
        path = Path(out) / "events.parquet"
        sim.recorder.to_parquet(path)
        t2 = time.perf_counter()
        frame = sim.recorder.frame(skip=PACKET_SENDS)
        t3 = time.perf_counter()
        return {"events": sim.events_processed, "records": len(sim.recorder), "frame_rows": len(frame),
                "parquet_mb": path.stat().st_size / 2**20, "run_s": t1 - t0, "parquet_s": t2 - t1,
                "frame_s": t3 - t2, "wall_s": t3 - t0}


def measure(depth: int, packets: int, seed: int, traced: bool) -> dict:
    """``workload`` in a fresh process: its result and its peak RSS in MB."""
    command = [sys.executable, __file__, "--child", "--depth", str(depth), "--packets", str(packets),
               "--seed", str(seed)] + ([] if traced else ["--untraced"])
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), command)
    return json.loads(output.strip().splitlines()[-1]) | {"peak_rss_mb": usage.ru_maxrss / 1024}


def bench(depth: int, packets: int, seed: int) -> dict:
    traced = measure(depth, packets, seed, True)
    untraced = measure(depth, packets, seed, False)
    return {"depth": depth, "packets": packets, "seed": seed, "traced": traced, "untraced": untraced,
            "rss_ratio": traced["peak_rss_mb"] / untraced["peak_rss_mb"],
            "under_goal": traced["peak_rss_mb"] < GOAL_MB}


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=5000, help="packets sent by the root, 1 ms apart")
    parser.add_argument("--depth", type=int, default=10, help="depth of the binary router tree")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="depth 6, 200 packets: seconds")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--untraced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.depth, args.packets = 6, 200
    if args.child:
        print(json.dumps(workload(args.depth, args.packets, args.seed, not args.untraced)))
        return None
    r = bench(args.depth, args.packets, args.seed)
    for name in ("traced", "untraced"):
        m = r[name]
        print(f"{name:>8}: {m['events']:,} events, {m['records']:,} records; peak RSS "
              f"{m['peak_rss_mb']:,.0f} MB; run {m['run_s']:.1f} s, events.parquet {m['parquet_s']:.1f} s "
              f"({m['parquet_mb']:.0f} MB), summary frame {m['frame_s']:.1f} s ({m['frame_rows']:,} rows)")
    print(f"peak RSS traced / untraced: {r['rss_ratio']:.2f}; under {GOAL_MB:.0f} MB: "
          f"{'yes' if r['under_goal'] else 'NO'}")
    return r


if __name__ == "__main__":
    main()
