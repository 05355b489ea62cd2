"""multipoint.md §5, indications: event masks and the trace of every delivery (M23), and
calls that never block the simulation (M24). The world and the constants:
tests/spi/helpers.py."""


from mpsim.spi import FD_ACCEPT, FD_CLOSE, FD_CONNECT
from tests.spi.helpers import ACCESS_RTT, LEAF, OW, data_one_way, invited, listening, r, requested, root_socket
from tests.world import chain


def test_m23_an_event_outside_the_mask_is_neither_delivered_nor_recorded():
    """The leaf listens with FD_ACCEPT masked: the invitation is queued silently and found
    by polling accept at t = 2. The root's mask has no FD_CLOSE, and its per-leaf socket
    inherits it: the leaf's leaving at t = 3 is not indicated."""
    w = chain()
    w.session("s", root="R")
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


def test_m23_every_indication_is_recorded_with_the_time_it_was_delivered():
    """Handlers on every socket see exactly the FD_* records of the trace, each at its
    simulated time, with its error code (None = 0)."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
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
    assert w.log("spi") == [
        *listening("R"), r(0, "L1", "SOCKET"), *listening("L2"),
        *requested(1, "L1"), r(1 + 2 * OW + ACCESS_RTT, "L1", "FD_CONNECT"),
        *invited(1.2, "L2"), r(1.2 + 2 * OW, "R", "FD_CONNECT"),
        r(2 + data_one_way(500), "L1", "FD_READ"), r(2 + data_one_way(500), "L2", "FD_READ"),
        r(2.5 + data_one_way(200), "R", "FD_READ"),
        r(3, "L2", "CLOSE"), r(3 + OW, "R", "FD_CLOSE"),
        r(4, "R", "CLOSE"), r(4 + OW, "L1", "FD_CLOSE")]
    assert delivered == [e for e in w.log("spi") if e[2].startswith("FD_")]


def test_m24_a_blocked_accept_waits_in_simulated_time_while_other_events_run():
    """The root's application blocks in accept from t = 0; meanwhile the same socket
    invites L3 at t = 1 and completes it, and L1's application, itself blocked on
    FD_CONNECT, asks at t = 2. Every call returns at once; each wait ends at the time its
    indication is delivered."""
    w = chain(leaves=("L1", "L3"))
    w.session("s", root="R")
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
                    ("L1 connected", round(2 + 2 * OW + ACCESS_RTT, 9), None)]
    assert w.log("spi") == [
        *listening("R"), *listening("L3"), r(0, "L1", "SOCKET"),
        *invited(1, "L3"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        *requested(2, "L1"), r(2 + 2 * OW + ACCESS_RTT, "L1", "FD_CONNECT")]

