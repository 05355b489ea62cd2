"""atm provider state: what it keeps is bounded by what is live, not by the run's history.

A party is kept (``AtmProvider.parties``, a ``PartyIndex``, and its call's per-leaf
tables) while a socket, a failure or the release of its call can still reach it; after
that only its own messages (which carry it) and timers hold it. A failure's detection
looks only at the live parties routed over the failed link.
"""

import gc

import pytest

from mpsim.net import LinkSpec, Topology
from mpsim.protocols.atm.provider import LeafState, Party, PartyIndex, PartyState
from tests.world import CASE_LINK, ONE_WAY, World, chain, lose_next, sent

LEAVES = tuple(f"L{i}" for i in range(1, 9))


def held(w):
    """How many entries the provider and its call hold per party, table by table."""
    provider = w.stack.providers["atm"]
    call = w.stack.session("s").state
    return {
        "parties": len(provider.parties.by_join),
        "by_hop": sum(len(parties) for parties in provider.parties.by_hop.values()),
        "root_parties": len(call.root_parties),
        "leaf_parties": sum(len(parties) for parties in call.leaf_parties.values()),
        "queued": sum(len(parties) for parties in call.queued.values()),
        "switch_parties": sum(len(switch.parties) for switch in call.switches.values()),
    }


def rounds_of_joins(w, rounds, accept=LEAVES[:6], reject=LEAVES[6:], period=1.0):
    """Each round: the root invites every leaf (the first ones accept, the others refuse),
    then the members leave. Returns the tables' sizes at mid-round and at each round's end."""
    root = w.app("R")
    mid, end = [], []
    for k in range(rounds):
        t = k * period
        for leaf in accept:
            w.at(t, w.app(leaf).listen, "accept")
        for leaf in reject:
            w.at(t, w.app(leaf).listen, "reject")
        w.at(t + 0.001, root.invite, list(accept + reject))
        w.at(t + 0.4, lambda: mid.append(held(w)))
        for leaf in accept + reject:
            w.at(t + 0.5, w.app(leaf).leave)
        w.at(t + 0.9, lambda: end.append(held(w)))
    w.run(rounds * period)
    return mid, end


@pytest.mark.parametrize("rounds", [1, 12])
def test_tables_hold_the_live_parties_only_whatever_the_history(rounds):
    w = chain(leaves=LEAVES)
    w.session("s", root="R", max_outstanding=len(LEAVES))
    mid, end = rounds_of_joins(w, rounds)
    joins = w.joins()
    assert len(joins) == rounds * len(LEAVES)
    assert (joins.outcome == "connected").sum() == rounds * 6
    # Mid-round: the six members, each routed over three hops, and the switches' state.
    live = {"parties": 6, "by_hop": 18, "root_parties": 6, "leaf_parties": 6, "queued": 0,
            "switch_parties": 12}
    assert mid == [live] * rounds
    # Once they have left (and the refused ones are answered), nothing is kept per party.
    assert end == [dict.fromkeys(live, 0)] * rounds


def test_finished_parties_are_freed():
    """Nothing but live state refers to a party: once its join is over and its messages
    and timers are gone, the party itself is collected."""
    w = chain(leaves=LEAVES)
    w.session("s", root="R", max_outstanding=len(LEAVES))
    call = w.stack.session("s").state

    def parties_in_memory():
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, Party) and o.call is call)

    counts = []
    w.at(0.3, lambda: counts.append(parties_in_memory()))
    rounds_of_joins(w, 3)
    w.run()                                    # every timer (T303, T399 ...) has run out
    counts.append(parties_in_memory())
    assert counts == [8, 0]


def test_refused_timed_out_and_withdrawn_requests_are_forgotten():
    """Way 2: requests the root refuses, requests lost twice (T331 twice), a request
    withdrawn, a request nobody listens for: none stays in the tables."""
    w = chain(leaves=LEAVES)
    w.session("s", root="R", timers={"T331": "200ms"})
    w.app("R").listen("reject")
    for leaf in LEAVES[:4]:
        w.at(0.0, w.app(leaf).request)
    for leaf in LEAVES[4:6]:
        lose_next(w.net.link(leaf, 1), 2)
        w.at(0.0, w.app(leaf).request)
    w.at(0.0, w.app(LEAVES[6]).request)
    w.at(0.01, w.app(LEAVES[6]).leave)         # withdrawn while requesting
    w.at(1.0, w.app("R").leave)
    w.at(1.1, w.app(LEAVES[7]).request)        # nobody listens at the root any more
    w.run(5)
    outcomes = w.joins().set_index("leaf").outcome.to_dict()
    assert outcomes == {**dict.fromkeys(LEAVES[:4], "rejected"), **dict.fromkeys(LEAVES[4:6], "timed_out"),
                        LEAVES[6]: "cancelled", LEAVES[7]: "rejected"}
    assert set(held(w).values()) == {0}


