"""The application a host runs in one session: listen, invite, request, join, leave, send.

One ``SessionApp`` per (host, session) owns the host's session socket, so a
root that listens and invites does both on one c_root socket (M10). Scripted
behaviour is event-driven: the app reacts to its sockets' indications as a
WSAEventSelect program would, with no polling.
"""

from __future__ import annotations

import logging
from collections import deque

from mpsim.core.errors import ParameterError, SocketError
from mpsim.spi.constants import Decision, JoinFlag, NetworkEvent, WsaError
from mpsim.spi.provider import C_LEAF, C_ROOT, D_LEAF, D_ROOT

log = logging.getLogger(__name__)
FD_ACCEPT = NetworkEvent.FD_ACCEPT
FD_CONNECT = NetworkEvent.FD_CONNECT


class Policy:
    """An admission policy: turns an incoming request into a ``WSAAccept`` decision.

    ``"accept"``, ``"reject"``, ``{"defer": seconds}`` (decide that long after the
    request arrived, then accept), ``{"capacity": n}`` (accept while fewer than n
    are members or being added, then reject), ``{"accept_prob": p}``.
    """

    def __init__(self, spec, rng=None):
        self.spec = spec
        self.kind, self.value = self._parse(spec)
        if self.kind == "accept_prob" and rng is None:
            raise ParameterError("an accept_prob policy needs a random stream")
        self.rng = rng

    @staticmethod
    def _parse(spec):
        if spec in ("accept", "reject"):
            return spec, None
        if isinstance(spec, dict) and len(spec) == 1:
            (kind, value), = spec.items()
            if kind == "defer" and isinstance(value, (int, float)) and value >= 0:
                return kind, float(value)
            if kind == "capacity" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return kind, value
            if kind == "accept_prob" and isinstance(value, (int, float)) and 0 <= value <= 1:
                return kind, float(value)
        raise ParameterError(f"policy {spec!r} is not allowed; allowed: accept | reject | "
                             "{defer: DURATION} | {capacity: N} | {accept_prob: P}")

    def decide(self, incoming, now: float, members: int) -> Decision:
        kind = self.kind
        if kind == "accept":
            return Decision.CF_ACCEPT
        if kind == "reject":
            return Decision.CF_REJECT
        if kind == "defer":
            return Decision.CF_DEFER if now < incoming.t_arrival + self.value else Decision.CF_ACCEPT
        if kind == "capacity":
            return Decision.CF_ACCEPT if members < self.value else Decision.CF_REJECT
        return Decision.CF_ACCEPT if self.rng.random() < self.value else Decision.CF_REJECT


