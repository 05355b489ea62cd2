"""The recorder: DESIGN.md's events.parquet schema, order across chunks, Parquet round trip."""

import enum

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mpsim.core.recorder import Recorder

#: DESIGN.md, "A run's outputs": events.parquet columns, in order, then the two that
#: issue 11 added (README, "Outputs"): the message id and the id of its cause.
DESIGN_COLUMNS = ["time", "host", "socket", "layer", "event", "peer", "session", "join_id",
                  "error", "detail", "msg_id", "cause"]


class Err(enum.Enum):
    WSAETIMEDOUT = 10060


def sample_recorder() -> Recorder:
    rec = Recorder()
    rec.record(0.5, "spi", "JOIN_LEAF", host="L", peer="R", socket=3, session="s", join_id=1)
    rec.record(1.25, "net", "DROP", host=0, peer=1, detail="data (loss)")
    rec.record(2.0, "spi", "FD_CONNECT", host="L", socket=3, session="s", join_id=1,
               error=Err.WSAETIMEDOUT)
    return rec


def test_frame_columns_and_dtypes_match_design():
    frame = sample_recorder().frame()
    assert list(frame.columns) == DESIGN_COLUMNS
    assert frame["time"].dtype == "float64"
    for column in ("socket", "join_id", "msg_id", "cause"):
        assert frame[column].dtype == pd.Int64Dtype(), column
    for column in ("host", "layer", "event", "peer", "session", "error", "detail"):
        assert pd.api.types.is_string_dtype(frame[column]), column


def test_table_schema_types():
    schema = sample_recorder().table().schema
    assert schema.names == DESIGN_COLUMNS
    assert schema.field("time").type == pa.float64()
    for column in ("socket", "join_id", "msg_id", "cause"):
        assert schema.field(column).type == pa.int64(), column
    for column in ("host", "layer", "event", "peer", "session", "error", "detail"):
        assert schema.field(column).type == pa.string(), column


def test_values_nulls_node_ids_and_enums():
    frame = sample_recorder().frame()
    assert frame["time"].tolist() == [0.5, 1.25, 2.0]
    assert frame["host"].tolist() == ["L", "0", "L"]          # node ids become text
    assert frame["peer"].tolist()[:2] == ["R", "1"]
    assert frame["error"].iloc[2] == "WSAETIMEDOUT"            # enums by name
    assert frame["socket"].isna().tolist() == [False, True, False]
    assert frame["join_id"].isna().tolist() == [False, True, False]
    assert frame["error"].isna().tolist() == [True, True, False]


def test_order_is_kept_across_chunk_boundaries():
    rec = Recorder()
    n = 2 * Recorder.CHUNK + 7
    for i in range(n):
        rec.record(float(i), "net", "SEND", host=i % 5, socket=i)
    assert len(rec) == n
    table = rec.table()
    assert table.num_rows == n
    assert table.column("socket").to_pylist() == list(range(n))
    assert table.column("time").to_pylist() == [float(i) for i in range(n)]
    assert table.column("host").to_pylist()[Recorder.CHUNK - 2: Recorder.CHUNK + 2] == \
        [str(i % 5) for i in range(Recorder.CHUNK - 2, Recorder.CHUNK + 2)]


def test_recording_after_reading_appends():
    rec = sample_recorder()
    rec.table()
    rec.record(3.0, "app", "SEND", host="S")
    assert rec.frame()["time"].tolist() == [0.5, 1.25, 2.0, 3.0]


def test_empty_recorder_has_the_schema():
    frame = Recorder().frame()
    assert list(frame.columns) == DESIGN_COLUMNS and len(frame) == 0


def test_to_parquet_round_trips(tmp_path):
    rec = sample_recorder()
    path = tmp_path / "events.parquet"
    rec.to_parquet(path)
    assert pq.read_table(path).equals(rec.table())
    pd.testing.assert_frame_equal(
        pq.read_table(path).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), rec.frame())


