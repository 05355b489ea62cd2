"""mpsim/apps/churn.py: joins arrive as a Poisson process of rate ``join_rate`` over the
group, each taking a host that is not a member, which leaves after an exponential stay of
mean ``mean_stay``; no arrival at or after ``until``."""

import math

import pytest

from mpsim.apps.churn import Churn
from mpsim.core.errors import ParameterError
from tests.apps.helpers import records, run_yaml

TREE = """\
name: churn
duration: {duration}s
topology:
  generator: balanced_tree
  params: {{r: 2, h: 2}}
  links: {{delay: 1ms}}
hosts:
  boss: {{node: 0}}
  crowd: {{nodes: {nodes}, name: "h{{i}}"}}
sessions:
  - {{name: tv, provider: ipmc, rp: 0}}
  - {{name: call, provider: atm, root: boss}}
actions:
  - {{at: 0s, host: boss, do: listen, session: call}}
  - {{at: {at}s, do: churn, session: {session}, hosts: crowd, join_rate: {rate}/s, mean_stay: {stay}s{until}}}
"""


def churn_run(tmp_path, *, rate, stay, at=0.0, until=None, duration, hosts=20, session="tv", seed=None):
    nodes = [3 + k % 4 for k in range(hosts)]                 # the tree's leaves, in turn
    text = TREE.format(duration=duration, nodes=nodes, at=at, session=session, rate=rate, stay=stay,
                       until="" if until is None else f", until: {until}s")
    return run_yaml(tmp_path, text, seed=seed)


def test_arrivals_are_a_poisson_process_of_the_join_rate_and_stays_exponential(tmp_path):
    """Over a horizon H the number of joins is Poisson(rate·H): standard error sqrt(rate·H).
    H is the shortest that tells the rate to 10 % at four standard errors, so
    4·sqrt(n) <= 0.1·n: n = (4 / 0.1)² = 1600 expected joins. With 20 hosts and a mean
    stay of 1 s the members are Poisson(2) in number: an arrival that finds all 20 busy
    (and so joins no one) has a chance of about 1e-13, so each arrival is one JOIN."""
    z, resolution = 4.0, 0.10
    rate, stay, at = 2.0, 1.0, 10.0
    expected = (z / resolution) ** 2                            # 1600
    horizon = expected / rate                                   # 800 s
    until = at + horizon
    run = churn_run(tmp_path, rate=rate, stay=stay, at=at, until=until, duration=until + 30 * stay)
    joins = records(run, "app", "JOIN")
    leaves = records(run, "app", "LEAVE")
    times = list(joins.time)
    assert at < times[0] and times[-1] < until and times == sorted(times)
    n = len(times)
    se = math.sqrt(expected)                                    # 40
    assert abs(n - expected) <= z * se, (n, expected, se)
    # The gaps are exponential of mean 1/rate: their mean within its standard error
    # (sd = mean for an exponential), and the share longer than the mean is e^-1.
    gaps = [b - a for a, b in zip(times, times[1:])]
    mean_gap = sum(gaps) / len(gaps)
    assert abs(mean_gap - 1 / rate) <= z * (1 / rate) / math.sqrt(len(gaps))
    p = math.exp(-1)
    longer = sum(1 for g in gaps if g > 1 / rate) / len(gaps)
    assert abs(longer - p) <= z * math.sqrt(p * (1 - p) / len(gaps))
    # Every member left (30 mean stays after the last join), each after an exponential stay.
    assert len(leaves) == n
    stays = []
    for host, mine in joins.groupby("host"):
        gone = leaves[leaves.host == host]
        assert len(gone) == len(mine)
        stays += [left - joined for joined, left in zip(mine.time, gone.time)]
    assert all(s > 0 for s in stays)
    mean_stay = sum(stays) / len(stays)
    assert abs(mean_stay - stay) <= z * stay / math.sqrt(len(stays))


def test_an_arrival_that_finds_every_host_a_member_joins_no_one(tmp_path):
    """One host, stays far longer than the run: it joins at the first arrival, and the
    some 50 later arrivals find no host to take."""
    run = churn_run(tmp_path, rate=10, stay=1000, duration=5, hosts=1)
    assert len(records(run, "app", "JOIN")) == 1
    assert len(records(run, "app", "LEAVE")) == 0
    assert list(run.stack.joins.frame().method) == ["nonrooted"]


def test_churn_on_a_rooted_session_asks_the_root_for_admittance(tmp_path):
    run = churn_run(tmp_path, rate=2, stay=2, duration=20, session="call")
    requests = records(run, "app", "REQUEST")
    assert len(requests) > 10 and set(requests.peer) == {"boss"}
    assert len(records(run, "app", "JOIN")) == 0
    joins = run.stack.joins.frame()
    assert len(joins) == len(requests)
    assert set(joins.method) == {"leaf_request"} and set(joins.root) == {"boss"}
    assert (joins.outcome == "connected").sum() > 0.9 * len(joins)


def test_the_same_seed_gives_the_same_churn_and_another_seed_another(tmp_path):
    def join_times(seed):
        run = churn_run(tmp_path, rate=5, stay=1, duration=10, seed=seed)
        return list(zip(records(run, "app", "JOIN").time, records(run, "app", "JOIN").host))

    assert join_times(3) == join_times(3)
    assert join_times(3) != join_times(4)


def test_churn_refuses_what_the_scenario_refuses():
    class Action:
        session, at, join_rate, mean_stay = "tv", 0.0, 1e300, 1.0
    with pytest.raises(ParameterError, match="join_rate"):
        Churn(None, Action(), ["h"], None)
    Action.join_rate, Action.mean_stay = 1.0, 1e-300
    with pytest.raises(ParameterError, match="mean_stay"):
        Churn(None, Action(), ["h"], None)
