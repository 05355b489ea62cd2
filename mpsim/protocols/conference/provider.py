"""The ``conference`` provider: rooted control, non-rooted data.

A chair (the session's root, a c_root/d_leaf socket) invites members or admits
their requests with a request/response exchange over unicast — INVITE or JOIN
REQUEST, answered by ACCEPT or REJECT, confirmed by ACK — retransmitted as SIP
does over an unreliable transport (RFC 3261 §17.1.1): the first retransmission
after T1 = 500 ms, each interval doubling, giving up after 64·T1 = 32 s with
``WSAETIMEDOUT``. A duplicate request is answered again. An admitted member
then joins the conference's IP multicast group exactly as ``ipmc`` does (the
provider owns a ``MembershipService`` of its own), so ``t_complete`` is the
admission and ``t_first_data`` the first conference data. Leaving is a BYE to
the other side plus, for a member, an IGMP leave.

Each message carries its transaction, so a late copy or a retransmission is
answered whatever else has happened; the session keeps only the transactions a
socket call can still reach (``Conference.reachable``, ``Conference.closing``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar

from mpsim.protocols.conference.options import ConferenceOptions, ConferenceTimers
from mpsim.protocols.ipmc.membership import MembershipService
from mpsim.protocols.registry import ROOTED_ACTIONS
from mpsim.spi.constants import ProviderFlag, WsaError
from mpsim.spi.provider import C_LEAF, C_ROOT, Provider
from mpsim.spi.socket import Incoming, IncomingState

INVITE = "INVITE"
JOIN_REQUEST = "JOIN_REQUEST"
ACCEPT = "ACCEPT"
REJECT = "REJECT"
ACK = "ACK"
BYE = "BYE"


@dataclass(frozen=True, slots=True)
class ConferenceMessage:
    proto: ClassVar[str] = "conf"
    kind: str
    session: str
    join: int
    cause: str | None = None
    #: The transaction the message belongs to (not part of what it says).
    context: object = field(default=None, compare=False, repr=False)


class Calling(enum.StrEnum):
    """The requester's side of a transaction."""
    CALLING = "calling"        # INVITE or JOIN REQUEST sent, retransmitting
    DONE = "done"              # answered, given up or withdrawn


class Membership(enum.StrEnum):
    """The responder's side: the member's for an invitation, the chair's for a request."""
    IDLE = "idle"              # no request heard yet
    QUEUED = "queued"          # waiting at the listening socket
    MEMBER = "member"          # accepted: a duplicate is accepted again
    REFUSED = "refused"        # rejected or nobody listened: a duplicate is refused again
    GONE = "gone"              # left, or the request was withdrawn


#: Responder states in which the chair's closing sends a BYE for a Way 2 transaction.
CLOSING_STATES = frozenset({Membership.MEMBER, Membership.QUEUED})


class Transaction:
    """One join's request/response exchange, seen from both ends."""

    __slots__ = ("join", "conf", "chair", "member", "way", "seq", "sends", "interval", "timer",
                 "deadline", "state", "incoming", "_member_state", "root_socket", "leaf_socket",
                 "member_socket")

    def __init__(self, join, conf, chair, member, way):
        self.join = join
        self.conf = conf
        self.chair = chair
        self.member = member
        self.way = way                  # 1: the chair invites, 2: the member asks
        self.seq = 0                    # start order (the chair's closing follows it)
        self.sends = 0
        self.interval = 0.0
        self.timer = None
        self.deadline = 0.0
        self.state = Calling.CALLING
        self.incoming = None
        self._member_state = Membership.IDLE
        self.root_socket = None
        self.leaf_socket = None         # the chair's per-leaf socket
        self.member_socket = None

    @property
    def member_state(self) -> Membership:
        return self._member_state

    @member_state.setter
    def member_state(self, state: Membership) -> None:
        self._member_state = state
        if self.way == 2 and self.seq:
            self.conf.update_closing(self)

    @property
    def requester(self):
        return self.chair if self.way == 1 else self.member

    @property
    def responder(self):
        return self.member if self.way == 1 else self.chair

    def reachable(self) -> bool:
        """Whether a socket call can still find it: its chair's per-leaf socket or its
        member's socket is open and still stands for its join."""
        join = self.join
        return any(sock is not None and not sock.closed and sock.join is join
                   for sock in (self.leaf_socket, self.member_socket))


