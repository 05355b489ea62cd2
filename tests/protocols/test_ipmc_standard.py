"""ipmc as the standards say (protocols.md "ipmc"): the PIM re-route on a unicast route
change (RFC 7761 §4.5.7), the IGMPv2 repeat cancelled by another member's report
(RFC 2236 §6), the IGMPv3 leave repeated (RFC 3376 §5.1), and ``scope`` as the IP TTL.

Lossless runs are deterministic, so each test asserts the exact times (to the
microsecond or better) of the packets and events it is about, computed by hand below.
"""

import math

import pytest

from mpsim.core.rng import RngStreams
from mpsim.net import LinkSpec, Topology
from mpsim.spi import FD_READ
from tests.apps.helpers import records, run_yaml
from tests.protocols.ipmc_world import gaps, periodic_source, pim_log, ring_world
from tests.world import CASE_LINK, HOP, World, lose_next, sent

#: a 100 B packet on a 10 ms, 100 Mbps link (the scenario default bandwidth)
FAST_HOP = 0.010 + 100 * 8 / 100e6

SCOPED_LEAVE = """\
name: scoped_leave
duration: 10s
topology:
  generator: path_graph
  params: {n: 3}
  links: {delay: 10ms}
hosts:
  s: {node: 0}
  m: {node: 2}
sessions:
  - {name: g, provider: ipmc, rp: 0, scope: 8}
actions:
  - {at: 1s, host: m, do: join, session: g}
  - {at: 5s, host: m, do: leave, session: g}
traffic:
  - {from: s, session: g, rate: 2000/s, size: 100B, start: 0.5s}
"""


def control_sends(run, kind):
    """(time, from, to) of every ``kind`` control message a node sent."""
    frame = records(run, "proto", kind)
    frame = frame[frame.detail.fillna("") != "recv"]
    return [(round(t, 9), str(a), str(b)) for t, a, b in zip(frame.time, frame.host, frame.peer, strict=True)]


def test_scoped_data_survives_a_prune_with_packets_in_flight(tmp_path):
    """Regression: scoped copies had a forwarding path of their own that walked the tree's
    parents without the tree lookup or the RPF check, so a copy in flight on 1 -> 2 when
    router 1 pruned that branch (7.02 s) raised KeyError and the run exited 1.

    Hand figures (s on the RP 0, m on router 2; hops of FAST_HOP = 10.008 ms): the report
    reaches 2 at 1.010008, the Join 1 at 1.020016 and 0 at 1.030024; the first packet to
    pass 0 after that left s at 1.0205 (packets every 0.5 ms from 0.5 s) and reaches m
    four hops later, at 1.060532. m leaves at 5 s (its socket takes no more data then):
    the last packet it gets left s at 4.9595, so it gets packets 1041..8919 (7 879). The
    Leave reaches 2 at 5.010008; two group-specific queries 1 s apart, then the group is
    gone at 7.010008 and the Prunes climb: 2 -> 1 at 7.010008, 1 -> 0 at 7.020016."""
    run = run_yaml(tmp_path, SCOPED_LEAVE)
    (row,) = run.stack.joins.frame().itertuples()
    assert row.t_first_data == pytest.approx(0.5 + 1041 * 0.0005 + 4 * FAST_HOP, abs=1e-9)
    assert row.t_first_data == pytest.approx(1.060532, abs=1e-9)
    assert run.apps[("m", "g")].socket.recv() == (7879, 7879 * 100)
    assert control_sends(run, "PIM_PRUNE") == [(7.010008, "2", "1"), (7.020016, "1", "0")]
    assert run.net.ttl_drops == 0                         # 3 routers on the way, scope 8
    assert run.sim.now == 10.0                            # the run went to its end


# -- PIM: re-route at once on a unicast route change (RFC 7761 §4.5.7) ---------------------