def test_a_duplicate_invitation_for_a_forgotten_party_is_refused_again():
    """The root resends its SETUP every 30 ms (a study policy), faster than the round trip
    (64.8 ms): the leaf refuses the first, the root gives the party up when that RELEASE
    arrives (64.8 ms) and forgets it; the third SETUP, still on its way, reaches the leaf
    at 92.4 ms and is refused again, as the leaf's state says."""
    w = chain()
    w.session("s", root="R", timers={"invite_timeout": "30ms", "retries": 5})
    w.app("L").listen("reject")
    w.at(0.0, w.app("R").invite, ["L"])
    provider = w.stack.providers["atm"]
    seen = {}
    w.at(0.08, lambda: seen.update(live=len(provider.parties.by_join)))
    w.run(1)
    assert seen == {"live": 0}
    (row,) = w.joins().itertuples()
    assert row.outcome == "rejected"
    releases = [t for t, host, _peer, kind in sent(w) if host == "L" and kind == "RELEASE"]
    assert releases == [round(ONE_WAY, 9), round(0.03 + ONE_WAY, 9), round(0.06 + ONE_WAY, 9)]
    setups = [t for t, host, _peer, kind in sent(w) if host == "R" and kind == "SETUP"]
    assert setups == [0.0, 0.03, 0.06]         # the RELEASE at 64.8 ms stopped the fourth


# -- failures ------------------------------------------------------------------------------------

def tree_world():
    """A balanced binary tree of routers 0..6 (depth 2), the root host on 0 and two leaves
    on each of the routers 3..6. The switches notice a failure after 50 ms (signalling
    no_response, SSCOP's Timer_NO-RESPONSE), which must exceed Timer_POLL: 20 ms."""
    topo = Topology.from_generator("balanced_tree", {"r": 2, "h": 2}, links=LinkSpec(**CASE_LINK))
    hosts = {"R": 0, **{f"L{i}": 3 + (i - 1) // 2 for i in range(1, 9)}}
    w = World(topo, hosts)
    w.session("s", root="R", max_outstanding=8, signalling={"poll": "20ms", "no_response": "50ms"})
    return w


@pytest.mark.parametrize("history", [0, 10])
def test_detection_looks_only_at_the_live_parties_on_the_failed_link(monkeypatch, history):
    """After ``history`` rounds of every leaf joining and leaving, the four leaves under
    router 1 (L1-L4) and the four under router 2 are members; link 0-1 fails. The
    detection is handed the four parties routed over 0-1, whatever the history, and
    clears exactly those (FD_CLOSE WSAECONNABORTED at the root and the leaf)."""
    w = tree_world()
    rounds_of_joins(w, history, accept=LEAVES, reject=())
    t = float(history)
    for leaf in LEAVES:
        w.at(t, w.app(leaf).listen, "accept")
    w.at(t + 0.001, w.app("R").invite, list(LEAVES))
    handed = []
    crossing = PartyIndex.crossing

    def spy(index, hops):
        found = crossing(index, hops)
        handed.append(([set(hop) for hop in hops], [p.leaf for p in found]))
        return found

    monkeypatch.setattr(PartyIndex, "crossing", spy)
    w.at(t + 1.0, w.net.fail_link, 0, 1)
    w.run(t + 2.0)
    assert handed == [([{0, 1}], ["L1", "L2", "L3", "L4"])]
    spi = w.events("spi")
    aborted = spi[(spi.time > t + 1.0) & (spi.error == "WSAECONNABORTED")]
    assert sorted(aborted.host) == ["L1", "L2", "L3", "L4", "R", "R", "R", "R"]
    provider = w.stack.providers["atm"]
    assert sorted(p.leaf for p in provider.parties.by_join.values()) == ["L5", "L6", "L7", "L8"]
    assert all(p.state == PartyState.ACTIVE and p.leaf_state == LeafState.MEMBER
               for p in provider.parties.by_join.values())


def test_a_node_failure_is_detected_on_the_hops_of_that_node_only(monkeypatch):
    w = tree_world()
    for leaf in LEAVES:
        w.at(0.0, w.app(leaf).listen, "accept")
    w.at(0.001, w.app("R").invite, list(LEAVES))
    handed = []
    crossing = PartyIndex.crossing

    def spy(index, hops):
        found = crossing(index, hops)
        handed.append((sorted(map(str, set().union(*hops))), [p.leaf for p in found]))
        return found

    monkeypatch.setattr(PartyIndex, "crossing", spy)
    w.at(1.0, w.net.fail_node, 6)
    w.run(2.0)
    assert handed == [(["2", "6", "L7", "L8"], ["L7", "L8"])]
    spi = w.events("spi")
    assert sorted(spi[(spi.time > 1.0) & (spi.error == "WSAECONNABORTED")].host) == ["R", "R"]

