"""The joins table: one row per join attempt, DESIGN.md's ``joins.csv``."""

from __future__ import annotations

import pandas as pd

from mpsim.spi.constants import WsaError

METHODS = ("root_invite", "leaf_request", "nonrooted")
OUTCOMES = ("connected", "rejected", "timed_out", "unreachable", "cancelled", "pending")
COLUMNS = ("join_id", "session", "method", "root", "leaf", "t_request", "t_complete", "latency",
           "outcome", "error", "attempts", "messages", "t_first_data")

#: The outcome a completion error means.
OUTCOME_OF = {
    None: "connected",
    WsaError.WSAECONNREFUSED: "rejected",
    WsaError.WSAETIMEDOUT: "timed_out",
    WsaError.WSAENETUNREACH: "unreachable",
    WsaError.WSAECONNRESET: "cancelled",
}


class Join:
    """One join attempt. ``attempts`` counts transmissions of the join request,
    ``messages`` every control message the join caused (originated, not forwarded)."""

    __slots__ = ("join_id", "session", "method", "root", "leaf", "t_request", "t_complete",
                 "outcome", "error", "attempts", "messages", "t_first_data")

    def __init__(self, join_id: int, session: str, method: str, root, leaf, t_request: float):
        self.join_id = join_id
        self.session = session
        self.method = method
        self.root = root
        self.leaf = leaf
        self.t_request = t_request
        self.t_complete = None
        self.outcome = "pending"
        self.error = None
        self.attempts = 0
        self.messages = 0
        self.t_first_data = None

    @property
    def done(self) -> bool:
        return self.outcome != "pending"

    def finish(self, time: float, error: WsaError | None = None, outcome: str | None = None) -> bool:
        """Record the end of the attempt (once; a second call is ignored and returns False)."""
        if self.outcome != "pending":
            return False
        self.t_complete = time
        self.error = error
        self.outcome = outcome or OUTCOME_OF.get(error, "cancelled")
        return True

    def __repr__(self) -> str:
        return f"Join({self.join_id}, {self.method}, {self.root}->{self.leaf}, {self.outcome})"


class JoinTable:
    """Every join attempt of a run, by id."""

    def __init__(self):
        self.rows: list[Join] = []

    def new(self, session: str, method: str, root, leaf, t_request: float) -> Join:
        join = Join(len(self.rows) + 1, session, method, root, leaf, t_request)
        self.rows.append(join)
        return join

    def __getitem__(self, join_id: int) -> Join:
        return self.rows[join_id - 1]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def frame(self) -> pd.DataFrame:
        """The table with DESIGN.md's columns; ``latency`` is ``t_complete - t_request``."""
        records = []
        for j in self.rows:
            latency = None if j.t_complete is None else j.t_complete - j.t_request
            records.append((j.join_id, j.session, j.method, None if j.root is None else str(j.root),
                            str(j.leaf), j.t_request, j.t_complete, latency, j.outcome,
                            None if j.error is None else j.error.name, j.attempts, j.messages,
                            j.t_first_data))
        frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
        for name in ("t_complete", "latency", "t_first_data", "t_request"):
            frame[name] = frame[name].astype("float64")
        return frame