class SessionApp:
    """What host ``host`` does in ``session``.

    Parameters
    ----------
    stack : mpsim.spi.Stack
    host : str
    session : mpsim.spi.Session or its name
    """

    def __init__(self, stack, host: str, session):
        self.stack = stack
        self.sim = stack.sim
        self.host = stack.host(host)
        self.session = stack.session(session) if isinstance(session, str) else session
        self.socket = None
        self.members: list = []        # member sockets accept returned (a leaf invited)
        self.policy: Policy | None = None
        self._invitations: deque = deque()   # (leaf, time wanted) not yet sent, oldest first
        self._retry_scheduled = False

    @property
    def is_root(self) -> bool:
        return self.session.provider.rooted_control and self.session.root == self.host.name

    def _record(self, event, peer=None, detail=None, error=None) -> None:
        self.sim.recorder.record(self.sim.now, "app", event, host=self.host.name, peer=peer,
                                 socket=None if self.socket is None else self.socket.id,
                                 session=self.session.name, error=error, detail=detail)

    def _ensure_socket(self):
        if self.socket is None or self.socket.closed:
            provider = self.session.provider
            if self.is_root:
                flags = C_ROOT | (D_ROOT if provider.rooted_data else D_LEAF)
            else:
                flags = C_LEAF | D_LEAF
            self.socket = self.host.socket(self.session, flags)
            self.socket.on(self._indication)
            self.socket.slot_listeners.append(self._pump)
        return self.socket

    # -- behaviours ---------------------------------------------------------------------
    def listen(self, policy="accept") -> None:
        """Listen for invitations (a leaf) or admission requests (the root) under ``policy``."""
        rng = None
        if isinstance(policy, dict) and "accept_prob" in policy:
            rng = self.sim.rng.stream(f"app:{self.host.name}:{self.session.name}:policy")
        self.policy = Policy(policy, rng)
        self._record("LISTEN", detail=str(policy))
        self._ensure_socket().listen()

    def invite(self, leaves) -> None:
        """Invite ``leaves``: queued and sent as ``max_outstanding`` allows, each join's
        ``t_request`` being now, so that waiting in the queue shows in its latency."""
        if not self.is_root:
            raise ParameterError(f"{self.host.name} is not the root of session {self.session.name!r}")
        now = self.sim.now
        for leaf in leaves:
            self._record("INVITE", peer=leaf)
            self._invitations.append((leaf, now))
        self._ensure_socket()
        self._pump()

    def record_unsent(self) -> int:
        """Give each invitation still queued behind ``max_outstanding`` (never sent, say
        because the join ahead of it is still waiting for an answer) its join row:
        ``pending``, no attempt yet, ``t_request`` when it was asked for. Called when a
        run ends, so that a join the application asked for is never missing from the
        joins table. Returns how many."""
        for leaf, wanted in self._invitations:
            self.stack.joins.new(self.session.name, "root_invite", self.host.name, leaf, wanted)
        count = len(self._invitations)
        self._invitations.clear()
        return count

    def _pump(self) -> None:
        sock = self.socket
        while self._invitations and len(sock.outstanding) < self.session.max_outstanding:
            leaf, wanted = self._invitations.popleft()     # (a list's pop(0) moves the rest)
            try:
                sock.join_leaf(leaf, requested_at=wanted)
            except SocketError as exc:
                if exc.code not in (WsaError.WSAEISCONN, WsaError.WSAEALREADY):
                    raise
                log.debug("%s: invitation of %s skipped: %s", self.host.name, leaf, exc)

    def request(self, root=None, flags=JoinFlag.JL_BOTH) -> None:
        """Ask the session's root (or ``root``) for admittance (Way 2)."""
        root = self.session.root if root is None else root
        self._record("REQUEST", peer=root)
        sock = self._ensure_socket()
        try:
            sock.join_leaf(root, flags)
        except SocketError as exc:
            if exc.code not in (WsaError.WSAEISCONN, WsaError.WSAEALREADY):
                raise

    def join(self, flags=JoinFlag.JL_BOTH) -> None:
        """Join a non-rooted session (Way 3)."""
        self._record("JOIN")
        sock = self._ensure_socket()
        try:
            sock.join_leaf(self.session.options.get("group", self.session.name), flags)
        except SocketError as exc:
            if exc.code not in (WsaError.WSAEISCONN, WsaError.WSAEALREADY):
                raise

    def leave(self) -> None:
        """Leave the session: close every member socket and the session socket."""
        self._record("LEAVE")
        for member in self.members:
            member.close()
        self.members.clear()
        self._invitations.clear()
        if self.socket is not None:
            self.socket.close()

    def send(self, size: int) -> bool:
        """Send one packet of session data if this host may; returns whether it did.
        On a non-rooted data plane any host may send, member or not (an IP multicast
        sender need not join)."""
        if self.socket is None and not self.session.provider.rooted_data:
            self._ensure_socket()
        for sock in [self.socket, *self.members]:
            if sock is None or sock.closed:
                continue
            if sock is self.socket and not (self.is_root or sock.connected
                                            or not self.session.provider.rooted_control):
                continue
            try:
                sock.send(size)
                return True
            except SocketError:
                continue
        return False

    # -- reacting --------------------------------------------------------------------
    def _members_now(self) -> int:
        sock = self.socket
        return len(sock.leaves) if sock is not None else 0

    def _indication(self, indication) -> None:
        if indication.event == FD_ACCEPT:
            self._accept_pending()
        elif indication.event == FD_CONNECT and self.is_root:
            self._pump()

    def _accept_pending(self) -> None:
        sock = self.socket
        while sock.listening and sock.pending and self.policy is not None:
            incoming = sock.pending[0]
            try:
                new = sock.accept(lambda inc: self.policy.decide(inc, self.sim.now, self._members_now()))
            except SocketError as exc:
                if exc.code == WsaError.WSATRY_AGAIN:                 # deferred: decide later
                    self._schedule_retry(incoming.t_arrival + self.policy.value)
                    self._promise(sock, sock.pending[-1])
                    return
                if exc.code in (WsaError.WSAECONNREFUSED, WsaError.WSAEACCES):
                    continue
                if exc.code == WsaError.WSAEWOULDBLOCK:
                    return                                             # FD_ACCEPT comes again
                raise
            if sock.c_role == C_LEAF:
                self.members.append(new)

    def _promise(self, sock, incoming) -> None:
        """Tell the stack when this deferring policy will decide ``incoming`` (the newest
        request: the queue is decided in arrival order, each at its own arrival + the
        deferral); a SIP responder sends no 100 Trying if the answer comes within 200 ms."""
        sock.promise_answer(incoming, incoming.t_arrival + self.policy.value)

    def _schedule_retry(self, when: float) -> None:
        if not self._retry_scheduled:
            self._retry_scheduled = True
            self.sim.call_at(max(when, self.sim.now), self._retry)

    def _retry(self) -> None:
        self._retry_scheduled = False
        self._accept_pending()
