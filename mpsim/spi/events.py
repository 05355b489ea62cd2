"""What a provider may tell a socket: the provider -> socket half of the SPI.

Sockets call their provider (``mpsim.spi.provider.Provider``); a provider answers
only through these callbacks, each of which the socket turns into Winsock's
indications (recorded in the trace) and its own state changes. A provider never
sets a socket's attributes or changes a ``Join`` itself, except through the
``Join`` transition methods (``mpsim.spi.joins.Join``) and these callbacks.
"""

from __future__ import annotations

from typing import Protocol


class SocketEvents(Protocol):
    """The callbacks of ``MultipointSocket`` that providers use."""

    def request_arrived(self, incoming) -> None:
        """An invitation (at a listening c_leaf) or an admission request (at a listening
        c_root) arrived: it is queued for ``accept`` and ``FD_ACCEPT`` is indicated."""

    def request_withdrawn(self, incoming) -> None:
        """The requester gave up on a queued request; a later ``accept`` of it fails with
        ``WSAEACCES`` (M6)."""

    def join_completed(self, join, error=None, leaf_socket=None, peer=None) -> None:
        """A join this socket made is decided: ``FD_CONNECT`` with ``error`` (None for
        success). At a root, ``leaf_socket`` is the per-leaf socket the join completes."""

    def party_completed(self, join, error=None) -> None:
        """Way 2 at the root: the party of an accepted request is connected (or failed);
        its outstanding slot is free again (M4). No indication: the leaf's join is the
        leaf's."""

    def group_joined(self, join) -> None:
        """A non-rooted join's ``FD_CONNECT``, which Winsock gives at once (Way 3)."""

    def closed_by_peer(self, error=None, peer=None) -> None:
        """The session, or this leaf's membership, ended from the other side: ``FD_CLOSE``
        with ``error`` (M18–M21)."""

    def data_arrived(self, size: int, join=None, peer=None) -> None:
        """Session data for this socket (``FD_READ`` when re-enabled); the first data of
        ``join`` sets its ``t_first_data``."""
