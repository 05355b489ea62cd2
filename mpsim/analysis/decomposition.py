"""Where a join's latency goes: the critical path of its signalling, read from the trace.

Method
------
For each connected join the trace is walked backwards from the moment the join
was done to the moment it was asked for, along the chain of control messages
that caused each other, as the trace records it: a send's ``cause`` is the
message it answers or forwards, an indication's ``cause`` the message whose
arrival raised it (README, "Outputs").

1. **The end.** Rooted methods end with ``FD_CONNECT`` at ``t_complete``; the walk
   starts at the receipt that caused the indication. A ``nonrooted`` join ends at
   ``t_first_data``, which no control message causes; the walk starts at the last
   receipt of one of its control messages anywhere before then (typically the
   PIM Join reaching the first router on the tree, or the report reaching a
   designated router that is already on it).
2. **A hop** (receipt → its send, paired on ``msg_id`` by ``control_hops``) is network time. Its
   propagation is the mean propagation delay of the link, from ``link_delays``; the
   rest is transmission and queueing. A message sent end to end (conference) gets
   the smallest total propagation over the links of ``link_delays`` (mpsim routes
   by propagation delay by default). With no delay known the whole hop is
   reported as ``transmission_queueing_propagation``.
3. **A retransmission.** If the send is not the first of its kind from that node
   to that peer in this join, the time since the first is a retransmission wait
   (the timers that fired while earlier copies were lost), and the walk goes on
   from the first copy.
4. **At a node** the walk goes from a send to the receipt of its cause. If the
   node's socket layer indicated ``FD_ACCEPT`` for that message, the time from
   ``FD_ACCEPT`` to the last ``ACCEPT`` before the send is the admission decision
   (the root's for ``leaf_request``, the leaf's for ``root_invite``). Any other
   time spent at a node is ``other`` (router processing).
5. **The start.** A send with no cause of this join's (an application call sent
   it) is where the join's signalling began; the time from ``t_request`` to it
   is ``other`` (for example an invitation waiting for an earlier one under
   ``max_outstanding``).
6. **First data** (``nonrooted``): from the walk's first receipt to
   ``t_first_data`` the member waits for the next data packet to pass the node
   the Joins reached, and for it to come down the new branch: the reverse of the
   chain just walked. The propagation of that branch is counted as propagation;
   the rest (waiting for the packet, its transmission) is ``other``.

Every piece is a difference of consecutive times on one chain, so for each join
``propagation + transmission_queueing + transmission_queueing_propagation +
retransmission_waits + admission + other == latency`` (to rounding), and so do
their means. Propagation uses mean delays: with random link delays one join's
split is an estimate (a hop can come out with negative queueing), the mean over
many joins is not biased.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd

from mpsim.analysis.frames import METHODS, ROOTED, as_float, clean, events_frame, joins_frame
from mpsim.analysis.messages import control_hops

#: The parts of a latency, in the order they are reported.
PARTS = ("propagation", "transmission_queueing", "transmission_queueing_propagation",
         "retransmission_waits", "admission", "other")


def _delays_from(links, link_delays):
    if link_delays is not None:
        return {(str(s), str(d)): float(v) for (s, d), v in dict(link_delays).items()}
    if links is not None:
        for column in ("delay", "propagation"):
            if column in links:
                return {(str(s), str(d)): float(v)
                        for s, d, v in zip(links["src"], links["dst"], links[column], strict=True) if v == v}
    return None


class _Propagation:
    """Mean propagation between two nodes: the link's, else the least over the links."""

    def __init__(self, delays: dict):
        self.delays = delays
        self.out: dict = {}
        for (s, d), v in sorted(delays.items()):
            self.out.setdefault(s, []).append((d, v))
        self.cache: dict = {}

    def __call__(self, src, dst):
        value = self.delays.get((src, dst))
        if value is not None:
            return value
        if (src, dst) not in self.cache:
            self.cache[(src, dst)] = self._least(src, dst)
        return self.cache[(src, dst)]

    def _least(self, src, dst):
        best = {src: 0.0}
        queue = [(0.0, src)]
        while queue:
            d, node = heapq.heappop(queue)
            if node == dst:
                return d
            if d > best.get(node, math.inf):
                continue
            for nxt, v in self.out.get(node, ()):
                if d + v < best.get(nxt, math.inf):
                    best[nxt] = d + v
                    heapq.heappush(queue, (d + v, nxt))
        return None


