"""SSCOP (ITU-T Q.2110) under atm signalling: every hop delivers reliably and in order.

Only what changes timing is modelled (protocols.md, "Signalling transport"):

- each directed hop numbers its messages (``AtmMessage.seq``, SSCOP's N(S));
- while any is unacknowledged the sender sends a POLL every Timer_POLL (carrying
  VT(S), the next number it will use); the first POLL of a busy period comes one
  Timer_POLL after the message that began it, as when SSCOP leaves its idle phase;
- the receiver answers each POLL with a STAT that acknowledges what it holds and
  lists the gaps, and sends an unsolicited USTAT at once when a message with a
  number beyond the highest expected reveals a new gap;
- the sender retransmits what a STAT or USTAT reports missing, unless it has sent
  it again since the POLL or message that the report answers (Q.2110's poll
  sequence numbers do this; here the message ids, which grow with time, do);
- messages after a gap wait at the receiver until it is filled; a duplicate is
  discarded (a ``net`` DROP record with reason ``duplicate``);
- a sender that has heard no STAT for Timer_NO-RESPONSE while polling declares
  the hop broken (the provider clears the parties crossing it, M21) and both
  directions of the hop start afresh.

Left out: connection set-up and resynchronisation (BGN/RS/ER), credit windows,
MaxPD, and the keep-alive and idle polls (Timer_KEEP-ALIVE, Timer_IDLE), which
only serve failure detection; the provider models that detection with the
session's ``no_response`` time after a failure instead.

One ``Saal`` serves one call (one session): each session's signalling runs over
SSCOP connections of its own, so each uses its own timers (per call, as the spec
asks). POLL, STAT and USTAT are packets of their own sizes (Q.2110 §7: POLL 8 B,
STAT 12 B plus 4 B per list element, USTAT 16 B) that cross, queue and can be lost
like any packet; they are ``proto`` records of the session without a join, so
they count in ``links.csv`` and ``message_counts`` but not in a join's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mpsim.net.packet import Packet

POLL = "POLL"
STAT = "STAT"
USTAT = "USTAT"
POLL_SIZE = 8
STAT_SIZE = 12
LIST_ELEMENT = 4
USTAT_SIZE = 16


@dataclass(frozen=True, slots=True)
class SscopMessage:
    """A POLL, STAT or USTAT of one call's SSCOP connection on one hop.

    ``ns``: POLL: VT(S), the next sequence number its sender will use; STAT: the
    receiver's VR(H), the number after the highest it knows of. ``nr``: STAT/USTAT:
    VR(R), every message below it is received. ``gaps``: STAT/USTAT: the missing
    numbers as ``(first missing, first present after)`` pairs. ``stamp``: STAT: the
    msg_id of the POLL it answers; USTAT: of the message that revealed the gap."""
    proto: ClassVar[str] = "atm"
    kind: str
    session: str
    ns: int = 0
    nr: int = 0
    gaps: tuple = ()
    stamp: int = 0


class _Sender:
    """The sending side of one directed hop: VT(S), what is unacknowledged, its timers."""

    __slots__ = ("vts", "unacked", "poll_timer", "silence_timer", "silent_at")

    def __init__(self):
        self.vts = 0
        #: seq -> (message, msg_id of its latest transmission, the ``cause`` its send was
        #: recorded with); not the packet, which is freed once delivered (a hop holds a
        #: poll interval of messages, most of them delivered long since)
        self.unacked: dict = {}
        self.poll_timer = None
        self.silence_timer = None
        #: When Timer_NO-RESPONSE expires (None while nothing is unacknowledged). One
        #: timer serves a hop across its busy periods: it runs to the deadline it was
        #: set for and, if a STAT has moved the deadline since, waits again.
        self.silent_at = None

    def stop(self) -> None:
        """Everything is acknowledged: no more polls; Timer_NO-RESPONSE stops (its timer,
        if pending, finds ``silent_at`` None and ends)."""
        if self.poll_timer is not None:
            self.poll_timer.cancel()
        self.poll_timer = None
        self.silent_at = None


class _Receiver:
    """The receiving side of one directed hop: VR(R), VR(H) and the messages held back."""

    __slots__ = ("vrr", "vrh", "held")

    def __init__(self):
        self.vrr = 0
        self.vrh = 0
        self.held: dict = {}           # seq -> packet waiting for a gap below it


def gap_ranges(start: int, stop: int, present) -> tuple:
    """The runs of numbers in ``[start, stop)`` not in ``present``, as ``(first, end)``
    pairs (``end`` exclusive).

    >>> gap_ranges(2, 9, {4, 5, 8})
    ((2, 4), (6, 8))
    """
    gaps, first = [], None
    for seq in range(start, stop):
        if seq in present:
            if first is not None:
                gaps.append((first, seq))
                first = None
        elif first is None:
            first = seq
    if first is not None:
        gaps.append((first, stop))
    return tuple(gaps)


def _missing(gaps, seq) -> bool:
    return any(first <= seq < end for first, end in gaps)


class Saal:
    """The SSCOP connections of one call, one per directed hop its signalling uses.

    Parameters
    ----------
    provider : AtmProvider
        Sends, records and receives for it; ``provider.control_arrived`` gets each
        message in order, ``provider.hop_silent(call, a, b)`` is told of a broken hop.
    call : AtmCall
    poll, no_response : float
        Timer_POLL and Timer_NO-RESPONSE, seconds.
    """

    def __init__(self, provider, call, poll: float, no_response: float):
        self.provider = provider
        self.call = call
        self.poll = poll
        self.no_response = no_response
        self.senders: dict = {}        # (a, b) -> _Sender at a for a -> b
        self.receivers: dict = {}      # (a, b) -> _Receiver at b for a -> b

    # -- sending ------------------------------------------------------------------------
    def number(self, src, dst) -> int:
        """The sequence number of the next message from ``src`` to ``dst``."""
        sender = self.senders.get((src, dst))
        if sender is None:
            sender = self.senders[(src, dst)] = _Sender()
        seq = sender.vts
        sender.vts += 1
        return seq

    def send(self, packet, src, dst, cause) -> None:
        """Transmit a numbered message (its send already recorded with ``cause``) and
        hold it until it is acknowledged."""
        sender = self.senders[(src, dst)]
        sender.unacked[packet.msg.seq] = (packet.msg, packet.msg_id, cause)
        if sender.poll_timer is None:
            sim = self.provider.sim
            sender.poll_timer = sim.timer(self.poll, self._poll_due, (src, dst))
            sender.silent_at = sim.now + self.no_response
            if sender.silence_timer is None:
                sender.silence_timer = sim.timer(self.no_response, self._silent, (src, dst, sender))
        self.provider.network.send_hop(packet, src, dst)

    def _poll_due(self, hop) -> None:
        sender = self.senders.get(hop)
        if sender is None or not sender.unacked:
            return
        sender.poll_timer = self.provider.sim.timer(self.poll, self._poll_due, hop)
        self._frame(POLL, hop[0], hop[1], POLL_SIZE, SscopMessage(POLL, self.call.name, ns=sender.vts))

    def _silent(self, arg) -> None:
        src, dst, sender = arg
        hop = (src, dst)
        if self.senders.get(hop) is not sender:      # the hop was reset since
            return
        sender.silence_timer = None
        if sender.silent_at is None:                 # acknowledged meanwhile
            return
        now = self.provider.sim.now
        if now < sender.silent_at:                   # a STAT moved the deadline
            sender.silence_timer = self.provider.sim.timer(sender.silent_at - now, self._silent, arg)
            return
        self.reset(*hop)
        self.provider.hop_silent(self.call, *hop)

    def _retransmit(self, sender, src, dst, seq) -> None:
        provider = self.provider
        msg, _msg_id, cause = sender.unacked[seq]
        outer, provider.cause = provider.cause, cause
        try:
            packet = provider.control_packet(msg, src, dst, join_id=msg.party, detail=msg.cause)
        finally:
            provider.cause = outer
        sender.unacked[seq] = (msg, packet.msg_id, cause)
        provider.network.send_hop(packet, src, dst)

    def _frame(self, kind, src, dst, size, msg, cause=None) -> None:
        provider = self.provider
        msg_id = next(provider._message_ids)
        provider.sent += 1
        provider.recorder.record(provider.sim.now, "proto", kind, host=src, peer=dst,
                                 session=self.call.name, msg_id=msg_id, cause=cause)
        provider.network.send_hop(Packet(size, msg, src, dst, True, msg_id), src, dst)

    # -- receiving ----------------------------------------------------------------------
    def arrived(self, packet, link) -> None:
        """A packet of this call reached ``link.dst`` from ``link.src``."""
        msg = packet.msg
        if isinstance(msg, SscopMessage):
            self._frame_arrived(packet, link)
        else:
            self._message_arrived(packet, link)

    def _message_arrived(self, packet, link) -> None:
        src, dst = link.src, link.dst
        seq = packet.msg.seq
        receiver = self.receivers.get((src, dst))
        if receiver is None:
            receiver = self.receivers[(src, dst)] = _Receiver()
        if seq == receiver.vrr and not receiver.held:       # in order, nothing held: the usual case
            receiver.vrr = seq + 1
            if receiver.vrh < seq + 1:
                receiver.vrh = seq + 1
            self.provider.control_arrived(packet, dst, src, packet.msg.party)
            return
        if seq < receiver.vrr or seq in receiver.held:
            provider = self.provider
            provider.recorder.record(provider.sim.now, "net", "DROP", host=src, peer=dst,
                                     detail=f"{packet.kind} (duplicate)", msg_id=packet.msg_id)
            return
        if seq > receiver.vrr:
            receiver.held[seq] = packet
            if seq > receiver.vrh:          # a new gap: report it at once
                gaps = ((receiver.vrh, seq),)
                self._report(USTAT, dst, src, USTAT_SIZE, receiver.vrr, gaps, packet.msg_id,
                             ns=seq + 1)
            receiver.vrh = max(receiver.vrh, seq + 1)
            return
        self._deliver(receiver, packet, link)

    def _deliver(self, receiver, packet, link) -> None:
        """Hand ``packet`` and every held message that follows it on, in order."""
        held = receiver.held
        arrived = self.provider.control_arrived
        while True:
            receiver.vrr += 1
            receiver.vrh = max(receiver.vrh, receiver.vrr)
            arrived(packet, link.dst, link.src, packet.msg.party)
            packet = held.pop(receiver.vrr, None)
            if packet is None:
                return

    def _frame_arrived(self, packet, link) -> None:
        provider = self.provider
        msg = packet.msg
        provider.delivered += 1
        provider.recorder.record(provider.sim.now, "proto", msg.kind, host=link.dst, peer=link.src,
                                 session=msg.session, detail="recv", msg_id=packet.msg_id)
        if msg.kind == POLL:
            self._poll_arrived(packet, link)
        else:
            self._report_arrived(packet, link)

    def _poll_arrived(self, packet, link) -> None:
        receiver = self.receivers.get((link.src, link.dst))
        if receiver is None:
            receiver = self.receivers[(link.src, link.dst)] = _Receiver()
        receiver.vrh = max(receiver.vrh, packet.msg.ns)
        gaps = gap_ranges(receiver.vrr, receiver.vrh, receiver.held)
        self._report(STAT, link.dst, link.src, STAT_SIZE + LIST_ELEMENT * 2 * len(gaps),
                     receiver.vrr, gaps, packet.msg_id, ns=receiver.vrh, cause=packet.msg_id)

    def _report(self, kind, src, dst, size, nr, gaps, stamp, ns, cause=None) -> None:
        self._frame(kind, src, dst, size, SscopMessage(kind, self.call.name, ns, nr, gaps, stamp),
                    cause)

    def _report_arrived(self, packet, link) -> None:
        """A STAT or USTAT at the sender of hop ``link.dst -> link.src``: forget what it
        acknowledges, retransmit what it reports missing."""
        hop = (link.dst, link.src)
        sender = self.senders.get(hop)
        if sender is None:
            return
        msg = packet.msg
        if msg.kind == STAT and sender.silent_at is not None:
            sender.silent_at = self.provider.sim.now + self.no_response
        unacked = sender.unacked
        for seq in [s for s in unacked if s < msg.nr
                    or (msg.kind == STAT and s < msg.ns and not _missing(msg.gaps, s))]:
            del unacked[seq]
        for first, end in msg.gaps:
            for seq in range(first, end):
                entry = unacked.get(seq)
                if entry is not None and entry[1] < msg.stamp:
                    self._retransmit(sender, hop[0], hop[1], seq)
        if not unacked:
            sender.stop()

    # -- the connection -----------------------------------------------------------------
    def reset(self, a, b) -> None:
        """Both directions of hop a-b start afresh (what they held is lost)."""
        for hop in ((a, b), (b, a)):
            sender = self.senders.pop(hop, None)
            if sender is not None:
                sender.stop()
                if sender.silence_timer is not None:
                    sender.silence_timer.cancel()
            self.receivers.pop(hop, None)
