"""Sweep throughput: runs/s with --jobs 1 and --jobs 2 on the same sweep, and their ratio.

    python benchmarks/bench_sweep.py [--replications 20] [--repeat 2]

The workload is scenarios/igmp_loss.yaml's own sweep (4 loss levels x 20
replications = 80 runs of 48 IP multicast joins each). Each executor makes it
into a fresh store, ``--repeat`` times alternately (the machine is shared: the
best of each is kept), measured in this one process. Reported per executor:
- runs/s of the run phase (executor start-up included, the aggregation and
  plots, which are the same work for both, excluded), and of the whole call;
- the per-run overhead: the wall time each run cost a worker slot
  (workers x run-phase wall / runs) minus the time its simulation took
  (build + run, ``run_wall`` in runs.csv) — what executing, serialising and
  storing a run adds.
The goal on a 2-core machine: --jobs 2 at least 1.8x the runs/s of --jobs 1.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from mpsim.experiment import sweep
from mpsim.experiment.executors import cores

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "igmp_loss.yaml"


def measure(jobs: int, replications: int, folder: Path) -> dict:
    import mpsim.experiment.sweeps as sweeps

    phases = {}
    real_aggregate = sweeps.aggregate_store

    def timed_aggregate(store, **kwargs):          # the run phase ends where aggregation starts
        phases["runs_done"] = time.perf_counter()
        return real_aggregate(store, **kwargs)

    sweeps.aggregate_store = timed_aggregate
    try:
        start = time.perf_counter()
        result = sweep(SCENARIO, replications=replications, jobs=jobs, out=folder, plots=True)
        end = time.perf_counter()
    finally:
        sweeps.aggregate_store = real_aggregate
    runs = pd.read_csv(folder / "runs.csv")
    assert (runs.status == "ok").all() and result.ran == len(runs)
    run_phase = phases["runs_done"] - start
    return {"jobs": jobs, "runs": len(runs), "run_phase": run_phase, "whole": end - start,
            "runs_per_s": len(runs) / run_phase, "whole_runs_per_s": len(runs) / (end - start),
            "simulation": runs.run_wall.mean(),
            "overhead": jobs * run_phase / len(runs) - runs.run_wall.mean(),
            "csv": (folder / "sweep.csv").read_bytes()}


def compare(replications: int, repeat: int) -> tuple[dict, dict]:
    """The best of ``repeat`` alternate measurements of --jobs 1 and of --jobs 2."""
    best: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(repeat):
            for jobs in (1, 2):
                got = measure(jobs, replications, Path(tmp) / f"j{jobs}_{attempt}")
                if jobs not in best or got["run_phase"] < best[jobs]["run_phase"]:
                    best[jobs] = got
    assert best[1]["csv"] == best[2]["csv"], "the executors disagree"
    return best[1], best[2]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    one, two = compare(args.replications, args.repeat)
    print(f"bench_sweep: {SCENARIO.name}, {one['runs']} runs, {cores()} cores, best of {args.repeat}")
    for r in (one, two):
        print(f"  --jobs {r['jobs']}: run phase {r['run_phase']:6.2f} s = {r['runs_per_s']:6.2f} runs/s "
              f"(whole call {r['whole']:6.2f} s = {r['whole_runs_per_s']:5.2f} runs/s); "
              f"per run: simulation {r['simulation'] * 1e3:6.1f} ms, overhead "
              f"{r['overhead'] * 1e3:6.1f} ms")
    print(f"  ratio --jobs 2 / --jobs 1: {two['runs_per_s'] / one['runs_per_s']:.2f}x runs/s "
          f"(goal >= 1.8x), {two['whole_runs_per_s'] / one['whole_runs_per_s']:.2f}x whole call; "
          "sweep.csv identical")


if __name__ == "__main__":
    main()
