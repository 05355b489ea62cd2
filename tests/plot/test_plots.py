"""Every plot writes a non-trivial figure of the promised size; the edge cases say why."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from mpsim.plot import latency_cdf, render_all, sequence, timeline, topology
from mpsim.plot.sequence import lifeline_order
from mpsim.plot.timeline import time_panels
from tests.analysis.cases import c1, c3, c4, c6_lost_once, ipmc3, star, tables
from tests.plot.helpers import assert_figure, read_png


def test_timeline_c4(tmp_path):
    events, joins, _ = tables(c4())
    path = timeline(events, joins, tmp_path / "timeline")
    assert path.name == "timeline.png"
    # Three rows (R, L1, L2): the minimum height of 3.2 in; 10 in wide.
    assert_figure(path, 10, 3.2)


def test_timeline_of_two_sessions_and_three_bursts(tmp_path):
    events = pd.concat([c3().events(), ipmc3().events()], ignore_index=True)
    joins = pd.concat([c3().joins(), ipmc3().joins().assign(join_id=[2, 3, 4])], ignore_index=True)
    h, w = assert_figure(timeline(events, joins, tmp_path / "t.png"), 10)
    assert h == round(min(12, max(3.2, 1.5 + 0.3 * 5)) * 150)


def test_time_panels_cut_long_idle_gaps_only():
    assert len(time_panels([1.0, 2.0, 3.0], [1.1, 2.1, 3.1])) == 3
    assert len(time_panels([1.0, 1.05, 1.1], [1.06, 1.11, 1.2])) == 1
    assert len(time_panels(np.arange(10.0), np.arange(10.0) + 0.1, most=4)) <= 4


def test_timeline_without_joins_says_so(tmp_path):
    events, joins, _ = tables(c1())
    assert_figure(timeline(events, joins.iloc[0:0], tmp_path / "t.png"), 8, 3, min_colours=10,
                  min_ink=0.001)


def test_sequence_c6_shows_the_lost_setup(tmp_path):
    path = sequence(c6_lost_once().events(), tmp_path / "seq.png", joins=c6_lost_once().joins())
    h, w = assert_figure(path, 7.2)                 # four lifelines: 1.05 * 4 + 3 in
    assert 600 <= h <= 20 * 150
    image = read_png(path)[..., :3]
    vermillion = np.array([0xD5, 0x5E, 0x00]) / 255
    assert np.any(np.all(np.abs(image - vermillion) < 0.02, axis=-1)), "no drop marker drawn"


def test_sequence_orders_lifelines_along_the_path():
    assert lifeline_order([("R", "0"), ("0", "R"), ("0", "1"), ("1", "L")], "R") == ["R", "0", "1", "L"]
    # A leaf that asks: it is the first sender, so it comes first.
    assert lifeline_order([("L", "1"), ("1", "0"), ("0", "R")], "L") == ["L", "1", "0", "R"]


def test_sequence_refuses_a_join_with_too_many_nodes(tmp_path):
    with pytest.raises(ValueError, match="max_hosts=3"):
        sequence(c1().events(), tmp_path / "s.png", max_hosts=3)
    with pytest.raises(ValueError, match="no control messages"):
        sequence(c1().events().iloc[0:0], tmp_path / "s.png")


def test_sequence_truncates_to_the_joins_that_fit(tmp_path):
    w = star(25)                                 # R, 0, 1 and 25 leaves: 28 nodes
    path = sequence(w.events(), tmp_path / "s.png", joins=w.joins(), max_hosts=10)
    assert_figure(path)


def test_sequence_svg(tmp_path):
    path = sequence(c3().events(), tmp_path / "s", format="svg")
    assert path.suffix == ".svg" and path.read_text().lstrip().startswith("<?xml")
    assert "<svg" in path.read_text() and path.stat().st_size > 10_000


def test_latency_cdf(tmp_path):
    joins = pd.concat([c4().joins(), c3().joins().assign(join_id=3),
                       ipmc3().joins().assign(join_id=[4, 5, 6])], ignore_index=True)
    assert_figure(latency_cdf(joins, tmp_path / "cdf.png"), 7.5, 4.8)


def test_latency_cdf_without_connected_joins(tmp_path):
    joins = c1().joins().assign(outcome="timed_out")
    assert_figure(latency_cdf(joins, tmp_path / "cdf.png"), 7.5, 4.8, min_colours=10, min_ink=0.001)


def test_topology_with_tree_and_load(tmp_path):
    graph = nx.path_graph(2)
    links = c4().net.link_table()
    path = topology(graph, tmp_path / "topo.png", hosts={"R": 0, "L1": 1, "L2": 1},
                    tree_links=[(0, 1)], links=links)
    assert_figure(path, 10, 7.8)


def test_topology_is_deterministic(tmp_path):
    graph = nx.random_regular_graph(3, 40, seed=3)
    a = topology(graph, tmp_path / "a.png", hosts={f"h{i}": i for i in range(0, 40, 4)})
    b = topology(graph, tmp_path / "b.png", hosts={f"h{i}": i for i in range(0, 40, 4)})
    assert a.read_bytes() == b.read_bytes()
    assert_figure(a, 10, 7.8)


def test_render_all_writes_the_run_plots(tmp_path):
    events, joins, links = tables(c4())
    paths = render_all(tmp_path, events, joins, links)
    assert [p.name for p in paths] == ["timeline.png", "join_latency_cdf.png", "sequence.png"]
    assert all(p.parent == tmp_path / "plots" for p in paths)
    for p in paths:
        assert_figure(p)


def test_render_all_from_files_and_without_sequence_for_many_hosts(tmp_path):
    w = star(25)
    w.sim.recorder.to_parquet(tmp_path / "events.parquet")
    w.joins().to_csv(tmp_path / "joins.csv", index=False, float_format="%.9g")
    events, joins = pd.read_parquet(tmp_path / "events.parquet"), pd.read_csv(tmp_path / "joins.csv")
    paths = render_all(tmp_path, events, joins, w.net.link_table(), format="svg")
    assert [p.name for p in paths] == ["timeline.svg", "join_latency_cdf.svg"]
