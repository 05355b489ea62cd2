"""IP multicast messages: IGMP between hosts and their router, PIM-SM between routers, data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

# IGMP kinds
QUERY = "IGMP_QUERY"              # general query (group None) or group-specific query
REPORT = "IGMP_REPORT"            # v2 Membership Report / v3 current-state or state-change report
LEAVE = "IGMP_LEAVE"              # v2 Leave Group / v3 TO_IN{} state-change report
# PIM kinds
JOIN = "PIM_JOIN"
PRUNE = "PIM_PRUNE"
DATA = "DATA"


@dataclass(frozen=True, slots=True)
class IgmpMessage:
    """An IGMP message on an access link of session ``session``. A query with ``group``
    None is a general query; ``join`` is the join id a report serves (or None)."""
    proto: ClassVar[str] = "ipmc"
    kind: str
    session: str
    group: str | None = None
    host: str | None = None
    max_response: float = 0.0
    join: int | None = None


@dataclass(frozen=True, slots=True)
class PimMessage:
    """A PIM-SM (*,G) Join or Prune sent to the upstream neighbour toward the RP."""
    proto: ClassVar[str] = "ipmc"
    kind: str
    session: str
    join: int | None = None


@dataclass(frozen=True, slots=True)
class MulticastData:
    """A data packet of a session's group (the source's DR encapsulates it to the RP).
    Its scope is the packet's IP TTL (``Packet.ttl``), not part of the message: each
    copy has its own."""
    proto: ClassVar[str] = "ipmc"
    kind: ClassVar[str] = DATA
    session: str
    sender: str
    join: ClassVar[None] = None
