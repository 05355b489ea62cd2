"""Plots of a finished run, drawn from its output files only; a broken folder is said so.

What an interrupted or tampered run folder can hold — a 0-byte or truncated
Parquet file, a table without the columns it must have, a malformed CSV — is
answered with ``OutputError`` naming the file (exit 2), never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mpsim.experiment.outputs import OutputError

#: The columns a reader needs of each run file (DESIGN.md "A run's outputs").
REQUIRED = {
    "events.parquet": ("time", "host", "layer", "event"),
    "joins.csv": ("join_id", "session", "method", "root", "leaf", "t_request", "t_complete",
                  "latency", "outcome"),
    "links.csv": ("src", "dst", "packets", "bytes", "drops", "utilization"),
    "trees.csv": ("session", "src", "dst"),
}


def read_table(path, **options) -> pd.DataFrame:
    """The table in ``path`` (Parquet or CSV by suffix), checked for the columns it must
    have; ``OutputError`` naming the file if it is missing, empty, broken or incomplete."""
    path = Path(path)
    if not path.is_file():
        raise OutputError(f"{path}: missing (not a finished run's folder?)")
    if path.stat().st_size == 0:
        raise OutputError(f"{path}: empty (the run that wrote it was interrupted?)")
    try:
        parquet = path.suffix == ".parquet"
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path, **options)
    except Exception as exc:          # pyarrow and pandas say "broken" in many ways
        kind = "Parquet" if path.suffix == ".parquet" else "CSV"
        raise OutputError(f"{path}: not a readable {kind} table ({type(exc).__name__}: "
                          f"{str(exc)[:120]})") from None
    missing = [c for c in REQUIRED.get(path.name, ()) if c not in frame.columns]
    if missing:
        raise OutputError(f"{path}: lacks the column(s) {', '.join(missing)}")
    return frame


def read_outputs(out):
    out = Path(out)
    events = read_table(out / "events.parquet")
    joins = read_table(out / "joins.csv")
    links = read_table(out / "links.csv")
    return events, joins, links


def draw_run(out, plot_format="png", into=None) -> list:
    """Draw every plot of the run in ``out`` into ``into/plots`` (default ``out/plots``);
    returns the paths."""
    from mpsim.plot import render_all
    events, joins, links = read_outputs(out)
    try:
        return render_all(Path(into or out), events, joins, links, format=plot_format)
    except (KeyError, ValueError, TypeError) as exc:   # tables of the right shape, wrong content
        raise OutputError(f"{out}: its tables cannot be drawn ({type(exc).__name__}: "
                          f"{str(exc)[:120]})") from None
