"""What the tests of multipoint.md's rules share, for every provider they run on.

World: multipoint.md's chain R — s1 — s2 — leaves (routers 0 and 1, every leaf on
router 1), every link 10 ms / 1 Mbps, 100 B control messages, zero processing. One
hop of a control message takes HOP = 10.8 ms, one way OW = 32.4 ms, and a message
that finds another being sent on a link waits TAU = 0.8 ms behind it.

The rules for rooted control run on every rooted provider, ``atm`` and ``conference``
(the ``provider`` fixture, parametrized over ``ROOTED``); a test whose rule also holds
for non-rooted control is parametrized over ``ALL`` itself. What the providers do
differently on the chain is stated once, in their ``Profile`` (``PROFILES``); each test
states its expectation with it, exactly, for each provider:

- atm (protocols.md, atm): hop-by-hop signalling over SSCOP. A Way 2 leaf's join
  completes when its switch's CONNECT ACK answers its CONNECT, ACCESS_RTT = 2 HOP =
  21.6 ms after the root's SETUP or ADD PARTY reached it (multipoint.md C2); further
  parties wait until the call is active. SSCOP's POLLs (8 B, POLL_TX = 64 us) go first
  on a hop now and then; the tests say where.
- conference (protocols.md, conference): SIP's INVITE transaction end to end; a Way 2
  leaf's join completes when the ACCEPT reaches it. A member joins the IP multicast
  group when it is admitted: its IGMP report follows its ACCEPT (or ACK) on its access
  link, and its router's PIM Join may go first on the router's link toward R, delaying
  a message behind it by TAU; a member that leaves sends its IGMP leave before its BYE.
  The chair is not a group member. The sessions use IGMPv3 with robustness 1: one
  report when admitted and one TO_IN{} leave when leaving, with no repeat at a random
  time that could shift a message (the repeats and their timing are ipmc's tests'
  subject), so every time is worked out from the constants.

Each test compares the whole (time, host, event, error) log of layer "spi" of a small
run (``World.log``) with the sequence worked out from those constants: socket calls
(``SOCKET``, ``LISTEN``, ``JOIN_LEAF``, ``ACCEPT``, ``CLOSE``, a failed ``SEND``) and
delivered indications (``FD_ACCEPT``, ``FD_CONNECT``, ``FD_CLOSE``, ``FD_READ``).
The tests are filed by the spec's sections (test_roles, test_joining, test_admission,
test_data, test_closing, test_indications); tests/spi/rules.py says which test checks
which rule on which provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from mpsim.core.errors import SocketError
from mpsim.spi import C_LEAF, C_ROOT, D_LEAF, D_ROOT, Provider, ProviderFlag
from tests import world
from tests.world import HOP, ONE_WAY

OW = ONE_WAY
TAU = 100 * 8 / 1e6          # 0.8 ms: serialization of one 100 B control message at 1 Mbps
ACCESS_RTT = 2 * HOP         # 21.6 ms: the leaf's CONNECT to its switch, the CONNECT ACK back
ROOT = C_ROOT | D_ROOT
LEAF = C_LEAF | D_LEAF
#: A CF_DEFER hold that outlasts every rooted provider's answer timer (atm's T310 30 s and
#: T331 2 x 60 s, conference's answer_timeout 180 s).
LONG_HOLD = 200.0


@dataclass(frozen=True)
class Profile:
    """What one provider does on the chain, as the tests expect it (protocols.md)."""
    name: str
    #: The (control, data) role pairs its sockets may take (multipoint.md §1's table).
    roles: frozenset
    #: The session settings of a session on the chain (the root R; the RP router 0).
    settings: dict
    #: The root's socket roles (None: non-rooted control).
    root_flags: object = None
    #: Settings that leave losses to the end-to-end timers (atm: no SSCOP).
    unreliable: dict = field(default_factory=dict)
    #: Way 2: from the root's accept (its answer leaving R) to the leaf's FD_CONNECT.
    admission: float = 0.0
    #: A second party invited with the first (max_outstanding 2), both leaves on router 1:
    #: when its invitation reaches its leaf and when its answer reaches R, after the
    #: join_leaf. atm: it leaves once the call is active, TAU behind the root's CONNECT
    #: ACK. conference: it leaves TAU behind the first INVITE, and its answer waits TAU
    #: at router 1 behind the PIM Join that the first leaf's IGMP report (TAU behind that
    #: leaf's ACCEPT) makes it send toward R.
    second_arrives: float = 0.0
    second_answered: float = 0.0
    #: An invitation held by CF_DEFER: when the root gives up (WSAETIMEDOUT), after its
    #: join_leaf (atm: T310 from CALL PROCEEDING; conference: answer_timeout from 100 Trying).
    held_invitation_gives_up: float = 0.0
    #: A request held by CF_DEFER: when the leaf gives up, after its join_leaf, and the
    #: requests it sent (atm: T331 twice; conference: answer_timeout from 100 Trying).
    held_request_gives_up: float = 0.0
    held_request_attempts: int = 0
    #: A request that nothing answers: when each copy leaves, after the join_leaf, and
    #: when the leaf gives up (atm: T331 twice; conference: Timer A doubling from T1,
    #: Timer B at 64 T1).
    unanswered_sends: tuple = ()
    unanswered_gives_up: float = 0.0
    #: Whether the leaf that gives up on an unanswered request withdraws it with a message
    #: (atm: RELEASE) that a new request waits TAU behind.
    withdraws_unanswered: bool = False
    #: Whether the requester acknowledges a refusal before its FD_CONNECT (conference:
    #: ACK), so that a request made again at once waits TAU behind it.
    acks_refusal: bool = False
    #: A leaf's leaving: how long its message to the root waits on its access link
    #: (conference: TAU, behind its IGMP leave).
    leaving_lag: float = 0.0
    #: Whether the root's host receives leaves' data: rooted data, all of it and only it
    #: (M15); conference's non-rooted data goes to the group, of which the chair is not
    #: a member.
    root_gets_data: bool = False
    #: What a Way 2 leaf sends for a request admitted at once (atm: LEAF SETUP REQUEST,
    #: then CONNECT to the SETUP; conference: JOIN REQUEST, the ACK of the ACCEPT, and
    #: its IGMP report).
    request_sends: tuple = ()

    @property
    def rooted(self) -> bool:
        return self.root_flags is not None


PROFILES = {
    "atm": Profile(
        "atm", frozenset({(C_ROOT, D_ROOT), (C_LEAF, D_LEAF)}), {"root": "R"}, ROOT,
        unreliable={"signalling": {"transport": "unreliable"}},
        admission=OW + ACCESS_RTT,
        second_arrives=3 * OW + TAU, second_answered=4 * OW + TAU,
        held_invitation_gives_up=2 * HOP + 30.0,
        held_request_gives_up=120.0, held_request_attempts=2,
        unanswered_sends=(0.0, 60.0), unanswered_gives_up=120.0, withdraws_unanswered=True,
        root_gets_data=True,
        request_sends=("LEAF_SETUP_REQUEST", "CONNECT")),
    "conference": Profile(
        "conference", frozenset({(C_ROOT, D_LEAF), (C_LEAF, D_LEAF)}),
        {"root": "R", "rp": 0, "igmp": {"version": 3, "robustness": 1}}, C_ROOT | D_LEAF,
        admission=OW,
        second_arrives=OW + TAU, second_answered=2 * OW + 2 * TAU,
        held_invitation_gives_up=2 * OW + 180.0,
        held_request_gives_up=2 * OW + 180.0, held_request_attempts=1,
        unanswered_sends=tuple(0.5 * (2 ** k - 1) for k in range(7)), unanswered_gives_up=32.0,
        acks_refusal=True, leaving_lag=TAU,
        request_sends=("JOIN_REQUEST", "ACK", "IGMP_REPORT")),
    "ipmc": Profile("ipmc", frozenset({(C_LEAF, D_LEAF)}), {"rp": 0}),
}
ROOTED = ("atm", "conference")
ALL = ("atm", "conference", "ipmc")


@pytest.fixture(params=ROOTED)
def provider(request):
    """The name of each rooted provider in turn (tests/spi/conftest.py offers it)."""
    return request.param


def chain(provider="atm", **kw) -> world.World:
    """tests/world.py's chain with ``provider`` (and no other) in its stack."""
    return world.chain(providers=(provider,), **kw)


