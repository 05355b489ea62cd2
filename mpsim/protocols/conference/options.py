"""The options of a ``conference`` session: its group's (``IpmcOptions``) and the timers of
its INVITE transactions (RFC 3261 §13, §17.1.1, §17.2.1)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mpsim.core.schema import MIN_PERIOD, Strict, named_period
from mpsim.protocols.ipmc.params import IpmcOptions

#: RFC 3261 §17.1.1: the first retransmission after T1, giving up after 64·T1 (Timer B);
#: the responder's final answer is resent from T1, doubling up to T2 (§13.3.1.4, §17.2.1),
#: until the ACK or 64·T1 (Timer H).
DEFAULT_T1 = 0.5
DEFAULT_T2 = 4.0
TIMEOUT_T1S = 64
#: How long a requester that heard 100 Trying waits for the final answer: 3 min, as SIP's
#: Timer C (RFC 3261 §16.6 step 11, "greater than 3 minutes").
DEFAULT_ANSWER_TIMEOUT = 180.0
#: RFC 3261 §17.2.1: 100 Trying goes at once unless the application answers within 200 ms.
TRYING_WITHIN = 0.2

_period = named_period()


class ConferenceTimers(Strict):
    """A conference session's ``timers:`` block."""
    T1: Annotated[float | None, _period] = Field(None, description="first retransmission of an "
                                                 "INVITE or JOIN REQUEST, each interval doubling; "
                                                 "also the first resend of a final answer "
                                                 f"(default 500 ms; {MIN_PERIOD})")
    T2: Annotated[float | None, _period] = Field(None, description="the longest interval between "
                                                 "copies of a final answer (ACCEPT / REJECT), "
                                                 "which is resent from T1, doubling up to T2, "
                                                 "until the ACK arrives or 64 x T1 have passed "
                                                 f"(default 4 s; {MIN_PERIOD})")
    timeout: Annotated[float | None, _period] = Field(None, description="a requester that has heard "
                                                      "nothing gives up with WSAETIMEDOUT after this "
                                                      "(SIP's Timer B; default 64 x T1; "
                                                      f"{MIN_PERIOD})")
    answer_timeout: Annotated[float | None, _period] = Field(
        None, description="a requester that has heard 100 Trying stops retransmitting and waits "
        "this long for the final answer, then withdraws with WSAETIMEDOUT (as SIP's Timer C; "
        f"default 180 s; {MIN_PERIOD})")

    def t1(self) -> float:
        return DEFAULT_T1 if self.T1 is None else self.T1

    def t2(self) -> float:
        return DEFAULT_T2 if self.T2 is None else self.T2

    def give_up_after(self) -> float:
        return TIMEOUT_T1S * self.t1() if self.timeout is None else self.timeout

    def answer_within(self) -> float:
        return DEFAULT_ANSWER_TIMEOUT if self.answer_timeout is None else self.answer_timeout


class ConferenceOptions(IpmcOptions):
    """The options of a ``conference`` session."""
    timers: ConferenceTimers | None = Field(None, description="the chair's and members' "
                                            "transaction timers (T1, T2, timeout, answer_timeout)")
