"""Sweeps: a scenario run at every grid point × replications, resumably, then aggregated.

``sweep()`` is the whole of ``mpsim sweep`` for Python users: it checks the
sweep (a bad one is refused before any run), opens the results store (keeping
every run an earlier, interrupted attempt finished), makes the missing runs on
the chosen executor while a progress bar counts them, and writes the tidy
``sweep.csv``/``sweep.parquet`` with confidence intervals and the plots.
"""

from __future__ import annotations

import json
import time
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from mpsim.core.rng import replication_seed
from mpsim.experiment.executors import check_options, make_executor
from mpsim.experiment.outputs import replace_plots
from mpsim.experiment.progress import SweepProgress
from mpsim.experiment.store import ResultsStore, StoreError, manifest_for, open_store
from mpsim.experiment.worker import Task
from mpsim.scenario.sweep import load_sweep


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; every finished run is kept in ``store``."""

    def __init__(self, store: Path, finished: int, total: int):
        super().__init__(f"interrupted: {finished} of {total} runs are kept in {store}")
        self.store, self.finished, self.total = store, finished, total


@dataclass
class SweepResult:
    """What ``sweep()`` gives: the aggregate table, the store's folder, and the counts."""
    table: pd.DataFrame
    store: Path
    runs: pd.DataFrame
    ran: int = 0
    kept: int = 0
    failed: int = 0
    wall: float = 0.0
    plots: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


def sweep(scenario, grid=None, replications=None, *, jobs=None, scheduler=None, dask_local=None,
          out=None, overrides=(), seed=None, fresh=False, plots=True, plot_format="png",
          progress=False, resamples=1000) -> SweepResult:
    """Run ``scenario``'s sweep (or ``grid`` × ``replications``) and aggregate it.

    Parameters
    ----------
    scenario : str or Path
        The scenario file.
    grid : dict, optional
        Dotted path -> list of values (the paths of ``--set``), replacing ``sweep.grid``.
    replications : int, optional
        Runs per grid point, replacing ``sweep.replications``.
    jobs : int, optional
        Local worker processes (default: the number of cores; 1 runs in this process).
    scheduler : str, optional
        The address of a Dask scheduler (``tcp://HOST:PORT``) to run on.
    dask_local : int, optional
        Start a Dask ``LocalCluster`` of this many workers to run on.
    out : str or Path, optional
        The results store (default ``out/<name>-sweep/``); finished runs there are kept.
    overrides : sequence of str
        ``KEY=VALUE`` changes to the scenario (``--set``), applied before the grid.
    seed : int, optional
        The base seed (default the scenario's): replication i runs with
        ``mpsim.core.rng.replication_seed(seed, i)`` at every grid point.
    fresh : bool
        Discard the runs of a different sweep in ``out`` instead of refusing.
    plots, plot_format : bool, str
        Draw ``plots/`` (png or svg).
    progress : bool
        Show a progress bar (a terminal or a notebook).
    resamples : int
        Bootstrap resamples for the quantiles' intervals.

    Returns
    -------
    SweepResult
        ``table`` is the tidy aggregate (one row per grid point × session × method ×
        statistic, see ``mpsim.analysis.aggregate_sweep``), ``store`` the folder.

    Raises
    ------
    ScenarioError, StoreError, ExecutorError
        Before any run, for a bad sweep, a store of another sweep, a bad executor.
    SweepInterrupted
        On Ctrl-C, once every finished run is safe.
    """
    started = time.perf_counter()
    plan = load_sweep(scenario, overrides, grid=grid, replications=replications, seed=seed)
    check_options(jobs, scheduler, dask_local)
    seeds = [replication_seed(plan.seed, i) for i in range(plan.replications)]
    root = Path(out) if out is not None else Path("out") / f"{plan.name}-sweep"
    with closing(ResultsStore.open(root, manifest_for(plan, seeds), fresh=fresh)) as store:
        result = _run_missing(store, plan, seeds, progress, resamples, jobs=jobs,
                              scheduler=scheduler, dask_local=dask_local)
        if plots:
            result.plots = replace_plots(root, partial(draw_sweep, root, plot_format, result.table))
    result.wall = time.perf_counter() - started
    return result


