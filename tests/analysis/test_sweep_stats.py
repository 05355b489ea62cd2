"""aggregate_sweep and sweep_curves: censoring, intervals, determinism and the table's shape."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mpsim.analysis import (SWEEP_COLUMNS, SWEEP_STATISTICS, aggregate_sweep, km_quantile,
                            sweep_curves)
from mpsim.analysis.sweep import group_seed, percentiles
from mpsim.core.errors import ParameterError

T_END = 10.0


def join(point, replication, join_id, latency=None, outcome="connected", *, session="s",
         method="root_invite", t_request=1.0, messages=4, attempts=1, failed_after=None):
    """One joins.csv row. ``latency`` is the compared figure (setup time, or first data for
    nonrooted); a failed rooted join has ``latency`` = its time until it failed."""
    rooted = method != "nonrooted"
    spent = latency if latency is not None else failed_after
    t_complete = t_request + spent if rooted and spent is not None else (None if rooted else t_request)
    first_data = t_request + latency if latency is not None and not rooted else None
    return {"point": point, "replication": replication, "join_id": join_id, "session": session,
            "method": method, "root": "R", "leaf": f"L{join_id}", "t_request": t_request,
            "t_complete": t_complete, "latency": spent if rooted else 0.0, "outcome": outcome,
            "error": None, "attempts": attempts, "messages": messages,
            "t_first_data": first_data}


def runs_of(points_replications, t_end=T_END):
    return pd.DataFrame([{"point": p, "replication": r, "t_end": t_end}
                         for p, r in points_replications])


def rows_of(frame, session, method):
    part = frame[(frame.session == session) & (frame.method == method)]
    return part.set_index("statistic")


def half_failed():
    """4 runs; each connects 2 joins (latencies 0.1 … 0.8 s) and loses 2 (one times out
    after 5 s, one is rejected after 0.05 s), all requested at 1 s of a 10 s run."""
    rows = []
    for r in range(4):
        rows += [join(0, r, 1, 0.1 * (2 * r + 1)), join(0, r, 2, 0.1 * (2 * r + 2)),
                 join(0, r, 3, None, "timed_out", failed_after=5.0, messages=9, attempts=3),
                 join(0, r, 4, None, "rejected", failed_after=0.05, messages=2)]
    return pd.DataFrame(rows), runs_of((0, r) for r in range(4)), pd.DataFrame({"point": [0]})


def test_failed_joins_are_censored_not_dropped():
    joins, runs, points = half_failed()
    table = rows_of(aggregate_sweep(joins, runs, points), "s", "root_invite")
    # 16 joins. The 8 failed ones are censored at t_end - t_request = 9 s, after every
    # event, so each of the 8 events at 0.1 … 0.8 s has everybody left at risk:
    # S after the k-th event = (16-k)/16, F(0.8) = 8/16 = 0.5 exactly (up to rounding),
    # and F stays at 0.5 after: the median is the largest connected latency, the 95th
    # percentile is never reached. (Dropping the failed joins would give p50 = 0.4.)
    assert table.loc["latency_p50", "value"] == pytest.approx(0.8, abs=1e-15)
    assert table.loc["latency_p95", "value"] == math.inf
    assert table.loc["latency_p50", "n"] == 16 and table.loc["latency_p95", "n"] == 16
    ci = stats.binomtest(8, 16).proportion_ci(confidence_level=0.95, method="wilson")
    success = table.loc["success_ratio"]
    assert (success.value, success.ci_low, success.ci_high, success.n) == (0.5, ci.low, ci.high, 16)
    # The mean is over connected joins only (the timed-out ones' 5 s must not enter it):
    # per-run means 0.15, 0.35, 0.55, 0.75.
    assert table.loc["latency_mean", "value"] == pytest.approx(0.45, abs=1e-12)
    assert table.loc["latency_mean", "n"] == 4
    # Every join of every run is in the messages/attempts means: (1+1+3+1)/4 per run.
    assert table.loc["attempts_per_join", "value"] == pytest.approx(1.5, abs=1e-12)
    assert table.loc["messages_per_join", "value"] == pytest.approx((4 + 4 + 9 + 2) / 4, abs=1e-12)
    # Every resample's F also stops at 0.5 (each run has 2 events and 2 late censorings).
    assert table.loc["latency_p95", ["ci_low", "ci_high"]].tolist() == [math.inf, math.inf]


def late_pending():
    """3 runs of 10 s. Connected at 0.05, 0.2, 0.3 s; a join requested at 9.9 s is still
    pending when the run ends (watched 0.1 s only); one cancelled, requested at 2 s."""
    rows = [join(0, 0, 1, 0.05), join(0, 0, 2, None, "pending", t_request=9.9),
            join(0, 1, 1, 0.2), join(0, 1, 2, None, "cancelled", t_request=2.0, failed_after=0.01),
            join(0, 2, 1, 0.3)]
    return pd.DataFrame(rows), runs_of((0, r) for r in range(3)), pd.DataFrame({"point": [0]})


def test_censoring_time_is_the_rest_of_the_window():
    joins, runs, points = late_pending()
    uncensored, right = [0.05, 0.2, 0.3], [T_END - 9.9, T_END - 2.0]
    reference = stats.ecdf(stats.CensoredData(uncensored=uncensored, right=right)).cdf
    curve = sweep_curves(joins, runs)
    assert curve.time.tolist() == pytest.approx([0.0, 0.05, 0.2, 0.3], abs=1e-12)
    np.testing.assert_allclose(curve.cdf.to_numpy()[1:], reference.evaluate([0.05, 0.2, 0.3]),
                               rtol=0, atol=1e-12)
    # By hand: 5 at risk at 0.05 (S = 4/5); the pending join leaves at 0.1, so 3 at risk at
    # 0.2 (S = 8/15, F = 7/15 < 0.5); 2 at 0.3 (F = 11/15). Censoring it at the window's
    # end instead would make F(0.2) = 0.4; dropping it would make F(0.2) = 0.5, p50 = 0.2.
    assert curve.cdf.tolist()[2] == pytest.approx(7 / 15, abs=1e-12)
    table = rows_of(aggregate_sweep(joins, runs, points), "s", "root_invite")
    probabilities = reference.evaluate(uncensored)
    for name, p in (("latency_p50", 0.5), ("latency_p95", 0.95)):
        reached = [t for t, f in zip(uncensored, probabilities) if f >= p - 1e-12]
        assert table.loc[name, "value"] == pytest.approx(reached[0] if reached else math.inf, abs=1e-12)
    assert table.loc["latency_p50", "value"] == pytest.approx(0.3, abs=1e-12)
    assert table.loc["latency_p95", "value"] == math.inf


def random_sweep(seed=0, points=2, replications=6, per_run=10):
    """Joins of two sessions (s1: root_invite and leaf_request, s2: nonrooted) with random
    latencies and outcomes, requested during a 10 s run."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(points):
        for r in range(replications):
            for j in range(per_run):
                session = ("s1", "s2")[j % 2]
                method = "nonrooted" if session == "s2" else ("root_invite", "leaf_request")[j % 4 // 2]
                outcome = rng.choice(["connected", "timed_out", "pending"], p=[0.7, 0.2, 0.1])
                latency = float(rng.exponential(0.1 * (p + 1)))
                rows.append(join(p, r, j + 1, latency if outcome == "connected" else None, str(outcome),
                                 session=session, method=method, t_request=float(rng.uniform(0, 9)),
                                 failed_after=2.0 if outcome == "timed_out" else None,
                                 messages=int(rng.integers(2, 12)), attempts=int(rng.integers(1, 4))))
    runs = runs_of((p, r) for p in range(points) for r in range(replications))
    grid = pd.DataFrame({"point": range(points), "topology.links.loss": [0.0, 0.01, 0.02][:points],
                         "provider": ["atm", "ipmc", "conf"][:points]})
    return pd.DataFrame(rows), runs, grid


def test_latency_mean_is_a_t_interval_over_replications():
    joins, runs, points = random_sweep()
    table = aggregate_sweep(joins, runs, points, confidence=0.9)
    for session, method in (("s1", "leaf_request"), ("*", "nonrooted")):
        at = joins[(joins.point == 1) & (joins.method == method)]
        if session != "*":
            at = at[at.session == session]
        connected = at[at.outcome == "connected"]
        end = connected.t_first_data if method == "nonrooted" else connected.t_complete
        means = (end - connected.t_request).groupby(connected.replication).mean().to_numpy()
        n = means.size
        half = stats.t.ppf(0.95, n - 1) * means.std(ddof=1) / math.sqrt(n)
        row = rows_of(table[table.point == 1], session, method).loc["latency_mean"]
        assert row.n == n >= 3
        assert [row.value, row.ci_low, row.ci_high] == pytest.approx(
            [means.mean(), means.mean() - half, means.mean() + half], rel=1e-12)
        messages = at.messages.groupby(at.replication).mean().to_numpy()
        row = rows_of(table[table.point == 1], session, method).loc["messages_per_join"]
        half = stats.t.ppf(0.95, messages.size - 1) * messages.std(ddof=1) / math.sqrt(messages.size)
        assert [row.value, row.ci_low, row.ci_high] == pytest.approx(
            [messages.mean(), messages.mean() - half, messages.mean() + half], rel=1e-12)


def test_one_replication_has_no_interval_of_the_mean_or_bootstrap():
    joins = pd.DataFrame([join(0, 0, 1, 0.1), join(0, 0, 2, 0.3)])
    table = rows_of(aggregate_sweep(joins, runs_of([(0, 0)]), pd.DataFrame({"point": [0]})),
                    "s", "root_invite")
    assert table.loc["latency_mean", "value"] == pytest.approx(0.2, abs=1e-15)
    assert table.loc["latency_mean", "n"] == 1
    for name in ("latency_mean", "latency_p50", "latency_p95", "messages_per_join"):
        assert np.isnan(table.loc[name, ["ci_low", "ci_high"]].to_numpy(dtype=float)).all(), name
    assert not np.isnan(table.loc["success_ratio", "ci_low"])


def test_no_connected_join_gives_nan_mean_with_n_zero():
    joins = pd.DataFrame([join(0, r, 1, None, "timed_out", failed_after=2.0) for r in range(3)])
    table = rows_of(aggregate_sweep(joins, runs_of((0, r) for r in range(3)),
                                    pd.DataFrame({"point": [0]})), "s", "root_invite")
    assert np.isnan(table.loc["latency_mean", "value"]) and table.loc["latency_mean", "n"] == 0
    assert table.loc["latency_p50", "value"] == math.inf
    assert table.loc["success_ratio", "value"] == 0.0


def test_shuffled_inputs_give_an_identical_table():
    joins, runs, points = random_sweep(seed=3)
    first = aggregate_sweep(joins, runs, points, resamples=300)
    shuffled = aggregate_sweep(joins.sample(frac=1, random_state=1), runs.sample(frac=1, random_state=2),
                               points.iloc[::-1], resamples=300)
    pd.testing.assert_frame_equal(first, shuffled, check_exact=True)
    assert first.to_csv(index=False) == shuffled.to_csv(index=False)
    assert np.isfinite(first.ci_low[first.statistic == "latency_p50"]).any()     # bootstrap ran
    curves = sweep_curves(joins, runs)
    pd.testing.assert_frame_equal(curves, sweep_curves(joins.sample(frac=1, random_state=4), runs),
                                  check_exact=True)


def test_bootstrap_interval_contains_the_estimate_and_is_seeded_by_the_group():
    rng = np.random.default_rng(11)
    latencies = np.round(rng.exponential(0.2, (8, 5)), 3)
    joins = pd.DataFrame([join(0, r, j + 1, float(latencies[r, j])) for r in range(8) for j in range(5)])
    runs, points = runs_of((0, r) for r in range(8)), pd.DataFrame({"point": [0]})
    table = rows_of(aggregate_sweep(joins, runs, points, resamples=400), "s", "root_invite")
    counts = np.random.default_rng(group_seed(0, "s", "root_invite")).integers(0, 8, size=(400, 8))
    for name, p in (("latency_p50", 0.5), ("latency_p95", 0.95)):
        row = table.loc[name]
        assert row.ci_low <= row.value <= row.ci_high and row.ci_low < row.ci_high
        drawn = [km_quantile(latencies[c].ravel(), np.ones(40, bool), p) for c in counts]
        assert [row.ci_low, row.ci_high] == pytest.approx(np.quantile(drawn, [0.025, 0.975]), abs=1e-12)
    pooled = rows_of(aggregate_sweep(joins, runs, points, resamples=400), "*", "root_invite")
    assert pooled.loc["latency_p50", "value"] == table.loc["latency_p50", "value"]
    assert pooled.loc["latency_p50", "ci_low"] != table.loc["latency_p50", "ci_low"] or \
        pooled.loc["latency_p50", "ci_high"] != table.loc["latency_p50", "ci_high"]   # own seed


def test_no_resamples_gives_nan_quantile_intervals():
    joins, runs, points = random_sweep()
    table = aggregate_sweep(joins, runs, points, resamples=0)
    quantiles = table[table.statistic.isin(["latency_p50", "latency_p95"])]
    assert len(quantiles) and quantiles.ci_low.isna().all() and quantiles.ci_high.isna().all()
    others = table[table.statistic.isin(["success_ratio", "messages_per_join"])]
    assert others.ci_low.notna().all()


def test_a_run_without_joins_is_a_replication_of_the_bootstrap():
    # Runs 0-3 connect 3 joins each (run r at 0.1 (r + 1) + 0.01 j s); run 4 has no join.
    latency = {r: [0.1 * (r + 1) + 0.01 * j for j in range(3)] for r in range(4)}
    joins = pd.DataFrame([join(0, r, j + 1, latency[r][j], t_request=0.0)
                          for r in range(4) for j in range(3)])
    points = pd.DataFrame({"point": [0]})
    with_empty = rows_of(aggregate_sweep(joins, runs_of((0, r) for r in range(5)), points,
                                         confidence=0.5), "s", "root_invite")
    without = rows_of(aggregate_sweep(joins, runs_of((0, r) for r in range(4)), points,
                                      confidence=0.5), "s", "root_invite")
    assert with_empty.loc["latency_mean", "n"] == without.loc["latency_mean", "n"] == 4
    assert with_empty.loc["latency_mean", "value"] == without.loc["latency_mean", "value"]
    # The bootstrap draws 5 runs from the 5 (a resample of only run 4 holds no row and is
    # left out), which spreads the median more than drawing 4 from 4.
    counts = np.random.default_rng(group_seed(0, "s", "root_invite")).integers(0, 5, size=(1000, 5))
    drawn = []
    for c in counts:
        pooled = [t for r in c if r < 4 for t in latency[r]]
        if pooled:
            drawn.append(km_quantile(pooled, np.ones(len(pooled), bool), 0.5))
    got = with_empty.loc["latency_p50", ["ci_low", "ci_high"]].tolist()
    assert got == pytest.approx(np.quantile(drawn, [0.25, 0.75]), abs=1e-12)
    assert got != pytest.approx(without.loc["latency_p50", ["ci_low", "ci_high"]].tolist(), abs=1e-6)


def test_columns_rows_and_order_of_the_table():
    joins, runs, points = random_sweep()
    extra = pd.DataFrame([join(0, 0, 99, 0.2, session="s1", method="custom")])
    table = aggregate_sweep(pd.concat([joins, extra], ignore_index=True), runs, points)
    assert list(table.columns) == ["point", "topology.links.loss", "provider", *SWEEP_COLUMNS]
    assert list(SWEEP_COLUMNS) == ["session", "method", "statistic", "value", "ci_low", "ci_high",
                                   "n", "unit"]
    assert [str(table[c].dtype) for c in ("point", "value", "ci_low", "ci_high", "n")] == \
        ["int64", "float64", "float64", "float64", "int64"]
    assert all(isinstance(v, str) for c in ("session", "method", "statistic", "unit") for v in table[c])
    groups = table[["point", "session", "method"]].drop_duplicates().itertuples(index=False, name=None)
    assert list(groups) == [
        (0, "*", "root_invite"), (0, "*", "leaf_request"), (0, "*", "nonrooted"), (0, "*", "custom"),
        (0, "s1", "root_invite"), (0, "s1", "leaf_request"), (0, "s1", "custom"), (0, "s2", "nonrooted"),
        (1, "*", "root_invite"), (1, "*", "leaf_request"), (1, "*", "nonrooted"),
        (1, "s1", "root_invite"), (1, "s1", "leaf_request"), (1, "s2", "nonrooted")]
    assert list(table.statistic[:6]) == list(SWEEP_STATISTICS)
    assert (table.statistic.to_numpy().reshape(-1, 6) == np.array(SWEEP_STATISTICS)).all()
    units = dict(zip(table.statistic, table.unit))
    assert units == {"latency_mean": "s", "latency_p50": "s", "latency_p95": "s",
                     "success_ratio": "ratio", "messages_per_join": "messages",
                     "attempts_per_join": "transmissions"}
    for p in (0, 1):
        at = table[table.point == p]
        assert set(at["topology.links.loss"]) == {points["topology.links.loss"][p]}
        assert set(at["provider"]) == {points["provider"][p]}
    # "*" pools the sessions of a method: here only s1 uses root_invite, so the same rows.
    at = table[table.point == 1]
    star, s1 = rows_of(at, "*", "root_invite"), rows_of(at, "s1", "root_invite")
    assert star.loc["success_ratio", "n"] == s1.loc["success_ratio", "n"] == \
        len(joins[(joins.point == 1) & (joins.method == "root_invite")])


def test_star_pools_every_session_of_a_method():
    rows = [join(0, r, 1, 0.1, session="a") for r in range(3)] + \
        [join(0, r, 2, None, "timed_out", session="b", failed_after=1.0) for r in range(3)]
    table = aggregate_sweep(pd.DataFrame(rows), runs_of((0, r) for r in range(3)),
                            pd.DataFrame({"point": [0]}))
    assert rows_of(table, "*", "root_invite").loc["success_ratio", "value"] == 0.5
    assert rows_of(table, "a", "root_invite").loc["success_ratio", "value"] == 1.0
    assert rows_of(table, "*", "root_invite").loc["success_ratio", "n"] == 6


def test_zero_parameter_columns_and_points_without_joins():
    joins = pd.DataFrame([join(0, r, 1, 0.1 + r / 100) for r in range(3)])
    runs = runs_of([(0, 0), (0, 1), (0, 2), (1, 0)])
    table = aggregate_sweep(joins, runs, pd.DataFrame({"point": [0, 1]}))
    assert list(table.columns) == ["point", *SWEEP_COLUMNS]
    assert set(table.point) == {0} and len(table) == 2 * len(SWEEP_STATISTICS)
    empty = aggregate_sweep(joins.iloc[:0], runs, pd.DataFrame({"point": [0, 1], "x": [1, 2]}))
    assert list(empty.columns) == ["point", "x", *SWEEP_COLUMNS] and len(empty) == 0


def test_nonrooted_connected_without_first_data_is_censored():
    rows = [join(0, 0, 1, 0.04, method="nonrooted"),
            join(0, 0, 2, None, "connected", method="nonrooted")]            # never got data
    table = rows_of(aggregate_sweep(pd.DataFrame(rows), runs_of([(0, 0)]), pd.DataFrame({"point": [0]})),
                    "s", "nonrooted")
    assert table.loc["success_ratio", "value"] == 0.5
    assert table.loc["latency_mean", "value"] == pytest.approx(0.04, abs=1e-15)


def test_joins_of_an_unknown_run_are_an_error():
    joins = pd.DataFrame([join(0, 5, 1, 0.1)])
    with pytest.raises(ParameterError, match="replication 5"):
        aggregate_sweep(joins, runs_of([(0, 0)]), pd.DataFrame({"point": [0]}))


def test_curves_start_at_zero_and_hold_only_real_sessions():
    joins, runs, _ = random_sweep()
    curves = sweep_curves(joins, runs)
    assert list(curves.columns) == ["point", "session", "method", "time", "cdf"]
    assert "*" not in set(curves.session)
    groups = curves.groupby(["point", "session", "method"], sort=False)
    assert list(groups.groups) == [(p, s, m) for p in (0, 1) for s, m in
                                   (("s1", "root_invite"), ("s1", "leaf_request"), ("s2", "nonrooted"))]
    for (p, s, m), part in groups:
        assert (part.time.iloc[0], part.cdf.iloc[0]) == (0.0, 0.0)
        at = joins[(joins.point == p) & (joins.session == s) & (joins.method == m)]
        connected = (at.outcome == "connected").to_numpy()
        end = at.t_first_data if m == "nonrooted" else at.t_complete
        latency = (end - at.t_request).to_numpy(dtype=float)[connected]
        watched = (T_END - at.t_request).to_numpy(dtype=float)[~connected]
        reference = stats.ecdf(stats.CensoredData(uncensored=latency, right=watched)).cdf
        assert part.time.tolist()[1:] == sorted(set(latency.tolist()))
        np.testing.assert_allclose(part.cdf.to_numpy()[1:], reference.evaluate(part.time.to_numpy()[1:]),
                                   rtol=0, atol=1e-12)


def test_percentiles_with_inf():
    values = np.array([0.3, 0.1, 0.2, 0.5])
    levels = [0.025, 0.5, 0.975]
    assert percentiles(values, levels) == pytest.approx(np.quantile(values, levels), abs=1e-15)
    assert percentiles([1.0, 2.0, math.inf], [0.5, 0.6, 1.0]).tolist() == [2.0, math.inf, math.inf]
    assert percentiles([math.inf, math.inf], [0.025]).tolist() == [math.inf]
    assert np.isnan(percentiles([math.nan], [0.5])).all()
