"""The ``conference`` provider: rooted control, non-rooted data.

A chair (the session's root, a c_root/d_leaf socket) invites members or admits
their requests with SIP's INVITE transaction over unicast, an unreliable
transport (RFC 3261 §13, §17.1.1, §17.2.1): request (INVITE or JOIN REQUEST),
final answer (ACCEPT or REJECT), ACK.

- The requester retransmits its request after T1 = 500 ms, each interval
  doubling (Timer A), and gives up after 64·T1 = 32 s with ``WSAETIMEDOUT``
  (Timer B) — while it has heard nothing.
- The side that received the request answers 100 Trying (``TRYING``) at once,
  unless its application answers within 200 ms of the arrival (§17.2.1: only the
  application knows; a scripted one says so with ``answer_promised``), and
  answers each retransmission with 100 Trying, or with its final answer once it
  has one. A requester that heard 100 Trying stops Timers A and B and waits for
  the final answer up to ``answer_timeout`` (180 s, as SIP's Timer C); then it
  gives up with ``WSAETIMEDOUT`` and withdraws the request with a BYE (SIP's CANCEL).
- The final answer is resent from T1, doubling up to T2 = 4 s, until the ACK
  (§13.3.1.4; §17.2.1 Timer G), for 64·T1 at most (Timer H); an ACCEPT that is
  never acknowledged ends the membership with a BYE, as §13.3.1.4 says.
- A member or chair that has closed its socket answers a retransmitted request
  with REJECT, never with a new admission. A BYE, or a REJECT "closed", that reaches
  a requester still waiting ends its join: the chair's with ``WSAECONNRESET`` (the
  member left before its answer got through, M20), a member's with
  ``WSAECONNREFUSED`` (a leaf's outstanding request when the root closes, M18).

An admitted member then joins the conference's IP multicast group exactly as
``ipmc`` does (the provider owns a ``MembershipService`` of its own), so
``t_complete`` is the admission and ``t_first_data`` the first conference data.
Leaving is a BYE to the other side plus, for a member, an IGMP leave. A join
row's ``messages`` counts every conference message of the transaction (requests,
100 Trying, final answers and their copies, ACKs, a BYE sent before the join
ended) and the member's IGMP/PIM messages; ``attempts`` counts the requests.

Each message carries its transaction, so a late copy or a retransmission is
answered whatever else has happened; the session keeps only the transactions a
socket call can still reach (``Conference.reachable``, ``Conference.closing``).
The transaction is one object for both ends, but each end reads and writes only
its own fields: the requester's ``state`` and ``timer``, the responder's
``member_state``, ``answer`` and ``promised``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar

from mpsim.protocols.conference.options import (
    TIMEOUT_T1S,
    TRYING_WITHIN,
    ConferenceOptions,
    ConferenceTimers,
)
from mpsim.protocols.ipmc.membership import MembershipService
from mpsim.protocols.registry import ROOTED_ACTIONS
from mpsim.spi.constants import ProviderFlag, WsaError
from mpsim.spi.provider import C_LEAF, C_ROOT, Provider
from mpsim.spi.socket import Incoming

INVITE = "INVITE"
JOIN_REQUEST = "JOIN_REQUEST"
TRYING = "TRYING"              # SIP's 100 Trying: a provisional answer
ACCEPT = "ACCEPT"
REJECT = "REJECT"
ACK = "ACK"
BYE = "BYE"

#: Float slack when a timer's expiry is compared with a deadline or a promise.
_EPS = 1e-12


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
    """The requester's side of a transaction (RFC 3261 §17.1.1, the INVITE client)."""
    CALLING = "calling"        # request sent, retransmitting (Timers A and B)
    PROCEEDING = "proceeding"  # 100 Trying heard: waiting for the final answer (answer_timeout)
    DONE = "done"              # answered, given up or withdrawn


class Membership(enum.StrEnum):
    """The responder's side: the member's for an invitation, the chair's for a request."""
    IDLE = "idle"              # no request heard yet
    QUEUED = "queued"          # waiting at the listening socket: 100 Trying answers copies
    MEMBER = "member"          # accepted: a copy is answered by the ACCEPT again
    REFUSED = "refused"        # rejected or nobody listened: a copy is refused again
    GONE = "gone"              # left, closed, or the request was withdrawn: REJECT


