"""The ``atm`` provider: rooted control and rooted data over point-to-multipoint calls.

Every node runs its part: the root host is the calling party, routers are
switches that keep per-call branch state, leaf hosts are called parties.
Signalling travels hop by hop along the party's route (the root's
shortest-path tree, fixed at set-up as a PNNI designated transit list would
be); switches process each message. A new party's set-up leaves the existing
tree at its branch point, where the switch turns the ADD PARTY into a SETUP on
the new branch and turns the answer back (CONNECT -> ADD PARTY ACK, RELEASE ->
ADD PARTY REJECT). Branches are grafted onto the session's data tree as the
CONNECT passes, so root data is copied at branch points; leaf data goes to the
root by unicast.
"""

from __future__ import annotations

import enum

from mpsim.core.errors import SocketError
from mpsim.net.multicast import MulticastTree
from mpsim.net.packet import Packet
from mpsim.protocols.atm.messages import (
    ADD_PARTY, ADD_PARTY_ACK, ADD_PARTY_REJECT, CALL_PROCEEDING, CONNECT, CONNECT_ACK, DROP_PARTY,
    DROP_PARTY_ACK, LEAF_SETUP_FAILURE, LEAF_SETUP_REQUEST, NETWORK, NO_LISTENER, NORMAL, REJECTED,
    RELEASE, SESSION_CLOSED, SETUP, TIMEOUT, WITHDRAWN, AtmData, AtmMessage)
from mpsim.protocols.atm.sscop import Saal
from mpsim.protocols.atm.timers import AtmOptions
from mpsim.protocols.registry import ROOTED_ACTIONS
from mpsim.spi.constants import JoinFlag, ProviderFlag, WsaError
from mpsim.spi.provider import C_LEAF, C_ROOT, Provider
from mpsim.spi.socket import Incoming, IncomingState

#: Messages that set a party up (the others clear it).
ESTABLISHING = frozenset({SETUP, CALL_PROCEEDING, CONNECT, CONNECT_ACK, ADD_PARTY, ADD_PARTY_ACK,
                          LEAF_SETUP_REQUEST})

#: The error an indication carries for a clearing cause.
ERROR_OF_CAUSE = {
    REJECTED: WsaError.WSAECONNREFUSED,
    NO_LISTENER: WsaError.WSAECONNREFUSED,
    TIMEOUT: WsaError.WSAETIMEDOUT,
    NETWORK: WsaError.WSAECONNABORTED,       # M21: "terminated due to a time-out or other failure"
    SESSION_CLOSED: WsaError.WSAECONNREFUSED,    # M18: a request the closed root never answered
    WITHDRAWN: WsaError.WSAECONNRESET,
    NORMAL: None,
}


class PartyState(enum.StrEnum):
    """The root's side of a party."""
    IDLE = "idle"              # not invited (yet): a leaf's request the root has not accepted
    WAITING = "waiting"        # accepted, held until the call is active (Q.2971: no ADD PARTY before)
    INVITING = "inviting"      # SETUP or ADD PARTY sent, no answer yet
    ACTIVE = "active"          # connected
    GONE = "gone"              # withdrawn, refused or cleared


class LeafState(enum.StrEnum):
    """The leaf's side of a party."""
    IDLE = "idle"
    QUEUED = "queued"          # the invitation waits at the leaf's listening socket
    REQUESTING = "requesting"  # Way 2: LEAF SETUP REQUEST sent, T331 running
    MEMBER = "member"
    REFUSED = "refused"        # the leaf said no, or nobody listened: a duplicate is refused again
    GONE = "gone"


class CallPhase(enum.StrEnum):
    """The root's side of the call (Q.2971 call states, as FreeBSD ngatm ``sig_call.c``
    keeps them): ADD PARTY may be sent only while it is active."""
    NULL = "null"              # no call: the next party goes as a SETUP
    SETUP = "setup"            # the first party's SETUP is out, its CONNECT not yet back (U1-U3)
    ACTIVE = "active"          # the first party's CONNECT reached the root (U10)


class Phase(enum.StrEnum):
    """The timer that guards the root's invitation."""
    T303 = "T303"              # SETUP sent
    T310 = "T310"              # CALL PROCEEDING received
    T399 = "T399"              # ADD PARTY sent
    STUDY = "study"            # the session's stop-and-wait invite_timeout


#: The states in which a party can be reached other than by a message for it: a socket
#: call (``drop_leaf``, ``leave``), a failure, the release of its call, an application's
#: answer to its queued invitation. A party in neither set is changed only by a message
#: for it, and each message carries its party (``AtmMessage.context``).
LIVE_STATES = frozenset({PartyState.WAITING, PartyState.INVITING, PartyState.ACTIVE})
LIVE_LEAF_STATES = frozenset({LeafState.QUEUED, LeafState.REQUESTING, LeafState.MEMBER})


def route_hops(route) -> list:
    """The hops of a route, each as the unordered pair of its ends."""
    return [frozenset((route[i], route[i + 1])) for i in range(len(route) - 1)]


