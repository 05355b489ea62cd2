"""multipoint.md §5, indications: event masks and the trace of every delivery (M23), and
calls that never block the simulation (M24), on every provider. The world, the
constants and the providers' profiles: tests/spi/helpers.py."""

import pytest

from mpsim.spi import FD_ACCEPT, FD_CLOSE, FD_CONNECT, FD_READ
from tests.spi.helpers import (LEAF, OW, PROFILES, data_one_way, invited, listening, nonrooted, r, requested,
                               root_socket, rooted)


def test_m23_an_event_outside_the_mask_is_neither_delivered_nor_recorded(provider):
    """The leaf listens with FD_ACCEPT masked: the invitation is queued silently and found
    by polling accept at t = 2. The root's mask has no FD_CLOSE, and its per-leaf socket
    inherits it: the leaf's leaving at t = 3 is not indicated."""
    w = rooted(provider)
    root = root_socket(w)
    root.event_select(FD_CONNECT)
    leaf = w.stack.host("L").socket("s", LEAF)
    leaf.event_select(FD_CLOSE)
    leaf.listen()
    delivered = []
    for sock in (root, leaf):
        sock.on(lambda ind: delivered.append((round(ind.time, 9), ind.socket.host.name, ind.event.name)))
    members = []
    w.at(1.0, root.join_leaf, "L")
    w.at(2.0, lambda: members.append(leaf.accept()))
    w.at(3.0, lambda: members[0].close())
    w.run(10)
    assert w.log("spi") == [
        r(0, "R", "SOCKET"), r(0, "L", "SOCKET"), r(0, "L", "LISTEN"),
        r(1, "R", "JOIN_LEAF"),
        r(2, "L", "ACCEPT"),
        r(2 + OW, "R", "FD_CONNECT"),
        r(3, "L", "CLOSE")]
    assert delivered == [(round(2 + OW, 9), "R", "FD_CONNECT")]
    assert members[0].mask == FD_CLOSE
    assert root.leaves == {}                           # the leaf is gone all the same


def test_m23_every_indication_is_recorded_with_the_time_it_was_delivered(provider):
    """Handlers on every socket see exactly the FD_* records of the trace, each at its
    simulated time, with its error code (None = 0). L1's data at 2.5 reaches the root on
    atm; on conference it goes to the group (L1 by loopback, L2), where neither has read
    since the root's data: no FD_READ."""
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2"), max_outstanding=2)
    delivered = []

    def watch(sock):
        sock.on(lambda ind: delivered.append((round(w.sim.now, 9), ind.socket.host.name, ind.event.name,
                                              None if ind.error is None else ind.error.name)))
        return sock

    root = watch(root_socket(w, listen=True))
    l1 = watch(w.stack.host("L1").socket("s", LEAF))
    l2 = watch(w.stack.host("L2").socket("s", LEAF))
    l2.listen()
    socks = {}
    root.on(lambda ind: ind.event == FD_ACCEPT and socks.setdefault("p1", watch(root.accept())))
    l2.on(lambda ind: ind.event == FD_ACCEPT and socks.setdefault("m2", watch(l2.accept())))
    w.at(1.0, l1.join_leaf, "R")
    w.at(1.2, lambda: socks.setdefault("p2", watch(root.join_leaf("L2"))))
    w.at(2.0, root.send, 500)
    w.at(2.5, l1.send, 200)
    w.at(3.0, lambda: socks["m2"].close())
    w.at(4.0, lambda: socks["p1"].close())
    w.run(10)
    from_l1 = [r(2.5 + data_one_way(200), "R", "FD_READ")] if p.root_gets_data else []
    assert w.log("spi") == [
        *listening("R"), r(0, "L1", "SOCKET"), *listening("L2"),
        *requested(1, "L1"), r(1 + OW + p.admission, "L1", "FD_CONNECT"),
        *invited(1.2, "L2"), r(1.2 + 2 * OW, "R", "FD_CONNECT"),
        r(2 + data_one_way(500), "L1", "FD_READ"), r(2 + data_one_way(500), "L2", "FD_READ"),
        *from_l1,
        r(3, "L2", "CLOSE"), r(3 + p.leaving_lag + OW, "R", "FD_CLOSE"),
        r(4, "R", "CLOSE"), r(4 + OW, "L1", "FD_CLOSE")]
    assert delivered == [e for e in w.log("spi") if e[2].startswith("FD_")]


