"""Run one scenario and write its outputs (DESIGN.md "A run's outputs")."""

from __future__ import annotations

import time
from pathlib import Path

from mpsim import __version__
from mpsim.scenario import build, load_plan

#: Per-hop packet records (``trace.packets``), most of a traced run's records: the latency
#: decomposition never reads them (it orders records by position, so leaving some out
#: changes nothing), and a 10^7-record frame would not fit in 2 GB (issue 13).
PACKET_SENDS = {("net", "SEND")}


def summarize(run, joins, wall: float) -> dict:
    """summary.json: scenario, seed, durations, event count, joins by method (and by session
    and method) with their outcomes and latency statistics — for non-rooted joins the time
    to first data — and the mean latency decomposed by method."""
    from mpsim.analysis import (join_summary_dict, latency_decomposition, latency_stats,
                                latency_table)

    figures = latency_table(joins)
    by_method = {}
    for method, rows in joins.groupby("method", sort=True):
        connected = figures[(figures.method == method) & (figures.outcome == "connected")]
        by_method[method] = {
            "outcomes": {k: int(v) for k, v in rows.outcome.value_counts().sort_index().items()},
            "latency": latency_stats(connected.latency),
        }
    links = run.net.link_table()
    delays = {(str(link.src), str(link.dst)): link.spec.delay.mean for link in run.net.links.values()}
    return {
        "scenario": run.scenario.name, "seed": run.seed, "mpsim_version": __version__,
        "simulated_duration": run.sim.now, "wall_time": round(wall, 3),
        "events": run.sim.events_processed, "records": len(run.sim.recorder),
        "no_route_drops": run.net.no_route_drops,
        "joins": int(len(joins)), "methods": by_method, "sessions": join_summary_dict(joins),
        "latency_decomposition": latency_decomposition(run.sim.recorder.frame(skip=PACKET_SENDS), joins,
                                                       links, link_delays=delays),
    }


def tree_table(run):
    """The links of every session's data distribution tree at the end of the run."""
    import pandas as pd
    rows = []
    for name, session in run.stack.sessions.items():
        tree = getattr(session.state, "tree", None)
        if tree is not None:
            rows.extend((name, str(link.src), str(link.dst)) for link in tree.links())
    return pd.DataFrame(rows, columns=["session", "src", "dst"])


def run_scenario(path, out=None, *, seed=None, overrides=(), plots=True, plot_format="png",
                 progress=None, plan=None) -> dict:
    """Load, build and run ``path`` (or the already loaded ``plan``); write events.parquet,
    joins.csv, links.csv, trees.csv, summary.json and plots/ into ``out`` (default
    ``out/<name>/``) as a set (``OutputSet``: ``out`` is checked before the simulation, and is
    the old run whole or the new one whole, whenever the process stops). Returns the summary."""
    from mpsim.experiment.outputs import OutputSet, dump_json

    if plan is None:
        plan = load_plan(path, overrides)
    out = Path(out) if out is not None else Path("out") / plan.scenario.name
    with OutputSet(out) as outputs:
        t0 = time.perf_counter()
        run = build(plan, seed)
        run.sim.recorder.spool = outputs.temporary     # a long trace's spool beside the outputs
        run.run(progress=progress)
        wall = time.perf_counter() - t0
        joins = run.stack.joins.frame()
        joins.to_csv(outputs.path("joins.csv"), index=False, float_format="%.9g")
        run.sim.recorder.to_parquet(outputs.path("events.parquet"))
        links = run.net.link_table(run.sim.now)
        links.to_csv(outputs.path("links.csv"), index=False, float_format="%.9g")
        tree_table(run).to_csv(outputs.path("trees.csv"), index=False)
        summary = summarize(run, joins, wall)
        outputs.path("summary.json").write_text(dump_json(summary))
        if plots:
            from mpsim.experiment.figures import draw_run
            drawn = draw_run(outputs.temporary, plot_format)
            summary["plots"] = [str(out / p.relative_to(outputs.temporary)) for p in drawn]
        outputs.commit()
    summary["out"] = str(out)
    return summary
