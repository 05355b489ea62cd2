"""The sweep through its Python API: the store, resuming, failures, the aggregate's meaning."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest

import mpsim.experiment.worker
from mpsim.analysis import SWEEP_COLUMNS, SWEEP_STATISTICS
from mpsim.core.rng import replication_seed
from mpsim.experiment import sweep
from mpsim.experiment.store import StoreError
from tests.experiment.helpers import TINY, finished_runs, run_files


def test_a_sweep_writes_its_store_tables_and_plots(tmp_path):
    out = tmp_path / "tiny"
    result = sweep(TINY, jobs=1, out=out)
    assert result.ok and (result.ran, result.kept, result.failed) == (6, 0, 0)
    assert result.store == out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["grid"] == {"topology.links.loss": [0.0, 0.05]}
    assert manifest["replications"] == 3 and manifest["seed"] == 3
    assert manifest["seeds"] == [replication_seed(3, i) for i in range(3)]
    assert [p["values"] for p in manifest["points"]] == [{"topology.links.loss": 0.0},
                                                          {"topology.links.loss": 0.05}]
    assert sorted(run_files(out)) == [f"p{p:04d}_r{r:04d}" for p in range(2) for r in range(3)]
    for name in ("sweep.csv", "sweep.parquet", "runs.csv", "plots/latency_cdf.png",
                 "plots/latency_vs_loss.png", "plots/success_vs_loss.png"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns) == ["point", "topology.links.loss", *SWEEP_COLUMNS]
    assert set(table.statistic) == set(SWEEP_STATISTICS)
    assert set(table.method) == {"root_invite", "nonrooted"}
    assert set(table.session) == {"*", "call", "tv"}
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sweep.parquet"), result.table)
    # Without loss every join connects, and the invitations' latency is the same in every run.
    lossless = table[(table.point == 0) & (table.session == "call")].set_index("statistic")
    assert lossless.loc["success_ratio", "value"] == 1.0
    assert lossless.loc["latency_mean", "ci_low"] == pytest.approx(lossless.loc["latency_mean", "value"])
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs.status) == ["ok"] * 6 and list(runs.seed.unique()) == manifest["seeds"]


def test_a_second_call_keeps_every_finished_run_and_gives_the_same_table(tmp_path):
    out = tmp_path / "tiny"
    first = sweep(TINY, jobs=1, out=out, plots=False)
    before = finished_runs(out)
    csv = (out / "sweep.csv").read_bytes()
    again = sweep(TINY, jobs=1, out=out, plots=False)
    assert (again.ran, again.kept) == (0, 6)
    assert finished_runs(out) == before                      # not one run rewritten
    assert (out / "sweep.csv").read_bytes() == csv
    pd.testing.assert_frame_equal(first.table, again.table)
    assert len(json.loads((out / "manifest.json").read_text())["resumed"]) == 1


def test_another_sweep_in_the_same_folder_is_refused_unless_fresh(tmp_path):
    out = tmp_path / "tiny"
    sweep(TINY, jobs=1, out=out, plots=False)
    with pytest.raises(StoreError, match="replications 3 -> 4.*--fresh"):
        sweep(TINY, jobs=1, out=out, replications=4, plots=False)
    with pytest.raises(StoreError, match="another grid"):
        sweep(TINY, jobs=1, out=out, grid={"topology.links.loss": [0.0]}, plots=False)
    with pytest.raises(StoreError, match="the scenario has changed"):
        sweep(TINY, jobs=1, out=out, overrides=["duration=20s"], plots=False)
    with pytest.raises(StoreError, match="seed 3 -> 4"):
        sweep(TINY, jobs=1, out=out, seed=4, plots=False)
    assert len(finished_runs(out)) == 6                       # refusing touched nothing
    fresh = sweep(TINY, jobs=1, out=out, replications=4, fresh=True, plots=False)
    assert (fresh.ran, fresh.kept) == (8, 0) and len(finished_runs(out)) == 8


def test_a_folder_that_is_not_a_sweep_is_never_written_into(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    for fresh in (False, True):
        with pytest.raises(StoreError, match="not a sweep's folder"):
            sweep(TINY, jobs=1, out=tmp_path / "mine", fresh=fresh, plots=False)
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["thesis.tex"]


def test_a_run_that_raises_is_recorded_and_does_not_stop_the_sweep(tmp_path, monkeypatch):
    out = tmp_path / "tiny"
    doomed = replication_seed(3, 1)
    real_build = mpsim.experiment.worker.build

    def build(plan, seed=None):
        if seed == doomed and plan.scenario.topology.links.loss == 0.05:
            raise RuntimeError("a bug in one run")
        return real_build(plan, seed)

    monkeypatch.setattr(mpsim.experiment.worker, "build", build)
    result = sweep(TINY, jobs=1, out=out, plots=False)
    assert (result.ran, result.failed) == (6, 1) and not result.ok
    info = json.loads((out / "runs" / "p0001_r0001" / "run.json").read_text())
    assert info["status"] == "failed" and info["error"] == "RuntimeError: a bug in one run"
    assert "Traceback" in info["traceback"]
    # The aggregate uses the two runs that finished at that point.
    latency = result.table[(result.table.point == 1) & (result.table.session == "call")
                           & (result.table.statistic == "attempts_per_join")]
    assert list(latency.n) == [2]
    # The next call makes only the failed run again.
    monkeypatch.setattr(mpsim.experiment.worker, "build", real_build)
    again = sweep(TINY, jobs=1, out=out, plots=False)
    assert (again.ran, again.kept, again.failed) == (1, 5, 0)


def test_replication_i_has_the_same_seed_at_every_point_and_more_runs_change_none(tmp_path):
    small = sweep(TINY, jobs=1, out=tmp_path / "a", plots=False)
    sweep(TINY, jobs=1, out=tmp_path / "b", replications=4,
          grid={"topology.links.loss": [0.0, 0.05, 0.1]}, plots=False)
    assert small.runs.seed.tolist() == [replication_seed(3, r) for p in range(2) for r in range(3)]
    a, b = run_files(tmp_path / "a"), run_files(tmp_path / "b")
    assert a and all(a[name] == b[name] for name in a)       # the same runs, byte for byte


# -- common random numbers ---------------------------------------------------------------

CRN = textwrap.dedent("""\
    name: crn
    seed: 11
    duration: 60s
    topology:
      generator: balanced_tree
      params: {r: 2, h: 1}
      links: {delay: 10ms, bandwidth: 1Mbps, loss: 0.1}
      overrides:
        - {edge: [0, 2], loss: 0.0}
        - {edge: [0, 1], loss: 0.1}
    hosts:
      R: {node: 0}
      L: {node: 1}
    sessions:
      - {name: call, provider: atm, root: R, timers: {invite_timeout: 1s, retries: inf},
         signalling: {transport: unreliable}}
    actions:
      - {at: 0s, host: L, do: listen, session: call, policy: accept}
      - {at: 1s, host: R, do: invite, session: call, leaves: [L]}
    sweep:
      replications: 12
      grid:
        topology.overrides.0.loss: [0.0, 0.5]
    """)


def _latencies(table_store, point) -> list:
    joins = table_store[table_store.point == point].sort_values("replication")
    return joins.latency.tolist()


def test_a_parameter_no_join_crosses_leaves_every_replication_unchanged(tmp_path):
    """Common random numbers: the loss of link 0-2, which the invitation R -> L never
    crosses, changes no replication's latency; the loss of link 0-1, which it crosses,
    does (so the comparison could have failed). The invitations are retransmitted end to
    end (a stop-and-wait study), so the session's signalling is unreliable: the latencies
    are those of the study policy, not of SSCOP's per-hop recovery."""
    from mpsim.experiment.store import open_store
    path = tmp_path / "crn.yaml"
    path.write_text(CRN)
    sweep(path, jobs=1, out=tmp_path / "off_path", plots=False, resamples=0)
    store, _ = open_store(tmp_path / "off_path")
    joins = store.joins_table([(p, r) for p in range(2) for r in range(12)])
    unaffected, lossy = _latencies(joins, 0), _latencies(joins, 1)
    assert unaffected == lossy
    assert len(set(unaffected)) >= 3                     # the replications do differ
    sweep(path, jobs=1, out=tmp_path / "on_path", plots=False, resamples=0,
          grid={"topology.overrides.1.loss": [0.1, 0.5]})
    store, _ = open_store(tmp_path / "on_path")
    joins = store.joins_table([(p, r) for p in range(2) for r in range(12)])
    assert _latencies(joins, 0) == unaffected            # 0.1 is the file's own value
    assert _latencies(joins, 1) != unaffected


