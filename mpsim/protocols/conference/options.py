"""The options of a ``conference`` session: its group's (``IpmcOptions``) and the chair's
retransmission timers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mpsim.core.schema import MIN_PERIOD, Strict, named_period
from mpsim.protocols.ipmc.params import IpmcOptions

#: RFC 3261 §17.1.1: the first retransmission after T1, giving up after 64·T1.
DEFAULT_T1 = 0.5
TIMEOUT_T1S = 64

_period = named_period()


class ConferenceTimers(Strict):
    """A conference session's ``timers:`` block."""
    T1: Annotated[float | None, _period] = Field(None, description="first retransmission of an "
                                                 "INVITE or JOIN REQUEST; each interval doubles "
                                                 f"(default 500 ms; {MIN_PERIOD})")
    timeout: Annotated[float | None, _period] = Field(None, description="the requester gives up "
                                                      "with WSAETIMEDOUT after this (default "
                                                      f"64 x T1; {MIN_PERIOD})")

    def t1(self) -> float:
        return DEFAULT_T1 if self.T1 is None else self.T1

    def give_up_after(self) -> float:
        return TIMEOUT_T1S * self.t1() if self.timeout is None else self.timeout


class ConferenceOptions(IpmcOptions):
    """The options of a ``conference`` session."""
    timers: ConferenceTimers | None = Field(None, description="the chair's and members' "
                                            "retransmission timers (T1, timeout)")
