"""The ``conference`` provider: rooted control, non-rooted data.

A chair (the session's root, a c_root/d_leaf socket) invites members or admits
their requests with a request/response exchange over unicast — INVITE or JOIN
REQUEST, answered by ACCEPT or REJECT, confirmed by ACK — retransmitted as SIP
does over an unreliable transport (RFC 3261 §17.1.1): the first retransmission
after T1 = 500 ms, each interval doubling, giving up after 64·T1 = 32 s with
``WSAETIMEDOUT``. A duplicate request is answered again. An admitted member
then joins the conference's IP multicast group exactly as ``ipmc`` does, so
``t_complete`` is the admission and ``t_first_data`` the first conference data.
Leaving is a BYE to the other side plus, for a member, an IGMP leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mpsim.core.errors import ParameterError
from mpsim.core.units import parse_period
from mpsim.net.packet import Packet
from mpsim.protocols.ipmc.provider import IpmcProvider
from mpsim.spi.constants import ProviderFlag, WsaError
from mpsim.spi.provider import C_LEAF, C_ROOT
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


class Transaction:
    """One join's request/response exchange, seen from both ends."""

    __slots__ = ("join", "group", "chair", "member", "way", "sends", "interval", "timer",
                 "deadline", "state", "incoming", "member_state", "root_socket", "leaf_socket",
                 "member_socket")

    def __init__(self, join, group, chair, member, way):
        self.join = join
        self.group = group
        self.chair = chair
        self.member = member
        self.way = way                  # 1: the chair invites, 2: the member asks
        self.sends = 0
        self.interval = 0.0
        self.timer = None
        self.deadline = 0.0
        self.state = "calling"          # requester: calling | done
        self.incoming = None
        self.member_state = "idle"      # at the member: idle | queued | member | refused | gone
        self.root_socket = None
        self.leaf_socket = None         # the chair's per-leaf socket
        self.member_socket = None


