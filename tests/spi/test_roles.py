"""multipoint.md §1 and the sockets of §2: a socket's control and data roles (M1), calls
on a socket without a multipoint role (M2), and the per-leaf sockets that join_leaf
returns on a c_root socket (M3). The world, the constants and the providers' profiles:
tests/spi/helpers.py."""

from functools import reduce
from itertools import combinations
from operator import or_

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import C_LEAF, C_ROOT, D_LEAF, D_ROOT, FD_ACCEPT, FD_CLOSE, FD_CONNECT, WsaError
from tests.spi.helpers import (
    ALL,
    LEAF,
    LONG_HOLD,
    OW,
    PROFILES,
    ROOT,
    TAU,
    PlainProvider,
    chain,
    code_of,
    ended_1_ms_after_acceptance,
    invited,
    invited_pair,
    listening,
    nonrooted,
    r,
    requested,
    root_socket,
    rooted,
    rows,
    tree_state,
)
from tests.world import sent

ROLE_FLAGS = (C_ROOT, C_LEAF, D_ROOT, D_LEAF)


@pytest.mark.parametrize("provider", ALL)
def test_m1_a_socket_needs_one_control_and_one_data_role_its_provider_supports(provider):
    """Every combination of the four role flags: a socket is made with exactly one control
    and one data flag that its provider supports (multipoint.md §1's table: atm c_root/
    d_root and c_leaf/d_leaf, conference c_root/d_leaf and c_leaf/d_leaf, ipmc c_leaf/
    d_leaf only); every other combination fails with WSAEINVAL."""
    p = PROFILES[provider]
    w = rooted(provider) if p.rooted else nonrooted(provider)
    host = w.stack.host("R")
    combos = [reduce(or_, c) for k in range(1, 5) for c in combinations(ROLE_FLAGS, k)]
    made, expected = [], []
    for flags in combos:
        pair = (flags & (C_ROOT | C_LEAF), flags & (D_ROOT | D_LEAF))
        if pair in p.roles:
            sock = host.socket("s", flags)
            made.append((sock.c_role, sock.d_role))
            expected.append(r(0, "R", "SOCKET"))
        else:
            assert code_of(host.socket, "s", flags) == WsaError.WSAEINVAL, flags
            expected.append(r(0, "R", "SOCKET", "WSAEINVAL"))
    assert sorted(made) == sorted(p.roles)
    plain = host.socket("s")
    assert not plain.is_multipoint
    assert w.log("spi") == expected + [r(0, "R", "SOCKET")]


def test_m1_multipoint_flags_on_a_provider_without_multipoint_support_fail_wsaeinval():
    w = chain()
    w.stack.add_provider(PlainProvider(w.stack))
    w.session("p", "plain")
    host = w.stack.host("L")
    assert [code_of(host.socket, "p", flags) for flags in (ROOT, LEAF, C_LEAF | D_ROOT)] == \
        [WsaError.WSAEINVAL] * 3
    host.socket("p")
    assert w.log("spi") == [r(0, "L", "SOCKET", "WSAEINVAL")] * 3 + [r(0, "L", "SOCKET")]


@pytest.mark.parametrize("provider", [*ALL, "plain"])
def test_m2_without_a_multipoint_role_join_leaf_fails_wsaeinval_listen_accept_wsaeopnotsupp(provider):
    """M2: WSAJoinLeaf on a socket opened without the multipoint flags is WSAEINVAL;
    listen and accept on it are WSAEOPNOTSUPP."""
    w = chain("atm" if provider == "plain" else provider)
    w.stack.add_provider(PlainProvider(w.stack))
    w.session("s", provider, **(PROFILES[provider].settings if provider in PROFILES else {}))
    sock = w.stack.host("L").socket("s")
    codes = [code_of(sock.join_leaf, "R"), code_of(sock.listen), code_of(sock.accept)]
    w.run(10)
    assert codes == [WsaError.WSAEINVAL, WsaError.WSAEOPNOTSUPP, WsaError.WSAEOPNOTSUPP]
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(0, "L", "JOIN_LEAF", "WSAEINVAL"),
                            r(0, "L", "LISTEN", "WSAEOPNOTSUPP"), r(0, "L", "ACCEPT", "WSAEOPNOTSUPP")]
    assert [row for row in sent(w) if row[3] != "IGMP_QUERY"] == [] and len(w.stack.joins) == 0


def test_m3_join_leaf_on_c_root_returns_a_new_socket_per_leaf_and_completion_comes_on_the_root(provider):
    w, root, per_leaf, prefix = invited_pair(provider)
    root.event_select(FD_CONNECT | FD_CLOSE)
    at_call = []
    w.at(1.0, lambda: at_call.extend((s, s.connected) for s in per_leaf.values()))
    completions = []
    root.on(lambda ind: completions.append((round(ind.time, 9), ind.event, ind.error, ind.other)))
    w.run(2)
    p1, p2 = per_leaf["L1"], per_leaf["L2"]
    # Returned at once, pending, one per leaf, standing for that leaf at the root.
    assert at_call == [(p1, False), (p2, False)]
    assert len({id(root), id(p1), id(p2)}) == 3
    assert [(p.kind, p.leaf, p.root_socket) for p in (p1, p2)] == [("per_leaf", "L1", root),
                                                                   ("per_leaf", "L2", root)]
    assert p1.mask == p2.mask == FD_CONNECT | FD_CLOSE          # inherited from the root socket
    # Completion on the original c_root socket, naming the per-leaf socket.
    assert completions == [(round(1 + 2 * OW, 9), FD_CONNECT, None, p1),
                           (prefix[-1][0], FD_CONNECT, None, p2)]   # helpers.invited_pair
    assert w.log("spi") == prefix
    assert root.leaves == {"L1": p1, "L2": p2} and p1.connected and p2.connected


