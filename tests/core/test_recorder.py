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