def rooted(provider, leaves=("L",), **settings) -> world.World:
    """The chain with ``leaves`` and a session "s" of ``provider`` rooted at R."""
    w = chain(provider, leaves=leaves)
    w.session("s", provider, **PROFILES[provider].settings, **settings)
    return w


def nonrooted(provider="ipmc", leaves=("L",), **settings) -> world.World:
    """The chain with ``leaves`` (and R) and a session "s" of non-rooted ``provider``,
    whose group is "s" and whose RP is router 0."""
    w = chain(provider, leaves=leaves)
    w.session("s", provider, **PROFILES[provider].settings, **settings)
    return w


def control(w):
    """``world.signalling(w)`` without the routers' IGMP general queries (sent from t = 0,
    whoever is a member): the session's messages and its members' IGMP and PIM."""
    return [row for row in world.signalling(w) if row[3] != "IGMP_QUERY"]


def data_one_way(size, hops=3):
    """``hops`` hops of a ``size``-byte data packet on an idle path (R to a leaf: 3)."""
    return hops * (0.010 + size * 8 / 1e6)


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
    """R's c_root socket in session "s", with its provider's root roles."""
    session = w.stack.session("s")
    sock = w.stack.host("R").socket("s", PROFILES[session.provider.name].root_flags)
    if listen:
        sock.listen()
    return sock


