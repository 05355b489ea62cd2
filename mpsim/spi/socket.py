"""Multipoint sockets: Winsock 2's role logic (multipoint.md, rules M1–M24).

A socket's calls (``join_leaf``, ``listen``, ``accept``, ``close``, ``send``,
``recv``) either fail at once with a ``SocketError`` carrying the Winsock
error, or hand the work to the session's provider, which later delivers
indications (``FD_ACCEPT``, ``FD_CONNECT``, ``FD_CLOSE``, ``FD_READ``) through
the callbacks of ``mpsim.spi.events.SocketEvents``. Nothing here blocks the simulation: a blocking
call in an application is a SimPy wait on an indication (``wait``,
``accept_blocking``). Every call and every delivered indication is recorded.
"""

from __future__ import annotations

import enum
from collections import deque

from mpsim.core.errors import SocketError
from mpsim.spi.constants import (FD_ALL, Decision, JoinFlag, NetworkEvent, WsaError)
from mpsim.spi.provider import C_LEAF, C_ROOT, D_LEAF, D_ROOT

FD_READ = NetworkEvent.FD_READ
FD_ACCEPT = NetworkEvent.FD_ACCEPT
FD_CONNECT = NetworkEvent.FD_CONNECT
FD_CLOSE = NetworkEvent.FD_CLOSE


class Indication:
    """A delivered network event: which, on which socket, with what error (None = 0)."""

    __slots__ = ("event", "socket", "error", "join", "peer", "time", "other")

    def __init__(self, event, socket, error, join, peer, time, other=None):
        self.event = event
        self.socket = socket
        self.error = error
        self.join = join
        self.peer = peer
        self.time = time
        self.other = other    # FD_CONNECT at a root: the per-leaf socket it completes

    def __repr__(self) -> str:
        err = self.error.name if self.error else "0"
        return f"<{self.event.name} on #{self.socket.id} err={err} t={self.time:.6g}>"


class SocketKind(enum.StrEnum):
    """What a socket stands for (M3)."""
    SESSION = "session"         # the socket an application created
    PER_LEAF = "per_leaf"       # a root's socket for one leaf (join_leaf or accept)
    MEMBER = "member"           # the socket an invited leaf's accept returned


class IncomingKind(enum.StrEnum):
    INVITE = "invite"           # Way 1, at a leaf
    REQUEST = "request"         # Way 2, at a root


class IncomingState(enum.StrEnum):
    PENDING = "pending"
    DEFERRED = "deferred"       # CF_DEFER: kept at the head of the queue (M6)
    WITHDRAWN = "withdrawn"     # the requester gave up (a later accept: WSAEACCES)
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def open(self) -> bool:
        """Still to be decided by the listener."""
        return self in (IncomingState.PENDING, IncomingState.DEFERRED)


class Incoming:
    """A connection request waiting at a listening socket: an invitation (at a leaf)
    or an admission request (at a root)."""

    __slots__ = ("kind", "join", "peer", "session", "t_arrival", "state", "context", "blocked",
                 "msg_id")

    def __init__(self, kind: str, join, peer, session, t_arrival: float, context=None):
        self.kind = IncomingKind(kind)
        self.join = join
        self.peer = peer            # the requesting host
        self.session = session
        self.t_arrival = t_arrival
        self.state = IncomingState.PENDING
        self.context = context      # the provider's own bookkeeping
        self.msg_id = None          # the message that brought it (what an answer answers)

    @property
    def join_id(self) -> int:
        return self.join.join_id

    def __repr__(self) -> str:
        return f"Incoming({self.kind}, join {self.join.join_id} from {self.peer}, {self.state})"


