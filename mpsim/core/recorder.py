"""The trace recorder: every layer appends event records here; tables come out at the end.

Appending is one tuple append (the hot path pays nothing more). Every
``CHUNK`` rows the tuples are turned into one columnar Arrow record batch, so a
long run holds its trace as compact columns rather than millions of tuples.
The schema is DESIGN.md's ``events.parquet``, with two columns added (by issue 11,
documented in the README's outputs section): ``msg_id``, the id of the message a
``proto`` or ``net`` record is about (one id per message a provider sends: a
hop-by-hop message gets a new id at every hop, an end-to-end one keeps its id
across the links it crosses), and ``cause``, on a send, the id of the received
message it answers or forwards (null when a timer or an application call sent it).
"""

from __future__ import annotations

import enum

import pyarrow as pa
import pyarrow.parquet as pq

#: Columns of the events table, in order, with their Arrow types.
SCHEMA = pa.schema([
    ("time", pa.float64()),
    ("host", pa.string()),
    ("socket", pa.int64()),
    ("layer", pa.string()),
    ("event", pa.string()),
    ("peer", pa.string()),
    ("session", pa.string()),
    ("join_id", pa.int64()),
    ("error", pa.string()),
    ("detail", pa.string()),
    ("msg_id", pa.int64()),
    ("cause", pa.int64()),
])
COLUMNS = tuple(SCHEMA.names)
_TEXT_COLUMNS = {"host", "layer", "event", "peer", "session", "error", "detail"}


def _text(value):
    if value is None or isinstance(value, str):
        return None if value is None else str(value)    # a StrEnum is its value
    if isinstance(value, enum.Enum):
        return value.name
    return str(value)


class Recorder:
    """Collects event records of one run.

    Parameters
    ----------
    packets : bool
        Whether per-hop packet records are wanted; the network layer asks this
        before writing them, since they dominate the cost of a trace.
    """

    CHUNK = 65536

    def __init__(self, packets: bool = False):
        self.packets = packets
        self._rows: list[tuple] = []
        self._batches: list[pa.RecordBatch] = []
        self.count = 0

    def record(self, time, layer, event, *, host=None, peer=None, socket=None, session=None,
               join_id=None, error=None, detail=None, msg_id=None, cause=None) -> None:
        """Append one record (see ``COLUMNS``); ``host``/``peer`` may be node ids, ``error`` an enum."""
        rows = self._rows
        rows.append((time, host, socket, layer, event, peer, session, join_id, error, detail,
                     msg_id, cause))
        if len(rows) >= self.CHUNK:
            self._flush()

    def __len__(self) -> int:
        return len(self._rows) + sum(b.num_rows for b in self._batches)

    def _flush(self) -> None:
        if not self._rows:
            return
        columns = list(zip(*self._rows, strict=True))
        arrays = []
        for name, values in zip(COLUMNS, columns, strict=True):
            if name in _TEXT_COLUMNS:
                values = [v if v is None or v.__class__ is str else _text(v) for v in values]
            arrays.append(pa.array(values, type=SCHEMA.field(name).type))
        self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=SCHEMA))
        self._rows = []

    def table(self) -> pa.Table:
        """All records so far as an Arrow table (in the order they were recorded)."""
        self._flush()
        return pa.Table.from_batches(self._batches, schema=SCHEMA)

    def frame(self):
        """All records so far as a pandas DataFrame with DESIGN.md's columns
        (``socket``, ``join_id``, ``msg_id`` and ``cause`` as nullable integers)."""
        import pandas as pd
        return self.table().to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)

    def to_parquet(self, path) -> None:
        """Write the events table to ``path`` (deterministic for equal content)."""
        pq.write_table(self.table(), path)
