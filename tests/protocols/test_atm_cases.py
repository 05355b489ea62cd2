"""multipoint.md §6: the conformance cases with exact answers, on the atm provider.

Chain R — s1 — s2 — L, every link 10 ms / 1 Mbps, 100 B control messages, zero
processing: one hop takes 10.8 ms, one way 32.4 ms.
"""

import math

import numpy as np
import pytest

from tests.world import ONE_WAY, chain


def test_c1_root_invites_leaf_completes_at_1_0648():
    w = chain()
    w.session("s", root="R")
    w.app("L").listen("accept")
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(10)
    (row,) = w.joins().itertuples()
    assert row.method == "root_invite" and row.outcome == "connected"
    assert row.t_request == 1.0
    assert row.t_complete == pytest.approx(1.0648, abs=1e-12)
    assert row.latency == pytest.approx(2 * ONE_WAY, abs=1e-12)
    # SETUP, CALL PROCEEDING, CONNECT, the leaf's switch's CONNECT ACK, the root's
    # CONNECT ACK: one transmission of the request.
    assert (row.attempts, row.messages) == (1, 5)


#: One access-link round trip: the leaf's CONNECT to its switch and the CONNECT ACK back.
ACCESS_RTT = 2 * 0.0108


def test_c2_leaf_request_admitted_at_once_86_4_ms():
    w = chain()
    w.session("s", root="R")
    w.app("R").listen("accept")
    w.at(1.0, w.app("L").request)
    w.run(10)
    (row,) = w.joins().itertuples()
    assert row.method == "leaf_request" and row.outcome == "connected"
    assert row.latency == pytest.approx(0.0864, abs=1e-12)
    spi = w.log("spi")
    # The root's FD_ACCEPT comes after one way; the SETUP reaches the leaf one way later,
    # and its FD_CONNECT comes with its switch's CONNECT ACK, an access round trip after.
    assert (round(1 + ONE_WAY, 9), "R", "FD_ACCEPT", None) in spi
    assert (round(1 + 2 * ONE_WAY + ACCESS_RTT, 9), "L", "FD_CONNECT", None) in spi
    proto = w.events("proto")
    at_leaf = [(round(t, 9), h, p, e, d if isinstance(d, str) else None) for t, h, p, e, d in
               zip(proto.time, proto.host, proto.peer, proto.event, proto.detail)
               if "L" in (h, p) and e in ("SETUP", "CONNECT", "CONNECT_ACK")]
    t = 1 + 2 * ONE_WAY
    assert at_leaf == [(round(t - 0.0108, 9), "1", "L", "SETUP", None),
                       (round(t, 9), "L", "1", "SETUP", "recv"),
                       (round(t, 9), "L", "1", "CONNECT", None),
                       (round(t + 0.0108, 9), "1", "L", "CONNECT", "recv"),
                       (round(t + 0.0108, 9), "1", "L", "CONNECT_ACK", None),
                       (round(t + ACCESS_RTT, 9), "L", "1", "CONNECT_ACK", "recv")]


def test_c3_defer_200_ms_gives_286_4_ms():
    w = chain()
    w.session("s", root="R")
    w.app("R").listen({"defer": 0.2})
    w.at(1.0, w.app("L").request)
    w.run(10)
    (row,) = w.joins().itertuples()
    assert row.outcome == "connected"
    assert row.latency == pytest.approx(0.2864, abs=1e-12)
    spi = w.log("spi")
    # The first accept fails with WSATRY_AGAIN; no second FD_ACCEPT (M6).
    assert (round(1 + ONE_WAY, 9), "R", "ACCEPT", "WSATRY_AGAIN") in spi
    assert [e for e in spi if e[2] == "FD_ACCEPT"] == [(round(1 + ONE_WAY, 9), "R", "FD_ACCEPT", None)]


def test_c4_two_leaves_max_outstanding_1_gives_64_8_and_130_4_ms():
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=1)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen("accept")
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    w.run(10)
    joins = w.joins()
    assert list(joins.t_request) == [1.0, 1.0]
    # The ADD PARTY waits 0.8 ms behind the CONNECT ACK on the root's access link.
    assert list(joins.latency) == pytest.approx([0.0648, 0.0648 + 0.0008 + 0.0648], abs=1e-12)
    assert joins.latency.iloc[1] == pytest.approx(0.1304, abs=1e-12)
    kinds = [e for e in w.log("proto") if e[1] == "R" and e[2] == "ADD_PARTY"]
    assert kinds == [(round(1.0648, 9), "R", "ADD_PARTY", None)]


def c6_latencies(p, T, replications, seed0=1000):
    out = []
    for k in range(replications):
        w = chain(seed=seed0 + k, links=dict(delay="10ms", bandwidth="1Mbps", loss=p))
        w.session("s", root="R", timers={"invite_timeout": T, "retries": "inf"},
                  signalling={"transport": "unreliable"})
        w.app("L").listen("accept")
        w.at(1.0, w.app("R").invite, ["L"])
        w.run(60)
        row = next(w.joins().itertuples())
        assert row.outcome == "connected"
        out.append(row.latency)
    return np.array(out)


@pytest.mark.slow
def test_c6_mean_latency_under_bernoulli_loss_matches_closed_form():
    """Mean latency = 64.8 ms + T·q/(1−q), q = 1 − (1−p)^6, over 5 000 replications,
    within three standard errors (multipoint.md C6)."""
    p, T = 0.05, 1.0
    latencies = c6_latencies(p, T, 5000)
    q = 1 - (1 - p) ** 6
    expected = 2 * ONE_WAY + T * q / (1 - q)
    se = latencies.std(ddof=1) / math.sqrt(len(latencies))
    assert abs(latencies.mean() - expected) < 3 * se, (latencies.mean(), expected, se)
    # Every latency is the lossless one plus a whole number of timer periods.
    periods = (latencies - 2 * ONE_WAY) / T
    assert np.allclose(periods, np.round(periods), atol=1e-9)