class MultipointSocket:
    """A socket with a control role and a data role in one session.

    Kinds: the *session* socket an application created; a *per-leaf* socket a
    root gets from ``join_leaf`` or ``accept`` (it stands for one leaf, M3); a
    *member* socket a leaf gets from ``accept`` (Way 1).
    """

    def __init__(self, host, session, flags, kind: str = SocketKind.SESSION, *, root_socket=None,
                 leaf=None):
        stack = host.stack
        self.stack = stack
        self.id = stack.next_socket_id()
        self.host = host
        self.session = session
        self.provider = session.provider if session is not None else None
        self.flags = flags
        self.c_role = flags & (C_ROOT | C_LEAF)
        self.d_role = flags & (D_ROOT | D_LEAF)
        self.kind = SocketKind(kind)
        self.closed = False
        self.listening = False
        self.mask = root_socket.mask if root_socket is not None else FD_ALL
        self.pending: deque[Incoming] = deque()
        self.outstanding: dict = {}          # c_root: join_id -> join_leaf call not yet answered (M4)
        self.admitting: dict = {}            # c_root: join_id -> accepted request not yet added (M10)
        self.leaves: dict = {}               # c_root: leaf host -> per-leaf socket
        self.root_socket = root_socket       # per-leaf: the root's session socket
        self.leaf = leaf                     # per-leaf: the leaf host it stands for
        self.join = None                     # the join this socket made or stands for
        self.connected = False
        self.jl_flags = JoinFlag.JL_BOTH
        self.read_armed = True
        self.rx_packets = 0
        self.rx_bytes = 0
        self._handlers: list = []
        self._waiters: list = []
        self.slot_listeners: list = []       # c_root: called when an outstanding join ends
        host.sockets.append(self)

    # -- helpers -------------------------------------------------------------------
    @property
    def is_multipoint(self) -> bool:
        return bool(self.c_role)

    @property
    def name(self) -> str:
        return self.session.name if self.session is not None else None

    def _record(self, event, error=None, join=None, peer=None, layer="spi", detail=None,
                cause=None) -> None:
        self.stack.sim.recorder.record(self.stack.sim.now, layer, event, host=self.host.name,
                                       peer=peer, socket=self.id, session=self.name,
                                       join_id=None if join is None else join.join_id,
                                       error=error, detail=detail, cause=cause)

    def _fail(self, call: str, code: WsaError, message: str, join=None, peer=None):
        self._record(call, code, join, peer)
        raise SocketError(code, message)

    def _check_open(self, call: str) -> None:
        if self.closed:
            self._fail(call, WsaError.WSAEINVAL, f"socket #{self.id} is closed")

    def _check_multipoint(self, call: str, code: WsaError = WsaError.WSAEOPNOTSUPP) -> None:
        self._check_open(call)
        if not self.is_multipoint:                                               # M2
            self._fail(call, code, f"socket #{self.id} has no multipoint role")

    # -- calls -----------------------------------------------------------------------
    def join_leaf(self, address, flags: JoinFlag = JoinFlag.JL_BOTH, *, requested_at=None):
        """``WSAJoinLeaf``. On a c_root socket it invites ``address`` and returns a new
        per-leaf socket at once (M3); on a c_leaf socket it asks the root at ``address``
        for admittance (rooted control) or joins the group (non-rooted), and returns
        this same socket (M8). Completion comes as ``FD_CONNECT``. ``requested_at`` is
        when the application first wanted this join (a queued invitation), which
        ``t_request`` records so that queueing shows in the latency."""
        call = "JOIN_LEAF"
        self._check_multipoint(call, WsaError.WSAEINVAL)     # WSAJoinLeaf: not a multipoint socket
        t_request = self.stack.sim.now if requested_at is None else requested_at
        if self.c_role == C_ROOT:
            return self._invite(call, address, t_request)
        return self._ask(call, address, flags, t_request)

    def _invite(self, call, address, t_request):
        """join_leaf at a root (Way 1): a new per-leaf socket at once (M3)."""
        stack = self.stack
        if self.kind is not SocketKind.SESSION:
            self._fail(call, WsaError.WSAEINVAL, "join_leaf on a per-leaf socket", peer=address)
        if address == self.host.name:
            self._fail(call, WsaError.WSAEINVAL, "a root cannot invite its own host", peer=address)
        leaf_socket = self.leaves.get(address)
        if leaf_socket is not None and leaf_socket.connected:                # M7
            self._fail(call, WsaError.WSAEISCONN, f"{address} is already a member", peer=address)
        if leaf_socket is not None or any(j.leaf == address for j in self.outstanding.values()):
            self._fail(call, WsaError.WSAEALREADY, f"a join of {address} is already pending",
                       peer=address)
        if len(self.outstanding) >= self.session.max_outstanding:            # M4
            self._fail(call, WsaError.WSAEALREADY,
                       f"{len(self.outstanding)} join(s) outstanding, max_outstanding = "
                       f"{self.session.max_outstanding}", peer=address)
        stack.check_host(address)
        join = stack.joins.new(self.name, "root_invite", self.host.name, address, t_request)
        leaf_socket = MultipointSocket(self.host, self.session, self.flags, SocketKind.PER_LEAF,
                                       root_socket=self, leaf=address)
        leaf_socket.join = join
        self.leaves[address] = leaf_socket
        self.outstanding[join.join_id] = join
        self._record(call, join=join, peer=address, detail=f"per-leaf #{leaf_socket.id}")
        self.provider.invite(join, self, leaf_socket)
        return leaf_socket

    def _ask(self, call, address, flags, t_request):
        """join_leaf at a leaf: an admission request (Way 2) or a non-rooted join (Way 3),
        on this same socket (M8)."""
        stack, provider = self.stack, self.provider
        if self.kind is SocketKind.MEMBER or self.connected:                     # M12
            self._fail(call, WsaError.WSAEISCONN, "already a member of the session", peer=address)
        if self.join is not None and not self.join.done:
            self._fail(call, WsaError.WSAEALREADY, "a join is already outstanding", join=self.join,
                       peer=address)
        if self.listening:
            self._fail(call, WsaError.WSAEINVAL, "socket is listening", peer=address)
        self.jl_flags = JoinFlag(flags)
        if provider.rooted_control:
            stack.check_host(address)
            join = stack.joins.new(self.name, "leaf_request", address, self.host.name, t_request)
            self.join = join
            self._record(call, join=join, peer=address)
            provider.request(join, self)
        else:
            join = stack.joins.new(self.name, "nonrooted", None, self.host.name, t_request)
            self.join = join
            self._record(call, join=join, peer=address)
            provider.join_group(join, self)
        return self

    def listen(self) -> None:
        """``WSPListen``: a c_leaf waits for invitations (Way 1), a c_root for
        admission requests (Way 2)."""
        call = "LISTEN"
        self._check_multipoint(call)
        if self.kind is not SocketKind.SESSION or self.connected or (self.join is not None and not self.join.done):
            self._fail(call, WsaError.WSAEINVAL, "only an unconnected session socket can listen")
        if self.c_role == C_LEAF and not self.provider.rooted_control:
            self._fail(call, WsaError.WSAEOPNOTSUPP, "a non-rooted session has no one to listen for")
        self.listening = True
        self.host.listeners.setdefault(self.name, []).append(self)
        self._record(call)

    def accept(self, condition=None):
        """``WSAAccept`` (non-blocking). Takes the request at the head of the queue and
        asks ``condition(incoming)`` (default: accept). Returns the new socket; fails
        with WSAEINVAL (not listening), WSAEWOULDBLOCK (nothing pending), WSATRY_AGAIN
        (deferred: kept at the head), WSAECONNREFUSED (rejected), WSAEACCES (the
        requester withdrew a held request). Never WSAEALREADY: ``max_outstanding``
        limits ``join_leaf`` only, and what the provider cannot add yet waits there (M10)."""
        call = "ACCEPT"
        self._check_multipoint(call)
        if not self.listening:                                                   # M11
            self._fail(call, WsaError.WSAEINVAL, "socket is not listening")
        if not self.pending:
            self._fail(call, WsaError.WSAEWOULDBLOCK, "no connection request is pending")
        incoming = self.pending[0]
        join = incoming.join
        if incoming.state is IncomingState.WITHDRAWN:                                        # M6
            self.pending.popleft()
            self._fail(call, WsaError.WSAEACCES, "the requester withdrew this request",
                       join=join, peer=incoming.peer)
        decision = Decision.CF_ACCEPT if condition is None else Decision(condition(incoming))
        provider = self.provider
        if decision == Decision.CF_DEFER:                                        # M6
            incoming.state = IncomingState.DEFERRED
            self._fail(call, WsaError.WSATRY_AGAIN, "deferred by the condition function",
                       join=join, peer=incoming.peer)
        self.pending.popleft()
        if decision == Decision.CF_REJECT:
            incoming.state = IncomingState.REJECTED
            self._record(call, WsaError.WSAECONNREFUSED, join, incoming.peer, detail="CF_REJECT")
            if incoming.kind is IncomingKind.INVITE:
                provider.caused_by(incoming.msg_id, provider.answer_invitation, incoming, False)
            else:
                provider.caused_by(incoming.msg_id, provider.answer_request, incoming, False)
            raise SocketError(WsaError.WSAECONNREFUSED, "rejected by the condition function")
        incoming.state = IncomingState.ACCEPTED
        if incoming.kind is IncomingKind.INVITE:
            member = MultipointSocket(self.host, self.session, self.flags, SocketKind.MEMBER)
            member.join = join
            member.connected = True
            member.mask = self.mask
            self._record(call, join=join, peer=incoming.peer, detail=f"member #{member.id}")
            provider.caused_by(incoming.msg_id, provider.answer_invitation, incoming, True, member)
            return member
        leaf_socket = MultipointSocket(self.host, self.session, self.flags, SocketKind.PER_LEAF,
                                       root_socket=self, leaf=incoming.peer)
        leaf_socket.join = join
        self.leaves[incoming.peer] = leaf_socket
        self.admitting[join.join_id] = join
        self._record(call, join=join, peer=incoming.peer, detail=f"per-leaf #{leaf_socket.id}")
        provider.caused_by(incoming.msg_id, provider.answer_request, incoming, True, leaf_socket)
        return leaf_socket

    def promise_answer(self, incoming: Incoming, when: float) -> None:
        """Say that the application will decide the queued ``incoming`` at ``when``
        (simulated seconds). Not a Winsock call: a simulated application's foresight
        that a provider may use where a real stack would rely on its user's habits
        (a SIP responder sends 100 Trying unless the answer comes within 200 ms)."""
        self.provider.answer_promised(incoming, when)

    def accept_blocking(self, condition=None):
        """A blocking ``accept`` for a SimPy process: ``new = yield sock.accept_blocking()``.
        Waits (in simulated time) while nothing is pending (M11). A request held by an
        earlier ``CF_DEFER`` is pending too: it is decided at once, since no new
        FD_ACCEPT will announce it (M6). Other failures raise."""
        env = self.stack.sim.env

        def run():
            while not self.pending:
                yield self.wait(FD_ACCEPT)
            return self.accept(condition)
        return env.process(run())

    def close(self) -> None:
        """``closesocket``. The socket gets no FD_CLOSE itself (M22)."""
        if self.closed:
            return
        self._record("CLOSE", join=self.join, peer=self.leaf)
        self.closed = True
        if not self.is_multipoint:
            return
        if self.listening:
            self._stop_listening()
        if self.c_role == C_ROOT and self.kind is SocketKind.PER_LEAF:
            self._close_per_leaf()
        elif self.c_role == C_ROOT:
            self._close_root()
        elif self.join is not None:
            # M22: closing the socket that made a join cancels it. A member socket that
            # accept returned stands in the root's join (Way 1): the root learns of the
            # leaving from the provider and ends its join itself.
            if self.kind is SocketKind.SESSION and not self.join.done:
                self.join.finish(self.stack.sim.now, None, "cancelled")
            self.provider.leave(self)                                            # M20

    def _stop_listening(self) -> None:
        """Closing a listening socket refuses the requests still queued on it."""
        self.listening = False
        listeners = self.host.listeners.get(self.name, [])
        if self in listeners:
            listeners.remove(self)
        queued, self.pending = list(self.pending), deque()
        self.provider.refuse_pending(self, queued)

    def _close_per_leaf(self) -> None:
        """The root drops one leaf (M19), or cancels the join it asked for (M22)."""
        root = self.root_socket
        if root.leaves.get(self.leaf) is self:
            del root.leaves[self.leaf]
        pending = root.outstanding.pop(self.join.join_id, None) if self.join else None
        if self.join is not None:
            root.admitting.pop(self.join.join_id, None)
        # M22: closing cancels a pending join the root asked for. An accepted request
        # (Way 2) is the leaf's join: the addition is already on its way, so the leaf
        # is added and then dropped, and its join ends there.
        if pending is not None:
            pending.finish(self.stack.sim.now, None, "cancelled")
        self.provider.drop_leaf(self)                                            # M19
        root._slot_freed()

    def _close_root(self) -> None:
        """The root closes its c_root socket: the session ends (M18). Every per-leaf
        socket that join_leaf or accept returned gets FD_CLOSE (a graceful close, error
        0); invitations in flight are withdrawn; accepted requests end at the leaf."""
        for leaf_socket in list(self.leaves.values()):
            leaf_socket.connected = False
            leaf_socket._indicate(FD_CLOSE, None, leaf_socket.join, leaf_socket.leaf)
            leaf_socket.closed = True
        self.leaves.clear()
        for join in self.outstanding.values():
            join.finish(self.stack.sim.now, WsaError.WSAECONNRESET, "cancelled")
        self.outstanding.clear()
        self.admitting.clear()
        self.provider.close_root(self)

    def send(self, size: int) -> None:
        """Send ``size`` bytes of session data (M15, M16)."""
        call = "SEND"
        self._check_multipoint(call)
        if self.jl_flags == JoinFlag.JL_RECEIVER_ONLY:                           # M16
            self._fail(call, WsaError.WSAESHUTDOWN, "joined with JL_RECEIVER_ONLY")
        self.provider.send(self, size)

    def recv(self) -> tuple[int, int]:
        """Take the data received so far: returns (packets, bytes) and re-enables FD_READ."""
        packets, size = self.rx_packets, self.rx_bytes
        self.rx_packets = self.rx_bytes = 0
        self.read_armed = True
        return packets, size

    def event_select(self, mask: NetworkEvent) -> None:
        """``WSAEventSelect``: only events in ``mask`` are delivered (M23)."""
        self.mask = NetworkEvent(mask)

    def on(self, handler) -> None:
        """Call ``handler(indication)`` for every indication delivered to this socket."""
        self._handlers.append(handler)

    def wait(self, mask: NetworkEvent = FD_ALL):
        """A SimPy event that fires with the next indication in ``mask`` (M24)."""
        event = self.stack.sim.env.event()
        self._waiters.append((NetworkEvent(mask), event))
        return event

    # -- indications -----------------------------------------------------------------
    def _indicate(self, event: NetworkEvent, error=None, join=None, peer=None, other=None) -> None:
        if self.closed or not (event & self.mask):
            return
        now = self.stack.sim.now
        detail = None if other is None else f"per-leaf #{other.id}"
        # cause: the message whose arrival the provider is handling now, if any.
        cause = None if self.provider is None else self.provider.cause
        self._record(event, error, join, peer, detail=detail, cause=cause)
        indication = Indication(event, self, error, join, peer, now, other)
        for handler in list(self._handlers):
            handler(indication)
        if self._waiters:
            waiting, self._waiters = self._waiters, []
            for mask, waiter in waiting:
                if event & mask:
                    waiter.succeed(indication)
                else:
                    self._waiters.append((mask, waiter))

    def request_arrived(self, incoming: Incoming) -> None:
        """A connection request arrived at this listening socket: queue it, FD_ACCEPT."""
        incoming.msg_id = None if self.provider is None else self.provider.cause
        self.pending.append(incoming)
        self._indicate(FD_ACCEPT, None, incoming.join, incoming.peer)

    def request_withdrawn(self, incoming: Incoming) -> None:
        """The requester gave up on a queued request (a later accept fails WSAEACCES)."""
        if incoming.state.open:
            incoming.state = IncomingState.WITHDRAWN

    def join_completed(self, join, error=None, leaf_socket=None, peer=None) -> None:
        """A join this socket made has completed (FD_CONNECT with ``error``)."""
        now = self.stack.sim.now
        if not join.finish(now, error):
            return
        if self.c_role == C_ROOT and self.kind is SocketKind.SESSION:
            self.outstanding.pop(join.join_id, None)
            if leaf_socket is not None:
                if error is None:
                    leaf_socket.connected = True
                elif self.leaves.get(leaf_socket.leaf) is leaf_socket:
                    del self.leaves[leaf_socket.leaf]
                    leaf_socket.closed = True
            self._indicate(FD_CONNECT, error, join, peer, other=leaf_socket)
            self._slot_freed()
        else:
            self.connected = error is None
            self._indicate(FD_CONNECT, error, join, peer)

    def party_completed(self, join, error=None) -> None:
        """Way 2 at the root: the party of an accepted request is connected (or failed)."""
        root = self.root_socket if self.kind is SocketKind.PER_LEAF else self
        if root.admitting.pop(join.join_id, None) is not None and self.kind is SocketKind.PER_LEAF:
            self.connected = error is None

    def _slot_freed(self) -> None:
        """A root's outstanding join_leaf finished: tell the application, which counts its
        own outstanding joins as a Winsock program would (M4)."""
        for listener in list(self.slot_listeners):
            listener()

    def closed_by_peer(self, error=None, peer=None) -> None:
        """The session or this leaf's membership ended from the other side (FD_CLOSE)."""
        if self.closed:
            return
        was_pending_root = self.kind is SocketKind.PER_LEAF and not self.connected
        self.connected = False
        self._indicate(FD_CLOSE, error, self.join, peer if peer is not None else self.leaf)
        self.closed = True
        if self.kind is SocketKind.PER_LEAF:
            root = self.root_socket
            if root.leaves.get(self.leaf) is self:
                del root.leaves[self.leaf]
            if was_pending_root and self.join is not None:
                self.party_completed(self.join, error)

    def group_joined(self, join) -> None:
        """A non-rooted join's FD_CONNECT, which comes at once (Way 3): the socket is a
        member; its join row waits for the first data."""
        self.connected = True
        self._indicate(FD_CONNECT, None, join, None)

    def data_arrived(self, size: int, join=None, peer=None) -> None:
        """Session data arrived for this socket (FD_READ when re-enabled); the first data
        of ``join`` is its ``t_first_data`` (and completes a non-rooted join)."""
        self.rx_packets += 1
        self.rx_bytes += size
        if join is not None and join.t_first_data is None:     # the first data: once per join
            join.first_data(self.stack.sim.now)
        if self.read_armed:
            self.read_armed = False
            self._indicate(FD_READ, None, join, peer)

    def __repr__(self) -> str:
        roles = "/".join(f.name.rsplit("_", 1)[-1].lower() for f in (self.c_role, self.d_role) if f)
        return f"<socket #{self.id} {self.host.name} {self.kind} {roles or 'plain'} {self.name}>"
