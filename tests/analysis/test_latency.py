"""latency_table and join_summary against the closed forms of multipoint.md §6."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mpsim.analysis import OUTCOMES, join_summary, join_summary_dict, latency_stats, latency_table
from tests.analysis.cases import c1, c3, c4, ipmc3
from tests.world import ONE_WAY


def test_rooted_latency_is_setup_time_c4():
    table = latency_table(c4().joins())
    assert list(table.figure) == ["setup", "setup"]
    assert list(table.latency) == pytest.approx([0.0648, 0.1304], abs=1e-12)
    assert list(table.t_end) == pytest.approx([1.0648, 1.1304], abs=1e-12)


def test_nonrooted_latency_is_first_data_minus_request():
    # A: report + Joins 3->1->0 reach the RP at 1.0324; the next packet passes the RP at
    # 1.0408 and takes 3 hops down: 1.0732. B: router 1 is on the tree when its Join
    # arrives at 1.3216, as a packet passes: 2 hops later. C: as A, 0.6 s later.
    table = latency_table(ipmc3().joins())
    assert list(table.figure) == ["first_data"] * 3
    assert list(table.latency) == pytest.approx([0.0732, 0.0432, 0.0732], abs=1e-12)
    assert (ipmc3().joins().latency == 0).all()            # FD_CONNECT is immediate


def test_summary_counts_outcomes_and_statistics_per_session_and_method():
    joins = pd.concat([c4().joins(), c3().joins().assign(join_id=3)], ignore_index=True)
    summary = join_summary(joins)
    assert list(summary.method) == ["root_invite", "leaf_request"]
    invite = summary.iloc[0]
    assert (invite.joins, invite.connected, invite.n) == (2, 2, 2)
    assert [invite[o] for o in OUTCOMES[1:]] == [0] * 5
    assert invite["mean"] == pytest.approx((0.0648 + 0.1304) / 2, abs=1e-12)
    assert invite["max"] == pytest.approx(0.1304, abs=1e-12)
    half = stats.t.ppf(0.975, 1) * np.std([0.0648, 0.1304], ddof=1) / math.sqrt(2)
    assert invite["ci95"] == pytest.approx(half, rel=1e-9)
    ask = summary.iloc[1]
    assert ask["mean"] == pytest.approx(0.2864, abs=1e-12) and math.isnan(ask["ci95"])    # C3


def test_failed_and_pending_joins_are_counted_not_averaged():
    joins = c4().joins().copy()
    joins.loc[1, ["outcome", "error"]] = ["rejected", "WSAECONNREFUSED"]
    extra = joins.iloc[[0]].assign(join_id=3, outcome="pending", t_complete=np.nan, latency=np.nan)
    summary = join_summary(pd.concat([joins, extra], ignore_index=True)).iloc[0]
    assert (summary.joins, summary.connected, summary.rejected, summary.pending, summary.n) == (3, 1, 1, 1, 1)
    assert summary["mean"] == pytest.approx(2 * ONE_WAY, abs=1e-12)


def test_summary_dict_is_plain_json():
    joins = pd.concat([c1().joins(), ipmc3().joins().assign(join_id=[2, 3, 4])], ignore_index=True)
    data = join_summary_dict(joins)
    text = json.dumps(data)                                   # no numpy types, no NaN
    assert "NaN" not in text
    assert data["g"]["nonrooted"]["latency"]["n"] == 3
    assert data["s"]["root_invite"]["outcomes"]["connected"] == 1
    assert data["s"]["root_invite"]["latency"]["ci95"] is None


def test_tables_read_back_from_csv_give_the_same_figures(tmp_path):
    joins = ipmc3().joins()
    joins.to_csv(tmp_path / "joins.csv", index=False, float_format="%.9g")
    again = pd.read_csv(tmp_path / "joins.csv")               # root is all empty: NaN floats
    assert list(latency_table(again).latency) == pytest.approx(list(latency_table(joins).latency), abs=1e-8)
    assert latency_table(again).root.isna().all()


def test_latency_stats_normal_fallback_matches_large_n():
    values = np.linspace(0, 1, 1001)
    s = latency_stats(values)
    assert s["n"] == 1001 and s["p50"] == pytest.approx(0.5)
    assert s["ci95"] == pytest.approx(1.96 * values.std(ddof=1) / math.sqrt(1001), rel=2e-3)
