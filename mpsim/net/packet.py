"""The one per-packet object: a small slotted record around a protocol's message."""

from __future__ import annotations


class Packet:
    """A packet on the wire.

    Attributes
    ----------
    size : int
        Bytes on the wire (serialization time is ``8 * size / bandwidth``).
    msg : object
        The protocol's own message (a frozen dataclass with a ``proto`` class
        attribute that names the receiving protocol, and a ``kind``).
    src, dst : node id
        Originating node and destination (a node for unicast; unused on a tree).
    trace : bool
        Record a ``DROP`` event if this packet is lost (control messages set it;
        data packets do not, unless packet tracing is on).
    msg_id : int or None
        The id of the message in the trace (``Simulation.message_ids``): the
        ``msg_id`` of its send, receipt and ``net`` records.
    ttl : int or None
        IP's time to live (a multicast scope), None for no limit: see ``forwarded``.

    A multicast packet is one object shared by all its copies: routers copy
    the reference at branch points, nothing per copy is allocated (a packet
    with a TTL gets one new object per router that forwards it, as the TTL of
    each copy is its own).
    """

    __slots__ = ("size", "msg", "src", "dst", "trace", "msg_id", "ttl")

    def __init__(self, size: int, msg=None, src=None, dst=None, trace: bool = False, msg_id=None,
                 ttl: int | None = None):
        self.size = size
        self.msg = msg
        self.src = src
        self.dst = dst
        self.trace = trace
        self.msg_id = msg_id
        self.ttl = ttl

    def forwarded(self) -> Packet | None:
        """The copy a router sends on, with TTL one less; None if the TTL is spent.

        IP's rule: the sender sets the TTL t; each router that forwards the packet
        decrements it, and a router that receives it with TTL 1 forwards it nowhere
        (hosts accept any copy that reaches them). So a packet crosses at most t links,
        t - 1 routers. Only called for packets that have a TTL.

        >>> p = Packet(100, ttl=2)
        >>> p.forwarded().ttl, p.ttl, p.forwarded().forwarded()
        (1, 2, None)
        """
        ttl = self.ttl
        if ttl <= 1:
            return None
        return Packet(self.size, self.msg, self.src, self.dst, self.trace, self.msg_id, ttl - 1)

    @property
    def kind(self) -> str:
        return getattr(self.msg, "kind", type(self.msg).__name__)

    def __repr__(self) -> str:
        return f"Packet({self.kind}, {self.size} B, {self.src!r}->{self.dst!r})"
