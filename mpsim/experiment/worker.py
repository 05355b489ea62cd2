"""One run of a sweep, as a worker process (or the sweep's own process) does it.

A worker imports the model once (this module imports all that a run needs, so
a process pool's server process loads it before it forks the workers), is given
the plans of every grid point once (``install``) and then many ``(point,
replication, seed)`` tasks. It returns the run's tables as
Parquet bytes, so the results are the same bytes whichever executor ran them,
and the process that owns the results store writes them. A run that raises
comes back as a failed outcome with its error; it never stops the sweep.
"""

from __future__ import annotations

import io
import signal
import time
import traceback
from dataclasses import dataclass, field

import pandas as pd
import scipy.special  # noqa: F401  (the per-run summary's t quantiles: imported once per worker)

from mpsim.analysis import join_summary
from mpsim.core.errors import MpsimError
from mpsim.scenario import build

#: The plans of the sweep a worker process serves: point index -> Plan.
_PLANS: dict = {}


@dataclass(frozen=True)
class Task:
    """One run to make: grid point ``point``, replication ``replication``, run seed ``seed``."""
    point: int
    replication: int
    seed: int


@dataclass
class RunOutcome:
    """What one run gave: its tables (Parquet bytes) or its error, and what it cost."""
    task: Task
    ok: bool
    joins: bytes = b""
    summary: bytes = b""
    info: dict = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None


def install(plans: dict, ignore_interrupt: bool = True) -> None:
    """Keep ``plans`` for the tasks to come. Worker processes leave Ctrl-C to the
    sweep's own process, which stops them (a terminal sends SIGINT to all of them)."""
    _PLANS.clear()
    _PLANS.update(plans)
    if ignore_interrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_installed(task: Task) -> RunOutcome:
    """``execute`` with the plans given to ``install`` (process-pool workers)."""
    return execute(_PLANS[task.point], task)


def run_with(task: Task, plans: dict) -> RunOutcome:
    """``execute`` with ``plans`` passed along (Dask workers: scattered once per worker)."""
    return execute(plans[task.point], task)


def execute(plan, task: Task) -> RunOutcome:
    """Build and run ``plan`` with the task's seed; the joins table and a per-run summary
    come back as Parquet bytes, with the simulated end, event count and timings."""
    started = time.perf_counter()
    try:
        run = build(plan, task.seed)
        run.run()
        simulated = time.perf_counter() - started
        joins = run.stack.joins.frame()
        t_end = float(plan.scenario.duration)
        summary = join_summary(joins).assign(point=task.point, replication=task.replication,
                                             seed=task.seed, t_end=t_end,
                                             events=run.sim.events_processed)
        info = {"t_end": t_end, "simulated_until": float(run.sim.now),
                "events": int(run.sim.events_processed), "joins": int(len(joins)),
                "run_wall": simulated}
        outcome = RunOutcome(task, True, _parquet(joins), _parquet(summary), info)
    except MpsimError as exc:                # the scenario's mistake, found while running
        outcome = RunOutcome(task, False, error=str(exc), info={})
    except Exception as exc:                 # a bug: keep the whole traceback for the report
        outcome = RunOutcome(task, False, error=f"{type(exc).__name__}: {exc}",
                             traceback=traceback.format_exc(), info={})
    outcome.info["wall"] = time.perf_counter() - started
    return outcome


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()
