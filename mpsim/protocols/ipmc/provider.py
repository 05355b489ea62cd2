"""The ``ipmc`` provider: IP multicast, non-rooted control and data (Way 3).

A session is an IP multicast group; hosts join it with IGMP and routers build its
PIM-SM shared tree (``mpsim.protocols.ipmc.membership``, which this provider owns).

``FD_CONNECT`` comes at once (as Winsock does for IP multicast); the join row
stays ``pending`` until the first data packet reaches the member
(``t_first_data``), which is the latency that matters for a non-rooted join.
"""

from __future__ import annotations

from mpsim.protocols.ipmc.membership import MembershipService
from mpsim.protocols.ipmc.params import IpmcOptions
from mpsim.protocols.registry import NONROOTED_ACTIONS
from mpsim.spi.constants import JoinFlag, ProviderFlag
from mpsim.spi.provider import Provider


class IpmcProvider(Provider):
    """IGMPv2/v3 + PIM-SM shared trees."""

    name = "ipmc"
    flags = ProviderFlag.XP1_SUPPORT_MULTIPOINT
    options = IpmcOptions
    actions = NONROOTED_ACTIONS

    def __init__(self, stack):
        super().__init__(stack)
        self.membership = MembershipService(self)

    def open_session(self, session) -> None:
        session.state = self.membership.open_group(session, session.config)

    def join_group(self, join, socket) -> None:
        """Way 3: ``IP_ADD_MEMBERSHIP``; FD_CONNECT at once, the row waits for data."""
        join.fd_connect(self.sim.now)
        self.sim.call_later(0.0, socket.group_joined, join)
        if socket.jl_flags == JoinFlag.JL_SENDER_ONLY:                    # M16: no report at all
            join.connected_without_data()
        self.membership.add_member(socket.session.state, socket, join)

    def leave(self, socket) -> None:
        self.membership.drop_member(socket.session.state, socket)

    def send(self, socket, size: int) -> None:
        self.membership.send(socket.session.state, socket, size)