def test_m3_a_per_leaf_socket_gets_its_leafs_fd_close_and_the_c_root_socket_stays_the_root(provider):
    """conference: L2's leave at 4 + OW makes router 1 send its two Last Member Queries
    1 s apart and prune the group 2 s later, at 6 + OW + HOP: the instant L1's new
    ACCEPT gets there, which waits TAU behind the PIM Prune."""
    lag = PROFILES[provider].leaving_lag
    again = TAU if provider == "conference" else 0.0
    w, root, per_leaf, prefix = invited_pair(provider)
    w.at(3.0, w.app("L1").leave)                                  # FD_CLOSE on L1's per-leaf socket
    w.at(4.0, lambda: per_leaf["L2"].close())                     # drops L2 only
    w.at(5.0, w.app("L1").listen)
    w.at(6.0, lambda: per_leaf.update(again=root.join_leaf("L1")))
    w.run(10)
    assert w.log("spi") == prefix + [
        r(3, "L1", "CLOSE"), r(3, "L1", "CLOSE"),                 # the member socket, the listener
        r(3 + lag + OW, "R", "FD_CLOSE"),
        r(4, "R", "CLOSE"),
        r(4 + OW, "L2", "FD_CLOSE"),
        *listening("L1", 5),
        *invited(6, "L1"), r(6 + 2 * OW + again, "R", "FD_CONNECT")]
    closes = w.events("spi").query("event == 'FD_CLOSE' and host == 'R'")
    assert list(closes.socket) == [per_leaf["L1"].id]
    assert root.leaves == {"L1": per_leaf["again"]} and per_leaf["again"] is not per_leaf["L1"]


def test_m3_closing_a_pending_per_leaf_socket_cancels_the_join(provider):
    """L holds the invitation (CF_DEFER for LONG_HOLD); the root closes the per-leaf socket
    at t = 2: the join is cancelled then, the leaf's held invitation is withdrawn when
    the root's RELEASE (atm) or BYE (conference) reaches it, and its later accept fails
    with WSAEACCES (M6, M22)."""
    w = rooted(provider)
    w.app("L").listen({"defer": LONG_HOLD})
    root = root_socket(w)
    per_leaf = {}
    w.at(1.0, lambda: per_leaf.update(L=root.join_leaf("L")))
    w.at(2.0, lambda: per_leaf["L"].close())
    w.run(300)
    assert w.log("spi") == [
        *listening("L"), r(0, "R", "SOCKET"),
        *invited(1, answer="WSATRY_AGAIN"),
        r(2, "R", "CLOSE"),
        r(1 + LONG_HOLD + OW, "L", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "t_complete", "error") == [("cancelled", 2.0, None)]
    assert root.leaves == {} and root.outstanding == {}


def test_m3_closing_the_per_leaf_socket_of_an_accepted_request_refuses_the_leaf(provider):
    """Reading of M3 for Way 2: the root closes the per-leaf socket that accept returned
    1 ms after accepting L's request; only joins the root asked for (Way 1) are
    cancelled. atm: the SETUP that adds L is ahead of the RELEASE, but L's call would
    become active only with its switch's CONNECT ACK (C2), and the switch has passed the
    RELEASE on before L's CONNECT reaches it: L's request is still outstanding when the
    RELEASE arrives, so it fails with WSAECONNREFUSED (row rejected). conference: the
    ACCEPT reaches L first and admits it (FD_CONNECT, row connected), and the BYE 1 ms
    behind it drops it (FD_CLOSE, error 0), as M19."""
    w = rooted(provider)
    root = root_socket(w, listen=True)
    per_leaf = []
    root.on(lambda ind: ind.event == FD_ACCEPT and per_leaf.append(root.accept()))
    w.at(1.0, w.app("L").request)
    w.at(1.001 + OW, lambda: per_leaf[0].close())
    w.run(10)
    ending, row = ended_1_ms_after_acceptance(provider)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1),
        r(1.001 + OW, "R", "CLOSE"), *ending]
    assert rows(w, "outcome", "t_complete") == [row]
    assert (root.leaves, root.outstanding, root.admitting) == ({}, {}, {})
    assert tree_state(w) == ({}, {})


def test_m3_a_root_cannot_invite_its_own_host(provider):
    w = rooted(provider)
    root = root_socket(w)
    with pytest.raises(SocketError) as err:
        root.join_leaf("R")
    assert err.value.code == WsaError.WSAEINVAL
    assert w.log("spi")[-1] == (0.0, "R", "JOIN_LEAF", "WSAEINVAL")
    assert len(w.stack.joins) == 0
