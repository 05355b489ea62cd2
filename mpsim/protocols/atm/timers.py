"""ATM signalling timers, their defaults and sources (protocols.md).

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

from mpsim.core.errors import ParameterError
from mpsim.core.text import short
from mpsim.core.units import parse_period

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


def parse_timers(spec: dict | None) -> AtmTimers:
    """Timers from a session's ``timers`` mapping (durations with units; ``retries`` a count)."""
    spec = dict(spec or {})
    allowed = (*DEFAULTS, "invite_timeout", "retries")
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise ParameterError(f"unknown atm timer(s) {', '.join(map(short, unknown))}; allowed: "
                             + ", ".join(allowed))
    values = {}
    for name, value in spec.items():
        if name == "retries":
            if value in ("inf", "unlimited", math.inf):
                values[name] = math.inf
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParameterError(f"retries = {short(value)} is not allowed; allowed: an integer >= 0 "
                                     "or 'inf'")
            else:
                values[name] = value
        else:
            try:
                values[name] = parse_period(value)
            except ParameterError as exc:
                raise ParameterError(f"{name} = {exc}") from None
    return AtmTimers(**values)
