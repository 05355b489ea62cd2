"""Control messages in a trace: counts by kind, and each hop's send paired with its outcome.

A control message hop appears in the events table as a send (layer ``proto``,
``host`` the sender, ``peer`` the next node, ``detail`` anything but ``"recv"``)
and, if it arrived, a receipt (``host`` the receiver, ``peer`` the sender,
``detail == "recv"``), both with the same ``event`` (the kind) and ``join_id``.
A control packet lost on the way leaves a ``net``/``DROP`` record on the link
(``host``→``peer``, ``detail`` ``"KIND (why)"``, no join id). Atm and ipmc send
hop by hop (sender and peer are neighbours); the conference provider sends end
to end (the peer is the far host, the drop names the link where it happened).
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
import pandas as pd

from mpsim.analysis.frames import events_frame

#: Columns of ``control_hops``.
HOP_COLUMNS = ("send_row", "t_send", "src", "dst", "kind", "session", "join_id",
               "recv_row", "t_recv", "drop_row", "t_drop", "drop_reason", "outcome")


def _split_drops(drops: pd.DataFrame) -> pd.DataFrame:
    detail = drops["detail"].fillna("").astype(str)
    kind = detail.str.split(" (", n=1, regex=False).str[0]
    reason = detail.str.extract(r"\(([^)]*)\)\s*$", expand=False)
    return drops.assign(kind=kind.to_numpy(dtype=object), reason=reason.to_numpy(dtype=object))


def message_counts(events: pd.DataFrame) -> pd.DataFrame:
    """Control messages by kind: hops sent, hops received, hops dropped.

    A message that crosses three links counts three times (``sent`` counts hops,
    as link load does). ``dropped`` counts ``net``/``DROP`` records of that kind
    (lost on a link, refused by a full queue or a down link, no route).

    Returns
    -------
    DataFrame
        ``kind, sent, received, dropped``, most sent first (ties by kind).

    Examples
    --------
    >>> ev = pd.DataFrame({"time": [0.0, 0.1, 0.1], "host": ["A", "B", "A"],
    ...     "layer": ["proto", "proto", "proto"], "event": ["SETUP", "SETUP", "SETUP"],
    ...     "peer": ["B", "A", "B"], "join_id": [1, 1, 1], "detail": [None, "recv", None]})
    >>> message_counts(ev).to_dict("records")
    [{'kind': 'SETUP', 'sent': 2, 'received': 1, 'dropped': 0}]
    """
    ev = events_frame(events, layers=("proto", "net"))
    proto = ev[ev["layer"] == "proto"]
    is_recv = (proto["detail"] == "recv").to_numpy()
    sent = proto[~is_recv]["event"].value_counts()
    received = proto[is_recv]["event"].value_counts()
    drops = _split_drops(ev[(ev["layer"] == "net") & (ev["event"] == "DROP")])
    dropped = drops["kind"].value_counts()
    kinds = sorted(set(sent.index) | set(received.index))
    frame = pd.DataFrame({"kind": kinds,
                          "sent": [int(sent.get(k, 0)) for k in kinds],
                          "received": [int(received.get(k, 0)) for k in kinds],
                          "dropped": [int(dropped.get(k, 0)) for k in kinds]})
    frame = frame.sort_values(["sent", "kind"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True).astype({"sent": np.int64, "received": np.int64,
                                                "dropped": np.int64})


def control_hops(events: pd.DataFrame, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every control message hop: its send paired with its receipt or its drop.

    Pairing. Sends and outcomes are grouped by (sender, receiver, kind).
    Where the pair is a link (it is in ``links``, or drops of that kind were
    recorded on it) the k-th send of the group pairs with its k-th outcome, a
    receipt or a drop, in recording order: links are FIFO and a lost control
    packet leaves a drop record. The pairing is checked (a receipt of the same
    join, not earlier than its send); a group where the check fails (a random
    delay reordered packets, an outcome was not recorded) and an end-to-end
    pair (conference) pair instead each receipt with the latest unpaired send of
    the same join before it, and each drop with the latest unpaired send before
    it: the copy a retransmission got through is the last one sent. An end-to-end
    message that never arrived gets the first unclaimed drop of its kind recorded
    after it (preferably on its sender's own link).

    Parameters
    ----------
    events : DataFrame
        The events table.
    links : DataFrame, optional
        The links table; only its ``src`` and ``dst`` are used, to know which pairs are links.

    Returns
    -------
    DataFrame
        One row per send, in recording order: ``send_row`` (position in ``events``),
        ``t_send``, ``src``, ``dst``, ``kind``, ``session``, ``join_id`` (NaN when
        none), ``recv_row``/``drop_row`` (−1 when none), ``t_recv``/``t_drop`` (NaN),
        ``drop_reason``, ``outcome`` (``"received"``, ``"dropped"``, or ``"unknown"``:
        in flight at the end, or lost without a record).
    """
    ev = events_frame(events, layers=("proto", "net"))
    proto = ev[ev["layer"] == "proto"]
    is_recv = (proto["detail"] == "recv").to_numpy()
    sends = proto[~is_recv].rename(columns={"host": "src", "peer": "dst", "event": "kind"})
    recvs = proto[is_recv].rename(columns={"peer": "src", "host": "dst", "event": "kind"})
    drops = _split_drops(ev[(ev["layer"] == "net") & (ev["event"] == "DROP")])
    drops = drops.rename(columns={"host": "src", "peer": "dst"})
    drops = drops[drops["kind"].isin(set(sends["kind"]))]

    n = len(sends)
    out = {"send_row": sends["row"].to_numpy(), "t_send": sends["time"].to_numpy(),
           "src": sends["src"].to_numpy(dtype=object), "dst": sends["dst"].to_numpy(dtype=object),
           "kind": sends["kind"].to_numpy(dtype=object),
           "session": sends["session"].to_numpy(dtype=object),
           "join_id": sends["join_id"].to_numpy()}
    recv_row = np.full(n, -1, dtype=np.int64)
    drop_row = np.full(n, -1, dtype=np.int64)
    t_recv = np.full(n, np.nan)
    t_drop = np.full(n, np.nan)
    reason = np.full(n, None, dtype=object)

    link_pairs = set()
    if links is not None and len(links):
        link_pairs = {(str(s), str(d)) for s, d in zip(links["src"], links["dst"])}
    # Per (src, dst, kind): sends as (row, time, join_id, position); outcomes as
    # (row, time, "recv"/"drop", join_id, reason), each in recording order.
    send_groups: dict = {}
    for k, item in enumerate(zip(out["src"].tolist(), out["dst"].tolist(), out["kind"].tolist(),
                                 out["send_row"].tolist(), out["t_send"].tolist(),
                                 out["join_id"].tolist())):
        send_groups.setdefault(item[:3], []).append((item[3], item[4], item[5], k))
    outcome_groups: dict = {}
    for src, dst, kind, row, time, join_id in zip(recvs["src"].tolist(), recvs["dst"].tolist(),
                                                  recvs["kind"].tolist(), recvs["row"].tolist(),
                                                  recvs["time"].tolist(), recvs["join_id"].tolist()):
        outcome_groups.setdefault((src, dst, kind), []).append((row, time, "recv", join_id, None))
    dropped_groups = set()
    for src, dst, kind, row, time, why in zip(drops["src"].tolist(), drops["dst"].tolist(),
                                              drops["kind"].tolist(), drops["row"].tolist(),
                                              drops["time"].tolist(), drops["reason"].tolist()):
        outcome_groups.setdefault((src, dst, kind), []).append((row, time, "drop", np.nan, why))
        dropped_groups.add((src, dst, kind))
    for group in dropped_groups:
        outcome_groups[group].sort(key=lambda item: item[0])

    claimed = set()
    end_to_end = []                              # sends not over one link, still without outcome
    for group, g_sends in send_groups.items():
        outcomes = outcome_groups.get(group, [])
        pairs = None
        if (group[0], group[1]) in link_pairs or group in dropped_groups:
            pairs = _fifo(g_sends, outcomes)
        if pairs is None:
            pairs = _latest(g_sends, outcomes)
            paired = {k for k, *_ in pairs}
            end_to_end += [(row, group, k) for row, _t, _j, k in g_sends if k not in paired]
        for k, what, row, time, why in pairs:
            if what == "recv":
                recv_row[k], t_recv[k] = row, time
            else:
                drop_row[k], t_drop[k], reason[k] = row, time, why
                claimed.add(row)
    # A message sent end to end (conference) that never arrived was dropped on some link of
    # its path: give it the first unclaimed drop of its kind after it, one on its sender's
    # first link preferred.
    loose: dict = {}
    for src, dst, kind, row, time, why in zip(drops["src"].tolist(), drops["dst"].tolist(),
                                              drops["kind"].tolist(), drops["row"].tolist(),
                                              drops["time"].tolist(), drops["reason"].tolist()):
        if row not in claimed:
            loose.setdefault(kind, []).append((row, time, why, src))
    for send_row, (src, _dst, kind), k in sorted(end_to_end):
        candidates = [d for d in loose.get(kind, ()) if d[0] > send_row]
        if candidates:
            pick = next((d for d in candidates if d[3] == src), candidates[0])
            loose[kind].remove(pick)
            drop_row[k], t_drop[k], reason[k] = pick[0], pick[1], pick[2]
    outcome = np.where(recv_row >= 0, "received", np.where(drop_row >= 0, "dropped", "unknown"))
    out.update(recv_row=recv_row, t_recv=t_recv, drop_row=drop_row, t_drop=t_drop,
               drop_reason=reason, outcome=outcome.astype(object))
    return pd.DataFrame(out, columns=list(HOP_COLUMNS))


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _fifo(sends, outcomes):
    """k-th send with k-th outcome, as (send position, what, row, time, reason); None if
    that is not consistent."""
    if len(outcomes) > len(sends):
        return None
    pairs = []
    for (send_row, t_send, join_id, k), (row, time, what, o_join, why) in zip(sends, outcomes):
        if row < send_row or time < t_send or (what == "recv" and not _same(o_join, join_id)):
            return None
        pairs.append((k, what, row, time, why))
    return pairs


def _latest(sends, outcomes):
    """Each outcome with the latest unpaired send before it (of the same join, for a receipt)."""
    rows = [s[0] for s in sends]
    free = [True] * len(sends)
    pairs = []
    for row, time, what, o_join, why in outcomes:
        for i in range(bisect_left(rows, row) - 1, -1, -1):
            if free[i] and (what == "drop" or _same(sends[i][2], o_join)):
                free[i] = False
                pairs.append((sends[i][3], what, row, time, why))
                break
    return pairs