class Conference:
    """A conference session's state: its group, the requesters' timers, and the
    transactions socket calls can still reach.

    ``reachable`` (join id -> transaction) is what the chair's ``drop_leaf`` and a member's
    ``leave`` look up; ``closing`` (start order -> transaction) is what the chair's closing
    sends a BYE for: every invitation it started (each closing of a chair's socket tells
    every member it ever invited), and each request admitted or waiting. A transaction in
    neither is held only by its messages, timer and queued request, and is gone with them.
    """

    __slots__ = ("session", "name", "group", "t1", "timeout", "reachable", "closing", "_swept")

    def __init__(self, session, group, t1, timeout):
        self.session = session
        self.name = session.name
        self.group = group
        self.t1 = t1
        self.timeout = timeout
        self.reachable: dict = {}
        self.closing: dict = {}
        self._swept = 0                 # len(reachable) after the last sweep

    @property
    def tree(self):
        """The data distribution tree (the group's)."""
        return self.group.tree

    def update_closing(self, tx) -> None:
        if tx.way == 1 or tx.member_state in CLOSING_STATES:
            self.closing[tx.seq] = tx
        else:
            self.closing.pop(tx.seq, None)

    def track(self, tx) -> None:
        """Keep ``tx`` findable by join id while a socket call can reach it; every time the
        index has doubled, forget every transaction no socket reaches any more."""
        if tx.reachable():
            self.reachable[tx.join.join_id] = tx
        else:
            self.reachable.pop(tx.join.join_id, None)
        if len(self.reachable) > 2 * self._swept + 8:
            for other in [t for t in self.reachable.values() if not t.reachable()]:
                del self.reachable[other.join.join_id]
            self._swept = len(self.reachable)