@pytest.mark.parametrize("provider", ["ipmc"])
def test_m23_a_non_rooted_members_mask_and_trace(provider):
    """L1 selects FD_CONNECT only, L2 every event; R, not a member, sends 500 B at 2 (to
    the RP, router 0, and down the tree: three hops to L1 and L2). L2's FD_READ is
    delivered and recorded at its time; L1's is neither (its data is counted all the
    same)."""
    w = nonrooted(provider, leaves=("L1", "L2"))
    l1, l2 = (w.stack.host(h).socket("s", LEAF) for h in ("L1", "L2"))
    l1.event_select(FD_CONNECT)
    delivered = []
    for sock in (l1, l2):
        sock.on(lambda ind: delivered.append((round(w.sim.now, 9), ind.socket.host.name, ind.event.name, None)))
    w.at(1.0, l1.join_leaf, "s")
    w.at(1.0, l2.join_leaf, "s")
    w.at(2.0, w.app("R").send, 500)
    w.run(10)
    assert w.log("spi") == [
        r(0, "L1", "SOCKET"), r(0, "L2", "SOCKET"),
        r(1, "L1", "JOIN_LEAF"), r(1, "L2", "JOIN_LEAF"), r(1, "L1", "FD_CONNECT"), r(1, "L2", "FD_CONNECT"),
        r(2, "R", "SOCKET"),
        r(2 + data_one_way(500), "L2", "FD_READ")]
    assert delivered == [e for e in w.log("spi") if e[2].startswith("FD_")]
    assert (l1.rx_packets, l2.rx_packets) == (1, 1)


def test_m24_a_blocked_accept_waits_in_simulated_time_while_other_events_run(provider):
    """The root's application blocks in accept from t = 0; meanwhile the same socket
    invites L3 at t = 1 and completes it, and L1's application, itself blocked on
    FD_CONNECT, asks at t = 2. Every call returns at once; each wait ends at the time its
    indication is delivered."""
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L3"))
    root = root_socket(w, listen=True)
    w.app("L3").listen()
    leaf = w.stack.host("L1").socket("s", LEAF)
    woke = []

    def root_app():
        call = root.accept_blocking()
        woke.append(("root called", w.sim.now))
        sock = yield call
        woke.append(("root accepted " + sock.leaf, round(w.sim.now, 9)))

    def leaf_app():
        yield w.sim.env.timeout(2.0)
        assert leaf.join_leaf("R") is leaf
        indication = yield leaf.wait(FD_CONNECT)
        woke.append(("L1 connected", round(w.sim.now, 9), indication.error))

    w.sim.process(root_app())
    w.sim.process(leaf_app())
    w.at(1.0, root.join_leaf, "L3")
    w.run(10)
    assert woke == [("root called", 0.0), ("root accepted L1", round(2 + OW, 9)),
                    ("L1 connected", round(2 + OW + p.admission, 9), None)]
    assert w.log("spi") == [
        *listening("R"), *listening("L3"), r(0, "L1", "SOCKET"),
        *invited(1, "L3"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        *requested(2, "L1"), r(2 + OW + p.admission, "L1", "FD_CONNECT")]


@pytest.mark.parametrize("provider", ["ipmc"])
def test_m24_a_non_rooted_members_blocked_waits_end_with_their_indications(provider):
    """L's application joins at 1 and blocks on FD_CONNECT, then on FD_READ; R sends at
    2 and 3. join_leaf returns at once, the first wait ends at 1 (Way 3's FD_CONNECT
    comes at once), the second when R's first data arrives, while R's sends run."""
    w = nonrooted(provider)
    leaf = w.stack.host("L").socket("s", LEAF)
    woke = []

    def leaf_app():
        yield w.sim.env.timeout(1.0)
        assert leaf.join_leaf("s") is leaf
        woke.append(("joined", w.sim.now))
        indication = yield leaf.wait(FD_CONNECT)
        woke.append(("connected", round(w.sim.now, 9), indication.error))
        indication = yield leaf.wait(FD_READ)
        woke.append(("read", round(w.sim.now, 9), indication.error))

    w.sim.process(leaf_app())
    w.at(2.0, w.app("R").send, 500)
    w.at(3.0, w.app("R").send, 500)
    w.run(10)
    assert woke == [("joined", 1.0), ("connected", 1.0, None), ("read", round(2 + data_one_way(500), 9), None)]
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(1, "L", "JOIN_LEAF"), r(1, "L", "FD_CONNECT"),
                            r(2, "R", "SOCKET"), r(2 + data_one_way(500), "L", "FD_READ")]
    assert leaf.rx_packets == 2
