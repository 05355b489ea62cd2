"""The provider interface: what a protocol under the multipoint socket layer must do.

A provider is one object per protocol per run (it plays every host's and
every router's part of that protocol, keeping per-session state). Sockets call
it; it answers by calling the sockets' indication methods when its messages
arrive. Capabilities are declared as Winsock's ``XP1_*`` flags plus the
(control, data) role pairs a socket may be created with.
"""

from __future__ import annotations

from mpsim.core.errors import SocketError
from mpsim.net.packet import Packet
from mpsim.spi.constants import ProviderFlag, SocketFlag, WsaError

C_ROOT = SocketFlag.WSA_FLAG_MULTIPOINT_C_ROOT
C_LEAF = SocketFlag.WSA_FLAG_MULTIPOINT_C_LEAF
D_ROOT = SocketFlag.WSA_FLAG_MULTIPOINT_D_ROOT
D_LEAF = SocketFlag.WSA_FLAG_MULTIPOINT_D_LEAF


def role_pairs(flags: ProviderFlag) -> frozenset:
    """The (control, data) role pairs a provider with ``flags`` supports.

    Rooted control offers c_root and c_leaf, non-rooted only c_leaf; rooted data
    offers d_root and d_leaf, non-rooted only d_leaf. With both planes rooted the
    root of one is the root of the other.
    """
    if not flags & ProviderFlag.XP1_SUPPORT_MULTIPOINT:
        return frozenset()
    rooted_c = bool(flags & ProviderFlag.XP1_MULTIPOINT_CONTROL_PLANE)
    rooted_d = bool(flags & ProviderFlag.XP1_MULTIPOINT_DATA_PLANE)
    if rooted_c and rooted_d:
        return frozenset({(C_ROOT, D_ROOT), (C_LEAF, D_LEAF)})
    if rooted_c:
        return frozenset({(C_ROOT, D_LEAF), (C_LEAF, D_LEAF)})
    if rooted_d:
        return frozenset({(C_LEAF, D_ROOT), (C_LEAF, D_LEAF)})
    return frozenset({(C_LEAF, D_LEAF)})