class PartyIndex:
    """The live parties of a provider (``LIVE_STATES``, ``LIVE_LEAF_STATES``), by join id
    and by the hops of their routes, so that what a socket, a failure or a release needs
    costs what is live, not the whole history. ``Party``'s state setters keep it current;
    a party that is not live is forgotten here (its messages, timers and queued request
    still hold it while they exist)."""

    __slots__ = ("by_join", "by_hop")

    def __init__(self):
        self.by_join: dict = {}      # join id -> Party
        self.by_hop: dict = {}       # frozenset({a, b}) -> {join id: Party routed over a-b}

    def update(self, party) -> None:
        """Add or forget ``party`` as its states make it live or not."""
        join_id = party.join.join_id
        live = party.state in LIVE_STATES or party.leaf_state in LIVE_LEAF_STATES
        if live == (join_id in self.by_join):
            return
        by_hop = self.by_hop
        if live:
            self.by_join[join_id] = party
            for hop in route_hops(party.route):
                by_hop.setdefault(hop, {})[join_id] = party
            return
        del self.by_join[join_id]
        for hop in route_hops(party.route):
            parties = by_hop.get(hop)
            if parties is not None:
                parties.pop(join_id, None)
                if not parties:
                    del by_hop[hop]

    def get(self, join_id):
        """The live party of join ``join_id``, or None."""
        return self.by_join.get(join_id)

    def crossing(self, hops) -> list:
        """The live parties routed over any of ``hops``, in the order they were made
        (join id order: a party is made when its join is)."""
        found: dict = {}
        for hop in hops:
            found.update(self.by_hop.get(hop, ()))
        return [found[join_id] for join_id in sorted(found)]


class Party:
    """One party of a call (one join), as every node involved sees it. Setting ``state``
    or ``leaf_state`` keeps the provider's ``PartyIndex`` and the call's per-leaf tables
    current."""

    __slots__ = ("join", "call", "root", "leaf", "route", "pos", "_state", "kind", "sends",
                 "timer", "phase", "way", "root_socket", "leaf_socket", "member", "incoming",
                 "_leaf_state", "requests", "leaf_timer", "connect_timer", "_index")

    def __init__(self, join, call, root, leaf, route, way, index):
        self.join = join
        self.call = call
        self.root = root
        self.leaf = leaf
        self.route = route                 # root, switches..., leaf
        self.pos = {node: i for i, node in enumerate(route)}
        self._index = index
        self._state = PartyState.IDLE      # the root's side
        self.kind = None                   # SETUP or ADD_PARTY, chosen at the first send
        self.sends = 0                     # root's transmissions of its invitation
        self.timer = None
        self.phase = None                  # a Phase while inviting
        self.way = way                     # 1: root invites, 2: leaf requests
        self.root_socket = None
        self.leaf_socket = None            # root's per-leaf socket
        self.member = None                 # leaf's socket once it is a member
        self.incoming = None               # the queued Incoming (at the leaf or the root)
        self._leaf_state = LeafState.IDLE  # the leaf's side
        self.requests = 0                  # leaf's LEAF SETUP REQUEST transmissions
        self.leaf_timer = None             # the leaf's T331
        self.connect_timer = None          # the leaf's T313: CONNECT sent, no CONNECT ACK yet

    @property
    def state(self) -> PartyState:
        return self._state

    @state.setter
    def state(self, state: PartyState) -> None:
        self._state = state
        self._index.update(self)

    @property
    def leaf_state(self) -> LeafState:
        return self._leaf_state

    @leaf_state.setter
    def leaf_state(self, state: LeafState) -> None:
        old, self._leaf_state = self._leaf_state, state
        if old != state:
            self.call.leaf_state_changed(self, old)
        self._index.update(self)

    def next_hop(self, node, up: bool):
        i = self.pos[node] + (-1 if up else 1)
        return self.route[i] if 0 <= i < len(self.route) else None


class SwitchParty:
    """A switch's state for one party: the branch it leaves by (``down``), whether this
    switch turned its ADD PARTY into a SETUP (``converted``: answers are turned back
    here), whether its answer has passed (``active``)."""

    __slots__ = ("down", "converted", "active")

    def __init__(self, down, converted: bool):
        self.down = down
        self.converted = converted
        self.active = False


class SwitchCall:
    """A switch's state for one call: its branches and the parties on each."""

    __slots__ = ("branches", "parties")

    def __init__(self):
        self.branches: dict = {}     # downstream node -> set of party ids
        self.parties: dict = {}      # party id -> SwitchParty


class AtmCall:
    """Per-session state: timers, signalling transport, the data tree, switch state, the
    parties."""

    def __init__(self, session, timers, signalling, tree):
        self.session = session
        self.name = session.name
        self.timers = timers
        self.signalling = signalling
        self.saal = None             # the call's SSCOP connections (None: unreliable signalling)
        self.tree = tree
        self.phase = CallPhase.NULL
        self.waiting: dict = {}      # party id -> Party accepted while the call is in set-up
        self.switches: dict = {}     # node -> SwitchCall
        self.root_parties: dict = {}  # party id -> Party the root has pending or active
        # leaf host -> {party id: Party requesting or a member there}, in the order they
        # first became either (a request's place is kept when it becomes a member)
        self.leaf_parties: dict = {}
        self.queued: dict = {}       # leaf host -> {party id: Party whose invitation waits there}

    def leaf_state_changed(self, party, old: LeafState) -> None:
        """Keep ``leaf_parties`` and ``queued`` in step with ``party.leaf_state``."""
        new, leaf, join_id = party.leaf_state, party.leaf, party.join.join_id
        if old == LeafState.QUEUED:
            self._forget(self.queued, leaf, join_id)
        elif new == LeafState.QUEUED:
            self.queued.setdefault(leaf, {})[join_id] = party
        if new in (LeafState.REQUESTING, LeafState.MEMBER):
            self.leaf_parties.setdefault(leaf, {})[join_id] = party
        elif old in (LeafState.REQUESTING, LeafState.MEMBER):
            self._forget(self.leaf_parties, leaf, join_id)

    @staticmethod
    def _forget(table, leaf, join_id) -> None:
        parties = table.get(leaf)
        if parties is not None:
            parties.pop(join_id, None)
            if not parties:
                del table[leaf]


