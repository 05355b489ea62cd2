"""multipoint.md §1 and the sockets of §2: a socket's control and data roles (M1), calls
on a socket without a multipoint role (M2), and the per-leaf sockets that join_leaf
returns on a c_root socket (M3). The world and the constants: tests/spi/helpers.py."""

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import C_LEAF, C_ROOT, D_LEAF, D_ROOT, FD_ACCEPT, FD_CLOSE, FD_CONNECT, WsaError
from tests.spi.helpers import (LEAF, OW, ROOT, TAU, PlainProvider, code_of, invited, invited_pair,
                               listening, r, requested, root_socket, rows, tree_state)
from tests.world import chain, sent


def test_m1_a_socket_needs_one_control_and_one_data_role_its_provider_supports():
    w = chain()
    w.session("s", root="R")
    host = w.stack.host("R")
    bad = [C_ROOT, D_ROOT, C_ROOT | C_LEAF | D_ROOT, C_ROOT | D_ROOT | D_LEAF,
           C_ROOT | D_LEAF, C_LEAF | D_ROOT]          # atm: the c_root is the d_root
    assert [code_of(host.socket, "s", flags) for flags in bad] == [WsaError.WSAEINVAL] * 6
    root, leaf, plain = host.socket("s", ROOT), w.stack.host("L").socket("s", LEAF), host.socket("s")
    assert [(s.c_role, s.d_role) for s in (root, leaf)] == [(C_ROOT, D_ROOT), (C_LEAF, D_LEAF)]
    assert not plain.is_multipoint
    assert w.log("spi") == [r(0, "R", "SOCKET", "WSAEINVAL")] * 6 + \
        [r(0, "R", "SOCKET"), r(0, "L", "SOCKET"), r(0, "R", "SOCKET")]


def test_m1_multipoint_flags_on_a_provider_without_multipoint_support_fail_wsaeinval():
    w = chain()
    w.stack.add_provider(PlainProvider(w.stack))
    w.session("p", "plain")
    host = w.stack.host("L")
    assert [code_of(host.socket, "p", flags) for flags in (ROOT, LEAF, C_LEAF | D_ROOT)] == \
        [WsaError.WSAEINVAL] * 3
    host.socket("p")
    assert w.log("spi") == [r(0, "L", "SOCKET", "WSAEINVAL")] * 3 + [r(0, "L", "SOCKET")]


@pytest.mark.parametrize("provider", ["atm", "plain"])
def test_m2_without_a_multipoint_role_join_leaf_fails_wsaeinval_listen_accept_wsaeopnotsupp(provider):
    """M2: WSAJoinLeaf on a socket opened without the multipoint flags is WSAEINVAL;
    listen and accept on it are WSAEOPNOTSUPP."""
    w = chain()
    w.stack.add_provider(PlainProvider(w.stack))
    w.session("s", provider, **({"root": "R"} if provider == "atm" else {}))
    sock = w.stack.host("L").socket("s")
    codes = [code_of(sock.join_leaf, "R"), code_of(sock.listen), code_of(sock.accept)]
    w.run(10)
    assert codes == [WsaError.WSAEINVAL, WsaError.WSAEOPNOTSUPP, WsaError.WSAEOPNOTSUPP]
    assert w.log("spi") == [r(0, "L", "SOCKET"), r(0, "L", "JOIN_LEAF", "WSAEINVAL"),
                            r(0, "L", "LISTEN", "WSAEOPNOTSUPP"), r(0, "L", "ACCEPT", "WSAEOPNOTSUPP")]
    assert sent(w) == [] and len(w.stack.joins) == 0


def test_m3_join_leaf_on_c_root_returns_a_new_socket_per_leaf_and_completion_comes_on_the_root():
    w, root, per_leaf, prefix = invited_pair()
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
                           (round(1 + TAU + 4 * OW, 9), FD_CONNECT, None, p2)]   # helpers.invited_pair
    assert w.log("spi") == prefix
    assert root.leaves == {"L1": p1, "L2": p2} and p1.connected and p2.connected


