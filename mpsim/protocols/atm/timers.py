"""ATM signalling timers, their defaults and sources (protocols.md), and the options
schema of an ``atm`` session (``AtmOptions``).

The root is the calling user, so it runs the user-side values (Q.2931 Annex,
FreeBSD ngatm ``unidef.h``: ``T310U``, ``T399U``); the network side's are shorter.

| timer | runs at | started by | default | on expiry |
|---|---|---|---|---|
| T303 | root | SETUP sent | 4 s | SETUP once more; second expiry: WSAETIMEDOUT |
| T310 | root | CALL PROCEEDING received | 30 s (user side) | clear the call: WSAETIMEDOUT |
| T313 | leaf | CONNECT sent | 4 s | clear: the leaf's join fails (WSAETIMEDOUT) |
| T399 | root | ADD PARTY sent | 34 s (user side: T303 + T310) | drop the party, WSAETIMEDOUT |
| T398 | root | DROP PARTY sent | 4 s | release the party locally |
| T331 | leaf | LEAF SETUP REQUEST sent | 60 s (unconfirmed) | once more; second expiry: WSAETIMEDOUT |

Sources: FreeBSD ngatm ``unidef.h``/``sig_call.c``/``sig_party.c`` (T303, T310U,
T313, T398, T399U); UNI 4.0 §6 (T331, value unconfirmed).

The ``signalling`` block (``SignallingOptions``) chooses the transport under the
messages: SSCOP on every hop (the default: Timer_POLL 1 s, Timer_NO-RESPONSE 7 s,
FreeBSD HARP ``sscf_uni.c``), or ``unreliable`` — each message one packet that a
loss simply removes — to study end-to-end recovery alone. ``no_response`` is also
how long the switches take to notice a failed link in either mode.

Not standard (mpsim extensions for studies): ``invite_timeout`` and ``retries``
replace the standard's timers by a plain stop-and-wait policy: every invitation
(SETUP or ADD PARTY) is sent again after ``invite_timeout`` (default T303) up to
``retries`` more times (default 1; ``inf`` for no limit), and CALL PROCEEDING
does not change the timer.

Every timer, ``invite_timeout`` included, is at least the limit ``min_period``
(``mpsim.core.limits``; 1 µs by default): a shorter one, with ``retries: inf``,
would freeze the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from mpsim.core.errors import ParameterError
from mpsim.core.schema import MIN_PERIOD, Strict, named_period, parse_options
from mpsim.core.text import short

@dataclass(frozen=True, slots=True)
class AtmTimers:
    T303: float = 4.0
    T310: float = 30.0
    T313: float = 4.0
    T398: float = 4.0
    T399: float = 34.0
    T331: float = 60.0
    invite_timeout: float | None = None
    retries: float | None = None

    @property
    def study(self) -> bool:
        """Whether the session replaced the standard's timers with stop-and-wait."""
        return self.invite_timeout is not None or self.retries is not None

    @property
    def study_timeout(self) -> float:
        return self.T303 if self.invite_timeout is None else self.invite_timeout

    @property
    def study_retries(self) -> float:
        return 1 if self.retries is None else self.retries


def _check_retries(value):
    if value in ("inf", "unlimited", math.inf):
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParameterError(f"retries = {short(value)} is not allowed; allowed: an integer >= 0 "
                             "or 'inf'")
    return value


_check_retries.shows = "integer >= 0 or inf"
_period = named_period()


