"""Topology budgets (mpsim/net/budget.py): sizes estimated from a generator's parameters
and refused over the limits before it runs, retry counts bounded, a wall-time budget, graph
files checked for size before they are read, and the real counts checked after."""

import inspect
import math
import os
import signal
import threading
import time
from pathlib import Path

import networkx as nx
import pytest
import yaml

from mpsim.core import limits
from mpsim.core.errors import TopologyError
from mpsim.net import Topology, generator_names
from mpsim.net import budget as budget_module
from mpsim.net import topology as topology_module
from mpsim.net.budget import BudgetError, check_generator_budget, estimate_size, wall_time_budget
from tests.bounds import memory_bound


@pytest.fixture(autouse=True)
def _bounded_memory():
    """Every test here runs under a memory limit: a runaway fails it with MemoryError."""
    with memory_bound():
        yield


ROOT = Path(__file__).resolve().parents[2]

#: Small parameters for every generator of the estimate table (a few for the tricky ones).
CASES = {
    'path_graph': [{'n': 5}, {'n': ['a', 'b']}],
    'cycle_graph': [{'n': 7}],
    'star_graph': [{'n': 6}],
    'wheel_graph': [{'n': 6}],
    'complete_graph': [{'n': 9}],
    'empty_graph': [{'n': 4}],
    'ladder_graph': [{'n': 5}],
    'circular_ladder_graph': [{'n': 5}],
    'circulant_graph': [{'n': 10, 'offsets': [1, 3]}],
    'balanced_tree': [{'r': 2, 'h': 3}, {'r': 1, 'h': 4}, {'r': 3, 'h': 0}],
    'full_rary_tree': [{'r': 3, 'n': 20}],
    'binomial_tree': [{'n': 5}],
    'barbell_graph': [{'m1': 4, 'm2': 3}],
    'lollipop_graph': [{'m': 5, 'n': 3}],
    'tadpole_graph': [{'m': 4, 'n': 3}],
    'grid_2d_graph': [{'m': 4, 'n': 5}, {'m': 3, 'n': 3, 'periodic': True}],
    'grid_graph': [{'dim': [3, 4, 2]}, {'dim': [3, 3], 'periodic': True}],
    'hypercube_graph': [{'n': 5}],
    'triangular_lattice_graph': [{'m': 3, 'n': 4}, {'m': 1, 'n': 1}, {'m': 4, 'n': 6, 'periodic': True}],
    'hexagonal_lattice_graph': [{'m': 3, 'n': 4}, {'m': 1, 'n': 1}, {'m': 2, 'n': 4, 'periodic': True}],
    'margulis_gabber_galil_graph': [{'n': 4}],
    'chordal_cycle_graph': [{'p': 11}],
    'paley_graph': [{'p': 13}],
    'kneser_graph': [{'n': 7, 'k': 3}],
    'LCF_graph': [{'n': 12, 'shift_list': [5, -5], 'repeats': 6}],
    'generalized_petersen_graph': [{'n': 7, 'k': 2}],
    'hkn_harary_graph': [{'k': 3, 'n': 10}, {'k': 4, 'n': 9}],
    'hnm_harary_graph': [{'n': 10, 'm': 20}],
    'turan_graph': [{'n': 10, 'r': 3}],
    'caveman_graph': [{'l': 3, 'k': 4}],
    'connected_caveman_graph': [{'l': 3, 'k': 4}],
    'relaxed_caveman_graph': [{'l': 3, 'k': 4, 'p': 0.3}],
    'ring_of_cliques': [{'num_cliques': 4, 'clique_size': 3}],
    'windmill_graph': [{'n': 4, 'k': 3}],
    'mycielski_graph': [{'n': 2}, {'n': 5}, {'n': 7}],
    'sudoku_graph': [{'n': 2}, {}],
    'dorogovtsev_goltsev_mendes_graph': [{'n': 4}],
    'random_cograph': [{'n': 5}],
    'graph_atlas': [{'i': 1200}],
    'interval_graph': [{'intervals': [[0, 2], [1, 3], [2, 5]]}],
    'visibility_graph': [{'series': [3, 1, 4, 1, 5, 9, 2]}],
    'prefix_tree': [{'paths': ['ab', 'abc', 'b']}],
    'prefix_tree_recursive': [{'paths': ['ab', 'abc', 'b']}],
    'triad_graph': [{'triad_name': '300'}],
    'barabasi_albert_graph': [{'n': 50, 'm': 3}],
    'dual_barabasi_albert_graph': [{'n': 50, 'm1': 3, 'm2': 1, 'p': 0.5}],
    'extended_barabasi_albert_graph': [{'n': 50, 'm': 2, 'p': 0.3, 'q': 0.2},
                                       {'n': 50, 'm': 2, 'p': 0.9, 'q': 0.05}],
    'powerlaw_cluster_graph': [{'n': 50, 'm': 3, 'p': 0.5}],
    'erdos_renyi_graph': [{'n': 40, 'p': 0.3}, {'n': 30, 'p': 0.5, 'directed': True}],
    'gnp_random_graph': [{'n': 40, 'p': 0.9}],
    'binomial_graph': [{'n': 40, 'p': 0.1}],
    'fast_gnp_random_graph': [{'n': 40, 'p': 0.2}],
    'gnm_random_graph': [{'n': 40, 'm': 100}, {'n': 10, 'm': 1000}],
    'dense_gnm_random_graph': [{'n': 40, 'm': 100}],
    'watts_strogatz_graph': [{'n': 30, 'k': 4, 'p': 0.3}],
    'connected_watts_strogatz_graph': [{'n': 30, 'k': 4, 'p': 0.3}],
    'newman_watts_strogatz_graph': [{'n': 30, 'k': 4, 'p': 0.9}],
    'random_regular_graph': [{'d': 3, 'n': 20}],
    'random_internet_as_graph': [{'n': 200}, {'n': 20}],
    'random_powerlaw_tree': [{'n': 10, 'tries': 10000}],
    'random_lobster': [{'n': 20, 'p1': 0.5, 'p2': 0.5}, {'n': 5, 'p1': 0.9, 'p2': 0.9}],
    'random_lobster_graph': [{'n': 20, 'p1': 0.5, 'p2': 0.5}],
    'random_labeled_tree': [{'n': 20}],
    'random_labeled_rooted_tree': [{'n': 20}],
    'random_labeled_rooted_forest': [{'n': 20}],
    'random_unlabeled_tree': [{'n': 20}],
    'random_unlabeled_rooted_tree': [{'n': 20}],
    'random_unlabeled_rooted_forest': [{'n': 20}],
    'random_k_out_graph': [{'n': 20, 'k': 3, 'alpha': 1.0}],
    'random_shell_graph': [{'constructor': [[10, 20, 0.8], [20, 40, 0.8]]}],
    'random_geometric_graph': [{'n': 50, 'radius': 0.2}, {'n': 30, 'radius': 2.0},
                               {'n': 40, 'radius': 0.3, 'dim': 3}],
    'soft_random_geometric_graph': [{'n': 50, 'radius': 0.3}],
    'thresholded_random_geometric_graph': [{'n': 50, 'radius': 0.3, 'theta': 0.1}],
    'geographical_threshold_graph': [{'n': 40, 'theta': 10}],
    'waxman_graph': [{'n': 40}, {'n': 40, 'beta': 1.0, 'alpha': 10.0}],
    'navigable_small_world_graph': [{'n': 5}, {'n': 4, 'p': 2, 'q': 2, 'dim': 3}],
    'gaussian_random_partition_graph': [{'n': 40, 's': 10, 'v': 2, 'p_in': 0.5, 'p_out': 0.1}],
    'random_partition_graph': [{'sizes': [10, 20], 'p_in': 0.5, 'p_out': 0.1}],
    'planted_partition_graph': [{'l': 3, 'k': 10, 'p_in': 0.5, 'p_out': 0.1}],
    'stochastic_block_model': [{'sizes': [10, 20], 'p': [[0.5, 0.1], [0.1, 0.6]]}],
    'general_random_intersection_graph': [{'n': 20, 'm': 10, 'p': [0.3] * 10}],
    'uniform_random_intersection_graph': [{'n': 20, 'm': 10, 'p': 0.3}],
    'k_random_intersection_graph': [{'n': 20, 'm': 10, 'k': 3}],
    'duplication_divergence_graph': [{'n': 40, 'p': 0.5}],
    'partial_duplication_graph': [{'N': 40, 'n': 5, 'p': 0.5, 'q': 0.5}],
    'gn_graph': [{'n': 30}],
    'gnr_graph': [{'n': 30, 'p': 0.5}],
    'gnc_graph': [{'n': 30}],
    'scale_free_graph': [{'n': 60}],
    'LFR_benchmark_graph': [{'n': 250, 'tau1': 3, 'tau2': 1.5, 'mu': 0.1, 'average_degree': 5,
                             'min_community': 20, 'seed': 10}],
    'geometric_soft_configuration_graph': [{'beta': 1.5, 'n': 100, 'gamma': 2.7, 'mean_degree': 5}],
    'configuration_model': [{'deg_sequence': [3, 3, 2, 2, 1, 1]}],
    'havel_hakimi_graph': [{'deg_sequence': [3, 3, 2, 2, 1, 1]}],
    'degree_sequence_tree': [{'deg_sequence': [3, 2, 1, 1, 1]}],
    'random_degree_sequence_graph': [{'sequence': [3, 3, 2, 2, 1, 1]}],
    'expected_degree_graph': [{'w': [3, 3, 2, 2, 1, 1, 5, 5]}],
    'directed_configuration_model': [{'in_degree_sequence': [1, 2, 1], 'out_degree_sequence': [2, 1, 1]}],
    'directed_havel_hakimi_graph': [{'in_deg_sequence': [1, 2, 1], 'out_deg_sequence': [2, 1, 1]}],
    'joint_degree_graph': [{'joint_degrees': {1: {4: 1}, 2: {2: 2, 3: 2, 4: 2}, 3: {2: 2, 4: 1},
                                              4: {1: 1, 2: 2, 3: 1}}}],
    'random_clustered_graph': [{'joint_degree_sequence': [[1, 0], [1, 0], [1, 0], [2, 0], [1, 0], [2, 1],
                                                          [0, 1], [0, 1]]}],
    'maybe_regular_expander_graph': [{'n': 20, 'd': 4}],
    'random_regular_expander_graph': [{'n': 20, 'd': 4}],
    'directed_joint_degree_graph': [{'in_degrees': [0, 1, 1, 2], 'out_degrees': [1, 1, 1, 1],
                                     'nkk': {1: {1: 2, 2: 2}}}],
    'random_powerlaw_tree_sequence': [{'n': 10, 'tries': 5000}],
    'nonisomorphic_trees': [{'order': 6}],
    'number_of_nonisomorphic_trees': [{'order': 6}],
}


