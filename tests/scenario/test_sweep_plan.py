"""mpsim/scenario/sweep.py: a sweep block as checked grid points."""

from __future__ import annotations

import pytest

from mpsim.core.errors import ScenarioError
from mpsim.scenario.sweep import load_sweep

SCENARIO = """\
name: plan
description: {description}
seed: 4
duration: 5s
topology: {{generator: path_graph, params: {{n: 3}}, links: {{delay: 1ms}}}}
hosts:
  a: {{node: 0}}
  b: {{node: 2}}
sessions:
  - {{name: call, provider: atm, root: a}}
actions:
  - {{at: 0s, host: b, do: listen, session: call, policy: accept}}
  - {{at: 1s, host: a, do: invite, session: call, leaves: [b]}}
sweep:
  replications: 3
  grid:
    topology.links.loss: [0, 0.1]
    sessions.call.max_outstanding: [1, 2, 4]
"""


def write(tmp_path, description="a test", extra=""):
    path = tmp_path / "plan.yaml"
    path.write_text(SCENARIO.format(description=description) + extra)
    return path


def test_points_are_the_product_in_the_order_written_the_last_key_fastest(tmp_path):
    plan = load_sweep(write(tmp_path))
    assert plan.keys == ["topology.links.loss", "sessions.call.max_outstanding"]
    assert [tuple(p.values.values()) for p in plan.points] == [
        (0, 1), (0, 2), (0, 4), (0.1, 1), (0.1, 2), (0.1, 4)]
    assert [p.index for p in plan.points] == list(range(6))
    assert (plan.replications, plan.seed, plan.runs, plan.name) == (3, 4, 18, "plan")
    # each point's plan holds its values
    last = plan.points[-1].plan.scenario
    assert last.topology.links.loss == 0.1 and last.sessions[0].max_outstanding == 4


def test_a_grid_replications_and_seed_from_python_replace_the_files(tmp_path):
    plan = load_sweep(write(tmp_path), grid={"topology.links.delay": ["1ms", "5ms"]}, replications=2,
                      seed=9)
    assert plan.keys == ["topology.links.delay"] and plan.grid == {"topology.links.delay": ["1ms", "5ms"]}
    assert [p.plan.scenario.topology.links.delay for p in plan.points] == ["1ms", "5ms"]
    assert (plan.replications, plan.seed) == (2, 9)
    with pytest.raises(ScenarioError, match="--seed -1: allowed an integer >= 0"):
        load_sweep(write(tmp_path), seed=-1)
    with pytest.raises(ScenarioError, match="expected a mapping of dotted path"):
        load_sweep(write(tmp_path), grid=[1, 2])


def test_set_applies_before_the_grid(tmp_path):
    plan = load_sweep(write(tmp_path), ["duration=7s"])
    assert {p.plan.scenario.duration for p in plan.points} == {7.0}


def test_the_fingerprint_ignores_words_and_follows_what_runs(tmp_path):
    base = load_sweep(write(tmp_path)).fingerprint
    assert load_sweep(write(tmp_path, description="reworded", extra="# a comment\n")).fingerprint == base
    assert load_sweep(write(tmp_path), ["duration=6s"]).fingerprint != base
    # the grid and replications are the manifest's business, not the scenario's
    assert load_sweep(write(tmp_path), replications=5).fingerprint == base


def test_the_fingerprint_follows_a_graph_files_bytes(tmp_path):
    graph = tmp_path / "g.edgelist"
    graph.write_text("x y\ny z\n")
    path = tmp_path / "file.yaml"
    path.write_text("name: f\nduration: 1s\ntopology: {file: g.edgelist}\nsweep: {replications: 2}\n")
    before = load_sweep(path).fingerprint
    graph.write_text("x y\ny z\nz w\n")
    assert load_sweep(path).fingerprint != before
