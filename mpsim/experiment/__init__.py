"""Layer 6: running scenarios — one run, or a sweep of grid points × replications on an
executor (this process, a process pool, a Dask cluster) into a resumable results store."""

from mpsim.experiment.single import run_scenario, summarize
from mpsim.experiment.sweeps import SweepInterrupted, SweepResult, aggregate_store, draw_sweep, sweep

__all__ = ["SweepInterrupted", "SweepResult", "aggregate_store", "draw_sweep", "run_scenario",
           "summarize", "sweep"]