class _JoinTrace:
    """One join's control messages (dict of column arrays, from ``control_hops``) and
    socket indications (``(row, time, host, event, cause)`` in recording order),
    indexed for the backward walk: by ``msg_id``, and the first copy of each
    (sender, receiver, kind)."""

    def __init__(self, hops: dict, spi: list):
        self.hops = hops
        self.spi = spi
        self.by_id: dict = {}             # msg_id -> hop index
        self.first_send: dict = {}        # (src, dst, kind) -> hop index of the first copy
        self.receipts: list = []          # (recv_row, hop index), for the non-rooted end
        for i, (src, dst, kind, recv_row, msg_id) in enumerate(zip(
                hops["src"], hops["dst"], hops["kind"], hops["recv_row"], hops["msg_id"],
                strict=True)):
            self.by_id[msg_id] = i
            self.first_send.setdefault((src, dst, kind), i)
            if recv_row >= 0:
                self.receipts.append((recv_row, i))

    def received(self, msg_id, at=None):
        """Hop index of message ``msg_id`` if it is this join's and was received (at
        ``at``, if given), else None."""
        i = self.by_id.get(msg_id)
        if i is None or self.hops["recv_row"][i] < 0 or (at is not None and self.hops["dst"][i] != at):
            return None
        return i

    def last_receipt_before(self, time):
        """Hop index of the last receipt anywhere at or before ``time``, or None."""
        best = None
        for row, i in self.receipts:
            if self.hops["t_recv"][i] <= time and (best is None or row > best[0]):
                best = (row, i)
        return None if best is None else best[1]

    def indications(self, node, event, after_row, before_row) -> list:
        """Indications ``event`` at ``node`` recorded strictly between two rows."""
        return [item for item in self.spi
                if item[2] == node and item[3] == event and after_row < item[0] < before_row]


def _end(trace: _JoinTrace, join, t_end):
    """Step 1: the receipt that completed the join (hop index, or None)."""
    tol = 1e-8 * max(1.0, abs(t_end))       # times read back from joins.csv: 9 digits
    if join["method"] not in ROOTED:
        return trace.last_receipt_before(t_end + tol)
    done = [item for item in trace.spi if item[3] == "FD_CONNECT" and item[1] <= t_end + tol]
    return trace.received(done[-1][4]) if done else None


def _hop(parts, trace: _JoinTrace, hop, t, propagation):
    """Steps 2 and 3: the network time of ``hop`` (received at ``t``), and the wait since
    the first copy if it was a retransmission. Returns the hop the walk goes on from."""
    hops = trace.hops
    t_send = hops["t_send"][hop]
    src, dst = hops["src"][hop], hops["dst"][hop]
    network = t - t_send
    prop = None if propagation is None else propagation(src, dst)
    if prop is None:
        parts["transmission_queueing_propagation"] += network
    else:
        parts["propagation"] += prop
        parts["transmission_queueing"] += network - prop
    first = trace.first_send[(src, dst, hops["kind"][hop])]
    if first != hop:
        parts["retransmission_waits"] += t_send - hops["t_send"][first]
    return first


def _at_node(parts, trace: _JoinTrace, hop, previous) -> None:
    """Step 4: the time at the node between receiving ``previous`` and sending ``hop``
    (its cause): the admission decision if the socket layer indicated FD_ACCEPT for
    it, the rest ``other``."""
    hops = trace.hops
    t_send, t_prev, node = hops["t_send"][hop], hops["t_recv"][previous], hops["src"][hop]
    cause = hops["msg_id"][previous]
    send_row = hops["send_row"][hop]
    indicated = [item for item in trace.indications(node, "FD_ACCEPT", hops["recv_row"][previous],
                                                    send_row) if item[4] == cause]
    if not indicated:
        parts["other"] += t_send - t_prev
        return
    row_indicated, t_indicated = indicated[0][0], indicated[0][1]
    accepts = trace.indications(node, "ACCEPT", row_indicated, send_row)
    t_decided = accepts[-1][1] if accepts else t_send
    parts["admission"] += t_decided - t_indicated
    parts["other"] += (t_send - t_prev) - (t_decided - t_indicated)


def _walk(trace: _JoinTrace, join, propagation) -> dict:
    """The parts of one join's latency (see the module docstring)."""
    parts = dict.fromkeys(PARTS, 0.0)
    hops = trace.hops
    t_request = join["t_request"]
    rooted = join["method"] in ROOTED
    t_end = join["t_complete"] if rooted else join["t_first_data"]
    latency = t_end - t_request
    hop = _end(trace, join, t_end)
    if hop is None:
        parts["other"] = latency
        return {**parts, "latency": latency, "hops": 0}
    t = t_start = hops["t_recv"][hop]
    branch = []                                    # links walked, sender -> receiver
    if rooted:
        parts["other"] += t_end - t
    while True:                                    # 2.-5.: back along the causes
        branch.append((hops["src"][hop], hops["dst"][hop]))
        hop = _hop(parts, trace, hop, t, propagation)
        previous = trace.received(hops["cause"][hop], at=hops["src"][hop])
        if previous is None:
            parts["other"] += hops["t_send"][hop] - t_request
            break
        _at_node(parts, trace, hop, previous)
        hop, t = previous, hops["t_recv"][previous]
    if not rooted:                                 # 6.: first data comes back down the branch
        _first_data(parts, branch, t_end - t_start, propagation)
    return {**parts, "latency": latency, "hops": len(branch)}


