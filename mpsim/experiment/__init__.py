"""Layer 6: running scenarios — one run now; replications and sweeps later."""

from mpsim.experiment.single import run_scenario, summarize

__all__ = ["run_scenario", "summarize"]