def real_counts(name, params):
    fn = getattr(nx, name)
    kwargs = dict(params)
    if "seed" in inspect.signature(fn).parameters and "seed" not in kwargs:
        kwargs["seed"] = 1
    made = fn(**kwargs)
    graphs = made if isinstance(made, list) else [made]
    graphs = [g for g in graphs if isinstance(g, nx.Graph)]
    return sum(g.number_of_nodes() for g in graphs), sum(g.number_of_edges() for g in graphs)


def test_every_estimate_rule_has_a_case():
    assert set(budget_module._ESTIMATES) <= set(CASES) | {"random_kernel_graph",
                                                             "maybe_regular_expander"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")      # random_lobster's old name
@pytest.mark.parametrize("name, params", [(n, p) for n, ps in CASES.items() for p in ps],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_the_estimate_is_at_least_the_real_count(name, params):
    nodes, edges = real_counts(name, params)
    estimated_nodes, estimated_edges = estimate_size(name, params)
    assert nodes <= estimated_nodes and edges <= estimated_edges, \
        ((nodes, edges), (estimated_nodes, estimated_edges))


@pytest.mark.parametrize("name", ["bull_graph", "petersen_graph", "karate_club_graph",
                                  "complete_multipartite_graph"])
def test_the_generic_rule_accepts_fixed_small_graphs(name):
    check_generator_budget(name, {})
    nodes, edges = real_counts(name, {})
    assert (nodes, edges) <= (1e6, 5e6)


def test_the_generic_rule_is_conservative():
    """A generator not in the table: nodes the product of its integer parameters, edges all
    their pairs."""
    assert "ego_graph" not in budget_module._ESTIMATES
    assert estimate_size("ego_graph", {"G": 4000, "n": 0, "radius": 2.5}) == (4000.0, 4000 * 3999 / 2 + 4000)


# -- refusals before any work ------------------------------------------------------------

def test_complete_graph_of_100000_is_refused_at_once(monkeypatch):
    called = []
    monkeypatch.setattr(nx, "complete_graph", lambda *a, **k: called.append(1))
    with pytest.raises(BudgetError, match=r"links of complete_graph\(n=100000\) is 4,999,950,000 edges, "
                                          r"over the limit of 5,000,000 .*MPSIM_LIMIT_TOPOLOGY_EDGES"):
        Topology.from_generator("complete_graph", {"n": 100_000})
    assert called == []                                   # refused before the generator ran


def test_random_powerlaw_tree_with_1e15_tries_is_refused_at_once():
    with pytest.raises(BudgetError, match="tries is 1,000,000,000,000,000 tries, over the limit of 10,000") as info:
        Topology.from_generator("random_powerlaw_tree", {"n": 10, "tries": 10 ** 15})
    assert info.value.parameter == "tries"
    assert isinstance(info.value, TopologyError)


@pytest.mark.parametrize("name, params, what", [
    ("hypercube_graph", {"n": 60}, "nodes"),
    ("balanced_tree", {"r": 10, "h": 10 ** 6}, "nodes"),
    ("balanced_tree", {"r": 10 ** 300, "h": 10 ** 300}, "nodes"),
    ("grid_graph", {"dim": [10 ** 4, 10 ** 4]}, "nodes"),
    ("path_graph", {"n": 2 * 10 ** 6}, "nodes"),
    ("gnp_random_graph", {"n": 100_000, "p": 0.01}, "links"),
    ("barabasi_albert_graph", {"n": 900_000, "m": 20}, "links"),
    ("kneser_graph", {"n": 10 ** 6, "k": 500_000}, "nodes"),
    ("random_unlabeled_tree", {"n": 1000, "number_of_trees": 10 ** 6}, "nodes"),
    ("LFR_benchmark_graph", {"n": 100, "tau1": 3, "tau2": 1.5, "mu": 0.1, "max_iters": 10 ** 9}, "tries"),
])
def test_big_parameters_are_refused(name, params, what):
    with pytest.raises(BudgetError, match=what):
        check_generator_budget(name, params)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_are_within_the_default_limits(path):
    topology = yaml.safe_load(path.read_text())["topology"]
    check_generator_budget(topology["generator"], topology.get("params", {}))


@pytest.mark.parametrize("name, params", [
    ("barabasi_albert_graph", {"n": 10_000, "m": 2}),     # benchmarks/bench_igmp_storm.py
    ("random_labeled_tree", {"n": 1_000}),                 # benchmarks/bench_joins.py
    ("balanced_tree", {"r": 2, "h": 12}),                  # benchmarks/bench_net.py
    ("barabasi_albert_graph", {"n": 200, "m": 2}),         # scenarios/capacity_planning.yaml
])
def test_benchmark_topologies_are_within_the_default_limits(name, params):
    check_generator_budget(name, params)
    assert 100_000 <= limits.get("hosts")                  # bench_igmp_storm's members


def test_an_environment_override_lets_a_bigger_graph_through(monkeypatch):
    with pytest.raises(BudgetError, match="topology_nodes"):
        check_generator_budget("path_graph", {"n": 1_500_000})
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_NODES", "2000000")
    check_generator_budget("path_graph", {"n": 1_500_000})
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_NODES", "50")
    with pytest.raises(BudgetError, match="over the limit of 50"):
        Topology.from_generator("path_graph", {"n": 60})
    assert Topology.from_generator("path_graph", {"n": 50}).graph.number_of_nodes() == 50


def test_the_real_counts_are_checked_after_generation(monkeypatch):
    """An estimate that is too low does not let a big graph through."""
    monkeypatch.setitem(budget_module._ESTIMATES, "cycle_graph", lambda p: (1.0, 1.0))
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_EDGES", "100")
    with pytest.raises(BudgetError, match=r"the number of links of cycle_graph\(n=500\) is 500"):
        Topology.from_generator("cycle_graph", {"n": 500})


# -- the wall-time budget --------------------------------------------------------------

def slow_generator(n, seed=None):
    """Never returns by itself, and swallows every Exception on the way."""
    while True:
        try:
            time.sleep(0.01)
        except Exception:
            pass


def test_the_time_budget_stops_a_slow_generator(monkeypatch):
    generator_names()                                     # cached before the patch
    monkeypatch.setattr(nx, "path_graph", slow_generator)
    monkeypatch.setenv("MPSIM_LIMIT_GENERATOR_SECONDS", "0.2")
    handler = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(BudgetError, match=r"generator path_graph\(n=5\) was stopped after 0.2 s of wall "
                                          r"time .*MPSIM_LIMIT_GENERATOR_SECONDS"):
        Topology.from_generator("path_graph", {"n": 5})
    assert time.monotonic() - started < 30                # it did stop (loosely: no timing assert)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)    # no alarm left behind
    assert signal.getsignal(signal.SIGALRM) == handler


def test_the_time_budget_stops_a_real_slow_generator(monkeypatch):
    """gnp_random_graph is quadratic in n whatever p is: 3000 nodes take far longer than 10 ms."""
    monkeypatch.setenv("MPSIM_LIMIT_GENERATOR_SECONDS", "0.01")
    with pytest.raises(BudgetError, match="was stopped after 0.01 s"):
        Topology.from_generator("gnp_random_graph", {"n": 3000, "p": 0.001})


def test_the_time_budget_restores_an_earlier_alarm_and_handler():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        with wall_time_budget(5, "a quick block"):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < remaining <= 100
        assert fired == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_the_block_runs_without_a_timer():
    out = []

    def work():
        with wall_time_budget(0.001, "a block in a thread"):
            time.sleep(0.05)
            out.append(signal.getitimer(signal.ITIMER_REAL))
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert out == [(0.0, 0.0)]


def test_a_budget_that_is_not_needed_changes_nothing():
    with wall_time_budget(math.inf, "no budget"):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


# -- graph files --------------------------------------------------------------------------

def test_a_graph_file_over_its_byte_limit_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "campus.edgelist"
    path.write_text("a b\nb c\nc d\n")
    monkeypatch.setenv("MPSIM_LIMIT_GRAPH_FILE_BYTES", "8")
    read = []
    monkeypatch.setitem(topology_module._FILE_READERS, ".edgelist", lambda p: read.append(p))
    with pytest.raises(BudgetError, match=r"is 12 bytes, over the limit of 8 .*graph_file_bytes"):
        Topology.from_file(path)
    assert read == []


def test_a_graph_file_is_counted_after_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "campus.edgelist"
    path.write_text("a b\nb c\nc d\n")
    assert Topology.from_file(path).graph.number_of_nodes() == 4
    monkeypatch.setenv("MPSIM_LIMIT_TOPOLOGY_NODES", "3")
    with pytest.raises(BudgetError, match="the number of nodes of graph file .* is 4 nodes"):
        Topology.from_file(path)


def test_limits_are_read_at_each_call():
    assert os.environ.get("MPSIM_LIMIT_TOPOLOGY_NODES") is None
    assert limits.get("topology_nodes") == 1_000_000 and limits.get("generator_tries") == 10_000
