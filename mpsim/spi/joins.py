"""The joins table: one row per join attempt, DESIGN.md's ``joins.csv``.

A ``Join`` changes only through its transition methods (``finish``,
``fd_connect``, ``first_data``, ``connected_without_data``, ``time_out``), so
the rules of when a row is decided live here, not in the providers.
"""

from __future__ import annotations

import enum

import pandas as pd

from mpsim.spi.constants import WsaError


class JoinMethod(enum.StrEnum):
    """The three ways a node joins (multipoint.md)."""
    ROOT_INVITE = "root_invite"
    LEAF_REQUEST = "leaf_request"
    NONROOTED = "nonrooted"


class JoinOutcome(enum.StrEnum):
    CONNECTED = "connected"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"
    PENDING = "pending"


METHODS = tuple(m.value for m in JoinMethod)
OUTCOMES = tuple(o.value for o in JoinOutcome)
COLUMNS = ("join_id", "session", "method", "root", "leaf", "t_request", "t_complete", "latency",
           "outcome", "error", "attempts", "messages", "t_first_data")

#: The outcome a completion error means.
OUTCOME_OF = {
    None: JoinOutcome.CONNECTED,
    WsaError.WSAECONNREFUSED: JoinOutcome.REJECTED,
    WsaError.WSAETIMEDOUT: JoinOutcome.TIMED_OUT,
    WsaError.WSAENETUNREACH: JoinOutcome.UNREACHABLE,
    WsaError.WSAECONNRESET: JoinOutcome.CANCELLED,
}


class Join:
    """One join attempt. ``attempts`` counts transmissions of the join request,
    ``messages`` every control message the join caused (originated, not forwarded)."""

    __slots__ = ("join_id", "session", "method", "root", "leaf", "t_request", "t_complete",
                 "outcome", "error", "attempts", "messages", "t_first_data")

    def __init__(self, join_id: int, session: str, method: str, root, leaf, t_request: float):
        self.join_id = join_id
        self.session = session
        self.method = JoinMethod(method)
        self.root = root
        self.leaf = leaf
        self.t_request = t_request
        self.t_complete = None
        self.outcome = JoinOutcome.PENDING
        self.error = None
        self.attempts = 0
        self.messages = 0
        self.t_first_data = None

    @property
    def done(self) -> bool:
        return self.outcome is not JoinOutcome.PENDING

    # -- transitions --------------------------------------------------------------
    def finish(self, time: float, error: WsaError | None = None, outcome: str | None = None) -> bool:
        """Record the end of the attempt (once; a second call is ignored and returns False)."""
        if self.done:
            return False
        self.t_complete = time
        self.error = error
        self.outcome = JoinOutcome(outcome) if outcome else OUTCOME_OF.get(error, JoinOutcome.CANCELLED)
        return True

    def fd_connect(self, time: float) -> None:
        """A non-rooted join's ``FD_CONNECT`` (at once, as Winsock gives it for IP
        multicast): ``t_complete`` is set, the row stays pending until data comes."""
        self.t_complete = time

    def first_data(self, time: float) -> bool:
        """Session data reached the member; the first time sets ``t_first_data`` and
        completes a pending non-rooted join. Returns whether it was the first."""
        if self.t_first_data is not None:
            return False
        self.t_first_data = time
        if self.method is JoinMethod.NONROOTED and not self.done:
            self.outcome = JoinOutcome.CONNECTED
        return True

    def connected_without_data(self) -> None:
        """A non-rooted join that will never receive (``JL_SENDER_ONLY``) is complete at once."""
        if not self.done:
            self.outcome = JoinOutcome.CONNECTED

    def time_out(self) -> None:
        """A pending non-rooted join got no data in time (``give_up``): timed out, with its
        ``t_complete`` (the FD_CONNECT) kept."""
        if not self.done:
            self.outcome = JoinOutcome.TIMED_OUT
            self.error = WsaError.WSAETIMEDOUT

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
            records.append((j.join_id, j.session, j.method.value, None if j.root is None else str(j.root),
                            str(j.leaf), j.t_request, j.t_complete, latency, j.outcome.value,
                            None if j.error is None else j.error.name, j.attempts, j.messages,
                            j.t_first_data))
        frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
        for name in ("t_complete", "latency", "t_first_data", "t_request"):
            frame[name] = frame[name].astype("float64")
        return frame