def test_m3_a_per_leaf_socket_gets_its_leafs_fd_close_and_the_c_root_socket_stays_the_root():
    w, root, per_leaf, prefix = invited_pair()
    w.at(3.0, w.app("L1").leave)                                  # FD_CLOSE on L1's per-leaf socket
    w.at(4.0, lambda: per_leaf["L2"].close())                     # drops L2 only
    w.at(5.0, w.app("L1").listen)
    w.at(6.0, lambda: per_leaf.update(again=root.join_leaf("L1")))
    w.run(10)
    assert w.log("spi") == prefix + [
        r(3, "L1", "CLOSE"), r(3, "L1", "CLOSE"),                 # the member socket, the listener
        r(3 + OW, "R", "FD_CLOSE"),
        r(4, "R", "CLOSE"),
        r(4 + OW, "L2", "FD_CLOSE"),
        *listening("L1", 5),
        *invited(6, "L1"), r(6 + 2 * OW, "R", "FD_CONNECT")]
    closes = w.events("spi").query("event == 'FD_CLOSE' and host == 'R'")
    assert list(closes.socket) == [per_leaf["L1"].id]
    assert root.leaves == {"L1": per_leaf["again"]} and per_leaf["again"] is not per_leaf["L1"]


def test_m3_closing_a_pending_per_leaf_socket_cancels_the_join():
    """L holds the invitation (CF_DEFER for 100 s); the root closes the per-leaf socket
    at t = 2: the join is cancelled then, the leaf's held invitation is withdrawn when
    the RELEASE reaches it, and its later accept fails with WSAEACCES (M6, M22)."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen({"defer": 100.0})
    root = root_socket(w)
    per_leaf = {}
    w.at(1.0, lambda: per_leaf.update(L=root.join_leaf("L")))
    w.at(2.0, lambda: per_leaf["L"].close())
    w.run(200)
    assert w.log("spi") == [
        *listening("L"), r(0, "R", "SOCKET"),
        *invited(1, answer="WSATRY_AGAIN"),
        r(2, "R", "CLOSE"),
        r(101 + OW, "L", "ACCEPT", "WSAEACCES")]
    assert rows(w, "outcome", "t_complete", "error") == [("cancelled", 2.0, None)]
    assert root.leaves == {} and root.outstanding == {}


def test_m3_closing_the_per_leaf_socket_of_an_accepted_request_refuses_the_leaf():
    """Reading of M3 for Way 2: the root closes the per-leaf socket that accept returned
    1 ms after accepting L's request. The SETUP that adds L is ahead of the RELEASE, but
    L's call would become active only with its switch's CONNECT ACK (C2), and the switch
    has passed the RELEASE on before L's CONNECT reaches it. L's request is still
    outstanding when the RELEASE arrives: it fails with WSAECONNREFUSED (row rejected).
    Only joins the root asked for (Way 1) are cancelled."""
    w = chain()
    w.session("s", root="R")
    root = root_socket(w, listen=True)
    per_leaf = []
    root.on(lambda ind: ind.event == FD_ACCEPT and per_leaf.append(root.accept()))
    w.at(1.0, w.app("L").request)
    w.at(1.001 + OW, lambda: per_leaf[0].close())
    w.run(10)
    assert w.log("spi") == [
        *listening("R"), r(1, "L", "SOCKET"), *requested(1),
        r(1.001 + OW, "R", "CLOSE"),
        r(1.001 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED")]
    assert rows(w, "outcome", "t_complete") == [("rejected", pytest.approx(1.001 + 2 * OW))]
    assert (root.leaves, root.outstanding, root.admitting) == ({}, {}, {})
    assert tree_state(w) == ({}, {})


def test_m3_a_root_cannot_invite_its_own_host():
    w = chain()
    w.session("s", root="R")
    root = w.stack.host("R").socket("s", C_ROOT | D_ROOT)
    with pytest.raises(SocketError) as err:
        root.join_leaf("R")
    assert err.value.code == WsaError.WSAEINVAL
    assert w.log("spi")[-1] == (0.0, "R", "JOIN_LEAF", "WSAEINVAL")
    assert len(w.stack.joins) == 0
