"""Tidy the run tables as they come from memory or from disk.

The same table can arrive from the simulation (``Recorder.frame()``: nullable
``Int64`` ids, string columns) or from a run's files (``pd.read_parquet`` gives
float ids with NaN; ``pd.read_csv`` turns a column of numeric host names into
integers and empty cells into NaN). Every function of ``mpsim.analysis`` goes
through these helpers first, so none of them cares where a table came from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The three ways to join, and the outcomes of a join attempt (DESIGN.md, joins.csv).
#: Repeated here because layer 5 may not import ``mpsim.spi``.
METHODS = ("root_invite", "leaf_request", "nonrooted")
OUTCOMES = ("connected", "rejected", "timed_out", "unreachable", "cancelled", "pending")
#: Methods whose compared figure is ``t_complete - t_request``; for the others it is
#: ``t_first_data - t_request``.
ROOTED = ("root_invite", "leaf_request")


def as_float(series) -> np.ndarray:
    """``series`` as a float array, missing values (None, NA, NaN) as NaN."""
    return pd.Series(series).to_numpy(dtype="float64", na_value=np.nan)


def as_text(series) -> np.ndarray:
    """``series`` as an object array of ``str``, missing values as None (a column of
    whole numbers read from CSV, such as numeric host names, becomes ``"5"``, not ``"5.0"``)."""
    series = pd.Series(series)
    missing = series.isna().to_numpy()
    if pd.api.types.is_float_dtype(series.dtype):
        present = series[~missing]
        if len(present) and (present == np.floor(present)).all():
            series = series.fillna(0).astype(np.int64)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype(str)
    mixed = series.dtype == object            # may hold ints, enums, ... next to str
    values = series.astype(object).to_numpy(copy=True)
    values[missing] = None
    if mixed:
        for i, value in enumerate(values):
            if value is not None and value.__class__ is not str:
                values[i] = str(value)
    return values


def events_frame(events: pd.DataFrame, layers=None) -> pd.DataFrame:
    """The events table with a ``row`` column (its position: the order of recording),
    float ``time``, ``join_id`` and ``socket`` (NaN when none), text columns with None when empty;
    optionally only the rows of ``layers``."""
    frame = events.reset_index(drop=True)
    rows = np.arange(len(frame), dtype=np.int64)
    if layers is not None:
        keep = frame["layer"].isin(list(layers)).to_numpy()
        frame, rows = frame[keep].reset_index(drop=True), rows[keep]
    out = pd.DataFrame({"row": rows, "time": as_float(frame["time"])})
    for name in ("host", "layer", "event", "peer", "session", "error", "detail"):
        out[name] = as_text(frame[name]) if name in frame else np.full(len(frame), None, dtype=object)
    for name in ("join_id", "socket"):
        out[name] = as_float(frame[name]) if name in frame else np.nan
    return out


def joins_frame(joins: pd.DataFrame) -> pd.DataFrame:
    """The joins table with float times, text ``session``/``method``/``root``/``leaf``/
    ``outcome``/``error`` (None when empty) and integer ``join_id``."""
    frame = joins.reset_index(drop=True).copy()
    for name in ("t_request", "t_complete", "latency", "t_first_data"):
        frame[name] = as_float(frame[name]) if name in frame else np.nan
    for name in ("session", "method", "root", "leaf", "outcome", "error"):
        frame[name] = as_text(frame[name]) if name in frame else np.full(len(frame), None, dtype=object)
    frame["join_id"] = as_float(frame["join_id"]).astype(np.int64) if len(frame) else \
        np.array([], dtype=np.int64)
    return frame


def clean(value):
    """A number for JSON: a Python float or int, None for NaN."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return None if value != value else value