def test_recovery_moves_the_tree_back_at_once_join_first_then_prune():
    """The link 1-2 fails at 10 s and recovers at 20 s. At 20 s router 2's route is 2-1-0
    again: at that instant it sends the Join to 1 and then the Prune to 3 (RFC 7761's
    order); the Prune climbs 3 -> 4 -> 0 as each router loses its last downstream. Router
    1 never lost its (stale) state for 2, so the Join only makes 1 -> 2 the RPF link
    again (at 20.0108). H's last copy the long way left S at 19.9675 (at 2 at 20.0107,
    at H at 20.0215); the first the short way left S at 19.9785 (the first to find 1 -> 2
    up: at 1 at 20.0001) and reaches 2 at 20.0109, where it waits 0.6 ms for the access
    link: at H at 20.0223, the next three also queued (+0.8 ms each), then every 1 ms
    again. The ten packets that left S in between were on the long way and are dropped
    by 2's RPF check; no gap. Each re-route restarts the Join timer, so router 2's next
    refresh is at 80 s (20 + 60), not at 61.0108 (its state's first)."""
    w, arrivals = ring_world()
    w.at(10.0, w.net.fail_link, 1, 2)
    w.at(20.0, w.net.recover_link, 1, 2)
    w.run(81.0)
    assert pim_log(w) == [
        (1.0108, "2", "1", "PIM_JOIN"), (1.0216, "1", "0", "PIM_JOIN"),
        (10.0, "2", "3", "PIM_JOIN"), (10.0108, "3", "4", "PIM_JOIN"), (10.0216, "4", "0", "PIM_JOIN"),
        (20.0, "2", "1", "PIM_JOIN"), (20.0, "2", "3", "PIM_PRUNE"),
        (20.0108, "3", "4", "PIM_PRUNE"), (20.0216, "4", "0", "PIM_PRUNE"),
        (61.0216, "1", "0", "PIM_JOIN"), (80.0, "2", "1", "PIM_JOIN")]
    around = [t for t in arrivals if 20.0195 <= t <= 20.0267]
    assert around == [20.0195, 20.0205, 20.0215, 20.0223, 20.0231, 20.0239, 20.0247, 20.0257,
                      20.0267]
    # the 31.25 s startup query delays two packets on 2 -> H; nothing else
    assert gaps(arrivals) == [(10.0107, 10.0765), (31.2607, 31.2623)]
    # k = 1022 (1.0225 s, first data 1.0657) .. 80 956 (80.9565 s, at H 80.9997) arrive,
    # but for 54 lost to the failure (9.9685 .. 10.0215) and 10 to the recovery
    assert (arrivals[0], arrivals[-1]) == (1.0657, 80.9997)
    assert len(arrivals) == (80956 - 1022 + 1) - 54 - 10
    assert w.net.link(4, 0).packets == 2                      # its Join and its Prune only


def test_a_lost_reroute_join_is_repaired_by_the_restarted_refresh():
    """The re-route Join is a real packet: lost on 2 -> 3, nothing is grafted, and the tree
    is repaired by router 2's refresh, restarted at the re-route: 60 s later, at 70 s."""
    w, arrivals = ring_world()
    w.at(5.0, lose_next, w.net.link(2, 3), 1)
    w.at(10.0, w.net.fail_link, 1, 2)
    w.run(71.0)
    assert pim_log(w) == [
        (1.0108, "2", "1", "PIM_JOIN"), (1.0216, "1", "0", "PIM_JOIN"),
        (10.0, "2", "3", "PIM_JOIN"), (61.0216, "1", "0", "PIM_JOIN"),
        (70.0, "2", "3", "PIM_JOIN"), (70.0108, "3", "4", "PIM_JOIN"), (70.0216, "4", "0", "PIM_JOIN")]
    assert w.net.link(2, 3).losses == 1
    assert gaps(arrivals) == [(10.0107, 70.0765)]


# -- IGMP ------------------------------------------------------------------------------------

def igmp_world(version, robustness=2, hosts=("A", "B"), seed=1, source=False):
    """Hosts on router 1, the RP router 0 (multipoint.md's links; a report takes HOP), and
    if ``source`` a host S on the RP that sends 100 B every 1 ms from 0.5 ms."""
    topo = Topology.from_generator("path_graph", {"n": 2}, links=LinkSpec(**CASE_LINK))
    w = World(topo, {**{h: 1 for h in hosts}, **({"S": 0} if source else {})}, seed=seed,
              providers=("ipmc",))
    w.session("g", "ipmc", rp=0, igmp={"version": version, "robustness": robustness})
    if source:
        periodic_source(w, "S", "g", 0.001, start=0.0005)
    return w


def igmp_sends(w, kind):
    """(time, sender) of every ``kind`` message sent."""
    return [(t, a) for t, a, b, k in sent(w) if k == kind]


def draws(name, high, n=1, seed=1):
    """The first ``n`` uniform [0, high) draws of the named stream, as the run makes them."""
    return list(RngStreams(seed).stream(name).uniform(0.0, high, n))


