"""Budgets of a topology: no generator or graph file may eat the machine (``core.limits``).

A generator's node and edge counts are estimated from its parameters and refused over
``topology_nodes`` / ``topology_edges`` before it runs (``estimate_size``: a table of
networkx's generators, and a conservative rule for the others); its retry counts are
bounded by ``generator_tries``; it runs under a wall-time budget (``generator_seconds``);
and the graph it returns, or the one a file holds, is counted again (``check_graph_size``).
"""

from __future__ import annotations

import functools
import inspect
import math
import signal
import threading
import time
from contextlib import contextmanager

import networkx as nx

from mpsim.core import limits
from mpsim.core.errors import TopologyError
from mpsim.core.text import short


@functools.cache
def generator_names() -> tuple[str, ...]:
    """Names of the networkx graph generators a topology can be built from."""
    return tuple(sorted(name for name, fn in vars(nx).items()
                  if inspect.isfunction(fn) and (fn.__module__ or "").startswith("networkx.generators")
                  and not name.startswith("_")))


#: Parameters that say how often a randomized generator may start again: bounded by
#: limit ``generator_tries``, since each try costs a pass over the graph.
WORK_PARAMETERS = ("tries", "max_tries", "max_iters")
#: Parameters that are not sizes (the generic rule of ``estimate_size`` skips them).
_NOT_SIZES = {"seed", "create_using", "directed", "periodic", "with_positions", "selfloops",
              "self_loops", "center", "undirected", "sparse", "copy", "default", *WORK_PARAMETERS}


def _number(value) -> float:
    """A parameter as a size: a number as itself (>= 0), a sequence or string as its
    length (networkx takes an iterable of nodes for ``n`` in path_graph, complete_graph,
    ...), anything else 0."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return math.inf
        return number if number > 0 else 0.0
    if isinstance(value, (str, list, tuple, dict, set, frozenset, range)):
        return float(len(value))
    return 0.0


def _total(value, depth: int = 0) -> float:
    """The sum of the numbers in a (nested) sequence or mapping's values, e.g. a degree
    sequence's total degree (a string or other item counts 1)."""
    if depth > 8:
        return 0.0
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple, set, frozenset, range)):
        return math.fsum(_total(item, depth + 1) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    return 1.0


def _longest(value) -> float:
    """The largest number in a (nested) sequence: the highest probability of a matrix."""
    if isinstance(value, (list, tuple)):
        return max((_longest(item) for item in value), default=0.0)
    return _number(value)


def _pow(base: float, exponent: float) -> float:
    try:
        return float(base) ** float(exponent)
    except OverflowError:
        return math.inf


def _pairs(n: float, directed=False) -> float:
    return n * max(n - 1, 0) * (1.0 if directed else 0.5)


def _binomial_bound(pairs: float, p: float) -> float:
    """Far above the number of pairs kept with probability ``p`` each (mean + 6 sd + 10)."""
    p = min(max(p, 0.0), 1.0)
    mean = pairs * p
    return min(pairs, mean + 6 * math.sqrt(mean) + 10)


def _comb(n: float, k: float) -> float:
    """C(n, k), as a float (inf if too large)."""
    if not (0 <= k <= n) or not math.isfinite(n):
        return 0.0 if math.isfinite(n) else math.inf
    log = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.exp(log) if log < 700 else math.inf


class _Params:
    """A generator's parameters, read as sizes, with networkx's defaults."""

    def __init__(self, params, defaults):
        self.params, self.defaults = params, defaults

    def get(self, key, default=None):
        if key in self.params:
            return self.params[key]
        value = self.defaults.get(key, inspect.Parameter.empty)
        return default if value is inspect.Parameter.empty or value is None else value

    def n(self, key, default=0) -> float:
        return _number(self.get(key, default))

    def p(self, key, default=1.0) -> float:
        value = self.get(key, default)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) else default

    def total(self, key) -> float:
        return _total(self.get(key, ()))


def _geometric(n, radius, dim):
    """A random geometric graph: a pair is linked only if one point is in the other's
    ball, which lies in a cube of side 2*radius in the unit cube."""
    share = min(1.0, _pow(2 * max(radius, 0.0), max(dim, 1)))
    return n, _binomial_bound(_pairs(n), share)