def test_equal_content_gives_identical_parquet_bytes(tmp_path):
    sample_recorder().to_parquet(tmp_path / "a.parquet")
    sample_recorder().to_parquet(tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_packets_flag():
    assert Recorder(packets=True).packets and not Recorder().packets


class Code(enum.IntEnum):
    THREE = 3


class Kind(enum.StrEnum):
    SETUP = "SETUP"


def test_equal_values_of_different_types_keep_their_own_text():
    """Each distinct value is converted once; ``3`` and ``Code.THREE`` are equal (one
    dictionary key) yet convert to "3" and "THREE", and a StrEnum is its value."""
    rec = Recorder()
    for value in (3, Code.THREE, 3, True, 1, Kind.SETUP, "SETUP", None):
        rec.record(0.0, "net", Kind.SETUP, host=value, detail=value)
    expected = ["3", "THREE", "3", "True", "1", "SETUP", "SETUP", None]
    table = rec.table()
    assert table.column("host").to_pylist() == expected
    assert table.column("detail").to_pylist() == expected
    assert table.column("event").to_pylist() == ["SETUP"] * 8


def test_a_column_of_node_ids_and_names_converts_each_value():
    rec = Recorder()
    for i in range(50):
        rec.record(float(i), "net", "SEND", host=i % 7 if i % 2 else f"h{i % 3}", peer=None)
    hosts = rec.table().column("host").to_pylist()
    assert hosts == [str(i % 7) if i % 2 else f"h{i % 3}" for i in range(50)]
    assert rec.table().column("peer").null_count == 50


def every_kind(rec: Recorder, n: int, start: int = 0) -> Recorder:
    """``n`` records with every kind of field value: None, node ids, names, enums, floats."""
    hosts = (None, 3, "R1", Code.THREE, Kind.SETUP, 2.5, True)
    for i in range(start, start + n):
        rec.record(i * 0.001, ("net", "proto", "spi")[i % 3], ("SEND", "DROP", "SETUP", Kind.SETUP)[i % 4],
                   host=hosts[i % 7], peer=hosts[(i + 3) % 7], socket=i if i % 2 else None,
                   session=None if i % 5 else f"s{i % 3}", join_id=i // 4 if i % 3 else None,
                   error=Err.WSAETIMEDOUT if i % 11 == 0 else None, detail=hosts[(i + 1) % 7],
                   msg_id=None if i % 6 == 0 else i, cause=i - 1 if i % 4 == 0 else None)
    return rec


def sized(chunk: int, row_group: int, **options) -> Recorder:
    return type("Sized", (Recorder,), {"CHUNK": chunk, "ROW_GROUP": row_group})(**options)


def test_spooled_and_in_memory_traces_give_the_same_tables_and_parquet_bytes(tmp_path):
    """Chunks of 3 rows, spooled once 10 are in memory (row groups of 10 rows), against one
    chunk never spooled: the row groups cut across chunks and spooled batches alike."""
    small, whole = every_kind(sized(3, 10), 47), every_kind(sized(10**6, 10), 47)
    assert small._spooled == 36 and whole._spooled == 0
    assert len(small) == len(whole) == 47
    assert small.table().equals(whole.table())
    pd.testing.assert_frame_equal(small.frame(), whole.frame())
    small.to_parquet(tmp_path / "small.parquet")
    whole.to_parquet(tmp_path / "whole.parquet")
    assert (tmp_path / "small.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    groups = pq.ParquetFile(tmp_path / "small.parquet").metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [10, 10, 10, 10, 7]


def test_recording_after_reading_a_spooled_trace_appends(tmp_path):
    small, whole = every_kind(sized(4, 8), 21), every_kind(sized(10**6, 8), 21)
    small.frame()                                   # closes the first spool file
    every_kind(small, 30, start=21)
    every_kind(whole, 30, start=21)
    assert len(small) == 51
    pd.testing.assert_frame_equal(small.frame(), whole.frame())
    assert len(small._files) == 2
    small.to_parquet(tmp_path / "small.parquet")
    whole.to_parquet(tmp_path / "whole.parquet")
    assert (tmp_path / "small.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()


def test_parquet_bytes_are_those_of_write_table(tmp_path):
    """events.parquet as ``pq.write_table`` of the whole table writes it, also with no records."""
    for rec in (every_kind(Recorder(), 100), Recorder()):
        rec.to_parquet(tmp_path / "rec.parquet")
        pq.write_table(rec.table(), tmp_path / "table.parquet")
        assert (tmp_path / "rec.parquet").read_bytes() == (tmp_path / "table.parquet").read_bytes()


def test_skip_leaves_out_records_by_layer_and_event():
    rec = every_kind(sized(5, 10), 40)
    full = rec.frame()
    kept = full[~((full.layer == "net") & (full.event == "SEND"))].reset_index(drop=True)
    pd.testing.assert_frame_equal(rec.frame(skip={("net", "SEND")}), kept)
    assert rec.table(skip={("net", "SEND"), ("spi", "SETUP")}).num_rows == \
        len(kept[~((kept.layer == "spi") & (kept.event == "SETUP"))])


def test_the_spool_file_has_no_name(tmp_path):
    rec = every_kind(sized(3, 6, spool=tmp_path), 20)
    assert rec._spooled and list(tmp_path.iterdir()) == []


def test_importing_the_recorder_imports_no_pyarrow():
    import subprocess
    import sys
    code = "import sys, mpsim.core.recorder; print('pyarrow' in sys.modules or 'pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
