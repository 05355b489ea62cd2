"""latency_decomposition: the parts of the mean latency, read from the traces, against
closed forms; the parts always sum to the latency."""

import math

import numpy as np
import pandas as pd
import pytest

from mpsim.analysis import PARTS, latency_components, latency_decomposition
from tests.analysis.cases import (PROPAGATION, TRANSMISSION, c1, c3, c4, c6_lost_once,
                                  conference_lost_twice, ipmc3, link_delays, tables)


def parts_of(world, join=None):
    events, joins, links = tables(world)
    frame = latency_components(events, joins, links, link_delays(world))
    return frame if join is None else frame.set_index("join_id").loc[join]


def assert_sums(frame):
    total = frame[list(PARTS)].fillna(0).sum(axis=1)
    assert total.tolist() == pytest.approx(frame.latency.tolist(), abs=1e-12)


def test_c1_is_all_propagation_and_transmission():
    row = parts_of(c1(), 1)
    assert row.propagation == pytest.approx(6 * PROPAGATION, abs=1e-12)
    assert row.transmission_queueing == pytest.approx(6 * TRANSMISSION, abs=1e-12)
    assert (row.retransmission_waits, row.admission, row.other, row.hops) == (0, 0, 0, 6)


def test_c3_defer_200_ms_is_admission():
    """Eight hops: the request and the SETUP (3 each), the leaf's CONNECT and its switch's
    CONNECT ACK (C2, C3)."""
    row = parts_of(c3(), 1)
    assert row.admission == pytest.approx(0.2, abs=1e-12)
    assert row.propagation == pytest.approx(8 * PROPAGATION, abs=1e-12)
    assert row.transmission_queueing == pytest.approx(8 * TRANSMISSION, abs=1e-12)
    assert row.retransmission_waits == 0 and abs(row.other) < 1e-12


def test_c4_second_invitation_waits_for_the_first_and_queues_0_8_ms():
    frame = parts_of(c4())
    first, second = frame.iloc[0], frame.iloc[1]
    assert first.other == 0 and second.propagation == pytest.approx(0.06, abs=1e-12)
    # Waiting under max_outstanding is "other": not a network or admission delay.
    assert second.other == pytest.approx(0.0648, abs=1e-12)
    # Six transmissions plus 0.8 ms behind the CONNECT ACK on the root's access link.
    assert second.transmission_queueing == pytest.approx(0.0048 + 0.0008, abs=1e-12)
    assert_sums(frame)


def test_a_lost_setup_is_one_timer_of_retransmission_wait():
    row = parts_of(c6_lost_once(), 1)
    assert row.retransmission_waits == pytest.approx(1.0, abs=1e-12)
    assert row.propagation == pytest.approx(0.06, abs=1e-12)
    assert row.latency == pytest.approx(1.0648, abs=1e-12)


def test_conference_lost_twice_waits_t1_plus_2_t1():
    row = parts_of(conference_lost_twice(), 1)
    assert row.retransmission_waits == pytest.approx(0.5 + 1.0, abs=1e-12)
    # End-to-end messages: propagation is the least over the links (3 links each way).
    assert row.propagation == pytest.approx(0.06, abs=1e-12)
    assert row.hops == 2


def test_nonrooted_parts_include_the_first_data_coming_down():
    frame = parts_of(ipmc3()).set_index("join_id")
    # A: 3 control hops up and 3 data hops down, the data waited 8.4 ms at the RP and
    # took 2.4 ms of transmission: other = 10.8 ms.
    assert frame.loc[1, "propagation"] == pytest.approx(0.06, abs=1e-12)
    assert frame.loc[1, "transmission_queueing"] == pytest.approx(3 * TRANSMISSION, abs=1e-12)
    assert frame.loc[1, "other"] == pytest.approx(0.0084 + 3 * TRANSMISSION, abs=1e-12)
    # B grafts at router 1 as a packet passes: 2 hops each way, no wait.
    assert frame.loc[2, "propagation"] == pytest.approx(0.04, abs=1e-12)
    assert frame.loc[2, "other"] == pytest.approx(2 * TRANSMISSION, abs=1e-12)
    assert_sums(frame)


def test_decomposition_dict_means_sum_to_mean_latency():
    events, joins, links = tables(c4())
    out = latency_decomposition(events, joins, links, link_delays=link_delays(c4()))
    entry = out["root_invite"]
    assert entry["n"] == 2 and entry["latency"] == pytest.approx(0.0976, abs=1e-12)
    assert sum(entry[p] for p in PARTS) == pytest.approx(entry["latency"], abs=1e-12)
    assert entry["other"] == pytest.approx(0.0648 / 2, abs=1e-12)


def test_without_delays_the_network_time_is_reported_unsplit():
    events, joins, links = tables(c3())
    entry = latency_decomposition(events, joins, links)["leaf_request"]
    assert entry["propagation"] is None and entry["transmission_queueing"] is None
    assert entry["transmission_queueing_propagation"] == pytest.approx(0.0864, abs=1e-12)   # 8 x 10.8 ms
    assert entry["admission"] == pytest.approx(0.2, abs=1e-12)


def test_a_delay_column_in_links_is_used():
    events, joins, links = tables(c1())
    delays = link_delays(c1())
    links = links.assign(delay=[delays[(s, d)] for s, d in zip(links.src, links.dst)])
    entry = latency_decomposition(events, joins, links)["root_invite"]
    assert entry["propagation"] == pytest.approx(0.06, abs=1e-12)


def test_files_read_back_give_the_same_decomposition(tmp_path):
    w = ipmc3()
    w.sim.recorder.to_parquet(tmp_path / "events.parquet")
    w.joins().to_csv(tmp_path / "joins.csv", index=False, float_format="%.9g")
    w.net.link_table().to_csv(tmp_path / "links.csv", index=False)
    events, joins = pd.read_parquet(tmp_path / "events.parquet"), pd.read_csv(tmp_path / "joins.csv")
    links = pd.read_csv(tmp_path / "links.csv")
    again = latency_decomposition(events, joins, links, link_delays(w))["nonrooted"]
    first = latency_decomposition(*tables(w), link_delays(w))["nonrooted"]
    for key, value in first.items():
        assert again[key] == pytest.approx(value, abs=1e-8), key


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parts_sum_to_latency_under_random_delays_and_loss(seed):
    """Random link delays and 5 % loss: each join's parts still sum to its latency."""
    from tests.world import chain
    w = chain(seed=seed, leaves=("L1", "L2", "L3"),
              links=dict(delay={"dist": "exponential", "mean": "5ms"}, bandwidth="1Mbps", loss=0.05))
    w.session("s", root="R", max_outstanding=2, timers={"invite_timeout": 0.5, "retries": "inf"})
    for leaf in ("L1", "L2", "L3"):
        w.app(leaf).listen("accept")
    w.at(1.0, w.app("R").invite, ["L1", "L2", "L3"])
    w.run(60)
    frame = parts_of(w)
    assert len(frame) == 3
    assert_sums(frame)
    assert (frame.retransmission_waits >= 0).all() and (frame.admission == 0).all()
    assert not frame[list(PARTS)].isna().any().any()
    assert all(math.isfinite(v) for v in frame.latency)
    assert np.all(frame.hops >= 6)