def _partition(nodes, p_max):
    return nodes, _binomial_bound(_pairs(nodes), p_max)


def _tree_count(p, n, count_key):
    count = max(p.n(count_key, 1), 1)
    return p.n(n) * count, p.n(n) * count


def _balanced_tree(p):
    r, h = p.n("r"), p.n("h")
    nodes = h + 1 if r == 1 else (_pow(r, h + 1) - 1) / (r - 1) if r > 1 else 1
    return nodes, nodes


def _lobster(p):
    q1 = p.p("p1", 0.0)
    q2 = p.p("p2", 0.0)
    backbone = 2 * p.n("n") + 1
    if not (0 <= q1 < 1 and 0 <= q2 < 1):
        return backbone, backbone                  # networkx refuses these itself
    legs = q1 / (1 - q1)
    nodes = 4 * backbone * (1 + legs * (1 + q2 / (1 - q2))) + 100
    return nodes, nodes


def _extended_ba(p):
    n, m = p.n("n"), p.n("m")
    new_nodes = max(1 - p.p("p", 0.0) - p.p("q", 0.0), 1e-9)
    return n, min(_pairs(n), 2 * n * m / new_nodes) + n * m


def _scale_free(p):
    n = p.n("n")
    node_steps = max(p.p("alpha", 0.41) + p.p("gamma", 0.05), 1e-9)
    return n, 2 * n / node_steps + n + 10


def _lfr(p):
    n = p.n("n")
    if p.get("max_degree") is not None:
        return n, n * p.n("max_degree") / 2 + n
    if p.get("average_degree") is not None and p.get("min_degree") is None:
        return n, 4 * n * p.n("average_degree") + n
    return n, _pairs(n)


def _soft_configuration(p):
    n = p.n("n") if p.get("n") is not None else p.n("kappas")
    if p.get("mean_degree") is not None:
        return n, 4 * n * p.n("mean_degree") + n + 10
    return n, _pairs(n)


def _prefix_tree(p):
    paths = p.get("paths", ())
    total = math.fsum(_number(path) for path in paths) if isinstance(paths, (list, tuple)) \
        else _number(paths)
    return total + 2, total + 2


def _shells(p):
    shells = p.get("constructor", ())
    nodes = edges = 0.0
    for shell in shells if isinstance(shells, (list, tuple)) else ():
        if isinstance(shell, (list, tuple)) and len(shell) >= 2:
            nodes += _number(shell[0])
            edges += _number(shell[1])
    return nodes, edges + nodes


def _grid(p):
    dim = p.get("dim", ())
    sides = [_number(d) for d in dim] if isinstance(dim, (list, tuple)) else [_number(dim)]
    nodes = math.prod(sides) if sides else 0.0
    return nodes, nodes * max(len(sides), 1)


def _gnp(p):
    n = p.n("n")
    return n, _binomial_bound(_pairs(n, p.get("directed", False) is True), p.p("p"))


def _gnm(p):
    n = p.n("n")
    return n, min(p.n("m"), _pairs(n, p.get("directed", False) is True))


def _degrees(key):
    return lambda p: (p.n(key), p.total(key) / 2 + p.n(key))


def _directed_degrees(in_key, out_key):
    return lambda p: (max(p.n(in_key), p.n(out_key)), max(p.total(in_key), p.total(out_key))
                      + p.n(in_key))