# -- honest intervals --------------------------------------------------------------------

def c6_scenario(joins: int = 10, p: float = 0.05) -> str:
    """multipoint.md C6, ``joins`` times in one run: on the chain R - s1 - s2 - L (every link
    10 ms, 1 Mbps, Bernoulli loss p, 100 B messages), root r_k invites leaf l_k in session
    c_k, the invitation sent again every T = 1 s without limit, in C6's study mode without
    per-hop recovery (``signalling: {transport: unreliable}``: with SSCOP a loss would be
    recovered on its hop and the closed form would not hold). The invitations start
    10 ms apart: the messages of different joins never meet on the shared s1 - s2 link
    (each takes 0.8 ms there, and the retransmissions keep the offsets), so the joins are
    independent and each has mean latency 64.8 ms + T q/(1-q), q = 1 - (1-p)^6."""
    hosts = "\n".join([f"  r{k}: {{node: 0}}\n  l{k}: {{node: 1}}" for k in range(1, joins + 1)])
    sessions = "\n".join(f"  - {{name: c{k}, provider: atm, root: r{k}, "
                         "timers: {invite_timeout: 1s, retries: inf}, "
                         "signalling: {transport: unreliable}}" for k in range(1, joins + 1))
    actions = "\n".join(f"  - {{at: 0s, host: l{k}, do: listen, session: c{k}, policy: accept}}\n"
                        f"  - {{at: {1000 + 10 * (k - 1)}ms, host: r{k}, do: invite, session: c{k}, "
                        f"leaves: [l{k}]}}" for k in range(1, joins + 1))
    return (f"name: c6\nseed: 0\nduration: 60s\ntopology:\n  generator: path_graph\n"
            f"  params: {{n: 2}}\n  links: {{delay: 10ms, bandwidth: 1Mbps, loss: {p}}}\n"
            f"hosts:\n{hosts}\nsessions:\n{sessions}\nactions:\n{actions}\n"
            f"sweep:\n  replications: 10\n")