def invite_one(provider, policy="accept", at=1.0, **settings):
    """Way 1 on the chain with one leaf L: L's app listens under ``policy`` from t = 0 and
    R's app invites L at ``at``. Returns the world, not yet run."""
    w = rooted(provider, **settings)
    w.app("L").listen(policy)
    w.at(at, w.app("R").invite, ["L"])
    return w


def request_one(provider, policy="accept", at=1.0, **settings):
    """Way 2 on the chain with one leaf L: R's app listens under ``policy`` from t = 0 and
    L's app asks R for admittance at ``at``. Returns the world, not yet run."""
    w = rooted(provider, **settings)
    w.app("R").listen(policy)
    w.at(at, w.app("L").request)
    return w


# -- pieces of the logs the tests expect -----------------------------------------------------------

def listening(host, t=0):
    """``host`` makes its socket and listens at ``t``."""
    return [r(t, host, "SOCKET"), r(t, host, "LISTEN")]


def invited(t, leaf="L", answer=None, lag=0.0):
    """R's join_leaf at ``t`` (Way 1) reaches ``leaf`` one way (and ``lag``) later:
    FD_ACCEPT there, and the leaf's accept (failing with ``answer``, if given). The
    answer's way back is not in it."""
    return [r(t, "R", "JOIN_LEAF"), r(t + OW + lag, leaf, "FD_ACCEPT"), r(t + OW + lag, leaf, "ACCEPT", answer)]


def requested(t, leaf="L", answer=None, lag=0.0):
    """``leaf``'s join_leaf at ``t`` (Way 2) reaches R one way (and ``lag``) later:
    FD_ACCEPT there, and R's accept (failing with ``answer``, if given). The answer's way
    back is not in it."""
    return [r(t, leaf, "JOIN_LEAF"), r(t + OW + lag, "R", "FD_ACCEPT"), r(t + OW + lag, "R", "ACCEPT", answer)]


def tree_state(w, session="s"):
    """The branches out and the receivers of the session's distribution tree."""
    tree = w.stack.session(session).state.tree
    return tree.out, tree.receivers


def invited_pair(provider):
    """L1 and L2 listen; at t = 1 the root invites both (max_outstanding 2) on its own
    c_root socket. Returns the world, the root socket, and its per-leaf sockets by leaf
    (filled at t = 1) and the spi log of the run up to t = 2."""
    p = PROFILES[provider]
    w = rooted(provider, leaves=("L1", "L2"), max_outstanding=2)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    root = root_socket(w)
    per_leaf = {}
    w.at(1.0, lambda: per_leaf.update(L1=root.join_leaf("L1"), L2=root.join_leaf("L2")))
    t2 = 1 + p.second_arrives                       # L2's invitation reaches L2
    l1_invited = [r(1 + OW, "L1", "FD_ACCEPT"), r(1 + OW, "L1", "ACCEPT")]
    l2_invited = [r(t2, "L2", "FD_ACCEPT"), r(t2, "L2", "ACCEPT")]
    l1_done = [r(1 + 2 * OW, "R", "FD_CONNECT")]
    if provider == "atm":                           # L2's ADD PARTY after L1's completion
        middle = l1_invited + l1_done + l2_invited
    else:                                           # L2's INVITE right behind L1's
        middle = l1_invited + l2_invited + l1_done
    prefix = [r(0, "L1", "SOCKET"), r(0, "L1", "LISTEN"), r(0, "L2", "SOCKET"), r(0, "L2", "LISTEN"),
              r(0, "R", "SOCKET"),
              r(1, "R", "JOIN_LEAF"), r(1, "R", "JOIN_LEAF"),
              *middle,
              r(1 + p.second_answered, "R", "FD_CONNECT")]
    return w, root, per_leaf, prefix


class PlainProvider(Provider):
    """A provider without ``XP1_SUPPORT_MULTIPOINT``: a plain transport."""
    name = "plain"
    flags = ProviderFlag(0)


def ended_1_ms_after_acceptance(provider):
    """L's spi records, and its row's (outcome, t_complete), when the root ends L's
    accepted Way 2 request 1 ms after accepting it: atm's leaf is refused when the RELEASE
    arrives (its switch's CONNECT ACK never comes); conference's ACCEPT gets there first and
    the BYE behind it closes the new member."""
    if provider == "atm":
        return ([r(1.001 + 2 * OW, "L", "FD_CONNECT", "WSAECONNREFUSED")],
                ("rejected", pytest.approx(1.001 + 2 * OW)))
    return ([r(1 + 2 * OW, "L", "FD_CONNECT"), r(1.001 + 2 * OW, "L", "FD_CLOSE")],
            ("connected", pytest.approx(1 + 2 * OW)))