class AtmTimerOptions(Strict):
    """A session's ``timers:`` block (atm); a timer left out takes its default."""
    #: Fields that were here once, and where they went (the loader says so).
    moved_fields: ClassVar[dict] = {
        "t_detect": "it is now the session's signalling.no_response (SSCOP's Timer_NO-RESPONSE, "
                    "default 7 s), e.g. signalling: {no_response: 7s}"}
    T303: Annotated[float | None, _period] = Field(None, description="SETUP sent: once more on expiry, "
                                                   f"then WSAETIMEDOUT (default 4 s; {MIN_PERIOD})")
    T310: Annotated[float | None, _period] = Field(None, description="CALL PROCEEDING received: clear "
                                                   f"on expiry (default 30 s, user side; {MIN_PERIOD})")
    T313: Annotated[float | None, _period] = Field(None, description="the leaf's CONNECT sent: the leaf "
                                                   "clears if no CONNECT ACK comes (default 4 s; "
                                                   f"{MIN_PERIOD})")
    T398: Annotated[float | None, _period] = Field(None, description="DROP PARTY sent: release locally "
                                                   f"on expiry (default 4 s; {MIN_PERIOD})")
    T399: Annotated[float | None, _period] = Field(None, description="ADD PARTY sent: drop the party on "
                                                   f"expiry (default 34 s, user side; {MIN_PERIOD})")
    T331: Annotated[float | None, _period] = Field(None, description="LEAF SETUP REQUEST sent: once "
                                                   f"more on expiry (default 60 s; {MIN_PERIOD})")
    invite_timeout: Annotated[float | None, _period] = Field(
        None, description=f"not standard, a study: resend every invitation after this (default T303; "
        f"{MIN_PERIOD})")
    retries: Annotated[int | float | None, BeforeValidator(_check_retries)] = Field(
        None, description="not standard, a study: resends of an invitation (default 1; an integer "
        ">= 0 or inf)")

    def params(self) -> AtmTimers:
        """The timers, defaults filled in."""
        return AtmTimers(**self.model_dump(exclude_none=True))


@dataclass(frozen=True, slots=True)
class Signalling:
    """The transport under a session's signalling, defaults filled in."""
    transport: str = "sscop"
    poll: float = 1.0
    no_response: float = 7.0

    @property
    def reliable(self) -> bool:
        return self.transport == "sscop"


class SignallingOptions(Strict):
    """A session's ``signalling:`` block (atm)."""
    transport: Literal["sscop", "unreliable"] | None = Field(
        None, description="sscop: every hop delivers reliably and in order (Q.2110; the default); "
        "unreliable: a lost message is recovered only by the end-to-end timers (a study mode)")
    poll: Annotated[float | None, _period] = Field(None, description="SSCOP Timer_POLL: a sender with "
                                                   "unacknowledged messages polls this often "
                                                   f"(default 1 s; {MIN_PERIOD})")
    no_response: Annotated[float | None, _period] = Field(
        None, description="SSCOP Timer_NO-RESPONSE: a hop that answers no poll for this long is "
        f"broken; also how long switches take to notice a failed link (default 7 s; {MIN_PERIOD})")

    @model_validator(mode="after")
    def _answer_before_giving_up(self):
        signalling = self.params()
        if signalling.no_response <= signalling.poll:
            raise ValueError(f"no_response ({signalling.no_response:g} s) must be longer than poll "
                             f"({signalling.poll:g} s): a hop must have time to answer a POLL")
        return self

    def params(self) -> Signalling:
        return Signalling(**self.model_dump(exclude_none=True))


class AtmOptions(Strict):
    """The options of an ``atm`` session."""
    timers: AtmTimerOptions | None = Field(None, description="timer overrides of the provider "
                                           "defaults (spec/protocols.md)")
    signalling: SignallingOptions | None = Field(None, description="the transport under the "
                                                 "signalling: SSCOP (default) or unreliable")

    def atm_timers(self) -> AtmTimers:
        return AtmTimers() if self.timers is None else self.timers.params()

    def atm_signalling(self) -> Signalling:
        return Signalling() if self.signalling is None else self.signalling.params()


def parse_timers(spec: dict | None) -> AtmTimers:
    """Timers from a session's ``timers`` mapping (durations with units; ``retries`` a count)."""
    return parse_options(AtmTimerOptions, spec, "atm timers").params()