@pytest.mark.parametrize("version, uri", [(2, 10.0), (3, 1.0)])
def test_v2_member_that_hears_a_report_cancels_its_pending_repeat(version, uri):
    """A joins at 1 s: report at once, its repeat due at 1 + u_A (u_A: the first draw of
    ``ipmc:A``, uniform on [0, URI]). B joins halfway, at 1 + u_A/2; its report reaches
    their router (their LAN) HOP later, before A's repeat is due. An IGMPv2 A hears it
    and cancels the repeat (RFC 2236 §6: Delaying Member -> Idle Member); an IGMPv3 A
    sends it anyway (v3 has no suppression). B's own repeat follows at 1 + u_A/2 + u_B.
    Until this model followed RFC 2236, the v2 A sent its repeat too."""
    (u_a,), (u_b,) = draws("ipmc:A", uri), draws("ipmc:B", uri)
    t_b = 1.0 + u_a / 2
    assert t_b + HOP < 1.0 + u_a                          # B is heard before A's repeat
    w = igmp_world(version)
    w.at(1.0, w.app("A", "g").join)
    w.at(t_b, w.app("B", "g").join)
    w.run(30.0)                                           # before the 31.25 s startup query
    expected = [(1.0, "A"), (round(t_b, 9), "B"), (round(t_b + u_b, 9), "B")]
    if version == 3:
        expected.insert(2, (round(1.0 + u_a, 9), "A"))
    assert sorted(igmp_sends(w, "IGMP_REPORT")) == expected
    rows = w.joins().set_index("leaf")
    assert rows.loc["A", "attempts"] == (1 if version == 2 else 2)


def test_v2_member_silenced_by_a_neighbours_report_gets_the_data_on_the_lan():
    """A's first report is lost; B's report (at 1 + u_A/2) reaches their router, which
    forwards the group onto the segment (a LAN) from then, and A, having heard it, stays
    silent: A relies on the router's forwarding, so it gets the data with B. B's report
    makes router 1 join (0 grafts 1 at t_B + 2·HOP); the first packet to pass 0 then left
    S at t_k >= t_B + HOP (every 1 ms from 0.5 ms) and reaches A and B 3·HOP after it
    left. Until members heard each other's reports for their repeats too, A waited for its
    own repeat at 1 + u_A (and with the repeat cancelled but no port, for ever)."""
    (u_a,) = draws("ipmc:A", 10.0)
    t_b = 1.0 + u_a / 2
    w = igmp_world(2, source=True)
    w.at(0.5, lose_next, w.net.link("A", 1), 1)
    w.at(1.0, w.app("A", "g").join)
    w.at(t_b, w.app("B", "g").join)
    w.run(10.0)
    k = math.ceil((t_b + HOP - 0.0005) / 0.001)
    first = 0.0005 + k * 0.001 + 3 * HOP
    rows = w.joins().set_index("leaf")
    assert rows.loc["A", "t_first_data"] == pytest.approx(first, abs=1e-9)
    assert rows.loc["B", "t_first_data"] == pytest.approx(first, abs=1e-9)
    assert [a for _, a in igmp_sends(w, "IGMP_REPORT")] == ["A", "B", "B"]


def cumulative(t0, delays):
    """A first send at ``t0`` and one after each of ``delays`` in turn (rounded as ``sent``)."""
    return [round(t0 + sum(delays[:i]), 9) for i in range(len(delays) + 1)]


@pytest.mark.parametrize("robustness", [2, 3])
def test_v3_leave_report_is_repeated_robustness_minus_one_times(robustness):
    """H (IGMPv3, URI 1 s) joins at 1 s and leaves at 5 s; its first TO_IN{} is lost on
    the access link. The join's repeats are at 1 + d1 (+ d2), d from ``ipmc:H`` as before
    this change; the leave's at 5 + l1 (+ l2), l from ``ipmc:H:leave``, a stream of its
    own so that no other draw moves. The repeat reaches router 1 at 5 + l1 + HOP: the
    two group-specific queries go then and 1 s later, and the Prune 2 × LMQI after it.
    (A third TO_IN{} comes during those queries and changes nothing.) Until the leave
    was repeated, a lost TO_IN{} left the group until the membership interval, 260 s."""
    d = draws("ipmc:H", 1.0, robustness - 1)
    leave = draws("ipmc:H:leave", 1.0, robustness - 1)
    w = igmp_world(3, robustness, hosts=("H",))
    w.at(1.0, w.app("H", "g").join)
    w.at(4.5, lose_next, w.net.link("H", 1), 1)
    w.at(5.0, w.app("H", "g").leave)
    w.run(30.0)
    assert [t for t, _ in igmp_sends(w, "IGMP_REPORT")] == cumulative(1.0, d)
    assert [t for t, _ in igmp_sends(w, "IGMP_LEAVE")] == cumulative(5.0, leave)
    heard = 5.0 + leave[0] + HOP
    assert [t for t, a in igmp_sends(w, "IGMP_QUERY") if t > 5] == [round(heard, 9),
                                                                    round(heard + 1.0, 9)]
    assert [(t, str(a)) for t, a in igmp_sends(w, "PIM_PRUNE")] == [(round(heard + 2.0, 9), "1")]