_ESTIMATES = {
    # deterministic: counts from the structure
    "path_graph": lambda p: (p.n("n"), p.n("n")),
    "cycle_graph": lambda p: (p.n("n"), p.n("n")),
    "star_graph": lambda p: (p.n("n") + 1, p.n("n")),
    "wheel_graph": lambda p: (p.n("n"), 2 * p.n("n")),
    "complete_graph": lambda p: (p.n("n"), _pairs(p.n("n"))),
    "empty_graph": lambda p: (p.n("n"), 0.0),
    "ladder_graph": lambda p: (2 * p.n("n"), 3 * p.n("n")),
    "circular_ladder_graph": lambda p: (2 * p.n("n"), 3 * p.n("n")),
    "circulant_graph": lambda p: (p.n("n"), p.n("n") * max(p.n("offsets"), 1)),
    "balanced_tree": _balanced_tree,
    "full_rary_tree": lambda p: (p.n("n"), p.n("n")),
    "binomial_tree": lambda p: (_pow(2, p.n("n")), _pow(2, p.n("n"))),
    "barbell_graph": lambda p: (2 * p.n("m1") + p.n("m2"), p.n("m1") ** 2 + p.n("m2") + 1),
    "lollipop_graph": lambda p: (p.n("m") + p.n("n"), _pairs(p.n("m")) + p.n("n") + 1),
    "tadpole_graph": lambda p: (p.n("m") + p.n("n"), p.n("m") + p.n("n") + 1),
    "grid_2d_graph": lambda p: (p.n("m") * p.n("n"), 2 * p.n("m") * p.n("n")),
    "grid_graph": _grid,
    "hypercube_graph": lambda p: (_pow(2, p.n("n")), p.n("n") * _pow(2, p.n("n"))),
    "triangular_lattice_graph": lambda p: ((p.n("m") + 1) * (p.n("n") + 1),
                                           3 * (p.n("m") + 1) * (p.n("n") + 1)),
    "hexagonal_lattice_graph": lambda p: (2 * (p.n("m") + 1) * (p.n("n") + 1),
                                          3 * (p.n("m") + 1) * (p.n("n") + 1)),
    "margulis_gabber_galil_graph": lambda p: (p.n("n") ** 2, 8 * p.n("n") ** 2),
    "chordal_cycle_graph": lambda p: (p.n("p"), 3 * p.n("p")),
    "paley_graph": lambda p: (p.n("p"), p.n("p") ** 2),
    "kneser_graph": lambda p: (_comb(p.n("n"), p.n("k")),
                               _comb(p.n("n"), p.n("k")) * _comb(p.n("n") - p.n("k"), p.n("k"))),
    "LCF_graph": lambda p: (p.n("n"), p.n("n") + p.n("shift_list") * p.n("repeats")),
    "generalized_petersen_graph": lambda p: (2 * p.n("n"), 3 * p.n("n")),
    "hkn_harary_graph": lambda p: (p.n("n"), (p.n("k") + 2) * p.n("n")),
    "hnm_harary_graph": lambda p: (p.n("n"), p.n("m") + p.n("n")),
    "turan_graph": lambda p: (p.n("n"), _pairs(p.n("n"))),
    "caveman_graph": lambda p: (p.n("l") * p.n("k"), p.n("l") * _pairs(p.n("k")) + p.n("l")),
    "connected_caveman_graph": lambda p: (p.n("l") * p.n("k"), p.n("l") * _pairs(p.n("k")) + p.n("l")),
    "relaxed_caveman_graph": lambda p: (p.n("l") * p.n("k"), p.n("l") * _pairs(p.n("k")) + p.n("l")),
    "ring_of_cliques": lambda p: (p.n("num_cliques") * p.n("clique_size"),
                                  p.n("num_cliques") * (_pairs(p.n("clique_size")) + 1)),
    "windmill_graph": lambda p: (p.n("n") * p.n("k"), p.n("n") * _pairs(p.n("k"))),
    "mycielski_graph": lambda p: (_pow(2, p.n("n")), _pow(3, p.n("n"))),
    "sudoku_graph": lambda p: (p.n("n", 3) ** 4, 1.5 * p.n("n", 3) ** 6),
    "dorogovtsev_goltsev_mendes_graph": lambda p: (_pow(3, p.n("n")) + 3, _pow(3, p.n("n")) + 3),
    "random_cograph": lambda p: (_pow(2, p.n("n")), _pairs(_pow(2, p.n("n")))),
    "nonisomorphic_trees": lambda p: (p.n("order"), p.n("order")),
    "number_of_nonisomorphic_trees": lambda p: (p.n("order"), 0.0),
    "graph_atlas": lambda p: (7.0, 21.0),
    "interval_graph": lambda p: (p.n("intervals"), _pairs(p.n("intervals"))),
    "visibility_graph": lambda p: (p.n("series"), _pairs(p.n("series"))),
    "prefix_tree": _prefix_tree,
    "prefix_tree_recursive": _prefix_tree,
    "triad_graph": lambda p: (3.0, 6.0),
    # random: an upper bound, or far above the mean where the count is random
    "barabasi_albert_graph": lambda p: (p.n("n"), p.n("n") * p.n("m")),
    "dual_barabasi_albert_graph": lambda p: (p.n("n"), p.n("n") * max(p.n("m1"), p.n("m2"))),
    "extended_barabasi_albert_graph": _extended_ba,
    "powerlaw_cluster_graph": lambda p: (p.n("n"), p.n("n") * p.n("m")),
    "erdos_renyi_graph": _gnp, "gnp_random_graph": _gnp, "binomial_graph": _gnp,
    "fast_gnp_random_graph": _gnp,
    "gnm_random_graph": _gnm, "dense_gnm_random_graph": _gnm,
    "watts_strogatz_graph": lambda p: (p.n("n"), p.n("n") * p.n("k") / 2 + p.n("n")),
    "connected_watts_strogatz_graph": lambda p: (p.n("n"), p.n("n") * p.n("k") / 2 + p.n("n")),
    "newman_watts_strogatz_graph": lambda p: (p.n("n"), p.n("n") * p.n("k") + p.n("n")),
    "random_regular_graph": lambda p: (p.n("n"), p.n("n") * p.n("d") / 2 + p.n("n")),
    "random_internet_as_graph": lambda p: (p.n("n"), 4 * p.n("n") + 100),
    "random_powerlaw_tree": lambda p: (p.n("n"), p.n("n")),
    "random_powerlaw_tree_sequence": lambda p: (p.n("n"), 0.0),
    "random_lobster": _lobster, "random_lobster_graph": _lobster,
    "random_labeled_tree": lambda p: (p.n("n"), p.n("n")),
    "random_labeled_rooted_tree": lambda p: (p.n("n"), p.n("n")),
    "random_labeled_rooted_forest": lambda p: (p.n("n"), p.n("n")),
    "random_unlabeled_tree": lambda p: _tree_count(p, "n", "number_of_trees"),
    "random_unlabeled_rooted_tree": lambda p: _tree_count(p, "n", "number_of_trees"),
    "random_unlabeled_rooted_forest": lambda p: _tree_count(p, "n", "number_of_forests"),
    "random_k_out_graph": lambda p: (p.n("n"), p.n("n") * p.n("k")),
    "random_kernel_graph": lambda p: (p.n("n"), _pairs(p.n("n"))),
    "random_shell_graph": _shells,
    "random_geometric_graph": lambda p: _geometric(p.n("n"), p.p("radius"), p.n("dim", 2)),
    "soft_random_geometric_graph": lambda p: _geometric(p.n("n"), p.p("radius"), p.n("dim", 2)),
    "thresholded_random_geometric_graph": lambda p: _geometric(p.n("n"), p.p("radius"),
                                                               p.n("dim", 2)),
    "geographical_threshold_graph": lambda p: (p.n("n"), _pairs(p.n("n"))),
    "waxman_graph": lambda p: (p.n("n"), _binomial_bound(_pairs(p.n("n")), p.p("beta", 0.4))),
    "navigable_small_world_graph": lambda p: (
        _pow(p.n("n"), p.n("dim", 2)),
        _pow(p.n("n"), p.n("dim", 2)) * (_pow(2 * p.n("p", 1) + 1, p.n("dim", 2)) + p.n("q", 1))),
    "gaussian_random_partition_graph": lambda p: _partition(p.n("n"), max(p.p("p_in"), p.p("p_out"))),
    "random_partition_graph": lambda p: _partition(p.total("sizes"), max(p.p("p_in"), p.p("p_out"))),
    "planted_partition_graph": lambda p: _partition(p.n("l") * p.n("k"),
                                                    max(p.p("p_in"), p.p("p_out"))),
    "stochastic_block_model": lambda p: _partition(p.total("sizes"), min(_longest(p.get("p", 1)), 1)),
    "general_random_intersection_graph": lambda p: (p.n("n") + p.n("m"),
                                                    _pairs(p.n("n")) + p.n("n") * p.n("m")),
    "uniform_random_intersection_graph": lambda p: (p.n("n") + p.n("m"),
                                                    _pairs(p.n("n")) + p.n("n") * p.n("m")),
    "k_random_intersection_graph": lambda p: (p.n("n") + p.n("m"),
                                              _pairs(p.n("n")) + p.n("n") * p.n("k")),
    "duplication_divergence_graph": lambda p: (p.n("n"), _pairs(p.n("n"))),
    "partial_duplication_graph": lambda p: (p.n("N"), _pairs(p.n("N"))),
    "gn_graph": lambda p: (p.n("n"), p.n("n")),
    "gnr_graph": lambda p: (p.n("n"), p.n("n")),
    "gnc_graph": lambda p: (p.n("n"), _pairs(p.n("n"))),
    "scale_free_graph": _scale_free,
    "LFR_benchmark_graph": _lfr,
    "geometric_soft_configuration_graph": _soft_configuration,
    "configuration_model": _degrees("deg_sequence"),
    "havel_hakimi_graph": _degrees("deg_sequence"),
    "degree_sequence_tree": _degrees("deg_sequence"),
    "random_degree_sequence_graph": _degrees("sequence"),
    "expected_degree_graph": lambda p: (p.n("w"), min(_pairs(p.n("w")) + p.n("w"), p.total("w")
                                                      + 6 * math.sqrt(p.total("w")) + 10)),
    "directed_configuration_model": _directed_degrees("in_degree_sequence", "out_degree_sequence"),
    "directed_havel_hakimi_graph": _directed_degrees("in_deg_sequence", "out_deg_sequence"),
    "directed_joint_degree_graph": _directed_degrees("in_degrees", "out_degrees"),
    "joint_degree_graph": lambda p: (p.total("joint_degrees"), p.total("joint_degrees")),
    "random_clustered_graph": lambda p: (p.n("joint_degree_sequence"),
                                         p.total("joint_degree_sequence")),
    "maybe_regular_expander": lambda p: (p.n("n"), p.n("n") * p.n("d") / 2 + p.n("n")),
    "maybe_regular_expander_graph": lambda p: (p.n("n"), p.n("n") * p.n("d") / 2 + p.n("n")),
    "random_regular_expander_graph": lambda p: (p.n("n"), p.n("n") * p.n("d") / 2 + p.n("n")),
}