class ConferenceProvider(Provider):
    """A chair admitting members by request/response; data over an IP multicast group."""

    name = "conference"
    flags = ProviderFlag.XP1_SUPPORT_MULTIPOINT | ProviderFlag.XP1_MULTIPOINT_CONTROL_PLANE
    options = ConferenceOptions
    actions = ROOTED_ACTIONS

    def __init__(self, stack):
        super().__init__(stack)
        self.membership = MembershipService(self)
        self._started = 0
        self.network.attach(None, "conf", self._receive_conference)

    def open_session(self, session) -> None:
        config = session.config
        group = self.membership.open_group(session, config)
        timers = config.timers if config.timers is not None else ConferenceTimers()
        session.state = Conference(session, group, timers.t1(), timers.give_up_after())

    # -- messages --------------------------------------------------------------------
    def _send_conf(self, tx, kind, src, dst, cause=None) -> None:
        if kind != BYE or not tx.join.done:          # a member's leaving is not part of its join
            tx.join.messages += 1
        msg = ConferenceMessage(kind, tx.conf.name, tx.join.join_id, cause, tx)
        self.network.unicast(self.control_packet(msg, src, dst, join_id=tx.join.join_id, detail=cause),
                             src, dst)

    def _receive_conference(self, packet, link) -> None:
        self.control_arrived(packet, packet.dst, packet.src, packet.msg.join, self._handle_conference)

    def _handle_conference(self, msg, node, _src) -> None:
        tx = msg.context
        kind = msg.kind
        if kind in (INVITE, JOIN_REQUEST):
            self._request_arrived(tx, node)
        elif kind in (ACCEPT, REJECT):
            self._answer_arrived(tx, kind, msg.cause)
        elif kind == BYE:
            self._bye_arrived(tx, node, msg.cause)

    # -- the requester's retransmissions (RFC 3261 §17.1.1) -------------------------
    def _transmit(self, tx) -> None:
        tx.sends += 1
        tx.join.attempts += 1
        self._send_conf(tx, INVITE if tx.way == 1 else JOIN_REQUEST, tx.requester, tx.responder)
        now = self.sim.now
        if now + tx.interval < tx.deadline:
            tx.timer = self.sim.timer(tx.interval, self._retransmit, tx)
            tx.interval *= 2
        else:
            tx.timer = self.sim.timer(tx.deadline - now, self._retransmit, tx)

    def _retransmit(self, tx) -> None:
        if tx.state != Calling.CALLING:
            return
        if self.sim.now >= tx.deadline - 1e-12:
            tx.state = Calling.DONE
            self._requester_done(tx, WsaError.WSAETIMEDOUT)
        else:
            self._transmit(tx)

    def _start(self, tx) -> None:
        conf = tx.conf
        tx.interval = conf.t1
        tx.deadline = self.sim.now + conf.timeout
        self._started += 1
        tx.seq = self._started
        conf.update_closing(tx)
        conf.track(tx)
        self._transmit(tx)

    def _requester_done(self, tx, error) -> None:
        if tx.way == 1:
            tx.root_socket.join_completed(tx.join, error, tx.leaf_socket, tx.member)
        else:
            tx.member_socket.join_completed(tx.join, error, peer=tx.chair)
            if error is None:
                self.membership.add_member(tx.conf.group, tx.member_socket, tx.join)
        tx.conf.track(tx)

    # -- Way 1 ---------------------------------------------------------------------
    def invite(self, join, root_socket, leaf_socket) -> None:
        tx = Transaction(join, root_socket.session.state, join.root, join.leaf, 1)
        tx.root_socket = root_socket
        tx.leaf_socket = leaf_socket
        if not self.network.routing.reachable(join.root, join.leaf):
            self.sim.call_later(0.0, root_socket.join_completed, join, WsaError.WSAENETUNREACH, leaf_socket)
            return
        self._start(tx)

    def answer_invitation(self, incoming, accepted: bool, member_socket=None) -> None:
        tx = incoming.context
        if accepted:
            tx.member_state = Membership.MEMBER
            tx.member_socket = member_socket
            self._send_conf(tx, ACCEPT, tx.member, tx.chair)
            self.membership.add_member(tx.conf.group, member_socket, tx.join)
        else:
            tx.member_state = Membership.REFUSED
            self._send_conf(tx, REJECT, tx.member, tx.chair, "rejected")
        tx.conf.track(tx)

    # -- Way 2 ---------------------------------------------------------------------
    def request(self, join, leaf_socket) -> None:
        tx = Transaction(join, leaf_socket.session.state, join.root, join.leaf, 2)
        tx.member_socket = leaf_socket
        if not self.network.routing.reachable(join.leaf, join.root):
            self.sim.call_later(0.0, leaf_socket.join_completed, join, WsaError.WSAENETUNREACH)
            return
        self._start(tx)

    def answer_request(self, incoming, accepted: bool, leaf_socket=None) -> None:
        tx = incoming.context
        if accepted:
            tx.leaf_socket = leaf_socket
            tx.member_state = Membership.MEMBER
            self._send_conf(tx, ACCEPT, tx.chair, tx.member)
            leaf_socket.party_completed(tx.join, None)
        else:
            tx.member_state = Membership.REFUSED
            closed = tx.root_socket is not None and tx.root_socket.closed
            self._send_conf(tx, REJECT, tx.chair, tx.member, "closed" if closed else "rejected")
        tx.conf.track(tx)

    # -- the responder ------------------------------------------------------------------
    def _request_arrived(self, tx, node) -> None:
        state = tx.member_state
        responder, requester = tx.responder, tx.requester
        if state == Membership.MEMBER:                          # a duplicate: answer again
            self._send_conf(tx, ACCEPT, responder, requester)
            return
        if state == Membership.REFUSED:
            self._send_conf(tx, REJECT, responder, requester, "rejected")
            return
        if state == Membership.QUEUED:
            return
        host = self.stack.hosts.get(responder)
        role = C_LEAF if tx.way == 1 else C_ROOT
        listener = None if host is None else host.listening(tx.conf.name, role)
        if listener is None or (tx.way == 2 and responder != tx.conf.session.root):
            tx.member_state = Membership.REFUSED
            self._send_conf(tx, REJECT, responder, requester, "no_listener")
            return
        tx.member_state = Membership.QUEUED
        if tx.way == 2:
            tx.root_socket = listener
        tx.incoming = Incoming("invite" if tx.way == 1 else "request", tx.join, requester,
                               tx.conf.name, self.sim.now, tx)
        listener.request_arrived(tx.incoming)

    def _answer_arrived(self, tx, kind, cause) -> None:
        if kind == ACCEPT:
            self._send_conf(tx, ACK, tx.requester, tx.responder)
        if tx.state != Calling.CALLING:
            return
        tx.state = Calling.DONE
        if tx.timer is not None:
            tx.timer.cancel()
        if kind == ACCEPT:
            self._requester_done(tx, None)
        else:
            self._requester_done(tx, WsaError.WSAECONNRESET if cause == "closed"
                                 else WsaError.WSAECONNREFUSED)

    # -- leaving --------------------------------------------------------------------
    def _bye_arrived(self, tx, node, cause) -> None:
        if node == tx.chair:
            if tx.leaf_socket is not None:
                tx.leaf_socket.closed_by_peer(None, tx.member)
                tx.conf.track(tx)
            return
        if tx.member_state == Membership.QUEUED and tx.incoming is not None:
            tx.incoming.state = IncomingState.WITHDRAWN
            tx.member_state = Membership.GONE
            return
        sock = tx.member_socket
        if sock is not None and tx.member_state == Membership.MEMBER:
            tx.member_state = Membership.GONE
            self.membership.drop_member(tx.conf.group, sock)
            sock.closed_by_peer(None, tx.chair)
            tx.conf.track(tx)

    def _reached(self, socket):
        """The transaction of the join ``socket`` stands for, if a socket call reaches it."""
        join = socket.join
        return None if join is None else socket.session.state.reachable.get(join.join_id)

    @staticmethod
    def _stop_calling(tx, way: int) -> None:
        """The side that asked (the chair in Way 1, the member in Way 2) stops its request."""
        if tx.state == Calling.CALLING and tx.way == way:
            tx.state = Calling.DONE
            tx.timer.cancel()

    def drop_leaf(self, leaf_socket) -> None:
        tx = self._reached(leaf_socket)
        if tx is None:
            return
        self._stop_calling(tx, way=1)
        self._send_conf(tx, BYE, tx.chair, tx.member)
        tx.conf.track(tx)

    def leave(self, socket) -> None:
        tx = self._reached(socket)
        if tx is None:
            return
        self._stop_calling(tx, way=2)
        if socket.connected or tx.member_state == Membership.MEMBER:
            tx.member_state = Membership.GONE
            self.membership.drop_member(tx.conf.group, socket)
        self._send_conf(tx, BYE, tx.member, tx.chair)
        tx.conf.track(tx)

    def close_root(self, root_socket) -> None:
        conf = root_socket.session.state
        for tx in [conf.closing[seq] for seq in sorted(conf.closing)]:
            self._stop_calling(tx, way=1)
            self._send_conf(tx, BYE, tx.chair, tx.member, "closed")
        for tx in list(conf.reachable.values()):
            conf.track(tx)

    # -- data --------------------------------------------------------------------------
    def send(self, socket, size: int) -> None:
        self.membership.send(socket.session.state.group, socket, size)