def test_v3_rejoin_cancels_the_pending_leave_repeat():
    """A new state change supersedes the leave: H leaves at 5 s and joins again before its
    TO_IN{} repeat (due at 5 + l1); only the first TO_IN{} is sent."""
    (l1,) = draws("ipmc:H:leave", 1.0)
    w = igmp_world(3, hosts=("H",))
    w.at(1.0, w.app("H", "g").join)
    w.at(5.0, w.app("H", "g").leave)
    w.at(5.0 + l1 / 2, w.app("H", "g").join)
    w.run(30.0)
    assert igmp_sends(w, "IGMP_LEAVE") == [(5.0, "H")]


# -- scope: the IP TTL ------------------------------------------------------------------------

DATA_HOP = 0.010 + 1000 * 8 / 1e6                          # a 1000 B packet: 18 ms a hop


@pytest.mark.parametrize("source, scope, reached, expired_at", [
    # S on the RP 0: M_j is j + 2 links away (S-0-...-j-M_j)
    (0, 1, [], 0), (0, 2, [0], 1), (0, 3, [0, 1], 2), (0, 4, [0, 1, 2], 3),
    (0, 6, [0, 1, 2, 3, 4], 5), (0, 7, [0, 1, 2, 3, 4, 5], None),
    # S on router 3: to the RP by unicast (S-3-2-1-0), then down: M_j is j + 5 links away,
    # M_3 on S's own router 8 (the data goes through the RP)
    (3, 3, [], 1), (3, 5, [0], 1), (3, 6, [0, 1], 2), (3, 9, [0, 1, 2, 3, 4], 5),
])
def test_scope_k_reaches_members_at_most_k_links_away(source, scope, reached, expired_at):
    """Members M0..M5 on the routers 0..5 of a chain, RP 0. S sends one 1000 B packet of
    TTL ``scope`` at 5 s; every router that forwards it decrements the TTL, and the one
    that gets it with TTL 1 (``expired_at``) forwards it nowhere, so M_j gets it iff its
    distance d_j (links on the data's path) is at most the scope: the member at
    distance k receives, at 5 + k × 18 ms, the one at k + 1 does not."""
    topo = Topology.from_generator("path_graph", {"n": 6}, links=LinkSpec(**CASE_LINK))
    members = {f"M{j}": j for j in range(6)}
    w = World(topo, {"S": source, **members}, providers=("ipmc",), trace_packets=True)
    w.session("g", "ipmc", rp=0, scope=scope)
    got = {}
    for m in members:
        w.at(1.0, w.app(m, "g").join)
        w.at(1.0, lambda m=m: w.app(m, "g").socket.on(
            lambda ind, m=m: got.setdefault(m, round(ind.time, 9)) if ind.event == FD_READ else None))
    w.at(5.0, w.app("S", "g").send, 1000)
    w.run(6.0)
    distance = {f"M{j}": (j + 2 if source == 0 else j + 5) for j in range(6)}
    assert got == {f"M{j}": round(5.0 + distance[f"M{j}"] * DATA_HOP, 9) for j in reached}
    assert all(distance[m] <= scope for m in got)
    assert all(distance[m] > scope for m in members if m not in got)
    # the packet reaches its scope-th router after ``scope`` links, with TTL 1
    expiry = [] if expired_at is None else [(round(5.0 + scope * DATA_HOP, 9), str(expired_at))]
    drops = w.events("net")
    drops = drops[drops.detail == "DATA (ttl)"]
    assert [(round(t, 9), str(h)) for t, h in zip(drops.time, drops.host, strict=True)] == expiry
    assert w.net.ttl_drops == len(expiry)
