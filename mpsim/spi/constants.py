"""Winsock 2 names and values used by the multipoint socket layer.

The values are Winsock's own (winsock2.h), so traces read like a Winsock
program's: a user can look any of them up.
"""

from __future__ import annotations

import enum


class WsaError(enum.IntEnum):
    """Winsock error codes carried by failed calls and indications (0 = success)."""
    WSAEACCES = 10013
    WSAEINVAL = 10022
    WSAEWOULDBLOCK = 10035
    WSAEALREADY = 10037
    WSAEOPNOTSUPP = 10045
    WSAENETUNREACH = 10051
    WSAENETRESET = 10052
    WSAECONNABORTED = 10053
    WSAECONNRESET = 10054
    WSAEISCONN = 10056
    WSAESHUTDOWN = 10058
    WSAETIMEDOUT = 10060
    WSAECONNREFUSED = 10061
    WSATRY_AGAIN = 11002


globals().update(WsaError.__members__)


class SocketFlag(enum.IntFlag):
    """``WSASocket`` flags that give a socket its multipoint roles."""
    WSA_FLAG_OVERLAPPED = 0x01
    WSA_FLAG_MULTIPOINT_C_ROOT = 0x02
    WSA_FLAG_MULTIPOINT_C_LEAF = 0x04
    WSA_FLAG_MULTIPOINT_D_ROOT = 0x08
    WSA_FLAG_MULTIPOINT_D_LEAF = 0x10


globals().update(SocketFlag.__members__)
C_ROLES = SocketFlag.WSA_FLAG_MULTIPOINT_C_ROOT | SocketFlag.WSA_FLAG_MULTIPOINT_C_LEAF
D_ROLES = SocketFlag.WSA_FLAG_MULTIPOINT_D_ROOT | SocketFlag.WSA_FLAG_MULTIPOINT_D_LEAF


class ProviderFlag(enum.IntFlag):
    """``WSAPROTOCOL_INFO.dwServiceFlags1`` bits that describe multipoint support."""
    XP1_SUPPORT_MULTIPOINT = 0x00000400
    XP1_MULTIPOINT_CONTROL_PLANE = 0x00000800   # set: rooted control plane
    XP1_MULTIPOINT_DATA_PLANE = 0x00001000      # set: rooted data plane


globals().update(ProviderFlag.__members__)


class JoinFlag(enum.IntFlag):
    """``WSAJoinLeaf`` direction flags."""
    JL_SENDER_ONLY = 0x01
    JL_RECEIVER_ONLY = 0x02
    JL_BOTH = 0x04


globals().update(JoinFlag.__members__)


class Decision(enum.IntEnum):
    """What a ``WSAAccept`` condition function returns."""
    CF_ACCEPT = 0x0000
    CF_REJECT = 0x0001
    CF_DEFER = 0x0002


globals().update(Decision.__members__)


class NetworkEvent(enum.IntFlag):
    """``WSAEventSelect`` network events."""
    FD_READ = 0x01
    FD_WRITE = 0x02
    FD_OOB = 0x04
    FD_ACCEPT = 0x08
    FD_CONNECT = 0x10
    FD_CLOSE = 0x20


globals().update(NetworkEvent.__members__)
FD_ALL = NetworkEvent.FD_READ | NetworkEvent.FD_ACCEPT | NetworkEvent.FD_CONNECT | NetworkEvent.FD_CLOSE

__all__ = ["WsaError", "SocketFlag", "ProviderFlag", "JoinFlag", "Decision", "NetworkEvent",
           "C_ROLES", "D_ROLES", "FD_ALL", *WsaError.__members__, *SocketFlag.__members__,
           *ProviderFlag.__members__, *JoinFlag.__members__, *Decision.__members__,
           *NetworkEvent.__members__]
