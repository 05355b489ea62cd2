"""multipoint.md §3, the rooted halves of the data rules: who gets what is sent (M15),
join_leaf's direction flags (M16), one copy per tree link (M17); the non-rooted halves are
in tests/protocols/test_ipmc_rules.py. The world and the constants: tests/spi/helpers.py."""

import pytest

from mpsim.spi import JL_BOTH, JL_RECEIVER_ONLY, JL_SENDER_ONLY, WsaError
from tests.spi.helpers import ACCESS_RTT, LEAF, OW, code_of, data_one_way, invited, listening, r, requested
from tests.world import chain


def test_m15_root_data_reaches_every_connected_leaf_once_and_leaf_data_only_the_root():
    """L1 joined by invitation, L2 by request; L3 listens but was never invited. FD_READ
    comes once until the application reads (recv re-enables it)."""
    w = chain(leaves=("L1", "L2", "L3"))
    w.session("s", root="R")
    w.app("R").listen()
    w.app("L1").listen()
    w.app("L3").listen()
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.5, w.app("L2").request)
    w.at(2.0, w.app("R").send, 500)
    w.at(2.5, w.app("R").send, 500)
    w.at(3.0, w.app("L1").send, 200)
    w.at(3.5, w.app("L2").send, 300)
    w.run(10)
    assert w.log("spi") == [
        *listening("R"), *listening("L1"), *listening("L3"),
        *invited(1, "L1"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.5, "L2", "SOCKET"), *requested(1.5, "L2"), r(1.5 + 2 * OW + ACCESS_RTT, "L2", "FD_CONNECT"),
        r(2 + data_one_way(500), "L1", "FD_READ"), r(2 + data_one_way(500), "L2", "FD_READ"),
        r(3 + data_one_way(200), "R", "FD_READ"),
        r(3.5 + data_one_way(300), "R", "FD_READ")]
    reads = w.events("spi").query("event == 'FD_READ' and host == 'R'")
    per_leaf = w.app("R").socket.leaves
    assert list(reads.socket) == [per_leaf["L1"].id, per_leaf["L2"].id]
    member, l2, l3 = w.app("L1").members[0], w.app("L2").socket, w.app("L3").socket
    assert [s.recv() for s in (member, l2, l3)] == [(2, 1000), (2, 1000), (0, 0)]
    assert [p.recv() for p in per_leaf.values()] == [(1, 200), (1, 300)]
    assert list(w.joins().t_first_data) == pytest.approx([2 + data_one_way(500)] * 2, abs=1e-12)


def test_m16_join_leaf_flags_limit_direction_in_a_rooted_session():
    """Leaves that join by request choose their direction: JL_SENDER_ONLY gets no root
    data, JL_RECEIVER_ONLY cannot send (WSAESHUTDOWN, recorded), JL_BOTH does both. (A
    leaf the root invites makes no join_leaf of its own: its member socket is JL_BOTH.)"""
    w = chain(leaves=("L1", "L2", "L3"))
    w.session("s", root="R")
    w.app("R").listen()
    flags = {"L1": JL_SENDER_ONLY, "L2": JL_RECEIVER_ONLY, "L3": JL_BOTH}
    socks = {leaf: w.stack.host(leaf).socket("s", LEAF) for leaf in flags}
    for k, (leaf, jl) in enumerate(flags.items()):
        w.at(1.0 + 0.2 * k, socks[leaf].join_leaf, "R", jl)
    codes = []
    w.at(2.0, w.app("R").send, 500)
    w.at(3.0, socks["L1"].send, 200)
    w.at(3.5, lambda: codes.append(code_of(socks["L2"].send, 200)))
    w.at(4.0, socks["L3"].send, 200)
    w.run(10)
    assert codes == [WsaError.WSAESHUTDOWN]
    joined = []
    for k, leaf in enumerate(flags):
        t = 1.0 + 0.2 * k
        joined += [*requested(t, leaf), r(t + 2 * OW + ACCESS_RTT, leaf, "FD_CONNECT")]
    assert w.log("spi") == [
        *listening("R"),
        r(0, "L1", "SOCKET"), r(0, "L2", "SOCKET"), r(0, "L3", "SOCKET"),
        *joined,
        r(2 + data_one_way(500), "L2", "FD_READ"), r(2 + data_one_way(500), "L3", "FD_READ"),
        r(3 + data_one_way(200), "R", "FD_READ"),
        r(3.5, "L2", "SEND", "WSAESHUTDOWN"),
        r(4 + data_one_way(200), "R", "FD_READ")]
    per_leaf = w.app("R").socket.leaves
    assert [per_leaf[leaf].rx_packets for leaf in flags] == [1, 0, 1]


def test_m17_rooted_data_crosses_each_tree_link_once():
    """The copy at branch points holds for the atm data tree too: three leaves below
    router 1, one packet on each tree link (SIO_MULTICAST_SCOPE is left for ipmc). The
    data is sent at 4 s, when SSCOP's polls after the set-up (at about 2 s) are over."""
    leaves = ("L1", "L2", "L3")
    w = chain(leaves=leaves)
    w.session("s", root="R", max_outstanding=3)
    for leaf in leaves:
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, list(leaves))
    w.run(4.0)
    before = {key: link.bytes for key, link in w.net.links.items()}
    w.at(4.0, w.app("R").send, 1000)
    w.run(10)
    carried = {key: link.bytes - before[key] for key, link in w.net.links.items()
               if link.bytes != before[key]}
    assert carried == {("R", 0): 1000, (0, 1): 1000, (1, "L1"): 1000, (1, "L2"): 1000, (1, "L3"): 1000}
    assert [e for e in w.log("spi") if e[2] == "FD_READ"] == \
        [r(4 + data_one_way(1000), leaf, "FD_READ") for leaf in leaves]
