"""ATM signalling timers, their defaults and sources (protocols.md), and the options
schema of an ``atm`` session (``AtmOptions``).

| timer | started by | default | on expiry |
|---|---|---|---|
| T303 | SETUP sent | 4 s | SETUP once more; second expiry: WSAETIMEDOUT |
| T310 | CALL PROCEEDING received | 10 s | clear the call: WSAETIMEDOUT |
| T399 | ADD PARTY sent | 14 s | no retransmission: drop the party, WSAETIMEDOUT |
| T398 | DROP PARTY sent | 4 s | release the party locally |
| T331 | LEAF SETUP REQUEST sent | 60 s (unconfirmed) | once more; second expiry: WSAETIMEDOUT |

Sources: FreeBSD ngatm ``unidef.h``/``sig_party.c`` (T303, T310, T398, T399);
UNI 4.0 §6 (T331, value unconfirmed). ``t_detect`` — how long a switch takes to
notice that a signalling link is down — is SSCOP's Timer_NO-RESPONSE (Q.2110),
7 s by default (unconfirmed).

A session may set ``invite_timeout`` and/or ``retries`` to study a plain
stop-and-wait policy the standard does not have: every invitation (SETUP or
ADD PARTY) is sent again after ``invite_timeout`` (default T303) up to
``retries`` more times (default 1; ``inf`` for no limit), and CALL PROCEEDING
does not change the timer.

Every timer, ``invite_timeout`` included, is at least the limit ``min_period``
(``mpsim.core.limits``; 1 µs by default): a shorter one, with ``retries: inf``,
would freeze the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator, Field

from mpsim.core.errors import ParameterError
from mpsim.core.schema import MIN_PERIOD, Strict, named_period, parse_options
from mpsim.core.text import short

DEFAULTS = {"T303": 4.0, "T310": 10.0, "T398": 4.0, "T399": 14.0, "T331": 60.0, "t_detect": 7.0}


@dataclass(frozen=True, slots=True)
class AtmTimers:
    T303: float = 4.0
    T310: float = 10.0
    T398: float = 4.0
    T399: float = 14.0
    T331: float = 60.0
    t_detect: float = 7.0
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
    T303: Annotated[float | None, _period] = Field(None, description="SETUP sent: once more on expiry, "
                                                   f"then WSAETIMEDOUT (default 4 s; {MIN_PERIOD})")
    T310: Annotated[float | None, _period] = Field(None, description="CALL PROCEEDING received: clear "
                                                   f"on expiry (default 10 s; {MIN_PERIOD})")
    T398: Annotated[float | None, _period] = Field(None, description="DROP PARTY sent: release locally "
                                                   f"on expiry (default 4 s; {MIN_PERIOD})")
    T399: Annotated[float | None, _period] = Field(None, description="ADD PARTY sent: drop the party on "
                                                   f"expiry (default 14 s; {MIN_PERIOD})")
    T331: Annotated[float | None, _period] = Field(None, description="LEAF SETUP REQUEST sent: once "
                                                   f"more on expiry (default 60 s; {MIN_PERIOD})")
    t_detect: Annotated[float | None, _period] = Field(None, description="how long a switch takes to "
                                                       f"notice a broken link (default 7 s; {MIN_PERIOD})")
    invite_timeout: Annotated[float | None, _period] = Field(
        None, description=f"stop-and-wait study: resend every invitation after this (default T303; "
        f"{MIN_PERIOD})")
    retries: Annotated[int | float | None, BeforeValidator(_check_retries)] = Field(
        None, description="stop-and-wait study: resends of an invitation (default 1; an integer >= 0 "
        "or inf)")

    def params(self) -> AtmTimers:
        """The timers, defaults filled in."""
        return AtmTimers(**self.model_dump(exclude_none=True))


class AtmOptions(Strict):
    """The options of an ``atm`` session."""
    timers: AtmTimerOptions | None = Field(None, description="timer overrides of the provider "
                                           "defaults (spec/protocols.md)")

    def atm_timers(self) -> AtmTimers:
        return AtmTimers() if self.timers is None else self.timers.params()


def parse_timers(spec: dict | None) -> AtmTimers:
    """Timers from a session's ``timers`` mapping (durations with units; ``retries`` a count)."""
    return parse_options(AtmTimerOptions, spec, "atm timers").params()
