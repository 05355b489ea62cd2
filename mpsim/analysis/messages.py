"""Control messages in a trace: counts by kind, and each message's send with its outcome.

Every message a provider sends has a ``msg_id`` (README, "Outputs"). Its send is
a ``proto`` record (``host`` the sender, ``peer`` where it goes, ``detail``
anything but ``"recv"``), its receipt a ``proto`` record with ``detail ==
"recv"`` and the same ``msg_id``, and if the packet carrying it was dropped
(lost on a link, a full queue, a link down, no route), a ``net``/``DROP`` record
with that ``msg_id`` names the link where it happened. Pairing is therefore an
exact join on ``msg_id``. Atm, IGMP and PIM messages go one hop (a new id at
every hop, whose ``cause`` is the id it forwards); a conference message goes end
to end under one id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mpsim.analysis.frames import as_float, events_frame

#: Columns of ``control_hops``.
HOP_COLUMNS = ("send_row", "t_send", "src", "dst", "kind", "session", "join_id",
               "recv_row", "t_recv", "drop_row", "t_drop", "drop_reason", "outcome",
               "msg_id", "cause")


def _split_drops(drops: pd.DataFrame) -> pd.DataFrame:
    detail = drops["detail"].fillna("").astype(str)
    kind = detail.str.split(" (", n=1, regex=False).str[0]
    reason = detail.str.extract(r"\(([^)]*)\)\s*$", expand=False)
    return drops.assign(kind=kind.to_numpy(dtype=object), reason=reason.to_numpy(dtype=object))


def _with_ids(ev: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """``ev`` (an ``events_frame`` of ``events``) with float ``msg_id`` and ``cause``."""
    if "msg_id" not in events:
        raise ValueError("the events table has no msg_id column (it was written before mpsim "
                         "recorded message ids): run the scenario again")
    rows = ev["row"].to_numpy()
    ids = as_float(events["msg_id"].reset_index(drop=True))[rows]
    causes = as_float(events["cause"].reset_index(drop=True))[rows] if "cause" in events else np.nan
    return ev.assign(msg_id=ids, cause=causes)


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
    """Every control message sent, paired by ``msg_id`` with its receipt or its drop.

    Parameters
    ----------
    events : DataFrame
        The events table (with ``msg_id`` and ``cause``).
    links : DataFrame, optional
        Not needed any more (pairing is exact); accepted for callers that pass it.

    Returns
    -------
    DataFrame
        One row per send, in recording order: ``send_row`` (position in ``events``),
        ``t_send``, ``src``, ``dst``, ``kind``, ``session``, ``join_id`` (NaN when
        none), ``recv_row``/``drop_row`` (−1 when none), ``t_recv``/``t_drop`` (NaN),
        ``drop_reason``, ``outcome`` (``"received"``, ``"dropped"``, or ``"unknown"``:
        still in flight at the end), ``msg_id``, ``cause`` (NaN when a timer or an
        application sent it).

    Raises
    ------
    ValueError
        If a receipt or a drop names a message that was never sent, or a message was
        received or dropped twice: the trace is not one mpsim wrote.
    """
    ev = _with_ids(events_frame(events, layers=("proto", "net")), events)
    proto = ev[ev["layer"] == "proto"]
    is_recv = (proto["detail"] == "recv").to_numpy()
    sends = proto[~is_recv]
    recvs = proto[is_recv][["msg_id", "row", "time"]]
    drops = _split_drops(ev[(ev["layer"] == "net") & (ev["event"] == "DROP")
                            & ev["msg_id"].isin(sends["msg_id"])])[["msg_id", "row", "time", "reason"]]
    _check_pairs(sends, recvs, drops)
    hops = pd.DataFrame({"send_row": sends["row"].to_numpy(), "t_send": sends["time"].to_numpy(),
                         "src": sends["host"].to_numpy(dtype=object),
                         "dst": sends["peer"].to_numpy(dtype=object),
                         "kind": sends["event"].to_numpy(dtype=object),
                         "session": sends["session"].to_numpy(dtype=object),
                         "join_id": sends["join_id"].to_numpy(),
                         "msg_id": sends["msg_id"].to_numpy(), "cause": sends["cause"].to_numpy()})
    hops = hops.merge(recvs.rename(columns={"row": "recv_row", "time": "t_recv"}), on="msg_id",
                      how="left", validate="one_to_one")
    hops = hops.merge(drops.rename(columns={"row": "drop_row", "time": "t_drop",
                                            "reason": "drop_reason"}),
                      on="msg_id", how="left", validate="one_to_one")
    received, dropped = hops["recv_row"].notna().to_numpy(), hops["drop_row"].notna().to_numpy()
    hops["recv_row"] = hops["recv_row"].fillna(-1).astype(np.int64)
    hops["drop_row"] = hops["drop_row"].fillna(-1).astype(np.int64)
    hops["drop_reason"] = hops["drop_reason"].astype(object).where(dropped, None)
    hops["outcome"] = np.where(received, "received", np.where(dropped, "dropped", "unknown")).astype(object)
    return hops[list(HOP_COLUMNS)]


def _check_pairs(sends, recvs, drops) -> None:
    if sends["msg_id"].isna().any() or not sends["msg_id"].is_unique:
        raise ValueError("control message sends without a msg_id, or two sends with one")
    known = set(sends["msg_id"])
    stray = recvs[~recvs["msg_id"].isin(known)]
    if len(stray):
        raise ValueError(f"{len(stray)} receipt(s) of messages never sent, e.g. row "
                         f"{int(stray['row'].iloc[0])}")
    for what, table in (("received", recvs), ("dropped", drops)):
        twice = table["msg_id"].duplicated()
        if twice.any():
            raise ValueError(f"message {int(table['msg_id'][twice].iloc[0])} {what} twice")
    both = set(recvs["msg_id"]) & set(drops["msg_id"])
    if both:
        raise ValueError(f"message {int(min(both))} both received and dropped")
