"""The trace recorder: every layer appends event records here; tables come out at the end.

Appending extends one flat list by a row's values (the hot path pays nothing more:
columns are then strided slices of it, far cheaper than transposing tuples). Every
``CHUNK`` rows the values are turned into one columnar Arrow record batch, so a
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
WIDTH = len(COLUMNS)
_TEXT_COLUMNS = {"host", "layer", "event", "peer", "session", "error", "detail"}


def _text(value):
    if value is None or isinstance(value, str):
        return None if value is None else str(value)    # a StrEnum is its value
    if isinstance(value, enum.Enum):
        return value.name
    return str(value)


def _texts(values) -> list:
    """``_text`` of every value, converting each distinct value once (a column holds few).

    Equal values of two non-text types (``3`` and an ``IntEnum`` 3) may convert
    differently and so cannot share a dictionary entry, and unhashable ones cannot have
    one: then each value is converted on its own.
    """
    try:
        kinds = {kind for kind in set(map(type, values)) if not issubclass(kind, str)}
        kinds.discard(type(None))
        if len(kinds) <= 1:
            texts = {value: _text(value) for value in set(values)}
            return list(map(texts.__getitem__, values))
    except TypeError:
        pass
    return [_text(value) for value in values]


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
        self._rows: list = []                 # flat: WIDTH values per row
        self._batches: list[pa.RecordBatch] = []
        self.count = 0
        self._limit = self.CHUNK * WIDTH

    def record(self, time, layer, event, *, host=None, peer=None, socket=None, session=None,
               join_id=None, error=None, detail=None, msg_id=None, cause=None) -> None:
        """Append one record (see ``COLUMNS``); ``host``/``peer`` may be node ids, ``error`` an enum."""
        rows = self._rows
        rows += (time, host, socket, layer, event, peer, session, join_id, error, detail,
                 msg_id, cause)
        if len(rows) >= self._limit:
            self._flush()

    def __len__(self) -> int:
        return len(self._rows) // WIDTH + sum(b.num_rows for b in self._batches)

    def _flush(self) -> None:
        if not self._rows:
            return
        rows = self._rows
        arrays = []
        for index, name in enumerate(COLUMNS):
            values = rows[index::WIDTH]
            if name in _TEXT_COLUMNS:
                values = _texts(values)
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