@pytest.mark.slow
def test_the_95_percent_interval_of_the_mean_covers_c6_in_at_least_90_of_100_sweeps(tmp_path):
    """100 independent sweeps (base seeds 0..99) of 10 replications of 10 C6 joins each. The
    t-interval is over replications (each the mean of its 10 joins). For this latency
    (64.8 ms plus a geometric number of 1 s timeouts, skewed) its true coverage at 10
    replications is about 94 %, found by simulating the closed-form distribution, so 90 of
    100 fails with probability ~3 % for a right interval and almost surely for a wrong
    standard error (dividing by the 100 joins instead of the 10 replications covers ~45 %);
    a z instead of a t quantile (~91 %) would pass about three times in four."""
    path = tmp_path / "c6.yaml"
    path.write_text(c6_scenario())
    p, T = 0.05, 1.0
    q = 1 - (1 - p) ** 6
    expected = 0.0648 + T * q / (1 - q)
    covered, means = 0, []
    for seed in range(100):
        result = sweep(path, jobs=1, out=tmp_path / f"s{seed}", seed=seed, plots=False, resamples=0)
        row = result.table[(result.table.session == "*") & (result.table.statistic == "latency_mean")]
        (low, value, high, n) = row[["ci_low", "value", "ci_high", "n"]].iloc[0]
        assert n == 10 and low < value < high
        covered += low <= expected <= high
        means.append(value)
    assert covered >= 90, covered
    # and the 100 means themselves centre on the closed form (within 3 standard errors)
    se = np.std(means, ddof=1) / math.sqrt(len(means))
    assert abs(np.mean(means) - expected) < 3 * se


CENSORED = textwrap.dedent("""\
    name: half_refuse
    seed: 1
    duration: 10s
    topology:
      generator: path_graph
      params: {n: 4}
      links: {bandwidth: 1Mbps, delay: {dist: uniform, low: 9ms, high: 11ms}}
    hosts:
      R: {node: 0}
      A1: {node: 1}
      A2: {node: 3}
      N1: {node: 1}
      N2: {node: 3}
    sessions:
      - {name: call, provider: atm, root: R, max_outstanding: 4}
    actions:
      - {at: 0s, hosts: [A1, A2], do: listen, session: call, policy: accept}
      - {at: 0s, hosts: [N1, N2], do: listen, session: call, policy: reject}
      - {at: 1s, host: R, do: invite, session: call, leaves: [A1, N1, A2, N2]}
    sweep:
      replications: 8
    """)


def test_joins_that_cannot_complete_are_censored_not_dropped(tmp_path):
    """Half the invited leaves refuse: the success ratio is exactly 1/2, the Kaplan–Meier
    median is the later of the two accepted joins (F reaches 1/2 only there), and the p95
    is not reached; dropping the refusals would have given a p95 near the slower join and
    a median between the two."""
    path = tmp_path / "censored.yaml"
    path.write_text(CENSORED)
    result = sweep(path, jobs=1, out=tmp_path / "out", plots=False)
    from mpsim.experiment.store import open_store
    store, _ = open_store(tmp_path / "out")
    joins = store.joins_table([(0, r) for r in range(8)])
    assert sorted(set(joins.outcome)) == ["connected", "rejected"]
    got = result.table[result.table.session == "call"].set_index("statistic")
    assert got.loc["success_ratio", "value"] == 0.5 and got.loc["success_ratio", "n"] == 32
    connected = joins[joins.outcome == "connected"]
    # pooled over 8 runs: 16 connected of 32; F(t) = (connected <= t) / 32 (every refusal is
    # censored at 9 s, after them all), so F = 1/2 at the slowest connected join
    assert got.loc["latency_p50", "value"] == pytest.approx(connected.latency.max(), abs=1e-12)
    assert got.loc["latency_p95", "value"] == math.inf
    assert got.loc["latency_mean", "value"] == pytest.approx(
        connected.groupby("replication").latency.mean().mean(), abs=1e-12)
    assert connected.latency.quantile(0.5) < connected.latency.max()   # dropping would differ


def test_two_sweeps_cannot_write_into_one_folder_at_once(tmp_path):
    from mpsim.experiment.store import ResultsStore, manifest_for
    from mpsim.scenario.sweep import load_sweep
    plan = load_sweep(TINY)
    manifest = manifest_for(plan, [replication_seed(3, i) for i in range(3)])
    first = ResultsStore.open(tmp_path / "out", dict(manifest))
    try:
        with pytest.raises(StoreError, match="another mpsim sweep is writing into it now"):
            ResultsStore.open(tmp_path / "out", dict(manifest))
    finally:
        first.close()
    ResultsStore.open(tmp_path / "out", dict(manifest)).close()     # free again