def _first_data(parts, branch, data, propagation) -> None:
    down = None if propagation is None else [propagation(d, s) for s, d in branch]
    if down is None or any(v is None for v in down):
        parts["other"] += data
    else:
        parts["propagation"] += sum(down)
        parts["other"] += data - sum(down)


def _empty_components(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c in ("session", "method") else float)
                         for c in columns})


def _traces(events, wanted) -> dict:
    """``{join_id: _JoinTrace}`` for the joins in ``wanted``."""
    hops = control_hops(events)
    hops = hops[hops["join_id"].isin(wanted)]
    spi = events_frame(events, layers=("spi",))
    spi = spi.assign(cause=as_float(events["cause"].reset_index(drop=True))[spi["row"].to_numpy()])
    spi = spi[spi["event"].isin(("FD_CONNECT", "FD_ACCEPT", "ACCEPT")) & spi["join_id"].isin(wanted)]
    spi = spi[spi["error"].isna() | (spi["event"] != "ACCEPT")]       # failed accepts decide nothing
    columns = ("src", "dst", "kind", "t_send", "t_recv", "send_row", "recv_row", "msg_id", "cause")
    hop_lists = {c: hops[c].tolist() for c in columns}
    hops_of: dict = {}
    for i, jid in enumerate(hops["join_id"].tolist()):
        hops_of.setdefault(jid, []).append(i)
    spi_of: dict = {}
    for item in zip(spi["join_id"].tolist(), spi["row"].tolist(), spi["time"].tolist(),
                    spi["host"].tolist(), spi["event"].tolist(), spi["cause"].tolist(), strict=True):
        spi_of.setdefault(item[0], []).append(item[1:])
    return {jid: _JoinTrace({c: [hop_lists[c][i] for i in hops_of.get(jid, [])] for c in columns},
                            spi_of.get(jid, []))
            for jid in wanted}


def latency_components(events: pd.DataFrame, joins: pd.DataFrame, links: pd.DataFrame | None = None,
                       link_delays: dict | None = None) -> pd.DataFrame:
    """Each connected join's latency split into the parts of ``PARTS`` (seconds).

    Parameters
    ----------
    events, joins, links : DataFrame
        The run's tables. If ``links`` has a ``delay`` column, it gives their propagation.
    link_delays : mapping, optional
        ``{(src, dst): mean propagation delay in s}`` per directed link, node ids as
        text. Without it (and without a ``delay`` column) propagation cannot be told
        apart from transmission and queueing: both are reported together as
        ``transmission_queueing_propagation`` and ``propagation`` and
        ``transmission_queueing`` are 0.

    Returns
    -------
    DataFrame
        ``join_id, session, method, latency`` (the figure of ``latency_table``),
        one column per part, and ``hops`` (control messages on the critical
        path). The parts of each row sum to its latency. See the module docstring
        for how the trace is read.
    """
    jf = joins_frame(joins)
    jf = jf[jf["outcome"] == "connected"]
    rooted = jf["method"].isin(ROOTED).to_numpy()
    jf = jf[rooted | np.isfinite(jf["t_first_data"].to_numpy())]
    columns = ["join_id", "session", "method", "latency", *PARTS, "hops"]
    if jf.empty:
        return _empty_components(columns)
    delays = _delays_from(links, link_delays)
    propagation = None if delays is None else _Propagation(delays)
    traces = _traces(events, {float(j) for j in jf["join_id"].tolist()})
    records = []
    for join in jf.to_dict("records"):
        parts = _walk(traces[float(join["join_id"])], join, propagation)
        records.append([join["join_id"], join["session"], join["method"], parts["latency"],
                        *(parts[p] for p in PARTS), parts["hops"]])
    frame = pd.DataFrame(records, columns=columns)
    if propagation is None:
        frame["propagation"] = np.nan
        frame["transmission_queueing"] = np.nan
    return frame


def latency_decomposition(events: pd.DataFrame, joins: pd.DataFrame, links: pd.DataFrame | None = None,
                          link_delays: dict | None = None) -> dict:
    """The mean latency of connected joins per method, split into its parts (for summary.json).

    Returns
    -------
    dict
        ``{method: {"n": joins, "latency": mean latency, "propagation": ...,
        "transmission_queueing": ..., "transmission_queueing_propagation": ...,
        "retransmission_waits": ..., "admission": ..., "other": ...}}`` in seconds, for
        each method with connected joins (root_invite, leaf_request, nonrooted
        first). ``propagation`` and ``transmission_queueing`` are None when no link
        delays were given (their sum is then in ``transmission_queueing_propagation``).
        The parts that are not None sum to ``latency``. See ``latency_components``.
    """
    frame = latency_components(events, joins, links, link_delays)
    out = {}
    methods = [m for m in METHODS if m in set(frame["method"])]
    methods += sorted(set(frame["method"]) - set(METHODS))
    for method in methods:
        rows = frame[frame["method"] == method]
        entry = {"n": int(len(rows)), "latency": clean(rows["latency"].mean())}
        for part in PARTS:
            entry[part] = clean(rows[part].mean()) if rows[part].notna().all() else None
        out[method] = entry
    return out
