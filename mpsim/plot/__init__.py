"""Layer 5: figures from a run's tables (pandas DataFrames, never simulation objects).

Every function takes tables and a path, writes a PNG (or an SVG with
``format="svg"``) at 150 dpi with the Agg/SVG renderers (no display, no pyplot
state) and returns the path written:

- ``timeline``: hosts × time, a bar per join attempt coloured by outcome;
- ``sequence``: message sequence chart of the control messages of joins;
- ``latency_cdf``: empirical CDF of join latency per session and method;
- ``topology``: routers, hosts, a multicast tree, link load;
- ``render_all``: a run's plots/ (timeline, join_latency_cdf, sequence).
"""

from mpsim.plot.cdf import latency_cdf
from mpsim.plot.render import render_all
from mpsim.plot.sequence import sequence
from mpsim.plot.timeline import timeline
from mpsim.plot.topology import topology

__all__ = ["latency_cdf", "render_all", "sequence", "timeline", "topology"]
