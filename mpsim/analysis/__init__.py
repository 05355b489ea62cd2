"""Layer 5: tables and statistics from a run's tables (pandas DataFrames, never simulation objects).

``latency_table`` gives each join the figure users compare (setup latency for
rooted methods, first data − request for nonrooted); ``join_summary`` counts
outcomes and summarises latencies per session and method with confidence
intervals; ``latency_decomposition`` splits mean latency into propagation,
transmission and queueing, retransmission waits and admission decisions by
walking each join's signalling in the trace; ``message_counts`` and
``control_hops`` describe the control messages. ``kaplan_meier`` and
``km_quantile`` estimate the latency distribution when some joins never completed
within the window (right-censored); ``aggregate_sweep`` turns a sweep's runs into
one tidy table of ``SWEEP_STATISTICS`` per grid point, session and method with
confidence intervals (columns ``point``, the grid parameters, ``SWEEP_COLUMNS``),
and ``sweep_curves`` gives the Kaplan–Meier latency CDFs to plot.
"""

from mpsim.analysis.decomposition import PARTS, latency_components, latency_decomposition
from mpsim.analysis.frames import METHODS, OUTCOMES
from mpsim.analysis.latency import join_summary, join_summary_dict, latency_stats, latency_table
from mpsim.analysis.messages import control_hops, message_counts
from mpsim.analysis.survival import kaplan_meier, km_quantile
from mpsim.analysis.sweep import SWEEP_COLUMNS, SWEEP_STATISTICS, aggregate_sweep, sweep_curves

__all__ = ["PARTS", "METHODS", "OUTCOMES", "SWEEP_COLUMNS", "SWEEP_STATISTICS", "aggregate_sweep",
           "control_hops", "join_summary", "join_summary_dict", "kaplan_meier", "km_quantile",
           "latency_components", "latency_decomposition", "latency_stats", "latency_table",
           "message_counts", "sweep_curves"]
