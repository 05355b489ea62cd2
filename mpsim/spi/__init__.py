"""Layer 2: multipoint sockets with Winsock 2 role semantics, and the provider interface."""

from mpsim.spi.constants import *  # noqa: F401,F403  (the Winsock names)
from mpsim.spi.constants import __all__ as _constants
from mpsim.spi.joins import Join, JoinTable
from mpsim.spi.provider import C_LEAF, C_ROOT, D_LEAF, D_ROOT, Provider, role_pairs
from mpsim.spi.socket import Incoming, Indication, MultipointSocket
from mpsim.spi.stack import Host, Session, Stack

__all__ = [*_constants, "Join", "JoinTable", "C_LEAF", "C_ROOT", "D_LEAF", "D_ROOT", "Provider",
           "role_pairs", "Incoming", "Indication", "MultipointSocket", "Host", "Session", "Stack"]
