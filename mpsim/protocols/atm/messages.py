"""ATM point-to-multipoint signalling messages (ITU-T Q.2971, ATM Forum UNI 4.0)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

SETUP = "SETUP"
CALL_PROCEEDING = "CALL_PROCEEDING"
CONNECT = "CONNECT"
CONNECT_ACK = "CONNECT_ACK"
ADD_PARTY = "ADD_PARTY"
ADD_PARTY_ACK = "ADD_PARTY_ACK"
ADD_PARTY_REJECT = "ADD_PARTY_REJECT"
DROP_PARTY = "DROP_PARTY"
DROP_PARTY_ACK = "DROP_PARTY_ACK"
RELEASE = "RELEASE"
LEAF_SETUP_REQUEST = "LEAF_SETUP_REQUEST"
LEAF_SETUP_FAILURE = "LEAF_SETUP_FAILURE"
DATA = "DATA"

#: Causes carried by clearing messages (a subset of Q.2931 cause values, by meaning).
REJECTED = "rejected"            # call rejected (#21)
NO_LISTENER = "no_listener"      # no user responding (#18)
TIMEOUT = "timeout"              # recovery on timer expiry (#102)
NETWORK = "network"              # network out of order (#38)
NORMAL = "normal"                # normal call clearing (#16)
SESSION_CLOSED = "session_closed"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class AtmMessage:
    """One signalling message. ``party`` is the join id (the party reference, also the
    leaf-initiated join's sequence number); None for a RELEASE of the whole call.
    ``up`` says which way it travels on the party's route (toward the root or the leaf).

    ``context`` is the provider's record of that party (``Party``: its route and what
    every node knows of it), the simulator's stand-in for the tables each node keys on
    the party reference. Carried with the message, it lets a late or duplicate message
    find its party after the provider has forgotten it, and is freed with the message
    (delivered or lost). It is not part of what the message says: not compared, not
    shown.

    ``seq`` is its number on the SSCOP connection of the hop it crosses (N(S),
    ``mpsim.protocols.atm.sscop``), None when the session's signalling is unreliable."""
    proto: ClassVar[str] = "atm"
    kind: str
    session: str
    party: int | None
    up: bool
    cause: str | None = None
    context: Any = field(default=None, compare=False, repr=False)
    seq: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AtmData:
    """A cell train of session data (one packet of the traffic's size)."""
    proto: ClassVar[str] = "atm"
    kind: ClassVar[str] = DATA
    session: str
    sender: str
