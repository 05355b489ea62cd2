"""The ``atm`` provider: ATM point-to-multipoint signalling (Q.2971, UNI 4.0)."""

from mpsim.protocols.atm.provider import AtmProvider
from mpsim.protocols.atm.timers import AtmOptions, AtmTimerOptions, AtmTimers, parse_timers

__all__ = ["AtmOptions", "AtmProvider", "AtmTimerOptions", "AtmTimers", "parse_timers"]