class Provider:
    """Base of every provider; a call a provider does not implement fails with
    ``WSAEOPNOTSUPP``."""

    #: What a session's ``provider:`` says (mpsim.protocols.registry registers it by it).
    name = "none"
    #: Winsock's ``XP1_*`` capability flags: rooted or non-rooted control and data planes.
    flags = ProviderFlag(0)
    #: The pydantic model (``mpsim.core.schema.Strict``) of the session options it takes
    #: beyond the common ones (root, max_outstanding, control_size); None: none. The scenario
    #: loader and ``Stack.add_session`` both validate with it (``Session.config``).
    options = None
    #: The scenario actions its sessions allow (``mpsim.protocols.registry.ACTIONS``).
    actions: tuple = ()

    def __init__(self, stack):
        self.stack = stack
        self.sim = stack.sim
        self.network = stack.network
        self.recorder = stack.sim.recorder
        self.sent = 0           # control-message hop transmissions
        self.delivered = 0      # control-message hop arrivals
        self._message_ids = stack.sim.message_ids
        #: The id of the message being handled now: what a message sent meanwhile answers
        #: or forwards (its ``cause``). None while a timer or an application acts.
        self.cause = None

    @property
    def roles(self) -> frozenset:
        return role_pairs(self.flags)

    @property
    def rooted_control(self) -> bool:
        return bool(self.flags & ProviderFlag.XP1_MULTIPOINT_CONTROL_PLANE)

    @property
    def rooted_data(self) -> bool:
        return bool(self.flags & ProviderFlag.XP1_MULTIPOINT_DATA_PLANE)

    def _unsupported(self, what: str):
        raise SocketError(WsaError.WSAEOPNOTSUPP, f"provider {self.name} cannot {what}")

    # -- control messages -----------------------------------------------------------
    def control_packet(self, msg, src, dst, *, join_id=None, detail=None):
        """A new control message from ``src`` to ``dst``: count it, record its send (with a
        new ``msg_id``, and ``cause`` the message being handled now) and return its packet."""
        msg_id = next(self._message_ids)
        self.sent += 1
        session = msg.session
        self.recorder.record(self.sim.now, "proto", msg.kind, host=src, peer=dst,
                             session=session, join_id=join_id, detail=detail,
                             msg_id=msg_id, cause=self.cause)
        return Packet(self.stack.sessions[session].control_size, msg, src, dst, True, msg_id)

    def control_arrived(self, packet, node, prev, join_id=None, handle=None) -> None:
        """A control packet reached ``node`` from ``prev``: count and record its receipt,
        then hand it to ``handle(msg, node, prev)`` (default ``self._handle``) after a
        router's processing time, with ``cause`` set to its id meanwhile."""
        self.delivered += 1
        msg = packet.msg
        self.recorder.record(self.sim.now, "proto", msg.kind, host=node, peer=prev,
                             session=msg.session, join_id=join_id, detail="recv",
                             msg_id=packet.msg_id)
        handle = self._handle if handle is None else handle
        processing = self.network.processing
        if processing > 0 and not self.network.is_host(node):
            self.sim.call_later(processing, self._handle_caused, handle, msg, node, prev, packet.msg_id)
        else:
            self._handle_caused(handle, msg, node, prev, packet.msg_id)

    def _handle_caused(self, handle, msg, node, prev, msg_id) -> None:
        outer, self.cause = self.cause, msg_id       # caused_by, inlined: once per message
        try:
            handle(msg, node, prev)
        finally:
            self.cause = outer

    def caused_by(self, msg_id, fn, *args):
        """Call ``fn(*args)`` with ``cause`` set to ``msg_id``: what it sends answers or
        forwards that message (the socket layer uses it when an application answers a
        request it accepted later)."""
        outer, self.cause = self.cause, msg_id
        try:
            return fn(*args)
        finally:
            self.cause = outer

    def answer_promised(self, incoming, when: float) -> None:
        """The application will decide ``incoming`` at ``when`` (``promise_answer``);
        providers whose messages do not depend on it ignore it."""

    def _handle(self, msg, node, prev) -> None:
        """Act on a control message at ``node`` that came from ``prev`` (providers override)."""
        raise NotImplementedError

    # -- sessions ----------------------------------------------------------------
    def open_session(self, session) -> None:
        """Check the session's options and set up its state (called once per session)."""

    # -- joining -----------------------------------------------------------------
    def invite(self, join, root_socket, leaf_socket) -> None:
        """Way 1: the root invites ``join.leaf``; ``leaf_socket`` is the root's per-leaf socket."""
        self._unsupported("invite a leaf")

    def request(self, join, leaf_socket) -> None:
        """Way 2: the leaf asks ``join.root`` for admittance."""
        self._unsupported("send an admission request")

    def join_group(self, join, socket) -> None:
        """Way 3: the host joins a non-rooted session."""
        self._unsupported("join a non-rooted session")

    def answer_invitation(self, incoming, accepted: bool, member_socket=None) -> None:
        """The invited leaf's decision (``member_socket`` is the socket accept returned)."""
        self._unsupported("answer an invitation")

    def answer_request(self, incoming, accepted: bool, leaf_socket=None) -> None:
        """The root's decision on an admission request (``leaf_socket``: its new per-leaf socket)."""
        self._unsupported("answer an admission request")

    # -- leaving -----------------------------------------------------------------
    def drop_leaf(self, leaf_socket) -> None:
        """The root closed a per-leaf socket: drop that leaf, or cancel its pending join."""
        self._unsupported("drop a leaf")

    def leave(self, socket) -> None:
        """A leaf closed its socket: leave the session, or cancel its pending request."""
        self._unsupported("leave")

    def close_root(self, root_socket) -> None:
        """The root closed its c_root socket: end the session."""
        self._unsupported("close a root")

    def refuse_pending(self, socket, incomings) -> None:
        """A listening socket was closed with requests still queued: refuse them."""
        for incoming in incomings:
            if incoming.state.open:
                if incoming.kind == "invite":
                    self.answer_invitation(incoming, False)
                else:
                    self.answer_request(incoming, False)

    # -- data --------------------------------------------------------------------
    def send(self, socket, size: int) -> None:
        """Send ``size`` bytes of session data from ``socket`` as its data role allows."""
        self._unsupported("send data")
