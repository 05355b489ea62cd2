"""Layer 5: figures from a run's tables (pandas DataFrames, never simulation objects).

Every function takes tables and a path, writes a PNG (or an SVG with
``format="svg"``) at 150 dpi with the Agg/SVG renderers (no display, no pyplot
state) and returns the path written:

- ``timeline``: hosts × time, a bar per join attempt coloured by outcome;
- ``sequence``: message sequence chart of the control messages of joins
  (``NoSequenceChart`` when there is none to draw);
- ``latency_cdf``: empirical CDF of join latency per session and method;
- ``topology``: routers, hosts, a multicast tree, link load;
- ``render_all``: a run's plots/ (timeline, join_latency_cdf, sequence);
- ``latency_vs``: a sweep's mean join latency against a grid parameter, 95 % CI bars;
- ``success_vs``: a sweep's fraction of joins connected against a grid parameter;
- ``latency_cdfs``: a sweep's Kaplan–Meier join latency CDFs, a panel per grid point;
- ``render_sweep``: a sweep's plots/ (latency_vs_*, success_vs_*, latency_cdf).
"""

from importlib import import_module

from mpsim.plot.cdf import latency_cdf
from mpsim.plot.render import render_all
from mpsim.plot.sequence import NoSequenceChart, sequence
from mpsim.plot.timeline import timeline
from mpsim.plot.topology import topology

#: A sweep's plots, imported when first asked for: a run draws none of them.
SWEEP_PLOTS = ("latency_cdfs", "latency_vs", "render_sweep", "success_vs")

__all__ = ["NoSequenceChart", "latency_cdf", "latency_cdfs", "latency_vs", "render_all", "render_sweep",
           "sequence", "success_vs", "timeline", "topology"]


def __getattr__(name):
    if name in SWEEP_PLOTS:
        return getattr(import_module("mpsim.plot.sweep"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
