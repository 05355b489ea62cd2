"""A toy provider defined outside mpsim/: rooted control, one message each way.

The root sends HELLO to the invited leaf (after the session's ``wait``); the leaf's
listening socket decides; the leaf answers WELCOME or GO_AWAY, and the root's join
completes with it. No data plane traffic, no requests (Way 2), no churn: its sessions
allow ``listen``, ``invite`` and ``leave`` only. Everything the scenario layer needs of it
is in ``ToyProvider``'s class header, and ``register(ToyProvider)`` makes it available.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import Field

from mpsim.core.schema import MIN_PERIOD, Period, Strict
from mpsim.spi.constants import ProviderFlag, WsaError
from mpsim.spi.provider import C_LEAF, Provider
from mpsim.spi.socket import Incoming

HELLO = "HELLO"
WELCOME = "WELCOME"
GO_AWAY = "GO_AWAY"


@dataclass(frozen=True, slots=True)
class ToyMessage:
    proto: ClassVar[str] = "toy"
    kind: str
    session: str
    join: int
    context: object = field(default=None, compare=False, repr=False)


class ToyOptions(Strict):
    """The options of a ``toy`` session."""
    wait: Period | None = Field(None, description=f"the root waits this long before its HELLO "
                                f"({MIN_PERIOD}; default: no wait)")


class Invitation:
    __slots__ = ("join", "root_socket", "leaf_socket")

    def __init__(self, join, root_socket, leaf_socket):
        self.join = join
        self.root_socket = root_socket
        self.leaf_socket = leaf_socket


class ToyProvider(Provider):
    """Admits an invited leaf by one HELLO and one answer."""

    name = "toy"
    flags = ProviderFlag.XP1_SUPPORT_MULTIPOINT | ProviderFlag.XP1_MULTIPOINT_CONTROL_PLANE
    options = ToyOptions
    actions = ("listen", "invite", "leave")

    def __init__(self, stack):
        super().__init__(stack)
        self.network.attach(None, ToyMessage.proto, self._receive)

    def open_session(self, session) -> None:
        session.state = session.config.wait or 0.0

    def _send(self, invitation, kind, src, dst) -> None:
        join = invitation.join
        join.messages += 1
        msg = ToyMessage(kind, join.session, join.join_id, invitation)
        self.network.unicast(self.control_packet(msg, src, dst, join_id=join.join_id), src, dst)

    def _receive(self, packet, link) -> None:
        self.control_arrived(packet, packet.dst, packet.src, packet.msg.join)

    def _handle(self, msg, node, prev) -> None:
        invitation = msg.context
        join = invitation.join
        if msg.kind == HELLO:
            host = self.stack.hosts.get(node)
            listener = None if host is None else host.listening(join.session, C_LEAF)
            if listener is None:
                self._send(invitation, GO_AWAY, join.leaf, join.root)
            else:
                listener.request_arrived(Incoming("invite", join, join.root, join.session,
                                                  self.sim.now, invitation))
        else:
            error = None if msg.kind == WELCOME else WsaError.WSAECONNREFUSED
            invitation.root_socket.join_completed(join, error, invitation.leaf_socket, join.leaf)

    def invite(self, join, root_socket, leaf_socket) -> None:
        join.attempts += 1
        invitation = Invitation(join, root_socket, leaf_socket)
        self.sim.call_later(root_socket.session.state, self._send, invitation, HELLO, join.root,
                            join.leaf)

    def answer_invitation(self, incoming, accepted: bool, member_socket=None) -> None:
        join = incoming.join
        self._send(incoming.context, WELCOME if accepted else GO_AWAY, join.leaf, join.root)

    def drop_leaf(self, leaf_socket) -> None:
        pass

    def leave(self, socket) -> None:
        pass

    def close_root(self, root_socket) -> None:
        pass
