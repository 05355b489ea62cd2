"""Layer 5: tables and statistics from a run's tables (pandas DataFrames, never simulation objects).

``latency_table`` gives each join the figure users compare (setup latency for
rooted methods, first data − request for nonrooted); ``join_summary`` counts
outcomes and summarises latencies per session and method with confidence
intervals; ``latency_decomposition`` splits mean latency into propagation,
transmission and queueing, retransmission waits and admission decisions by
walking each join's signalling in the trace; ``message_counts`` and
``control_hops`` describe the control messages.
"""

from mpsim.analysis.decomposition import PARTS, latency_components, latency_decomposition
from mpsim.analysis.frames import METHODS, OUTCOMES
from mpsim.analysis.latency import join_summary, join_summary_dict, latency_stats, latency_table
from mpsim.analysis.messages import control_hops, message_counts

__all__ = ["PARTS", "METHODS", "OUTCOMES", "control_hops", "join_summary", "join_summary_dict",
           "latency_components", "latency_decomposition", "latency_stats", "latency_table",
           "message_counts"]
