"""The sweep figures: a statistic against a grid parameter, the CDF panels, render_sweep's files.

The tables are synthetic (built here from a few grid points with known values), so
every check says what should be on the axes, not only that a file was written.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer

from mpsim.plot import latency_cdfs, latency_vs, render_sweep, success_vs
from mpsim.plot.style import style
from mpsim.plot.sweep import (
    GUIDE, _latency_cdfs_figure, _latency_vs_figure, _success_vs_figure, facet_size, file_names, line_series,
    ordered_values, panel_size,
)
from tests.plot.helpers import assert_figure

#: (session, method) of the synthetic sweeps: one session of each method, two of nonrooted.
SESSIONS = (("feed", "root_invite"), ("tv", "nonrooted"), ("tv_v2", "nonrooted"))
STATISTICS = ("latency_mean", "latency_p50", "latency_p95", "success_ratio", "messages_per_join",
              "attempts_per_join")
UNITS = {"latency_mean": "s", "latency_p50": "s", "latency_p95": "s", "success_ratio": "ratio",
         "messages_per_join": "messages", "attempts_per_join": "attempts"}


def latency_of(point: int, k: int) -> float:
    """The known mean latency (s) of series ``k`` at grid point ``point``."""
    return 0.010 * (1 + point) + 0.005 * k


def success_of(point: int, k: int) -> float:
    return max(0.0, 1.0 - 0.1 * point - 0.05 * k)


def points_of(grid: dict) -> pd.DataFrame:
    """The grid points (cartesian product, first parameter slowest) with their values."""
    combos = list(itertools.product(*grid.values())) if grid else [()]
    return pd.DataFrame([{"point": i, **dict(zip(grid, c))} for i, c in enumerate(combos)],
                        columns=["point", *grid])


def sweep_table(grid: dict, sessions=SESSIONS, replications: int = 5, joins: int = 20) -> pd.DataFrame:
    """A tidy sweep table over ``grid`` (dotted path -> values) with known values: every
    statistic for every real session, and pooled "*" rows per method."""
    rows = []
    for point in points_of(grid).to_dict("records"):
        i = point["point"]
        for k, (session, method) in enumerate(sessions):
            mean = latency_of(i, k)
            ratio = success_of(i, k)
            values = {"latency_mean": (mean, mean * 0.8, mean * 1.2, replications),
                      "latency_p50": (mean, mean * 0.7, mean * 1.3, joins),
                      "latency_p95": (mean * 2, mean, np.inf, joins),
                      "success_ratio": (ratio, max(0.0, ratio - 0.1), min(1.0, ratio + 0.05), joins),
                      "messages_per_join": (4.0, 3.5, 4.5, joins),
                      "attempts_per_join": (1.0, np.nan, np.nan, joins)}
            for statistic, (value, low, high, n) in values.items():
                for who in (session, "*"):
                    rows.append({**point, "session": who, "method": method, "statistic": statistic,
                                 "value": value, "ci_low": low, "ci_high": high, "n": n,
                                 "unit": UNITS[statistic]})
    table = pd.DataFrame(rows)
    # The pooled rows of a method: one row per (point, method, statistic).
    return table.drop_duplicates(subset=["point", "session", "method", "statistic"]).reset_index(drop=True)


def curves_of(points: pd.DataFrame, sessions=SESSIONS, below_one: float = 0.8) -> pd.DataFrame:
    """Kaplan–Meier curves per point and session: 0 at 0, three steps; the last
    session levels off at ``below_one`` (joins that never completed)."""
    rows = []
    for i in points["point"]:
        for k, (session, method) in enumerate(sessions):
            top = below_one if k == len(sessions) - 1 else 1.0
            for t, c in ((0.0, 0.0), (0.01 * (1 + i), top / 3), (0.02 * (1 + i), 2 * top / 3),
                         (0.03 * (1 + i) + 0.01 * k, top)):
                rows.append({"point": i, "session": session, "method": method, "time": t, "cdf": c})
    return pd.DataFrame(rows, columns=["point", "session", "method", "time", "cdf"])


def errorbar_lines(ax) -> list[ErrorbarContainer]:
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def data_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def legend_labels(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


LOSS = "topology.links.loss"
OUTSTANDING = "sessions.atm_feed.max_outstanding"
DELAY = "topology.links.delay"


# ---------------------------------------------------------------------------------------------
# latency_vs


def test_latency_vs_draws_a_line_per_real_session(tmp_path):
    table = sweep_table({LOSS: [0.0, 0.01, 0.05]})
    path = latency_vs(table, LOSS, tmp_path / "latency_vs_loss")
    assert path.name == "latency_vs_loss.png"
    assert_figure(path, 7.5, 4.8)
    with style():
        fig = _latency_vs_figure(table, LOSS)
    (ax,) = data_axes(fig)
    lines = errorbar_lines(ax)
    assert len(lines) == len(SESSIONS)                     # real sessions, no pooled "*" line
    assert legend_labels(fig) == ["feed: root invites", "tv: non-rooted, to first data",
                                  "tv_v2: non-rooted, to first data"]
    # All below 1 s: in ms; the numbers drawn are the table's (in ms), sorted along x.
    assert ax.get_ylabel() == "mean join latency (ms), 95 % CI"
    assert ax.get_xlabel() == LOSS
    y = lines[0].lines[0].get_ydata()
    np.testing.assert_allclose(y, [latency_of(i, 0) * 1e3 for i in range(3)])
    x = lines[0].lines[0].get_xdata()
    assert np.all(np.diff(x) > 0) and x[0] == pytest.approx(0.0, abs=0.01)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.01", "0.05"]
    caption = fig.legends[0].get_title().get_text()
    assert "95 % t-interval over replications" in caption and "n = 5 replications" in caption


def test_latency_vs_in_seconds_when_a_mean_reaches_one_second():
    table = sweep_table({LOSS: [0.0, 0.1]})
    table.loc[table["statistic"] == "latency_mean", "value"] *= 100
    with style():
        fig = _latency_vs_figure(table, LOSS)
    assert data_axes(fig)[0].get_ylabel() == "mean join latency (s), 95 % CI"


def test_numeric_values_are_sorted_on_x():
    table = sweep_table({LOSS: [0.05, 0.0, 0.01]})
    with style():
        fig = _latency_vs_figure(table, LOSS)
    line = errorbar_lines(data_axes(fig)[0])[0].lines[0]
    x, y = line.get_xdata(), line.get_ydata()
    assert np.all(np.diff(x) > 0)
    # point 1 has loss 0.0, point 2 has 0.01, point 0 has 0.05
    np.testing.assert_allclose(y, [latency_of(p, 0) * 1e3 for p in (1, 2, 0)])


def test_categorical_values_keep_their_order_on_even_ticks():
    table = sweep_table({"topology.links.delay": ["5ms", "1ms", "20ms"]})
    with style():
        fig = _latency_vs_figure(table, "topology.links.delay")
    ax = data_axes(fig)[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5ms", "1ms", "20ms"]
    np.testing.assert_allclose(ax.get_xticks(), [0, 1, 2])
    line = errorbar_lines(ax)[1].lines[0]
    np.testing.assert_allclose(np.round(line.get_xdata()), [0, 1, 2])
    np.testing.assert_allclose(line.get_ydata(), [latency_of(p, 1) * 1e3 for p in range(3)])


def test_a_second_parameter_is_shown_as_line_styles(tmp_path):
    table = sweep_table({LOSS: [0.0, 0.01, 0.05], OUTSTANDING: [1, 4]})
    assert_figure(latency_vs(table, LOSS, tmp_path / "l.png", style_param=OUTSTANDING), 7.5, 4.8)
    with style():
        fig = _latency_vs_figure(table, LOSS, style_param=OUTSTANDING)
    (ax,) = data_axes(fig)
    lines = errorbar_lines(ax)
    assert len(lines) == len(SESSIONS) * 2
    styles = {(c.lines[0].get_color(), c.lines[0].get_linestyle(), c.lines[0].get_marker()) for c in lines}
    assert len(styles) == 6                              # colour × style, each line its own look
    assert {c.lines[0].get_linestyle() for c in lines} == {"-", "--"}
    assert legend_labels(fig)[-2:] == ["max_outstanding = 1", "max_outstanding = 4"]
    assert "nudged" in fig.legends[0].get_title().get_text()


def test_three_parameters_give_a_facet_per_value_of_the_third(tmp_path):
    grid = {LOSS: [0.0, 0.01], OUTSTANDING: [1, 4], DELAY: ["1ms", "5ms", "20ms"]}
    table = sweep_table(grid)
    path = latency_vs(table, LOSS, tmp_path / "l.png", style_param=OUTSTANDING)
    assert_figure(path, *facet_size(3))
    with style():
        fig = _latency_vs_figure(table, LOSS, style_param=OUTSTANDING)
    axes = data_axes(fig)
    assert [ax.get_title() for ax in axes] == ["delay = 1ms", "delay = 5ms", "delay = 20ms"]
    assert [len(errorbar_lines(ax)) for ax in axes] == [len(SESSIONS) * 2] * 3
    assert [ax.get_xlabel() for ax in axes] == [LOSS] * 3
    # Shared axes hold every point and bar of every facet, nudged ones too.
    top = table.loc[table["statistic"] == "latency_mean", "ci_high"].max() * 1e3
    assert axes[0].get_ylim()[0] == 0 and axes[0].get_ylim()[1] >= top
    x = np.concatenate([c.lines[0].get_xdata() for ax in axes for c in errorbar_lines(ax)])
    lo, hi = axes[0].get_xlim()
    assert lo < x.min() and x.max() < hi


def test_without_a_style_parameter_the_others_are_facets():
    grid = {LOSS: [0.0, 0.01], OUTSTANDING: [1, 4], DELAY: ["1ms", "5ms"]}
    with style():
        fig = _latency_vs_figure(sweep_table(grid), LOSS)
    axes = data_axes(fig)
    assert len(axes) == 4
    assert axes[0].get_title() == "max_outstanding = 1, delay = 1ms"
    assert all(len(errorbar_lines(ax)) == len(SESSIONS) for ax in axes)


def test_nan_values_are_skipped_not_zero():
    table = sweep_table({LOSS: [0.0, 0.01, 0.05]})
    gone = (table["statistic"] == "latency_mean") & (table["point"] == 1) & (table["session"] == "feed")
    table.loc[gone, ["value", "ci_low", "ci_high"]] = np.nan
    with style():
        fig = _latency_vs_figure(table, LOSS)
    y = errorbar_lines(data_axes(fig)[0])[0].lines[0].get_ydata()
    assert np.isnan(y[1]) and not np.any(y == 0)
    np.testing.assert_allclose(y[[0, 2]], [latency_of(0, 0) * 1e3, latency_of(2, 0) * 1e3])


def test_missing_intervals_draw_no_bar_and_inf_p95_does_not_matter(tmp_path):
    table = sweep_table({LOSS: [0.0, 0.01]})
    mean = table["statistic"] == "latency_mean"
    table.loc[mean & (table["point"] == 0), ["ci_low", "ci_high"]] = np.nan
    table.loc[table["statistic"] == "latency_p95", "value"] = np.inf
    assert_figure(latency_vs(table, LOSS, tmp_path / "l.png"), 7.5, 4.8)
    with style():
        fig = _latency_vs_figure(table, LOSS)
    ax = data_axes(fig)[0]
    assert np.isfinite(ax.get_ylim()).all()
    segments = errorbar_lines(ax)[0].lines[2][0].get_segments()
    drawn = [s for s in segments if s.size and np.isfinite(s).all()]
    assert len(drawn) == 1                               # only point 1 has an interval


@pytest.mark.slow
def test_series_method_draws_the_pooled_rows():
    table = sweep_table({LOSS: [0.0, 0.01]})
    with style():
        fig = _latency_vs_figure(table, LOSS, series="method")
    assert legend_labels(fig) == ["all sessions: root invites", "all sessions: non-rooted, to first data"]
    with pytest.raises(ValueError, match="series='host'"):
        _latency_vs_figure(table, LOSS, series="host")


def test_line_series_falls_back_to_the_pooled_rows():
    rows = pd.DataFrame({"session": ["*", "a", "b", "*"], "method": ["nonrooted", "root_invite",
                                                                     "root_invite", "leaf_request"]})
    assert line_series(rows) == [("a", "root_invite"), ("b", "root_invite"), ("*", "leaf_request"),
                                 ("*", "nonrooted")]


def test_unknown_parameters_are_refused_with_the_known_ones():
    table = sweep_table({LOSS: [0.0, 0.01]})
    with pytest.raises(ValueError, match="topology.links.loss"):
        _latency_vs_figure(table, "topology.links.lost")
    with pytest.raises(ValueError, match="is the parameter on x"):
        _latency_vs_figure(table, LOSS, style_param=LOSS)


def test_an_empty_table_gives_a_figure_that_says_so(tmp_path):
    empty = sweep_table({LOSS: [0.0]}).iloc[0:0]
    path = latency_vs(empty, LOSS, tmp_path / "l.png")
    assert_figure(path, 7.5, 4.8, min_colours=10, min_ink=0.001)
    with style():
        fig = _latency_vs_figure(empty, LOSS)
    assert "empty" in fig.axes[0].texts[0].get_text()
    with style():
        fig = _success_vs_figure(empty, LOSS)
    assert "empty" in fig.axes[0].texts[0].get_text()


def test_all_nan_says_no_value_is_known():
    table = sweep_table({LOSS: [0.0, 0.01]})
    table.loc[table["statistic"] == "latency_mean", "value"] = np.nan
    with style():
        fig = _latency_vs_figure(table, LOSS)
    assert "all NaN" in fig.axes[0].texts[0].get_text()


def test_latency_vs_svg(tmp_path):
    path = latency_vs(sweep_table({LOSS: [0.0, 0.01]}), LOSS, tmp_path / "l", format="svg")
    text = path.read_text()
    assert path.suffix == ".svg" and (text.lstrip().startswith("<?xml") or "<svg" in text)


# ---------------------------------------------------------------------------------------------
# success_vs


def test_success_vs(tmp_path):
    table = sweep_table({LOSS: [0.0, 0.01, 0.05], OUTSTANDING: [1, 4]})
    assert_figure(success_vs(table, LOSS, tmp_path / "s.png", style_param=OUTSTANDING), 7.5, 4.8)
    with style():
        fig = _success_vs_figure(table, LOSS, style_param=OUTSTANDING)
    (ax,) = data_axes(fig)
    assert ax.get_ylim() == (0, 1.02)
    assert ax.get_ylabel() == "joins connected (fraction),\n95 % Wilson interval"
    lines = errorbar_lines(ax)
    assert len(lines) == 6
    np.testing.assert_allclose(lines[0].lines[0].get_ydata(), [success_of(p, 0) for p in (0, 2, 4)])
    assert "Wilson" in fig.legends[0].get_title().get_text()


def test_caption_counts_the_points_drawn_not_the_pooled_rows():
    table = sweep_table({LOSS: [0.0, 0.01]})
    table.loc[table["session"] == "*", "n"] = 99
    table.loc[(table["session"] == "tv") & (table["statistic"] == "success_ratio"), "n"] = 12
    with style():
        fig = _success_vs_figure(table, LOSS)
    assert "n = 12–20 joins per point" in fig.legends[0].get_title().get_text()


def test_success_vs_svg(tmp_path):
    path = success_vs(sweep_table({LOSS: [0.0, 0.01]}), LOSS, tmp_path / "s.svg")
    assert path.suffix == ".svg" and "<svg" in path.read_text()


# ---------------------------------------------------------------------------------------------
# latency_cdfs


def test_latency_cdfs_a_panel_per_point(tmp_path):
    points = points_of({LOSS: [0.0, 0.01, 0.05], OUTSTANDING: [1, 4]})
    curves = curves_of(points)
    path = latency_cdfs(curves, points, tmp_path / "latency_cdf")
    assert path.name == "latency_cdf.png"
    assert_figure(path, *panel_size(6))
    assert panel_size(6) == (max(7.5, 2.7 * 4 + 0.8), 2.4 * 2 + 2.2)
    with style():
        fig = _latency_cdfs_figure(curves, points)
    axes = data_axes(fig)
    assert len(axes) == 6
    assert axes[0].get_title() == "loss = 0, max_outstanding = 1"
    assert [len([ln for ln in ax.lines if ln.get_gid() != GUIDE]) for ax in axes] == [len(SESSIONS)] * 6
    assert fig.get_supylabel() == "fraction of joins completed (Kaplan–Meier)"
    # 4 + 2 panels: the last two of the first row have none below, so they carry the label too
    assert [ax.get_xlabel() for ax in axes] == ["", ""] + ["join latency (ms)"] * 4


def test_curves_below_one_run_out_to_the_largest_time():
    points = points_of({LOSS: [0.0, 0.01]})
    curves = curves_of(points, below_one=0.6)
    with style():
        fig = _latency_cdfs_figure(curves, points)
    t_end = curves["time"].max() * 1e3
    for ax in data_axes(fig):
        assert ax.get_xlim()[1] == pytest.approx(t_end * 1.03)
        steps = [ln for ln in ax.lines if ln.get_gid() != GUIDE]
        assert len(steps) == len(SESSIONS)
        for line in steps:
            assert line.get_xdata()[-1] == pytest.approx(t_end * 1.03)
        assert steps[-1].get_ydata()[-1] == pytest.approx(0.6)


def test_latency_cdfs_log_axis_over_more_than_two_decades():
    points = points_of({LOSS: [0.0]})
    curves = pd.DataFrame({"point": 0, "session": "tv", "method": "nonrooted",
                           "time": [0.0, 0.001, 0.01, 0.5], "cdf": [0.0, 0.2, 0.5, 0.9]})
    with style():
        fig = _latency_cdfs_figure(curves, points)
    ax = data_axes(fig)[0]
    assert ax.get_xscale() == "log" and "log scale" in ax.get_xlabel()
    assert np.all(ax.lines[0].get_xdata() > 0)


def test_latency_cdfs_without_parameters_is_one_panel_for_all_runs(tmp_path):
    points = points_of({})
    curves = curves_of(points)
    assert_figure(latency_cdfs(curves, points, tmp_path / "c.png"), 7.5, 4.8)
    with style():
        fig = _latency_cdfs_figure(curves, points)
    assert [ax.get_title() for ax in data_axes(fig)] == ["all runs"]


def test_latency_cdfs_empty_says_so(tmp_path):
    points = points_of({LOSS: [0.0]})
    curves = curves_of(points).iloc[0:0]
    assert_figure(latency_cdfs(curves, points, tmp_path / "c.png"), 7.5, 4.8, min_colours=10, min_ink=0.001)
    with style():
        fig = _latency_cdfs_figure(curves, points)
    assert "no latency curves" in fig.axes[0].texts[0].get_text()


def test_latency_cdfs_svg(tmp_path):
    points = points_of({LOSS: [0.0, 0.01]})
    path = latency_cdfs(curves_of(points), points, tmp_path / "c", format="svg")
    assert path.suffix == ".svg" and "<svg" in path.read_text()


# ---------------------------------------------------------------------------------------------
# render_sweep


def test_render_sweep_writes_two_figures_per_varying_parameter_and_the_cdf(tmp_path):
    grid = {LOSS: [0.0, 0.01], OUTSTANDING: [1, 4], "topology.hosts": [10]}
    points = points_of(grid)
    paths = render_sweep(tmp_path, sweep_table(grid), curves_of(points), points, list(grid))
    assert [p.name for p in paths] == ["latency_vs_loss.png", "success_vs_loss.png",
                                       "latency_vs_max_outstanding.png", "success_vs_max_outstanding.png",
                                       "latency_cdf.png"]
    assert all(p.parent == tmp_path / "plots" and p.exists() for p in paths)
    for p in paths:
        assert_figure(p)


def test_render_sweep_names_colliding_parameters_by_their_path(tmp_path):
    grid = {LOSS: [0.0, 0.01], "sessions.atm_feed.loss": [0.0, 0.1]}
    points = points_of(grid)
    paths = render_sweep(tmp_path, sweep_table(grid), curves_of(points), points, list(grid), format="svg")
    assert [p.name for p in paths] == ["latency_vs_topology_links_loss.svg",
                                       "success_vs_topology_links_loss.svg",
                                       "latency_vs_sessions_atm_feed_loss.svg",
                                       "success_vs_sessions_atm_feed_loss.svg", "latency_cdf.svg"]
    assert file_names([LOSS, OUTSTANDING]) == {LOSS: "loss", OUTSTANDING: "max_outstanding"}


def test_render_sweep_replications_only_draws_the_cdf(tmp_path):
    points = points_of({})
    paths = render_sweep(tmp_path, sweep_table({}), curves_of(points), points, [])
    assert [p.name for p in paths] == ["latency_cdf.png"]
    assert_figure(paths[0], 7.5, 4.8)


def test_render_sweep_skips_a_parameter_with_one_value(tmp_path):
    grid = {LOSS: [0.01]}
    points = points_of(grid)
    paths = render_sweep(tmp_path, sweep_table(grid), curves_of(points), points, list(grid))
    assert [p.name for p in paths] == ["latency_cdf.png"]


def test_ordered_values():
    assert ordered_values([4, 1, 4, 2]) == [1, 2, 4]
    assert ordered_values(["b", "a", "b"]) == ["b", "a"]


def test_latencies_that_span_more_than_two_decades_get_a_log_axis():
    """Milliseconds next to seconds: on a linear axis the small means lie flat on zero."""
    grid = {"topology.links.loss": [0.0, 0.01, 0.02]}
    table = sweep_table(grid)
    with style():
        linear = _latency_vs_figure(table, "topology.links.loss", "session", None)
    assert linear.axes[0].get_yscale() == "linear"
    mean = table["statistic"] == "latency_mean"
    slow = mean & (table["point"] == 2) & (table["session"] == "feed")
    table.loc[slow, ["value", "ci_low", "ci_high"]] = [5.0, 2.0, 8.0]      # 5 s against 10 ms
    with style():
        fig = _latency_vs_figure(table, "topology.links.loss", "session", None)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel().endswith("log scale")
