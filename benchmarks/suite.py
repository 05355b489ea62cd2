"""The suite's benchmarks: each runs one script's workload and its baseline, in this process.

Every function takes ``quick`` and returns the benchmark's record (see
``benchmarks/__init__.py`` for the keys); ``python -m benchmarks`` calls each in
a process of its own (``--child NAME``) so that ``peak_rss_mb`` is that
benchmark's. The workloads and the baselines are the scripts' (imported here,
lazily, so the parent process stays light); only the heapq event floor of the
joins and the storm is the suite's own (``benchmarks/floor.py``).
"""

from __future__ import annotations

import resource
import statistics

#: Sizes: (quick, full). Full sizes are the scripts' defaults.
TREE = ({"depth": 6, "packets": 50, "repeat": 5}, {"depth": 10, "packets": 200, "repeat": 3})
JOINS = ({"leaves": 300, "switches": 30, "repeat": 3}, {"leaves": 10_000, "switches": 1_000, "repeat": 1})
STORM = ({"members": 2_000, "routers": 200, "repeat": 3},
         {"members": 100_000, "routers": 10_000, "repeat": 1})
QUICKSTART = ({"repeat": 1}, {"repeat": 5})
SWEEP = ({"replications": 2, "repeat": 1}, {"replications": 20, "repeat": 2})
MEMORY = ({"depth": 6, "packets": 200}, {"depth": 10, "packets": 5_000})


def _tree(quick: bool, loss: float, goal: str) -> dict:
    """mpsim against the heapq loop and the naive SimPy version, same packets checked."""
    from benchmarks import bench_net

    size = TREE[not quick]
    r = bench_net.bench(size["depth"], size["packets"], loss, 1, size["repeat"], with_simpy=True)
    return {
        "workload": f"binary tree h={r['depth']} ({r['tree_links']} links), {r['packets']} packets, "
                    f"loss {loss:g}: {r['hops']} hops, best of {r['repeat']}",
        "wall_s": r["mpsim_wall_s"], "events_per_s": r["mpsim_events"] / r["mpsim_wall_s"],
        "ratio": r["ratio"], "ratio_of": "heapq loop wall / mpsim wall",
        "baseline": "heapq loop (same work checked); also naive SimPy",
        "baseline_wall_s": r["heapq_wall_s"], "same_work": r["same_work"],
        "hops_per_s": r["mpsim_rate"], "simpy_ratio": r["simpy_ratio"],
        "mpsim_vs_simpy": r["mpsim_vs_simpy"], "goal": goal, "detail": r,
    }


def tree_lossless(quick: bool) -> dict:
    return _tree(quick, 0.0, ">= 6")


def tree_lossy(quick: bool) -> dict:
    return _tree(quick, 1e-3, ">= 1.0 (aim 6)")


def _against_floor(run, repeat: int) -> tuple[dict, float]:
    """Best of ``repeat`` alternate runs of ``run()`` (a script's result with ``events``,
    ``run_wall_s``, ``mean_pending``) and of the heapq floor doing as many events."""
    from benchmarks.floor import heapq_floor

    best, floor = None, float("inf")
    for _ in range(repeat):
        got = run()
        if best is None or got["run_wall_s"] < best["run_wall_s"]:
            best = got
        floor = min(floor, heapq_floor(got["events"], got["mean_pending"]))
    return best, floor


def _floor_record(workload: str, r: dict, floor: float) -> dict:
    return {
        "workload": workload, "wall_s": r["run_wall_s"], "events_per_s": r["events"] / r["run_wall_s"],
        "ratio": floor / r["run_wall_s"], "ratio_of": "heapq floor wall / mpsim wall",
        "baseline": f"heapq floor, heap of {r['mean_pending']:.0f}",
        "baseline_wall_s": floor, "goal": None, "detail": r,
    }


def _joins(quick: bool, mode: str) -> dict:
    from benchmarks import bench_joins

    size = JOINS[not quick]
    r, floor = _against_floor(lambda: bench_joins.run_mode(mode, size["leaves"], size["switches"], 64, 1),
                              size["repeat"])
    workload = (f"{size['leaves']} atm leaves by {mode}, {size['switches']} switches: {r['connected']} "
                f"joined, best of {size['repeat']}")
    return _floor_record(workload, r, floor) | {"joins_per_s": r["connected"] / r["run_wall_s"]}


