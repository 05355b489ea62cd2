"""message_counts and control_hops: sends paired with receipts and drops."""

import pandas as pd
import pytest

from mpsim.analysis import control_hops, message_counts
from tests.analysis.cases import c1, c6_lost_once, conference_lost_twice
from tests.world import HOP, POLL_HOP, STAT_HOP


def test_message_counts_c1():
    counts = message_counts(c1().events()).set_index("kind")
    # SETUP and CONNECT cross three links, CALL PROCEEDING one, CONNECT ACK one at each end
    # (the root's to its switch, the leaf's switch's to the leaf). SSCOP: each of the six
    # directed hops that carried a message polls once, 1 s after its first, and the STAT
    # answering it acknowledges them all.
    assert counts.sent.to_dict() == {"CONNECT": 3, "SETUP": 3, "CALL_PROCEEDING": 1, "CONNECT_ACK": 2,
                                     "POLL": 6, "STAT": 6}
    assert (counts.received == counts.sent).all() and (counts.dropped == 0).all()


def test_message_counts_with_a_loss():
    counts = message_counts(c6_lost_once().events()).set_index("kind")
    assert counts.loc["SETUP"].tolist() == [5, 4, 1]


def test_every_hop_pairs_with_its_receipt_one_hop_later():
    hops = control_hops(c1().events(), c1().net.link_table())
    assert (hops.outcome == "received").all()
    # 100 B messages take HOP; SSCOP's POLL (8 B) and STAT (12 B, no gap) less.
    one_hop = {"POLL": POLL_HOP, "STAT": STAT_HOP}
    assert (hops.t_recv - hops.t_send).tolist() == \
        pytest.approx([one_hop.get(kind, HOP) for kind in hops.kind], abs=1e-12)
    assert sorted(set(hops.kind) & set(one_hop)) == ["POLL", "STAT"]


def test_the_lost_copy_is_paired_with_its_drop_the_retransmission_with_the_receipt():
    hops = control_hops(c6_lost_once().events())
    setup_0_1 = hops[(hops.kind == "SETUP") & (hops.src == "0") & (hops.dst == "1")]
    assert setup_0_1.outcome.tolist() == ["dropped", "received"]
    assert setup_0_1.drop_reason.iloc[0] == "loss"
    assert setup_0_1.t_send.tolist() == pytest.approx([1.0 + HOP, 2.0 + HOP], abs=1e-12)
    assert (setup_0_1.t_recv.iloc[1] - setup_0_1.t_send.iloc[1]) == pytest.approx(HOP, abs=1e-12)


def test_end_to_end_messages_lost_on_a_link_get_that_link_drop():
    hops = control_hops(conference_lost_twice().events())
    invites = hops[hops.kind == "INVITE"]
    assert invites.outcome.tolist() == ["dropped", "dropped", "received"]
    assert invites.t_send.tolist() == pytest.approx([1.0, 1.5, 2.5])


def test_tables_from_parquet_pair_the_same(tmp_path):
    w = c6_lost_once()
    w.sim.recorder.to_parquet(tmp_path / "events.parquet")
    again = control_hops(pd.read_parquet(tmp_path / "events.parquet"))
    pd.testing.assert_series_equal(again.outcome, control_hops(w.events()).outcome)