class ConferenceProvider(IpmcProvider):
    """A chair admitting members by request/response; data over an IP multicast group."""

    name = "conference"
    flags = ProviderFlag.XP1_SUPPORT_MULTIPOINT | ProviderFlag.XP1_MULTIPOINT_CONTROL_PLANE
    options = (*IpmcProvider.options, "timers")

    def __init__(self, stack):
        super().__init__(stack)
        self.transactions: dict = {}
        self.network.attach(None, "conf", self._receive_conference)

    def open_session(self, session) -> None:
        timers = dict(session.options.get("timers") or {})
        unknown = sorted(set(timers) - {"T1", "timeout"})
        if unknown:
            raise ParameterError(f"unknown conference timer(s) {', '.join(map(repr, unknown))}; "
                                 "allowed: T1, timeout")
        if session.root is None:
            raise ParameterError(f"session {session.name!r}: a conference needs a chair ('root')")
        try:                            # each at least the limit min_period, as the scenario checks
            t1 = parse_period(timers.get("T1", 0.5))
            timeout = parse_period(timers.get("timeout", 64 * t1))
        except ParameterError as exc:
            raise ParameterError(f"conference timer {exc}") from None
        options = {k: v for k, v in session.options.items() if k != "timers"}
        saved, session.options = session.options, options
        try:
            super().open_session(session)
        finally:
            session.options = saved
        session.state.t1 = t1
        session.state.timeout = timeout

    # -- messages --------------------------------------------------------------------
    def _send_conf(self, tx, kind, src, dst, cause=None) -> None:
        if kind != BYE or not tx.join.done:          # a member's leaving is not part of its join
            tx.join.messages += 1
        msg = ConferenceMessage(kind, tx.group.name, tx.join.join_id, cause)
        self.network.unicast(self.control_packet(msg, src, dst, join_id=tx.join.join_id, detail=cause),
                             src, dst)

    def _receive_conference(self, packet, link) -> None:
        self.control_arrived(packet, packet.dst, packet.src, packet.msg.join, self._handle_conference)

    def _handle_conference(self, msg, node, _src) -> None:
        tx = self.transactions.get(msg.join)
        if tx is None:
            return
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
        src, dst = (tx.chair, tx.member) if tx.way == 1 else (tx.member, tx.chair)
        self._send_conf(tx, INVITE if tx.way == 1 else JOIN_REQUEST, src, dst)
        now = self.sim.now
        if now + tx.interval < tx.deadline:
            tx.timer = self.sim.timer(tx.interval, self._retransmit, tx)
            tx.interval *= 2
        else:
            tx.timer = self.sim.timer(tx.deadline - now, self._retransmit, tx)

    def _retransmit(self, tx) -> None:
        if tx.state != "calling":
            return
        if self.sim.now >= tx.deadline - 1e-12:
            tx.state = "done"
            self._requester_done(tx, WsaError.WSAETIMEDOUT)
        else:
            self._transmit(tx)

    def _start(self, tx) -> None:
        group = tx.group
        tx.interval = group.t1
        tx.deadline = self.sim.now + group.timeout
        self.transactions[tx.join.join_id] = tx
        self._transmit(tx)

    def _requester_done(self, tx, error) -> None:
        if tx.way == 1:
            tx.root_socket.join_completed(tx.join, error, tx.leaf_socket, tx.member)
        else:
            tx.member_socket.join_completed(tx.join, error, peer=tx.chair)
            if error is None:
                self._add_member(tx.group, tx.member_socket, tx.join)

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
            tx.member_state = "member"
            tx.member_socket = member_socket
            self._send_conf(tx, ACCEPT, tx.member, tx.chair)
            self._add_member(tx.group, member_socket, tx.join)
        else:
            tx.member_state = "refused"
            self._send_conf(tx, REJECT, tx.member, tx.chair, "rejected")

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
            tx.member_state = "member"
            self._send_conf(tx, ACCEPT, tx.chair, tx.member)
            leaf_socket.party_completed(tx.join, None)
        else:
            tx.member_state = "refused"
            closed = tx.root_socket is not None and tx.root_socket.closed
            self._send_conf(tx, REJECT, tx.chair, tx.member, "closed" if closed else "rejected")

    # -- the responder ------------------------------------------------------------------
    def _request_arrived(self, tx, node) -> None:
        state = tx.member_state
        responder = tx.member if tx.way == 1 else tx.chair
        requester = tx.chair if tx.way == 1 else tx.member
        if state == "member":                                   # a duplicate: answer again
            self._send_conf(tx, ACCEPT, responder, requester)
            return
        if state == "refused":
            self._send_conf(tx, REJECT, responder, requester, "rejected")
            return
        if state == "queued":
            return
        host = self.stack.hosts.get(responder)
        role = C_LEAF if tx.way == 1 else C_ROOT
        listener = None if host is None else host.listening(tx.group.name, role)
        if listener is None or (tx.way == 2 and responder != tx.group.session.root):
            tx.member_state = "refused"
            self._send_conf(tx, REJECT, responder, requester, "no_listener")
            return
        tx.member_state = "queued"
        if tx.way == 2:
            tx.root_socket = listener
        tx.incoming = Incoming("invite" if tx.way == 1 else "request", tx.join, requester,
                               tx.group.name, self.sim.now, tx)
        listener.request_arrived(tx.incoming)

    def _answer_arrived(self, tx, kind, cause) -> None:
        requester = tx.chair if tx.way == 1 else tx.member
        responder = tx.member if tx.way == 1 else tx.chair
        if kind == ACCEPT:
            self._send_conf(tx, ACK, requester, responder)
        if tx.state != "calling":
            return
        tx.state = "done"
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
            return
        if tx.member_state == "queued" and tx.incoming is not None:
            tx.incoming.state = IncomingState.WITHDRAWN
            tx.member_state = "gone"
            return
        sock = tx.member_socket
        if sock is not None and tx.member_state == "member":
            tx.member_state = "gone"
            self._drop_member(tx.group, sock)
            sock.closed_by_peer(None, tx.chair)

    def drop_leaf(self, leaf_socket) -> None:
        tx = self.transactions.get(leaf_socket.join.join_id) if leaf_socket.join else None
        if tx is None:
            return
        if tx.state == "calling" and tx.way == 1:
            tx.state = "done"
            tx.timer.cancel()
        self._send_conf(tx, BYE, tx.chair, tx.member)

    def leave(self, socket) -> None:
        tx = self.transactions.get(socket.join.join_id) if socket.join else None
        if tx is None:
            return
        if tx.state == "calling" and tx.way == 2:
            tx.state = "done"
            tx.timer.cancel()
        if socket.connected or tx.member_state == "member":
            tx.member_state = "gone"
            self._drop_member(tx.group, socket)
        self._send_conf(tx, BYE, tx.member, tx.chair)

    def close_root(self, root_socket) -> None:
        group = root_socket.session.state
        for tx in list(self.transactions.values()):
            if tx.group is group:
                if tx.state == "calling" and tx.way == 1:
                    tx.state = "done"
                    tx.timer.cancel()
                if tx.member_state in ("member", "queued") or (tx.way == 1 and tx.sends):
                    self._send_conf(tx, BYE, tx.chair, tx.member, "closed")
