"""All the plots of one run, as ``mpsim run`` and ``mpsim plot`` write them into plots/."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from mpsim.analysis.frames import as_text
from mpsim.plot.cdf import latency_cdf
from mpsim.plot.sequence import NoSequenceChart, sequence
from mpsim.plot.timeline import timeline

log = logging.getLogger(__name__)

#: sequence.png is drawn for runs of up to this many hosts (DESIGN.md: "up to ~20").
SEQUENCE_MAX_HOSTS = 20


def run_hosts(events: pd.DataFrame, joins: pd.DataFrame) -> set:
    """The hosts of a run: those with socket events and the roots and leaves of joins."""
    spi = events[events["layer"] == "spi"]["host"] if len(events) else []
    names = set(as_text(spi)) | set(as_text(joins["leaf"])) | set(as_text(joins["root"]))
    return {n for n in names if isinstance(n, str)}


def render_all(out_dir, events: pd.DataFrame, joins: pd.DataFrame, links: pd.DataFrame | None = None,
               format: str = "png") -> list[Path]:
    """Draw a run's plots into ``out_dir/plots``: ``timeline``, ``join_latency_cdf`` and,
    for runs of at most 20 hosts, ``sequence`` (skipped, with a log message, when the
    trace has no control messages or a join needs more lifelines than that, which
    ``sequence`` says by ``NoSequenceChart``; any other error is a bug and is raised).
    ``links`` is accepted for symmetry with the run's outputs; none of these plots needs
    it. Returns the paths written."""
    plots = Path(out_dir) / "plots"
    paths = [timeline(events, joins, plots / "timeline", format),
             latency_cdf(joins, plots / "join_latency_cdf", format)]
    hosts = run_hosts(events, joins)
    if len(hosts) <= SEQUENCE_MAX_HOSTS:
        try:
            paths.append(sequence(events, plots / "sequence", max_hosts=SEQUENCE_MAX_HOSTS, joins=joins,
                                  format=format))
        except NoSequenceChart as exc:
            log.info("no sequence chart: %s", exc)
    else:
        log.info("no sequence chart: %d hosts, more than %d", len(hosts), SEQUENCE_MAX_HOSTS)
    return paths