class Answering(enum.StrEnum):
    """The responder's final answer (RFC 3261 §13.3.1.4, §17.2.1 Timers G and H)."""
    SENT = "sent"              # resent from T1, doubling up to T2, until the ACK
    CONFIRMED = "confirmed"    # the ACK arrived
    STOPPED = "stopped"        # no ACK within 64·T1, or the responder closed its socket


#: Responder states in which the chair's closing sends a BYE for a Way 2 transaction.
CLOSING_STATES = frozenset({Membership.MEMBER, Membership.QUEUED})


class FinalAnswer:
    """The responder's last final answer and its retransmission timer."""

    __slots__ = ("kind", "reason", "state", "timer", "interval", "deadline")

    def __init__(self, kind, reason, interval, deadline):
        self.kind = kind
        self.reason = reason
        self.state = Answering.SENT
        self.timer = None
        self.interval = interval        # until the next copy (s)
        self.deadline = deadline        # Timer H: when the copies stop (s)

    def stop(self) -> None:
        if self.state == Answering.SENT:
            self.state = Answering.STOPPED
            self.timer.cancel()


class Transaction:
    """One join's request/response exchange, seen from both ends."""

    __slots__ = ("join", "conf", "chair", "member", "way", "seq", "sends", "interval", "timer",
                 "deadline", "state", "incoming", "listener", "answer", "promised", "_member_state",
                 "root_socket", "leaf_socket", "member_socket")

    def __init__(self, join, conf, chair, member, way):
        self.join = join
        self.conf = conf
        self.chair = chair
        self.member = member
        self.way = way                  # 1: the chair invites, 2: the member asks
        self.seq = 0                    # start order (the chair's closing follows it)
        self.sends = 0
        self.interval = 0.0
        self.timer = None               # the requester's: Timer A/B, then answer_timeout
        self.deadline = 0.0
        self.state = Calling.CALLING
        self.incoming = None
        self.listener = None            # the responder's listening socket
        self.answer = None              # the responder's FinalAnswer
        self.promised = None            # when the responder's application will decide (s)
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
    """A conference session's state: its group, its timers (s), and the transactions
    socket calls can still reach.

    ``reachable`` (join id -> transaction) is what the chair's ``drop_leaf`` and a member's
    ``leave`` look up; ``closing`` (start order -> transaction) is what the chair's closing
    sends a BYE for: every invitation it started (each closing of a chair's socket tells
    every member it ever invited), and each request admitted or waiting. A transaction in
    neither is held only by its messages, timers and queued request, and is gone with them.
    """

    __slots__ = ("session", "name", "group", "t1", "t2", "timeout", "answer_timeout", "reachable",
                 "closing", "_swept")

    def __init__(self, session, group, timers: ConferenceTimers):
        self.session = session
        self.name = session.name
        self.group = group
        self.t1 = timers.t1()
        self.t2 = timers.t2()
        self.timeout = timers.give_up_after()
        self.answer_timeout = timers.answer_within()
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
    """A chair admitting members by INVITE transactions; data over an IP multicast group."""

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
        session.state = Conference(session, group, timers)

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
            self._request_arrived(tx)
        elif kind == TRYING:
            self._provisional_arrived(tx)
        elif kind in (ACCEPT, REJECT):
            self._answer_arrived(tx, kind, msg.cause)
        elif kind == ACK:
            self._ack_arrived(tx)
        elif kind == BYE:
            self._bye_arrived(tx, node)

    def _reachable(self, src, dst) -> bool:
        """Whether the topology has a path (M9: WSAENETUNREACH if not). A host that is down
        is still in the topology, reached through its router; what is sent to it is lost,
        and the requester's timers answer (M9: WSAETIMEDOUT)."""
        network = self.network

        def end(host):
            return network.router_of(host) if network.is_host(host) and not network.node_up(host) else host
        return network.routing.reachable(end(src), end(dst))

    # -- the requester (RFC 3261 §17.1.1) -----------------------------------------------
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
        """Timer A (send again) or Timer B (give up): only while nothing was heard."""
        if tx.state != Calling.CALLING:
            return
        if self.sim.now >= tx.deadline - _EPS:
            self._finish_calling(tx, WsaError.WSAETIMEDOUT)
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

    def _provisional_arrived(self, tx) -> None:
        """The first 100 Trying stops Timers A and B; the final answer may take up to
        ``answer_timeout`` from now (later copies change nothing)."""
        if tx.state != Calling.CALLING:
            return
        tx.state = Calling.PROCEEDING
        tx.timer.cancel()
        tx.timer = self.sim.timer(tx.conf.answer_timeout, self._answer_overdue, tx)

    def _answer_overdue(self, tx) -> None:
        """No final answer within ``answer_timeout`` of 100 Trying: withdraw the request
        (SIP would CANCEL it) so that a later accept of it fails (M6), and time out."""
        if tx.state != Calling.PROCEEDING:
            return
        self._send_conf(tx, BYE, tx.requester, tx.responder, "timeout")
        self._finish_calling(tx, WsaError.WSAETIMEDOUT)

    def _answer_arrived(self, tx, kind, cause) -> None:
        """Every copy of a final answer is acknowledged; the first ends the request."""
        self._send_conf(tx, ACK, tx.requester, tx.responder)
        if tx.state == Calling.DONE:
            return
        if kind == ACCEPT:
            self._finish_calling(tx, None)
        else:
            self._finish_calling(tx, self._ended(tx) if cause == "closed" else WsaError.WSAECONNREFUSED)

    @staticmethod
    def _ended(tx) -> WsaError:
        """The error of a request the other side's closing ended: the chair's invitation,
        WSAECONNRESET (M20); a member's request, WSAECONNREFUSED (M18)."""
        return WsaError.WSAECONNRESET if tx.way == 1 else WsaError.WSAECONNREFUSED

    def _finish_calling(self, tx, error) -> None:
        tx.state = Calling.DONE
        tx.timer.cancel()
        self._requester_done(tx, error)

    def _requester_done(self, tx, error) -> None:
        if tx.way == 1:
            tx.root_socket.join_completed(tx.join, error, tx.leaf_socket, tx.member)
        else:
            tx.member_socket.join_completed(tx.join, error, peer=tx.chair)
            if error is None:
                self.membership.add_member(tx.conf.group, tx.member_socket, tx.join)
        tx.conf.track(tx)

    @staticmethod
    def _stop_calling(tx, way: int) -> None:
        """The side that asked (the chair in Way 1, the member in Way 2) stops its request."""
        if tx.state != Calling.DONE and tx.way == way:
            tx.state = Calling.DONE
            tx.timer.cancel()

    # -- the responder (RFC 3261 §17.2.1, §13.3.1.4) ----------------------------------
    def _request_arrived(self, tx) -> None:
        state = tx.member_state
        if state == Membership.QUEUED:                  # a copy while the application decides
            self._send_conf(tx, TRYING, tx.responder, tx.requester)
        elif state in (Membership.MEMBER, Membership.REFUSED):
            self._send_answer(tx)                       # the final answer again
        elif state == Membership.GONE:                  # closed means closed
            if tx.answer is not None and tx.answer.kind == REJECT:
                self._send_answer(tx)
            else:
                self._answer(tx, REJECT, "closed")
        else:
            self._first_request(tx)

    def _first_request(self, tx) -> None:
        """Queue the request at the responder's listening socket, or refuse it."""
        responder = tx.responder
        host = self.stack.hosts.get(responder)
        role = C_LEAF if tx.way == 1 else C_ROOT
        listener = None if host is None else host.listening(tx.conf.name, role)
        if listener is None or (tx.way == 2 and responder != tx.conf.session.root):
            tx.member_state = Membership.REFUSED
            self._answer(tx, REJECT, "no_listener")
            return
        tx.member_state = Membership.QUEUED
        tx.listener = listener
        if tx.way == 2:
            tx.root_socket = listener
        tx.incoming = Incoming("invite" if tx.way == 1 else "request", tx.join, tx.requester,
                               tx.conf.name, self.sim.now, tx)
        listener.request_arrived(tx.incoming)
        if tx.member_state == Membership.QUEUED:
            # Once the application has had its turn at this instant (a blocking accept too).
            self.sim.call_later(0.0, self._trying_due, tx)

    def answer_promised(self, incoming, when: float) -> None:
        """The application says it will decide ``incoming`` at ``when`` (s). Within 200 ms
        of the request's arrival, no 100 Trying is sent (RFC 3261 §17.2.1) unless the
        application has still not answered by then."""
        tx = incoming.context
        if isinstance(tx, Transaction):
            tx.promised = when

    def _trying_due(self, tx) -> None:
        """At the request's arrival: 100 Trying, unless answered or promised within 200 ms."""
        if tx.member_state != Membership.QUEUED:
            return
        t_arrival = tx.incoming.t_arrival
        if tx.promised is not None and tx.promised - t_arrival <= TRYING_WITHIN + _EPS:
            self.sim.call_later(t_arrival + TRYING_WITHIN - self.sim.now, self._trying_overdue, tx)
        else:
            self._trying_overdue(tx)

    def _trying_overdue(self, tx) -> None:
        if tx.member_state == Membership.QUEUED:
            self.caused_by(tx.incoming.msg_id, self._send_conf, tx, TRYING, tx.responder, tx.requester)

    def _answer(self, tx, kind, reason=None) -> None:
        """Send the final answer and resend it from T1, doubling up to T2, until the ACK or
        64·T1 (Timer H)."""
        if tx.answer is not None:
            tx.answer.stop()
        conf = tx.conf
        answer = tx.answer = FinalAnswer(kind, reason, conf.t1, self.sim.now + TIMEOUT_T1S * conf.t1)
        self._send_answer(tx)
        self._schedule_resend(tx, answer)

    def _send_answer(self, tx) -> None:
        answer = tx.answer
        self._send_conf(tx, answer.kind, tx.responder, tx.requester, answer.reason)

    def _schedule_resend(self, tx, answer) -> None:
        now = self.sim.now
        if now + answer.interval < answer.deadline - _EPS:
            answer.timer = self.sim.timer(answer.interval, self._resend_answer, tx)
        else:
            answer.timer = self.sim.timer(answer.deadline - now, self._answer_unacknowledged, tx)

    def _resend_answer(self, tx) -> None:
        answer = tx.answer
        self._send_answer(tx)
        answer.interval = min(2 * answer.interval, tx.conf.t2)
        self._schedule_resend(tx, answer)

    def _ack_arrived(self, tx) -> None:
        answer = tx.answer
        if answer is not None and answer.state == Answering.SENT:
            answer.state = Answering.CONFIRMED
            answer.timer.cancel()

    def _answer_unacknowledged(self, tx) -> None:
        """Timer H: no ACK for 64·T1. An admission never confirmed ends (§13.3.1.4: the
        session is terminated with a BYE); the responder's socket gets FD_CLOSE with
        WSAECONNABORTED (M21: a time-out)."""
        tx.answer.stop()
        if tx.answer.kind != ACCEPT or tx.member_state != Membership.MEMBER:
            return
        tx.member_state = Membership.GONE
        if tx.way == 1:
            self.membership.drop_member(tx.conf.group, tx.member_socket)
            tx.member_socket.closed_by_peer(WsaError.WSAECONNABORTED, tx.chair)
        else:
            tx.leaf_socket.closed_by_peer(WsaError.WSAECONNABORTED, tx.member)
        self._send_conf(tx, BYE, tx.responder, tx.requester, "no_ack")
        tx.conf.track(tx)

    # -- Way 1 ---------------------------------------------------------------------
    def invite(self, join, root_socket, leaf_socket) -> None:
        tx = Transaction(join, root_socket.session.state, join.root, join.leaf, 1)
        tx.root_socket = root_socket
        tx.leaf_socket = leaf_socket
        if not self._reachable(join.root, join.leaf):
            self.sim.call_later(0.0, root_socket.join_completed, join, WsaError.WSAENETUNREACH, leaf_socket)
            return
        self._start(tx)

    def answer_invitation(self, incoming, accepted: bool, member_socket=None) -> None:
        tx = incoming.context
        if accepted:
            tx.member_state = Membership.MEMBER
            tx.member_socket = member_socket
            self._answer(tx, ACCEPT)
            self.membership.add_member(tx.conf.group, member_socket, tx.join)
        else:
            tx.member_state = Membership.REFUSED
            self._answer(tx, REJECT, "rejected")
        tx.conf.track(tx)

    # -- Way 2 ---------------------------------------------------------------------
    def request(self, join, leaf_socket) -> None:
        tx = Transaction(join, leaf_socket.session.state, join.root, join.leaf, 2)
        tx.member_socket = leaf_socket
        if not self._reachable(join.leaf, join.root):
            self.sim.call_later(0.0, leaf_socket.join_completed, join, WsaError.WSAENETUNREACH)
            return
        self._start(tx)

    def answer_request(self, incoming, accepted: bool, leaf_socket=None) -> None:
        tx = incoming.context
        if accepted:
            tx.leaf_socket = leaf_socket
            tx.member_state = Membership.MEMBER
            self._answer(tx, ACCEPT)
            leaf_socket.party_completed(tx.join, None)
        else:
            tx.member_state = Membership.REFUSED
            closed = tx.root_socket is not None and tx.root_socket.closed
            self._answer(tx, REJECT, "closed" if closed else "rejected")
        tx.conf.track(tx)

    # -- leaving --------------------------------------------------------------------
    def _bye_arrived(self, tx, node) -> None:
        """The other side left, closed, or withdrew its request."""
        if node == tx.requester:
            if tx.state != Calling.DONE:           # it closed before its answer got through
                self._finish_calling(tx, self._ended(tx))
                return
            sock = tx.leaf_socket if tx.way == 1 else tx.member_socket
        else:
            state = tx.member_state
            if state == Membership.QUEUED:         # withdrawn: a later accept fails (M6, M22)
                tx.listener.request_withdrawn(tx.incoming)
                tx.member_state = Membership.GONE
                return
            if state != Membership.MEMBER:
                return
            tx.member_state = Membership.GONE
            tx.answer.stop()
            sock = tx.member_socket if tx.way == 1 else tx.leaf_socket
        if sock is None or sock.closed or (sock is tx.member_socket and not sock.connected):
            return
        if sock is tx.member_socket:
            self.membership.drop_member(tx.conf.group, sock)
        sock.closed_by_peer(None, tx.chair if sock is tx.member_socket else tx.member)
        tx.conf.track(tx)

    def _reached(self, socket):
        """The transaction of the join ``socket`` stands for, if a socket call reaches it."""
        join = socket.join
        return None if join is None else socket.session.state.reachable.get(join.join_id)

    @staticmethod
    def _responder_leaves(tx) -> None:
        """The responder closed its socket: its admission stands no more."""
        if tx.member_state == Membership.MEMBER:
            tx.member_state = Membership.GONE
            tx.answer.stop()

    def drop_leaf(self, leaf_socket) -> None:
        tx = self._reached(leaf_socket)
        if tx is None:
            return
        if tx.way == 1:
            self._stop_calling(tx, way=1)
        else:
            self._responder_leaves(tx)
        self._send_conf(tx, BYE, tx.chair, tx.member)
        tx.conf.track(tx)

    def leave(self, socket) -> None:
        tx = self._reached(socket)
        if tx is None:
            return
        if tx.way == 2:
            self._stop_calling(tx, way=2)
        else:
            self._responder_leaves(tx)
        if socket.connected:
            self.membership.drop_member(tx.conf.group, socket)
        self._send_conf(tx, BYE, tx.member, tx.chair)
        tx.conf.track(tx)

    def close_root(self, root_socket) -> None:
        conf = root_socket.session.state
        for tx in [conf.closing[seq] for seq in sorted(conf.closing)]:
            if tx.way == 1:
                self._stop_calling(tx, way=1)
            else:
                self._responder_leaves(tx)
            self._send_conf(tx, BYE, tx.chair, tx.member, "closed")
        for tx in list(conf.reachable.values()):
            conf.track(tx)

    # -- data --------------------------------------------------------------------------
    def send(self, socket, size: int) -> None:
        self.membership.send(socket.session.state.group, socket, size)