class AtmProvider(Provider):
    """ATM UNI 4.0 / Q.2971 point-to-multipoint signalling."""

    name = "atm"
    flags = (ProviderFlag.XP1_SUPPORT_MULTIPOINT | ProviderFlag.XP1_MULTIPOINT_CONTROL_PLANE
             | ProviderFlag.XP1_MULTIPOINT_DATA_PLANE)
    options = AtmOptions
    actions = ROOTED_ACTIONS

    def __init__(self, stack):
        super().__init__(stack)
        self.calls: dict = {}
        self.parties = PartyIndex()
        #: What a signalling message does where it arrives, by its kind (CONNECT ACK goes
        #: one hop: from the root to its switch, from the leaf's switch to the leaf).
        self._handlers = {
            CONNECT_ACK: self._on_connect_ack,
            SETUP: self._on_invitation, ADD_PARTY: self._on_invitation,
            CONNECT: self._on_positive, ADD_PARTY_ACK: self._on_positive,
            RELEASE: self._on_clearing, ADD_PARTY_REJECT: self._on_clearing, DROP_PARTY: self._on_clearing,
            CALL_PROCEEDING: self._on_call_proceeding,
            LEAF_SETUP_REQUEST: self._on_leaf_request_hop,
            LEAF_SETUP_FAILURE: self._on_leaf_setup_failure_hop,
            DROP_PARTY_ACK: self._on_drop_party_ack,
        }
        self.network.attach(None, "atm", self._receive)
        self.network.on_route_change(self._route_changed)

    # -- sessions ------------------------------------------------------------------
    def open_session(self, session) -> None:
        """``session.config`` is its ``AtmOptions``, checked by the stack (the root too)."""
        config = session.config
        signalling = config.atm_signalling()
        call = AtmCall(session, config.atm_timers(), signalling,
                       MulticastTree(self.network, session.root, "from_root"))
        if signalling.reliable:
            call.saal = Saal(self, call, signalling.poll, signalling.no_response)
        session.state = call
        self.calls[session.name] = call

    # -- sending -------------------------------------------------------------------
    def _send(self, call, kind, party, src, dst, up, cause=None, originate=True) -> None:
        """One hop of a signalling message; ``originate`` counts it in its join's messages:
        every message that sets the party up, and clearing ones while the join is still
        undecided (a refusal, a withdrawal) — not the clearing of a member who leaves."""
        pid = None if party is None else party.join.join_id
        saal = call.saal
        msg = AtmMessage(kind, call.name, pid, up, cause, party,
                         None if saal is None else saal.number(src, dst))
        if originate and party is not None and (kind in ESTABLISHING or not party.join.done):
            party.join.messages += 1
        packet = self.control_packet(msg, src, dst, join_id=pid, detail=cause)
        if saal is None:
            self.network.send_hop(packet, src, dst)
        else:
            saal.send(packet, src, dst, self.cause)

    def _forward(self, call, kind, party, node, up, cause=None, originate=False) -> bool:
        nxt = party.next_hop(node, up)
        if nxt is None:
            return False
        self._send(call, kind, party, node, nxt, up, cause, originate)
        return True

    # -- receiving -----------------------------------------------------------------
    def _receive(self, packet, link) -> None:
        msg = packet.msg
        node = link.dst if link is not None else packet.dst
        if msg.kind == "DATA":
            self._data_at_root(packet, node)
            return
        call = self.calls.get(msg.session)
        if call is not None and call.saal is not None:
            call.saal.arrived(packet, link)             # in order, after any gap is filled
        else:
            self.control_arrived(packet, link.dst, link.src, msg.party)

    def _handle(self, msg, node, prev) -> None:
        call = self.calls.get(msg.session)
        if call is None:
            return
        if msg.party is None:                       # RELEASE of the whole call
            self._release_call_at(call, node)
            return
        party = msg.context
        if party is None or node not in party.pos:
            return
        handler = self._handlers.get(msg.kind)
        if handler is not None:
            handler(call, party, node, prev, msg)

    def _on_clearing(self, call, party, node, prev, msg) -> None:
        if msg.up:
            self._on_negative_up(call, party, node, msg)
        else:
            self._on_clear_down(call, party, node, msg)

    def _on_leaf_request_hop(self, call, party, node, prev, msg) -> None:
        if node == party.root:
            self._on_leaf_request(call, party)
        else:
            self._forward(call, msg.kind, party, node, True)

    def _on_leaf_setup_failure_hop(self, call, party, node, prev, msg) -> None:
        if node == party.leaf:
            self._on_leaf_setup_failure(call, party, msg)
        else:
            self._forward(call, msg.kind, party, node, False, msg.cause)

    def _on_drop_party_ack(self, call, party, node, prev, msg) -> None:
        if node != party.root:
            self._forward(call, msg.kind, party, node, True)
        elif party.timer is not None:
            party.timer.cancel()

    # -- Way 1 and Way 2: the root's invitation ----------------------------------------
    def _route(self, root, leaf):
        """The party's route (root, switches..., leaf), or None if the topology has no path
        (M9: WSAENETUNREACH). A host that is down is still in the topology: its route
        ends through its switch, where what is sent to it is lost, and the other end's
        timers answer (M9: WSAETIMEDOUT)."""
        network = self.network

        def reachable_end(host):
            return network.router_of(host) if network.is_host(host) and not network.node_up(host) else host

        src, dst = reachable_end(leaf), reachable_end(root)
        path = network.routing.path(src, dst)
        if path is None:
            return None
        if src != leaf:
            path = [leaf, *path]
        if dst != root:
            path = [*path, root]
        return tuple(reversed(path))

    def invite(self, join, root_socket, leaf_socket) -> None:
        call = root_socket.session.state
        route = self._route(join.root, join.leaf)
        if route is None:
            self.sim.call_later(0.0, root_socket.join_completed, join, WsaError.WSAENETUNREACH, leaf_socket)
            return
        party = Party(join, call, join.root, join.leaf, route, 1, self.parties)
        party.root_socket = root_socket
        party.leaf_socket = leaf_socket
        self._start_invitation(call, party)

    def _start_invitation(self, call, party) -> None:
        """Invite ``party``: with a SETUP if there is no call, an ADD PARTY if it is active;
        while the first party is being set up it waits (Q.2971: ADD PARTY only in the
        active state) and leaves with the others when the call becomes active."""
        if call.phase == CallPhase.SETUP:
            call.waiting[party.join.join_id] = party
            party.state = PartyState.WAITING
            return
        call.root_parties[party.join.join_id] = party
        if call.phase == CallPhase.NULL:
            call.phase = CallPhase.SETUP
            party.kind = SETUP
        else:
            party.kind = ADD_PARTY
        party.state = PartyState.INVITING
        self._send_invitation(call, party)

    def _root_party_ended(self, call) -> None:
        """A party left ``call.root_parties``: with none left the call is released, and a
        party still waiting starts a new one (the first with a SETUP)."""
        if call.root_parties:
            return
        call.phase = CallPhase.NULL
        self._invite_waiting(call)

    def _invite_waiting(self, call) -> None:
        while call.waiting and call.phase != CallPhase.SETUP:
            join_id = next(iter(call.waiting))
            self._start_invitation(call, call.waiting.pop(join_id))

    def _send_invitation(self, call, party) -> None:
        party.sends += 1
        if party.way == 1:
            party.join.attempts += 1
        timers = call.timers
        if party.timer is not None:
            party.timer.cancel()
        if timers.study:
            party.phase, delay = Phase.STUDY, timers.study_timeout
        elif party.kind == SETUP:
            party.phase, delay = Phase.T303, timers.T303
        else:
            party.phase, delay = Phase.T399, timers.T399
        party.timer = self.sim.timer(delay, self._invitation_expired, party)
        self._send(call, party.kind, party, party.root, party.route[1], False)

    def _on_call_proceeding(self, call, party, node, prev, msg) -> None:
        if party.state == PartyState.INVITING and party.phase == Phase.T303:
            party.timer.cancel()
            party.phase = Phase.T310
            party.timer = self.sim.timer(call.timers.T310, self._invitation_expired, party)

    def _invitation_expired(self, party) -> None:
        if party.state != PartyState.INVITING:
            return
        call = party.call
        timers = call.timers
        if ((party.phase == Phase.STUDY and party.sends <= timers.study_retries)
                or (party.phase == Phase.T303 and party.sends < 2)):
            self._send_invitation(call, party)
        else:
            self._give_up(call, party, WsaError.WSAETIMEDOUT, TIMEOUT)

    def _give_up(self, call, party, error, cause) -> None:
        """The root abandons a party: withdraw it in the network and tell its socket."""
        party.timer = None
        self._withdraw(call, party, cause)
        if party.way == 1:
            party.root_socket.join_completed(party.join, error, party.leaf_socket, party.leaf)
        else:
            party.leaf_socket.closed_by_peer(error, party.leaf)

    def _withdraw(self, call, party, cause) -> None:
        """Send the clearing message for a party down its route (RELEASE if it is the last one)."""
        call.root_parties.pop(party.join.join_id, None)
        party.state = PartyState.GONE
        kind = DROP_PARTY if call.root_parties else RELEASE
        if party.timer is not None:
            party.timer.cancel()
            party.timer = None
        self._send(call, kind, party, party.root, party.route[1], False, cause)
        self._prune_root(call)
        self._root_party_ended(call)

    def _on_invitation(self, call, party, node, prev, msg) -> None:
        if node == party.leaf:
            self._invitation_at_leaf(call, party)
            return
        switch = call.switches.get(node)
        if switch is None:
            switch = call.switches[node] = SwitchCall()
        if msg.kind == SETUP and prev == party.root:       # the root's first switch
            self._send(call, CALL_PROCEEDING, party, node, prev, True)
        down = party.next_hop(node, False)
        join_id = party.join.join_id
        state = switch.parties.get(join_id)
        if state is None:
            kind = ADD_PARTY if switch.branches.get(down) else SETUP
            switch.parties[join_id] = SwitchParty(down, msg.kind == ADD_PARTY and kind == SETUP)
            switch.branches.setdefault(down, set()).add(join_id)
        else:
            kind = SETUP if state.converted or msg.kind == SETUP else ADD_PARTY
        self._send(call, kind, party, node, down, False, originate=False)

    def _on_positive(self, call, party, node, prev, msg) -> None:
        if node == party.root:
            self._party_connected(call, party, msg)
            return
        switch = call.switches.get(node)
        state = None if switch is None else switch.parties.get(party.join.join_id)
        if state is None:
            return                                     # stale answer: the party is gone here
        state.active = True
        call.tree.graft(node, state.down)
        if prev == party.leaf:                         # the called user's call is active
            self._send(call, CONNECT_ACK, party, node, prev, False)
        kind = ADD_PARTY_ACK if state.converted or msg.kind == ADD_PARTY_ACK else CONNECT
        self._forward(call, kind, party, node, True)

    def _party_connected(self, call, party, msg) -> None:
        first = party.route[1]
        if msg.kind == CONNECT:
            self._send(call, CONNECT_ACK, party, party.root, first, False)
        if party.state != PartyState.INVITING:
            return                                     # a duplicate answer
        party.timer.cancel()
        party.timer = None
        party.state = PartyState.ACTIVE
        call.tree.graft(party.root, first)
        if call.phase == CallPhase.SETUP:
            call.phase = CallPhase.ACTIVE
            self._invite_waiting(call)
        if party.way == 1:
            party.root_socket.join_completed(party.join, None, party.leaf_socket, party.leaf)
        else:
            party.leaf_socket.party_completed(party.join, None)

    # -- at the leaf ------------------------------------------------------------------
    def _invitation_at_leaf(self, call, party) -> None:
        leaf = party.leaf
        state = party.leaf_state
        if state == LeafState.MEMBER:                  # duplicate: answer again
            self._send(call, CONNECT, party, leaf, party.route[-2], True)
            return
        if state == LeafState.QUEUED:
            return
        if state == LeafState.REFUSED:
            self._send(call, RELEASE, party, leaf, party.route[-2], True, REJECTED)
            return
        if state == LeafState.REQUESTING:              # Way 2: the root's answer
            party.leaf_timer.cancel()
            self._become_member(call, party, party.member)
            self._send_connect(call, party)            # FD_CONNECT comes with the CONNECT ACK
            return
        host = self.stack.hosts.get(leaf)
        listener = None if host is None else host.listening(call.name, C_LEAF)
        if listener is None or party.way == 2:         # M5: nobody listens (or a stale request)
            party.leaf_state = LeafState.REFUSED
            self._send(call, RELEASE, party, leaf, party.route[-2], True, NO_LISTENER)
            return
        party.leaf_state = LeafState.QUEUED
        party.incoming = Incoming("invite", party.join, party.root, call.name, self.sim.now, party)
        listener.request_arrived(party.incoming)

    def answer_invitation(self, incoming, accepted: bool, member_socket=None) -> None:
        party = incoming.context
        call = party.call
        if accepted:
            self._become_member(call, party, member_socket)
            self._send_connect(call, party)
        else:
            party.leaf_state = LeafState.REFUSED
            self._send(call, RELEASE, party, party.leaf, party.route[-2], True, REJECTED)

    def _send_connect(self, call, party) -> None:
        """The leaf answers with CONNECT and waits (T313) for its switch's CONNECT ACK."""
        party.connect_timer = self.sim.timer(call.timers.T313, self._connect_expired, party)
        self._send(call, CONNECT, party, party.leaf, party.route[-2], True)

    def _on_connect_ack(self, call, party, node, prev, msg) -> None:
        """At the leaf, CONNECT ACK makes its call active: a requesting leaf's join is done."""
        timer = party.connect_timer
        if node != party.leaf or timer is None or party.leaf_state != LeafState.MEMBER:
            return
        timer.cancel()
        party.connect_timer = None
        if party.way == 2:
            party.member.join_completed(party.join, None, peer=party.root)

    def _connect_expired(self, party) -> None:
        """T313: no CONNECT ACK; the leaf clears its side of the call."""
        party.connect_timer = None
        if party.leaf_state != LeafState.MEMBER:
            return
        call = party.call
        self._leave_locally(call, party)
        self._send(call, RELEASE, party, party.leaf, party.route[-2], True, TIMEOUT)
        if party.way == 2:
            party.member.join_completed(party.join, WsaError.WSAETIMEDOUT, peer=party.root)
        else:
            party.member.closed_by_peer(WsaError.WSAECONNABORTED, party.root)

    def _become_member(self, call, party, sock) -> None:
        party.leaf_state = LeafState.MEMBER            # (and in call.leaf_parties)
        party.member = sock
        if sock.jl_flags != JoinFlag.JL_SENDER_ONLY:
            join = party.join
            call.tree.subscribe(party.leaf,
                                lambda packet, link: sock.data_arrived(packet.size, join, packet.src))

    # -- Way 2: the leaf asks -------------------------------------------------------------
    def request(self, join, leaf_socket) -> None:
        call = leaf_socket.session.state
        route = self._route(join.root, join.leaf)
        if route is None:
            self.sim.call_later(0.0, leaf_socket.join_completed, join, WsaError.WSAENETUNREACH)
            return
        party = Party(join, call, join.root, join.leaf, route, 2, self.parties)
        party.member = leaf_socket
        party.leaf_state = LeafState.REQUESTING        # (and in call.leaf_parties)
        self._send_request(call, party)

    def _send_request(self, call, party) -> None:
        party.requests += 1
        party.join.attempts += 1
        party.leaf_timer = self.sim.timer(call.timers.T331, self._request_expired, party)
        self._send(call, LEAF_SETUP_REQUEST, party, party.leaf, party.route[-2], True)

    def _request_expired(self, party) -> None:
        if party.leaf_state != LeafState.REQUESTING:
            return
        call = party.call
        if party.requests < 2:
            self._send_request(call, party)
            return
        party.leaf_state = LeafState.GONE
        self._send(call, RELEASE, party, party.leaf, party.route[-2], True, WITHDRAWN)
        party.member.join_completed(party.join, WsaError.WSAETIMEDOUT, peer=party.root)

    def _on_leaf_request(self, call, party) -> None:
        root = party.root
        if party.incoming is not None:                 # a duplicate request
            state = party.incoming.state
            if state == IncomingState.REJECTED:
                self._send(call, LEAF_SETUP_FAILURE, party, root, party.route[1], False, REJECTED)
            elif state == IncomingState.ACCEPTED and party.state == PartyState.INVITING:
                self._send_invitation(call, party)
            elif state == IncomingState.ACCEPTED and party.state == PartyState.GONE:
                self._send(call, LEAF_SETUP_FAILURE, party, root, party.route[1], False,
                           self._refusal_cause(party))
            return
        host = self.stack.hosts.get(root)
        listener = None if host is None else host.listening(call.name, C_ROOT)
        if listener is None or root != call.session.root:
            party.incoming = Incoming("request", party.join, party.leaf, call.name, self.sim.now, party)
            party.incoming.state = IncomingState.REJECTED
            self._send(call, LEAF_SETUP_FAILURE, party, root, party.route[1], False, NO_LISTENER)
            return
        party.root_socket = listener
        party.incoming = Incoming("request", party.join, party.leaf, call.name, self.sim.now, party)
        listener.request_arrived(party.incoming)

    def answer_request(self, incoming, accepted: bool, leaf_socket=None) -> None:
        party = incoming.context
        call = party.call
        if accepted:
            party.leaf_socket = leaf_socket
            self._start_invitation(call, party)
        else:
            self._send(call, LEAF_SETUP_FAILURE, party, party.root, party.route[1], False,
                       self._refusal_cause(party))

    @staticmethod
    def _refusal_cause(party) -> str:
        """Why the root refuses a leaf's request: it closed (M18), or it said no."""
        closed = party.root_socket is not None and party.root_socket.closed
        return SESSION_CLOSED if closed else REJECTED

    def refuse_pending(self, socket, incomings) -> None:
        for incoming in incomings:
            if incoming.state.open:
                incoming.state = IncomingState.REJECTED
                if incoming.kind == "invite":
                    self.answer_invitation(incoming, False)
                else:
                    self.answer_request(incoming, False)

    def _on_leaf_setup_failure(self, call, party, msg) -> None:
        if party.leaf_state != LeafState.REQUESTING:
            return
        party.leaf_timer.cancel()
        party.leaf_state = LeafState.REFUSED
        party.member.join_completed(party.join, ERROR_OF_CAUSE.get(msg.cause, WsaError.WSAECONNREFUSED),
                                peer=party.root)

    # -- clearing -----------------------------------------------------------------------
    def _remove_at_switch(self, call, party, node):
        """Forget ``party`` at switch ``node``; returns its state there (or None)."""
        switch = call.switches.get(node)
        if switch is None:
            return None, None
        state = switch.parties.pop(party.join.join_id, None)
        if state is not None:
            branch = switch.branches.get(state.down)
            if branch is not None:
                branch.discard(party.join.join_id)
                if not branch:
                    del switch.branches[state.down]
                    call.tree.prune(node, state.down)
        if not switch.parties:
            del call.switches[node]
            switch = None
        return state, switch

    def _on_negative_up(self, call, party, node, msg) -> None:
        """A party's clearing travelling toward the root (refused, left, withdrawn, failed)."""
        if node == party.root:
            self._cleared_at_root(call, party, msg)
            return
        state, switch = self._remove_at_switch(call, party, node)
        if state is None:
            self._forward(call, msg.kind, party, node, True, msg.cause)
            return
        # The last party here releases the call on this branch; otherwise clear just this one.
        last = switch is None
        kind = RELEASE if last else (DROP_PARTY if state.active else ADD_PARTY_REJECT)
        self._forward(call, kind, party, node, True, msg.cause)

    def _cleared_at_root(self, call, party, msg) -> None:
        cause = msg.cause
        if party.incoming is not None and party.incoming.state.open:
            party.root_socket.request_withdrawn(party.incoming)      # M6: the requester gave up
            return
        if party.state not in LIVE_STATES:
            return
        was_active = party.state == PartyState.ACTIVE
        call.root_parties.pop(party.join.join_id, None)
        call.waiting.pop(party.join.join_id, None)
        party.state = PartyState.GONE
        if party.timer is not None:
            party.timer.cancel()
            party.timer = None
        self._prune_root(call)
        self._root_party_ended(call)
        error = ERROR_OF_CAUSE.get(cause, WsaError.WSAECONNREFUSED)
        if was_active:
            party.leaf_socket.closed_by_peer(error, party.leaf)          # M20, M21
            return
        if error is None:       # the leaf accepted and left before its answer got here
            error = WsaError.WSAECONNRESET
        if party.way == 1:
            party.root_socket.join_completed(party.join, error, party.leaf_socket, party.leaf)
        else:
            party.leaf_socket.closed_by_peer(error, party.leaf)

    def _prune_root(self, call) -> None:
        if not any(p.state == PartyState.ACTIVE for p in call.root_parties.values()):
            for link in list(call.tree.out.get(call.session.root, ())):
                call.tree.prune(link.src, link.dst)

    def _on_clear_down(self, call, party, node, msg) -> None:
        """A clearing from the root side travelling toward the leaf."""
        if node == party.leaf:
            self._cleared_at_leaf(call, party, msg)
            return
        state, _switch = self._remove_at_switch(call, party, node)
        if state is not None or msg.cause == NETWORK:
            self._forward(call, msg.kind, party, node, False, msg.cause)

    def _cleared_at_leaf(self, call, party, msg) -> None:
        state = party.leaf_state
        cause = msg.cause
        if state == LeafState.QUEUED:
            party.leaf_state = LeafState.GONE
            if party.incoming is not None:
                host = self.stack.hosts.get(party.leaf)
                listener = host.listening(call.name, C_LEAF) if host else None
                if listener is not None:
                    listener.request_withdrawn(party.incoming)
                else:
                    party.incoming.state = IncomingState.WITHDRAWN
            return
        if state == LeafState.REQUESTING:
            party.leaf_timer.cancel()
            party.leaf_state = LeafState.GONE
            party.member.join_completed(party.join, ERROR_OF_CAUSE.get(cause, WsaError.WSAECONNRESET),
                                    peer=party.root)
            return
        if state != LeafState.MEMBER:
            return
        self._leave_locally(call, party)
        if msg.kind == DROP_PARTY and cause == NORMAL:
            self._send(call, DROP_PARTY_ACK, party, party.leaf, party.route[-2], True)
        waiting_ack, party.connect_timer = party.connect_timer, None
        if waiting_ack is not None:
            waiting_ack.cancel()
            if party.way == 2:          # cleared before its call was active: the request failed
                error = WsaError.WSAETIMEDOUT if cause == TIMEOUT else WsaError.WSAECONNREFUSED
                party.member.join_completed(party.join, error, peer=party.root)
                return
        party.member.closed_by_peer(ERROR_OF_CAUSE.get(cause), party.root)      # M19

    def _leave_locally(self, call, party) -> None:
        party.leaf_state = LeafState.GONE              # (and out of call.leaf_parties)
        parties = call.leaf_parties.get(party.leaf, {})
        if not any(p.leaf_state == LeafState.MEMBER for p in parties.values()):
            call.tree.unsubscribe(party.leaf)

    def drop_leaf(self, leaf_socket) -> None:
        join = leaf_socket.join
        party = self.parties.get(join.join_id) if join is not None else None
        if party is None or party.state not in LIVE_STATES:
            return
        call = party.call
        if party.state == PartyState.WAITING:          # nothing of it is on the wire yet
            del call.waiting[party.join.join_id]
            party.state = PartyState.GONE
            return
        self._withdraw(call, party, NORMAL)   # released locally at once: T398 has nothing left to do

    def leave(self, socket) -> None:
        join = socket.join
        party = self.parties.get(join.join_id) if join is not None else None
        if party is None:
            return
        call = party.call
        if party.leaf_state == LeafState.MEMBER:
            self._leave_locally(call, party)
            self._send(call, RELEASE, party, party.leaf, party.route[-2], True, NORMAL)
        elif party.leaf_state == LeafState.REQUESTING:
            party.leaf_timer.cancel()
            party.leaf_state = LeafState.GONE
            self._send(call, RELEASE, party, party.leaf, party.route[-2], True, WITHDRAWN)

    def close_root(self, root_socket) -> None:
        call = root_socket.session.state
        # Release the call toward every switch the root has set up a party through, or
        # is setting one up through: the RELEASE follows a SETUP still on its way.
        firsts = sorted({p.route[1] for p in call.root_parties.values()},
                        key=self.network.rank.__getitem__)
        waiting = list(call.waiting.values())
        for party in [*call.root_parties.values(), *waiting]:
            if party.timer is not None:
                party.timer.cancel()
                party.timer = None
            party.state = PartyState.GONE
        call.root_parties.clear()
        call.waiting.clear()
        call.phase = CallPhase.NULL
        for party in waiting:            # accepted requests never sent: refuse them (M18)
            if party.way == 2:
                self._send(call, LEAF_SETUP_FAILURE, party, party.root, party.route[1], False,
                           SESSION_CLOSED)
        root = call.session.root
        for first in firsts:
            self._send(call, RELEASE, None, root, first, False, SESSION_CLOSED)
        self._prune_root(call)

    def _release_call_at(self, call, node) -> None:
        """The whole call is released: pass it down every branch, forget the call here."""
        if self.network.is_host(node):
            self._release_at_host(call, node)
            return
        switch = call.switches.pop(node, None)
        if switch is None:
            return
        for down in switch.branches:
            call.tree.prune(node, down)
            self._send(call, RELEASE, None, node, down, False, SESSION_CLOSED, originate=False)

    def _release_at_host(self, call, host) -> None:
        """The call's members at ``host``, and invitations held there, end with the call
        (the queued ones in the order their parties were made). A leaf's own request is
        not part of the call: the root side answers it."""
        for party in list(call.leaf_parties.get(host, {}).values()):
            if party.leaf_state == LeafState.MEMBER:
                msg = AtmMessage(RELEASE, call.name, party.join.join_id, False, NORMAL)
                self._cleared_at_leaf(call, party, msg)
        queued = call.queued.get(host)
        for join_id in sorted(queued) if queued else ():
            party = queued.get(join_id)
            if party is not None and party.leaf_state == LeafState.QUEUED:
                self._cleared_at_leaf(call, party, AtmMessage(RELEASE, call.name, None, False, NORMAL))

    # -- failures (M21) ---------------------------------------------------------------------
    def _route_changed(self, event, u, v) -> None:
        """A failure: each call's switches notice it after that call's Timer_NO-RESPONSE."""
        if event not in ("LINK_DOWN", "NODE_DOWN"):
            return
        if event == "LINK_DOWN":
            hops = [frozenset((u, v))]
        else:
            hops = [frozenset((u, w)) for w in self.network.adjacency[u]]
        for call in self.calls.values():
            self.sim.call_later(call.signalling.no_response, self._detect, call, hops)

    def _detect(self, call, hops) -> None:
        """The switches of ``call`` notice that ``hops`` are down: clear its connected
        parties routed over one still down, in the order the parties were made, and
        start those hops' SSCOP connections afresh. Only the live parties routed over
        them are looked at (``PartyIndex.crossing``)."""
        network = self.network
        down = [hop for hop in hops if not network.link(*tuple(hop)).up]
        self._break_crossing(call, down)
        if call.saal is not None:
            for hop in down:
                call.saal.reset(*tuple(hop))

    def hop_silent(self, call, a, b) -> None:
        """``call``'s SSCOP connection from ``a`` to ``b`` heard no STAT for
        Timer_NO-RESPONSE (``Saal`` has reset it): the hop is broken for this call."""
        self._break_crossing(call, [frozenset((a, b))])

    def _break_crossing(self, call, hops) -> None:
        hops = set(hops)
        for party in self.parties.crossing(hops):
            if party.call is not call or (party.state != PartyState.ACTIVE
                                          and party.leaf_state != LeafState.MEMBER):
                continue
            route = party.route
            for i in range(len(route) - 1):
                if frozenset((route[i], route[i + 1])) in hops:
                    self._break(call, party, i)
                    break

    def _break(self, call, party, i) -> None:
        """The route of ``party`` broke between route[i] and route[i+1]: both sides clear it."""
        route = party.route
        above, below = route[i], route[i + 1]
        msg_up = AtmMessage(DROP_PARTY, call.name, party.join.join_id, True, NETWORK)
        msg_down = AtmMessage(RELEASE, call.name, party.join.join_id, False, NETWORK)
        if self.network.node_up(above):
            if above == party.root:
                self._cleared_at_root(call, party, msg_up)
            else:
                self._remove_at_switch(call, party, above)
                self._forward(call, DROP_PARTY, party, above, True, NETWORK, originate=True)
        if self.network.node_up(below):
            if below == party.leaf:
                self._cleared_at_leaf(call, party, msg_down)
            else:
                self._remove_at_switch(call, party, below)
                self._forward(call, RELEASE, party, below, False, NETWORK, originate=True)

    # -- data ------------------------------------------------------------------------
    def send(self, socket, size: int) -> None:
        call = socket.session.state
        host = socket.host.name
        if socket.c_role == C_ROOT and socket.kind == "session":
            call.tree.send(self._data_packet(size, call, host, None), at=host)             # M15
            return
        if socket.kind == "per_leaf":
            raise SocketError(WsaError.WSAEOPNOTSUPP, "the root sends on its c_root socket")
        if not socket.connected:
            raise SocketError(WsaError.WSAEINVAL, "not a member of the session")
        self.network.unicast(self._data_packet(size, call, host, call.session.root),
                             host, call.session.root)

    def _data_packet(self, size, call, host, dst) -> Packet:
        return Packet(size, AtmData(call.name, host), host, dst, False, next(self._message_ids))

    def _data_at_root(self, packet, node) -> None:
        call = self.calls.get(packet.msg.session)
        if call is None or node != call.session.root:
            return
        for party in call.root_parties.values():
            if party.leaf == packet.msg.sender and party.state == PartyState.ACTIVE:
                party.leaf_socket.data_arrived(packet.size, None, party.leaf)
                return