def _run_missing(store: ResultsStore, plan, seeds: list, progress: bool, resamples: int,
                 **executor_options) -> SweepResult:
    """Make the runs of ``plan`` that ``store`` does not hold yet (on the executor
    that ``executor_options`` of ``make_executor`` choose), then aggregate every
    finished run."""
    finished = store.finished()
    tasks = [Task(p.index, i, seeds[i]) for i in range(plan.replications) for p in plan.points
             if (p.index, i) not in finished]
    ran = 0
    if tasks:
        plans = {p.index: p.plan for p in plan.points}
        executor = make_executor(plans, runs=len(tasks), **executor_options)
        ran = _make_runs(store, executor, tasks, plan.runs, len(finished), progress)
    result = aggregate_store(store, resamples=resamples)
    result.ran, result.kept = ran, len(finished)
    result.failed = int((result.runs.status != "ok").sum())
    return result


def _make_runs(store: ResultsStore, executor, tasks: list, total: int, kept: int,
               progress: bool) -> int:
    """Make ``tasks`` on ``executor``, writing each outcome the moment it comes; returns
    how many were made. Ctrl-C ends the workers and raises ``SweepInterrupted`` once
    every finished run is in the store."""
    bar = SweepProgress(progress)
    bar.start(total, kept, executor.workers, executor.name)
    made = 0
    try:
        for outcome in executor.run(tasks):
            store.write(outcome)
            made += 1
            bar.advance(outcome.ok)
    except BaseException as exc:
        bar.stop()
        executor.abort()
        if isinstance(exc, KeyboardInterrupt):
            raise SweepInterrupted(store.root, len(store.finished()), total) from None
        raise
    bar.stop()
    executor.close()
    return made


def _points_table(manifest: dict) -> pd.DataFrame:
    """One row per grid point: ``point`` and a column per grid key (numbers stay numbers;
    a column of mixed kinds, or of mappings and lists, becomes text)."""
    keys = list(manifest["grid"])
    rows = [{"point": p["point"], **p["values"]} for p in manifest["points"]]
    frame = pd.DataFrame(rows, columns=["point", *keys])
    for key in keys:
        values = list(frame[key])
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if not numeric:
            frame[key] = [v if isinstance(v, str) else json.dumps(v) for v in values]
        elif all(isinstance(v, int) for v in values):
            frame[key] = frame[key].astype(np.int64)
        else:
            frame[key] = frame[key].astype(float)
    frame["point"] = frame["point"].astype(np.int64)
    return frame


def aggregate_store(store: ResultsStore, resamples: int = 1000) -> SweepResult:
    """Aggregate the finished runs of ``store`` into sweep.csv, sweep.parquet and runs.csv."""
    from mpsim.analysis import aggregate_sweep

    runs = store.run_table()
    ok = runs[runs.status == "ok"]
    keys = list(zip(ok.point, ok.replication, strict=True))
    joins = store.joins_table(keys)
    points = _points_table(store.manifest)
    table = aggregate_sweep(joins, ok[["point", "replication", "t_end"]].reset_index(drop=True),
                            points, resamples=resamples)
    store.write_output("sweep.csv", lambda p: table.to_csv(p, index=False, float_format="%.9g"))
    store.write_output("sweep.parquet", lambda p: table.to_parquet(p, index=False))
    store.write_output("runs.csv", lambda p: runs.to_csv(p, index=False, float_format="%.6g"))
    return SweepResult(table=table, store=store.root, runs=runs)


def draw_sweep(root, plot_format="png", table=None, into=None) -> list:
    """Draw a sweep's plots into ``into/plots`` (default ``root/plots``) from its tables;
    returns the paths."""
    from mpsim.analysis import sweep_curves
    from mpsim.plot import render_sweep

    store, manifest = open_store(root)
    if table is None:
        path = Path(root) / "sweep.parquet"
        if not path.is_file():
            raise StoreError(f"{root}: no sweep.parquet yet: run the sweep to its end first (the "
                             "same command again makes only the missing runs)")
        table = pd.read_parquet(path)
    runs = store.run_table()
    ok = runs[runs.status == "ok"]
    joins = store.joins_table(list(zip(ok.point, ok.replication, strict=True)))
    curves = sweep_curves(joins, ok[["point", "replication", "t_end"]].reset_index(drop=True))
    return render_sweep(Path(into or root), table, curves, _points_table(manifest),
                        list(manifest["grid"]), format=plot_format)
