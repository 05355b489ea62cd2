"""Plots of a finished run, drawn from its output files only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_outputs(out):
    out = Path(out)
    events = pd.read_parquet(out / "events.parquet")
    joins = pd.read_csv(out / "joins.csv")
    links = pd.read_csv(out / "links.csv")
    return events, joins, links


def draw_run(out, plot_format="png") -> list:
    """Draw every plot of the run in ``out`` into ``out/plots``; returns the paths."""
    from mpsim.plot import render_all
    events, joins, links = read_outputs(out)
    return render_all(Path(out), events, joins, links, format=plot_format)
