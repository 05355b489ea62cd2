"""Layer 6: running scenarios — one run, or a sweep of grid points × replications on an
executor (this process, a process pool, a Dask cluster) into a resumable results store."""

from importlib import import_module

from mpsim.experiment.single import run_scenario, summarize

#: What sweeps.py gives, imported when first asked for: a single run needs none of it
#: (nor the executors, Dask's pickling and scipy that it brings).
SWEEPS = ("SweepInterrupted", "SweepResult", "aggregate_store", "draw_sweep", "sweep")

__all__ = ["SweepInterrupted", "SweepResult", "aggregate_store", "draw_sweep", "run_scenario",
           "summarize", "sweep"]


def __getattr__(name):
    if name in SWEEPS:
        return getattr(import_module("mpsim.experiment.sweeps"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
