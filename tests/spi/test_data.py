"""multipoint.md §3, the data rules in sessions with a root: who gets what is sent (M15),
join_leaf's direction flags (M16), one copy per tree link (M17). atm's data plane is
rooted; conference's is not (its members' data goes to the IP multicast group, of which
the chair is not a member). The non-rooted halves on ipmc are in
tests/protocols/test_ipmc_rules.py. The world, the constants and the providers'
profiles: tests/spi/helpers.py."""

import pytest

from mpsim.spi import JL_BOTH, JL_RECEIVER_ONLY, JL_SENDER_ONLY, WsaError
from tests.spi.helpers import (LEAF, OW, PROFILES, code_of, control, data_one_way, invited, listening, r,
                               requested, rooted)


def test_m15_root_data_reaches_every_connected_leaf_once_and_leaf_data_as_its_data_plane_says(provider):
    """L1 joined by invitation, L2 by request; L3 listens but was never invited. FD_READ
    comes once until the application reads (recv re-enables it): the members read at 2.9.
    The root's data reaches L1 and L2 once (conference: through the RP, router 0, on the
    same path). A leaf's data: atm (rooted), only the root; conference (non-rooted),
    every member once, itself at once by loopback and the other through the RP, four
    hops; the chair, not a member, gets none."""
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2", "L3"))
    w.app("R").listen()
    w.app("L1").listen()
    w.app("L3").listen()
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(1.5, w.app("L2").request)
    w.at(2.0, w.app("R").send, 500)
    w.at(2.5, w.app("R").send, 500)

    def leaves():
        return w.app("L1").members[0], w.app("L2").socket, w.app("L3").socket

    early = []
    w.at(2.9, lambda: early.extend(s.recv() for s in leaves()))
    w.at(3.0, w.app("L1").send, 200)
    w.at(3.5, w.app("L2").send, 300)
    w.run(10)
    if p.root_gets_data:
        leaf_data = [r(3 + data_one_way(200), "R", "FD_READ"), r(3.5 + data_one_way(300), "R", "FD_READ")]
        got = [(0, 0), (0, 0), (0, 0)], [(1, 200), (1, 300)]            # at the leaves, at the root
    else:
        # L1's own copy at once; L2's FD_READ, then L2's data, which L1 (not read since)
        # and L2 itself (likewise) get without a new FD_READ.
        leaf_data = [r(3, "L1", "FD_READ"), r(3 + data_one_way(200, hops=4), "L2", "FD_READ")]
        got = [(2, 500), (2, 500), (0, 0)], [(0, 0), (0, 0)]
    assert w.log("spi") == [
        *listening("R"), *listening("L1"), *listening("L3"),
        *invited(1, "L1"), r(1 + 2 * OW, "R", "FD_CONNECT"),
        r(1.5, "L2", "SOCKET"), *requested(1.5, "L2"), r(1.5 + OW + p.admission, "L2", "FD_CONNECT"),
        r(2 + data_one_way(500), "L1", "FD_READ"), r(2 + data_one_way(500), "L2", "FD_READ"),
        *leaf_data]
    per_leaf = w.app("R").socket.leaves
    if p.root_gets_data:
        reads = w.events("spi").query("event == 'FD_READ' and host == 'R'")
        assert list(reads.socket) == [per_leaf["L1"].id, per_leaf["L2"].id]
    assert early == [(2, 1000), (2, 1000), (0, 0)]
    assert ([s.recv() for s in leaves()], [s.recv() for s in per_leaf.values()]) == got
    assert list(w.joins().t_first_data) == pytest.approx([2 + data_one_way(500)] * 2, abs=1e-12)


def test_m16_join_leaf_flags_limit_direction_in_a_rooted_session(provider):
    """Leaves that join by request choose their direction: JL_SENDER_ONLY gets no root
    data, JL_RECEIVER_ONLY cannot send (WSAESHUTDOWN, recorded), JL_BOTH does both. (A
    leaf the root invites makes no join_leaf of its own: its member socket is JL_BOTH.)
    atm: the leaves' data reaches the root. conference: it goes to the group, of which
    the chair is not a member, and reaches L2 and L3 (and L3 itself, by loopback)
    without a new FD_READ (they have not read since the root's data); the
    JL_SENDER_ONLY member sends no IGMP report at all, as on ipmc."""
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2", "L3"))
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
        joined += [*requested(t, leaf), r(t + OW + p.admission, leaf, "FD_CONNECT")]
    if p.root_gets_data:                     # L1's data at 3 and L3's at 4 reach the root
        from_l1, from_l3 = [r(3 + data_one_way(200), "R", "FD_READ")], [r(4 + data_one_way(200), "R", "FD_READ")]
    else:
        from_l1 = from_l3 = []
    assert w.log("spi") == [
        *listening("R"),
        r(0, "L1", "SOCKET"), r(0, "L2", "SOCKET"), r(0, "L3", "SOCKET"),
        *joined,
        r(2 + data_one_way(500), "L2", "FD_READ"), r(2 + data_one_way(500), "L3", "FD_READ"),
        *from_l1,
        r(3.5, "L2", "SEND", "WSAESHUTDOWN"),
        *from_l3]
    per_leaf = w.app("R").socket.leaves
    at_leaves = [socks[leaf].rx_packets for leaf in flags]
    at_root = [per_leaf[leaf].rx_packets for leaf in flags]
    if p.root_gets_data:
        assert (at_leaves, at_root) == ([0, 1, 1], [1, 0, 1])
    else:
        assert (at_leaves, at_root) == ([0, 3, 3], [0, 0, 0])
        assert [kind for _, src, _, kind in control(w) if src == "L1"] == ["JOIN_REQUEST", "ACK"]


def test_m17_rooted_data_crosses_each_tree_link_once(provider):
    """The copy at branch points holds for the root's data on every rooted provider
    (atm's data tree; conference's group tree from the RP, router 0): three leaves below
    router 1, one packet on each tree link (SIO_MULTICAST_SCOPE is left for ipmc). The
    data is sent at 4 s, when atm's SSCOP polls after the set-up (at about 2 s) are over."""
    leaves = ("L1", "L2", "L3")
    w = rooted(provider, leaves=leaves, max_outstanding=3)
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