def joins_invite(quick: bool) -> dict:
    return _joins(quick, "invite")


def joins_request(quick: bool) -> dict:
    return _joins(quick, "request")


def storm(quick: bool) -> dict:
    from benchmarks import bench_igmp_storm

    size = STORM[not quick]
    r, floor = _against_floor(lambda: bench_igmp_storm.run(size["members"], size["routers"], 10.0, 12.0,
                                                           10.0, 1), size["repeat"])
    workload = (f"{size['members']} IGMP members, {size['routers']} routers, 12 s: {r['with_data']} got "
                f"data, best of {size['repeat']}")
    return _floor_record(workload, r, floor)


def quickstart(quick: bool) -> dict:
    """The command in a fresh process against the import floor, alternately, medians."""
    from benchmarks import bench_quickstart as bq

    repeat = QUICKSTART[not quick]["repeat"]
    floor, command = [], []
    for _ in range(repeat):
        floor.append(bq.timed(bq.FLOOR)[0])
        command.append(bq.command_run())
    wall, base = statistics.median(c[0] for c in command), statistics.median(floor)
    return {
        "workload": f"mpsim run quickstart.yaml -q, fresh process, median of {repeat}",
        "wall_s": wall, "events_per_s": None, "ratio": wall / base, "ratio_of": "command wall / floor wall",
        "baseline": "python -c 'import matplotlib.pyplot, pandas, pyarrow'",
        "baseline_wall_s": base, "goal": "<= 1.5",
        "peak_rss_mb": max(c[1] for c in command),   # the command's process, not this one
        "detail": {"command_s": [c[0] for c in command], "floor_s": floor},
    }


def sweep(quick: bool) -> dict:
    """igmp_loss's sweep with --jobs 2 against --jobs 1: runs/s of the run phase."""
    from benchmarks import bench_sweep

    size = SWEEP[not quick]
    one, two = bench_sweep.compare(size["replications"], size["repeat"])
    detail = {f"jobs{r['jobs']}": {k: v for k, v in r.items() if k != "csv"} for r in (one, two)}
    return {
        "workload": f"{bench_sweep.SCENARIO.name} sweep, {one['runs']} runs, --jobs 2, "
                    f"best of {size['repeat']}",
        "wall_s": two["run_phase"], "events_per_s": None,
        "ratio": two["runs_per_s"] / one["runs_per_s"], "ratio_of": "runs/s --jobs 2 / runs/s --jobs 1",
        "baseline": "--jobs 1, same sweep.csv",
        "baseline_wall_s": one["run_phase"], "goal": ">= 1.8", "runs_per_s": two["runs_per_s"],
        "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "detail": detail,
    }


def memory(quick: bool) -> dict:
    """A ~10^7-event run with packet records on, to events.parquet, in a fresh process, against
    the same run untraced; peak RSS is the traced run's process."""
    from benchmarks import bench_memory

    size = MEMORY[not quick]
    r = bench_memory.bench(size["depth"], size["packets"], 1)
    traced, untraced = r["traced"], r["untraced"]
    return {
        "workload": f"binary tree h={size['depth']}, {size['packets']} packets, packet records on: "
                    f"{traced['events']} events, {traced['records']} records to events.parquet",
        "wall_s": traced["wall_s"], "events_per_s": traced["events"] / traced["run_s"],
        "ratio": r["rss_ratio"], "ratio_of": "peak RSS traced / peak RSS untraced",
        "baseline": "the same run, packet tracing off", "baseline_wall_s": untraced["wall_s"],
        "goal": f"peak RSS < {bench_memory.GOAL_MB:.0f} MB", "peak_rss_mb": traced["peak_rss_mb"],
        "detail": r,
    }


#: The benchmarks in the order they run, and the groups a NAME may also be.
BENCHMARKS = {f.__name__: f for f in (tree_lossless, tree_lossy, joins_invite, joins_request, storm,
                                      quickstart, sweep, memory)}
GROUPS = {"tree": ["tree_lossless", "tree_lossy"], "joins": ["joins_invite", "joins_request"]}
