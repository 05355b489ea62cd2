"""The trace recorder: every layer appends event records here; tables come out at the end.

Appending extends one flat list by a row's values (the hot path pays nothing more:
columns are then strided slices of it, far cheaper than transposing tuples). Every
``CHUNK`` rows the values are turned into one columnar Arrow record batch, and once
``ROW_GROUP`` rows are in batches they go to a temporary file (the spool), so a long
run holds at most a row group of its trace in memory however long it is (issue 13:
10^7 packet records in well under 2 GB). ``to_parquet`` streams the spool and the
batches in memory into events.parquet a row group at a time, cutting the row groups
``pq.write_table`` would: the file does not depend on whether the trace was spooled.
pyarrow is imported when the first chunk is converted, not with this module.
The schema is DESIGN.md's ``events.parquet``, with two columns added (by issue 11,
documented in the README's outputs section): ``msg_id``, the id of the message a
``proto`` or ``net`` record is about (one id per message a provider sends: a
hop-by-hop message gets a new id at every hop, an end-to-end one keeps its id
across the links it crosses), and ``cause``, on a send, the id of the received
message it answers or forwards (null when a timer or an application call sent it).
"""

from __future__ import annotations

import enum
import functools
import tempfile

#: Columns of the events table, in order (their Arrow types: ``schema()``).
COLUMNS = ("time", "host", "socket", "layer", "event", "peer", "session", "join_id", "error", "detail",
           "msg_id", "cause")
WIDTH = len(COLUMNS)
_TEXT_COLUMNS = {"host", "layer", "event", "peer", "session", "error", "detail"}


@functools.cache
def schema():
    """The Arrow schema of the events table: float64 ``time``, int64 ids, strings."""
    import pyarrow as pa
    return pa.schema([(name, pa.float64() if name == "time" else pa.string() if name in _TEXT_COLUMNS
                       else pa.int64()) for name in COLUMNS])


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
    spool : path, optional
        Folder of the temporary file a long trace is spooled to (default: the system's
        temporary folder); ``run_scenario`` puts it beside the run's outputs. The file
        has no name and goes with the recorder.
    """

    CHUNK = 65536                  # rows per record batch
    ROW_GROUP = 1 << 20            # rows per Parquet row group (pyarrow's default); spooled at once

    def __init__(self, packets: bool = False, spool=None):
        self.packets = packets
        self.spool = spool
        self._rows: list = []                 # flat: WIDTH values per row
        self._batches: list = []              # record batches not spooled, fewer than ROW_GROUP rows
        self._pending = 0                     # rows in _batches
        self._spooled = 0                     # rows in _files and _writer
        self._files: list = []                # closed spool files
        self._writer = None                   # (file, IPC stream writer) of the one being written
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
        return len(self._rows) // WIDTH + self._pending + self._spooled

    def _flush(self) -> None:
        """The rows appended into a record batch; a row group's worth of batches to the spool."""
        import pyarrow as pa

        if self._rows:
            rows = self._rows
            arrays = []
            for index, field in enumerate(schema()):
                values = rows[index::WIDTH]
                if field.name in _TEXT_COLUMNS:
                    values = _texts(values)
                arrays.append(pa.array(values, type=field.type))
            batch = pa.RecordBatch.from_arrays(arrays, schema=schema())
            self._batches.append(batch)
            self._pending += batch.num_rows
            self._rows = []
        if self._pending >= self.ROW_GROUP:
            self._spool_out()

    def _spool_out(self) -> None:
        """Append the batches in memory to the spool file (an Arrow IPC stream, LZ4: cheap to
        write and to read back, where Parquet would be encoded twice and decoded once more)."""
        import pyarrow as pa

        if self._writer is None:
            file = tempfile.TemporaryFile(dir=self.spool)     # noqa: SIM115 (lives as long as self)
            options = pa.ipc.IpcWriteOptions(compression="lz4")
            self._writer = (file, pa.ipc.new_stream(file, schema(), options=options))
        for batch in self._batches:
            self._writer[1].write_batch(batch)
        self._spooled += self._pending
        self._batches, self._pending = [], 0

    def _all_batches(self):
        """Every record batch so far, in recording order: the spooled ones, then those in memory."""
        import pyarrow as pa

        self._flush()
        if self._writer is not None:          # closed to be read; later batches go to a new file
            file, writer = self._writer
            writer.close()
            self._files.append(file)
            self._writer = None
        for file in self._files:
            file.seek(0)
            yield from pa.ipc.open_stream(file)
        yield from self._batches

    def _row_groups(self):
        """All records as tables of ``ROW_GROUP`` rows, the last shorter (empty if there are
        no records): the row groups ``pq.write_table`` would cut the whole table into."""
        import pyarrow as pa

        group, rows, cut = [], 0, False
        for batch in self._all_batches():
            group.append(batch)
            rows += batch.num_rows
            while rows >= self.ROW_GROUP:
                table = pa.Table.from_batches(group, schema=schema())
                yield table.slice(0, self.ROW_GROUP)
                rest = table.slice(self.ROW_GROUP)
                group, rows, cut = rest.to_batches(), rest.num_rows, True
        if rows or not cut:
            yield pa.Table.from_batches(group, schema=schema())

    def table(self, skip=()):
        """All records so far as an Arrow table (in the order they were recorded), but
        those whose ``(layer, event)`` is in ``skip``."""
        import pyarrow as pa

        return pa.Table.from_batches([_without(batch, skip) for batch in self._all_batches()],
                                     schema=schema())

    def frame(self, skip=()):
        """``table(skip)`` as a pandas DataFrame with DESIGN.md's columns (``socket``,
        ``join_id``, ``msg_id`` and ``cause`` as nullable integers)."""
        import pandas as pd
        import pyarrow as pa

        return self.table(skip).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)

    def to_parquet(self, path) -> None:
        """Write the events table to ``path`` (deterministic for equal content), a row
        group at a time: one row group's worth in memory, however long the trace."""
        import pyarrow.parquet as pq

        with pq.ParquetWriter(path, schema()) as writer:
            for group in self._row_groups():
                writer.write_table(group, row_group_size=self.ROW_GROUP)


def _without(batch, skip):
    """``batch`` without the records whose ``(layer, event)`` is in ``skip``."""
    if not skip:
        return batch
    import pyarrow.compute as pc

    layer, event = batch.column("layer"), batch.column("event")
    drop = None
    for pair in skip:
        these = pc.and_(pc.equal(layer, pair[0]), pc.equal(event, pair[1]))
        drop = these if drop is None else pc.or_(drop, these)
    return batch.filter(pc.invert(pc.fill_null(drop, False)))