def _generic_estimate(params) -> tuple[float, float]:
    """A generator not in the table: the product of its integer and sequence parameters
    (a sequence counting its length) as nodes, and as many edges as a simple graph on
    them can have."""
    nodes = 1.0
    for key, value in params.items():
        if key in _NOT_SIZES or isinstance(value, (bool, float)) or value is None:
            continue
        size = _number(value)
        if size > 0:
            nodes *= size
    return nodes, _pairs(nodes) + nodes


def estimate_size(name: str, params: dict) -> tuple[float, float]:
    """Upper estimates of the nodes and edges generator ``name`` makes with ``params``,
    computed from the parameters alone (nothing is generated).

    The table (``_ESTIMATES``) covers the networkx generators by their structure: exact
    counts for the deterministic ones (``complete_graph``: n(n-1)/2 edges,
    ``balanced_tree``: (r^(h+1) - 1)/(r - 1) nodes, ``hypercube_graph``: 2^n nodes),
    bounds for the random ones (``barabasi_albert_graph``: at most n*m edges;
    ``gnp_random_graph``: the mean p*n(n-1)/2 plus six standard deviations; a lobster's
    random backbone at four times its mean). A sequence where a count is expected
    counts its items (``path_graph`` takes an iterable of nodes). A generator not in the
    table is estimated conservatively: its nodes the product of its integer and sequence
    parameters, its edges all the pairs of those nodes, so an unknown dense or
    polynomial generator cannot slip through (an unknown exponential one is still caught
    by the time budget and the count after it runs). Counts are floats, inf when they
    overflow.

    >>> estimate_size("complete_graph", {"n": 100_000})
    (100000.0, 4999950000.0)
    >>> estimate_size("balanced_tree", {"r": 2, "h": 3})
    (15.0, 15.0)
    >>> estimate_size("path_graph", {"n": ["a", "b", "c"]})
    (3.0, 3.0)
    """
    fn = getattr(nx, name, None)
    try:
        defaults = {key: p.default for key, p in inspect.signature(fn).parameters.items()}
    except (TypeError, ValueError):
        defaults = {}
    rule = _ESTIMATES.get(name)
    if rule is not None:
        try:
            nodes, edges = rule(_Params(dict(params), defaults))
            return float(nodes), float(edges)
        except (TypeError, ValueError, AttributeError, OverflowError):
            pass                                   # odd parameters: networkx will say what is wrong
    return _generic_estimate(params)


