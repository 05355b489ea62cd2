"""Message ids in the trace: every receipt pairs with exactly one send, every drop names
a message sent, every cause is a message its sender had received, and ``control_hops``
is that exact join (issue 11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mpsim.analysis import control_hops, message_counts
from mpsim.scenario import build, load_plan
from tests.analysis import cases

ROOT = Path(__file__).resolve().parents[2]
#: Library scenarios that run in well under a second and between them use every
#: provider, loss, failures and deferred decisions.
LIBRARY = ["quickstart", "conference", "link_failure", "classroom", "admission_capacity"]
CASES = ["c1", "c3", "c4", "c6_lost_once", "ipmc3", "conference_lost_twice"]


def _library(name):
    return build(load_plan(ROOT / "scenarios" / f"{name}.yaml")).run().sim.recorder.frame()


def _case(name):
    return getattr(cases, name)().events()


TRACES = [pytest.param((_library, name), id=name) for name in LIBRARY] + \
         [pytest.param((_case, name), id=name) for name in CASES]


@pytest.fixture(scope="module", params=TRACES)
def events(request):
    make, name = request.param
    return make(name)


def _sends_and_receipts(events):
    proto = events[events.layer == "proto"]
    is_recv = (proto.detail == "recv").to_numpy()
    return proto[~is_recv], proto[is_recv]


def test_every_receipt_pairs_with_exactly_one_earlier_send_between_the_same_two_nodes(events):
    sends, receipts = _sends_and_receipts(events)
    assert sends.msg_id.notna().all() and sends.msg_id.is_unique
    assert receipts.msg_id.notna().all() and receipts.msg_id.is_unique
    paired = receipts.merge(sends, on="msg_id", suffixes=("_recv", "_send"), validate="one_to_one")
    assert len(paired) == len(receipts)
    assert (paired.event_recv == paired.event_send).all()
    assert (paired.host_recv == paired.peer_send).all() and (paired.peer_recv == paired.host_send).all()
    assert (paired.time_recv >= paired.time_send).all()
    assert (paired.join_id_recv.fillna(-1) == paired.join_id_send.fillna(-1)).all()


def test_a_cause_is_a_message_the_sender_received_before_it_sent(events):
    sends, receipts = _sends_and_receipts(events)
    caused = sends[sends.cause.notna()]
    assert len(caused), "the trace has no caused sends: nothing is checked"
    at = receipts.set_index("msg_id")
    for send in caused.itertuples():
        received = at.loc[send.cause]
        assert received.host == send.host and received.time <= send.time, send


def test_drops_of_control_messages_name_a_message_sent_and_none_is_received_too(events):
    sends, receipts = _sends_and_receipts(events)
    drops = events[(events.layer == "net") & (events.event == "DROP") & events.msg_id.notna()]
    control = drops[drops.msg_id.isin(sends.msg_id)]
    assert not control.msg_id.isin(receipts.msg_id).any()
    assert control.msg_id.is_unique


def test_control_hops_is_the_exact_join_on_msg_id(events):
    sends, receipts = _sends_and_receipts(events)
    hops = control_hops(events)
    assert len(hops) == len(sends)
    assert (hops.outcome == "received").sum() == len(receipts)
    got = hops[hops.outcome == "received"].set_index("msg_id")
    expected = receipts.set_index("msg_id")
    assert np.array_equal(got.loc[expected.index, "t_recv"].to_numpy(), expected.time.to_numpy())
    counts = message_counts(events)
    assert counts.sent.sum() == len(hops) and counts.received.sum() == len(receipts)


def test_a_stray_receipt_is_refused_not_guessed():
    events = cases.c1().events().copy()
    rows = events.index[(events.layer == "proto") & (events.detail == "recv")]
    events.loc[rows[0], "msg_id"] = 10 ** 9
    with pytest.raises(ValueError, match="never sent"):
        control_hops(events)


def test_a_trace_without_message_ids_is_refused_with_a_reason():
    events = cases.c1().events().drop(columns=["msg_id", "cause"])
    with pytest.raises(ValueError, match="no msg_id column"):
        control_hops(events)


def test_pairs_read_back_from_parquet_are_the_same(tmp_path):
    world = cases.conference_lost_twice()
    world.sim.recorder.to_parquet(tmp_path / "events.parquet")
    again = control_hops(pd.read_parquet(tmp_path / "events.parquet"))
    pd.testing.assert_frame_equal(again, control_hops(world.events()))


def test_the_decomposition_walks_the_recorded_causes():
    """C3: the root defers its decision 200 ms. Cut the cause of the root's answer and
    the walk must stop there: the admission and the request hops vanish from the
    critical path (a guess by time would have found them anyway)."""
    from mpsim.analysis import latency_components
    world = cases.c3()
    events, joins, links = cases.tables(world)
    delays = cases.link_delays(world)
    whole = latency_components(events, joins, link_delays=delays).iloc[0]
    assert whole.admission == pytest.approx(0.2, abs=1e-9) and whole.hops > 3
    cut = events.copy()
    answer = cut.index[(cut.layer == "proto") & (cut.host == "R") & (cut.detail != "recv")
                       & cut.cause.notna()][0]
    cut.loc[answer, "cause"] = pd.NA
    broken = latency_components(cut, joins, link_delays=delays).iloc[0]
    assert broken.admission == 0.0 and broken.hops < whole.hops
    assert broken.latency == whole.latency
    parts = ["propagation", "transmission_queueing", "retransmission_waits", "admission", "other"]
    assert sum(broken[p] for p in parts) == pytest.approx(broken.latency, abs=1e-12)
