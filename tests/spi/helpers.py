"""What the tests of multipoint.md's rules for rooted sessions (the atm provider) share.

World: multipoint.md's chain R — s1 — s2 — leaves (routers 0 and 1, every leaf on
router 1), every link 10 ms / 1 Mbps, 100 B control messages, zero processing. One
hop of a control message takes HOP = 10.8 ms, one way ONE_WAY = 32.4 ms, and a
message that finds another being sent on a link waits TAU = 0.8 ms behind it. A Way 2
leaf's join completes when its switch's CONNECT ACK answers its CONNECT, ACCESS_RTT =
2 HOP = 21.6 ms after the root's SETUP or ADD PARTY reached it (multipoint.md C2).

Each test compares the whole (time, host, event, error) log of layer "spi" of a small
run (``World.log``) with the sequence worked out from those constants: socket calls
(``SOCKET``, ``LISTEN``, ``JOIN_LEAF``, ``ACCEPT``, ``CLOSE``, a failed ``SEND``) and
delivered indications (``FD_ACCEPT``, ``FD_CONNECT``, ``FD_CLOSE``, ``FD_READ``).
The tests are filed by the spec's sections (test_roles, test_joining, test_admission,
test_data, test_closing, test_indications); tests/spi/rules.py says which test checks
which rule.
"""

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import C_LEAF, C_ROOT, D_LEAF, D_ROOT, Provider, ProviderFlag
from tests.world import HOP, ONE_WAY, chain

OW = ONE_WAY
TAU = 100 * 8 / 1e6          # 0.8 ms: serialization of one 100 B control message at 1 Mbps
ACCESS_RTT = 2 * HOP         # 21.6 ms: the leaf's CONNECT to its switch, the CONNECT ACK back
ROOT = C_ROOT | D_ROOT
LEAF = C_LEAF | D_LEAF


def data_one_way(size):
    """Three hops of a ``size``-byte data packet on an idle path."""
    return 3 * (0.010 + size * 8 / 1e6)


def r(t, host, event, error=None):
    """One expected log record (times rounded as ``World.log`` rounds them)."""
    return (round(t, 9), host, event, error)


def code_of(call, *args):
    """The Winsock error of a call that must fail at once."""
    with pytest.raises(SocketError) as failed:
        call(*args)
    return failed.value.code


def rows(w, *columns):
    frame = w.joins()
    return [tuple(None if v != v else v for v in row) for row in frame[list(columns)].itertuples(index=False)]


def root_socket(w, listen=False):
    sock = w.stack.host("R").socket("s", ROOT)
    if listen:
        sock.listen()
    return sock


def invite_one(policy="accept", at=1.0):
    """Way 1 on the chain with one leaf L: L's app listens under ``policy`` from t = 0 and
    R's app invites L at ``at``. Returns the world, not yet run."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen(policy)
    w.at(at, w.app("R").invite, ["L"])
    return w


def request_one(policy="accept", at=1.0):
    """Way 2 on the chain with one leaf L: R's app listens under ``policy`` from t = 0 and
    L's app asks R for admittance at ``at``. Returns the world, not yet run."""
    w = chain()
    w.session("s", root="R")
    w.app("R").listen(policy)
    w.at(at, w.app("L").request)
    return w


# -- pieces of the logs the tests expect -----------------------------------------------------------

def listening(host, t=0):
    """``host`` makes its socket and listens at ``t``."""
    return [r(t, host, "SOCKET"), r(t, host, "LISTEN")]


def invited(t, leaf="L", answer=None):
    """R's join_leaf at ``t`` (Way 1) reaches ``leaf`` one way later: FD_ACCEPT there, and
    the leaf's accept (failing with ``answer``, if given). The answer's way back is not in it."""
    return [r(t, "R", "JOIN_LEAF"), r(t + OW, leaf, "FD_ACCEPT"), r(t + OW, leaf, "ACCEPT", answer)]


def requested(t, leaf="L", answer=None):
    """``leaf``'s join_leaf at ``t`` (Way 2) reaches R one way later: FD_ACCEPT there, and
    R's accept (failing with ``answer``, if given). The answer's way back is not in it."""
    return [r(t, leaf, "JOIN_LEAF"), r(t + OW, "R", "FD_ACCEPT"), r(t + OW, "R", "ACCEPT", answer)]


def tree_state(w, session="s"):
    """The branches out and the receivers of the session's distribution tree."""
    tree = w.stack.session(session).state.tree
    return tree.out, tree.receivers


def invited_pair():
    """L1 and L2 listen; at t = 1 the root invites both (max_outstanding 2) on its own
    c_root socket. Returns the world, the root socket, and its per-leaf sockets by leaf
    (filled at t = 1) and the spi log of the run up to t = 2."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    root = root_socket(w)
    per_leaf = {}
    w.at(1.0, lambda: per_leaf.update(L1=root.join_leaf("L1"), L2=root.join_leaf("L2")))
    # L2's ADD PARTY waits in the provider until L1's CONNECT reaches the root (the call
    # is active, 1 + 2 OW), then leaves TAU behind the root's CONNECT ACK on R's link.
    prefix = [r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"), r(0, "L2", "SOCKET"), r(0, "L2", "LISTEN"),
              r(0, "R", "SOCKET"),
              r(1, "R", "JOIN_LEAF"), r(1, "R", "JOIN_LEAF"),
              r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT"),
              r(1 + 2 * OW, "R", "FD_CONNECT"),
              r(1 + 3 * OW + TAU, "L2", "FD_ACCEPT"), r(1 + 3 * OW + TAU, "L2", "ACCEPT"),
              r(1 + 4 * OW + TAU, "R", "FD_CONNECT")]
    return w, root, per_leaf, prefix


class PlainProvider(Provider):
    """A provider without ``XP1_SUPPORT_MULTIPOINT``: a plain transport."""
    name = "plain"
    flags = ProviderFlag(0)