class BudgetError(TopologyError):
    """A topology over a limit; ``parameter`` names the generator parameter responsible,
    if one is."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


def call_text(name: str, params: dict) -> str:
    """``name(k=v, ...)`` for messages, each value shortened."""
    return f"{name}(" + ", ".join(f"{k}={short(v)}" for k, v in params.items() if k != "seed") + ")"


def check_generator_budget(name: str, params: dict | None) -> None:
    """Refuse (``BudgetError``) a generator call over limit ``generator_tries``,
    ``topology_nodes`` or ``topology_edges`` by its parameters, before it runs; an
    unknown generator is left to ``Topology.from_generator`` to report."""
    if not isinstance(name, str) or name not in generator_names():
        return
    params = dict(params or {})
    tries = limits.get("generator_tries")
    for key in WORK_PARAMETERS:
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and _number(value) > tries:
            raise BudgetError(limits.exceeded("generator_tries", _number(value), f"{name}'s {key}"),
                              key)
    nodes, edges = estimate_size(name, params)
    call = call_text(name, params)
    if not nodes <= limits.get("topology_nodes"):
        raise BudgetError(limits.exceeded("topology_nodes", nodes,
                                          f"the estimated number of nodes of {call}"))
    if not edges <= limits.get("topology_edges"):
        raise BudgetError(limits.exceeded("topology_edges", edges,
                                          f"the estimated number of links of {call}"))


def check_graph_size(graph, what: str) -> None:
    """Refuse a graph (made or read) with more nodes or edges than the limits allow."""
    nodes = graph.number_of_nodes() if isinstance(graph, nx.Graph) else 0
    edges = graph.number_of_edges() if isinstance(graph, nx.Graph) else 0
    if nodes > limits.get("topology_nodes"):
        raise BudgetError(limits.exceeded("topology_nodes", nodes, f"the number of nodes of {what}"))
    if edges > limits.get("topology_edges"):
        raise BudgetError(limits.exceeded("topology_edges", edges, f"the number of links of {what}"))


class _OutOfTime(BaseException):
    """Raised by the alarm inside a generator: a BaseException, so that a generator's own
    ``except Exception`` cannot swallow it."""


@contextmanager
def wall_time_budget(seconds: float, what: str):
    """Stop the block with a ``BudgetError`` after ``seconds`` of wall time.

    It uses ``SIGALRM`` (``signal.setitimer``), so it works on the main thread of a
    POSIX process only; elsewhere (another thread, Windows) the block runs without a
    timer. A long call into C code is stopped only when it returns to Python. An
    alarm that was pending before is restored, less the time spent.

    >>> with wall_time_budget(5, "a quick block"):
    ...     sum(range(10))
    45
    """
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and 0 < seconds < math.inf)
    if not usable:
        yield
        return
    armed = [True]

    def expire(signum, frame):
        if armed[0]:
            raise _OutOfTime()

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:                             # not the main interpreter
        yield
        return
    started = time.monotonic()
    old_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
        armed[0] = False
    except _OutOfTime:
        raise BudgetError(f"{what} was stopped after {seconds:g} s of wall time (limit "
                          f"generator_seconds: {limits.LIMITS['generator_seconds'].bounds}); to allow "
                          f"more, set {limits.LIMITS['generator_seconds'].variable} or pass --limit "
                          "generator_seconds=N") from None
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay > 0:
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - started), 1e-6))
