"""Units at the edges, canonical inside: seconds, bits per second, bytes, 1/s.

Parsing of ``"2ms"``, ``"100Mbps"``, ``"1500B"``, ``"10/s"`` lives here and only
here; the model works in floats of canonical units. A bare number is already
canonical (seconds, bits/s, bytes or 1/s).

>>> parse_duration("2ms")
0.002
>>> parse_rate("100Mbps")
100000000.0
>>> parse_size("1.5kB")
1500
>>> parse_frequency("10/s")
10.0
>>> tx_time(100, 1e6)
0.0008

Timers, intervals and rates have a floor and a ceiling (``mpsim.core.limits``:
``min_period``, ``max_rate``), so that no scenario freezes the clock with a
1e-300 s timer or a 1e300/s rate:

>>> parse_period("1s")
1.0
>>> parse_period("1e-300")
Traceback (most recent call last):
...
mpsim.core.errors.UnitError: '1e-300' is shorter than 1e-06 s, the shortest timer, interval or period mpsim runs (limit min_period: a shorter one would freeze the clock); allowed: a duration >= 1e-06 s (to allow shorter, set MPSIM_LIMIT_MIN_PERIOD or pass --limit min_period=N)
>>> parse_event_rate("50/s")
50.0
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from mpsim.core import limits
from mpsim.core.errors import UnitError
from mpsim.core.text import short

_NUMBER = r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
_QUANTITY = re.compile(_NUMBER + r"\s*([A-Za-zµ/]*)\s*$")

DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0,
                  "min": 60.0, "h": 3600.0}
RATE_UNITS = {"bps": 1.0, "kbps": 1e3, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9}
SIZE_UNITS = {"B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3,
              "KiB": 1024, "MiB": 1024**2}
FREQUENCY_UNITS = {"/s": 1.0, "/min": 1 / 60.0, "/h": 1 / 3600.0, "Hz": 1.0}


def _scale(digits: str, factor) -> float:
    """``digits × factor`` in decimal, so that "1.001kB" is exactly 1001 bytes."""
    return float(Decimal(digits) * Decimal(repr(factor)))


def _parse(value, units: dict, kind: str) -> float:
    if isinstance(value, bool):
        raise UnitError(f"{short(value)} is not a {kind}; allowed: a number or a "
                        f"string with a unit in {', '.join(units)}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        match = _QUANTITY.match(value.strip())
        unit = match.group(2) if match else None
        if match is None or (unit and unit not in units):
            raise UnitError(f"{short(value)} is not a {kind}; allowed: a number followed by "
                            f"one of {', '.join(units)} (e.g. '2{next(iter(units))}')")
        number = _scale(match.group(1), units[unit] if unit else 1)
    else:
        raise UnitError(f"{short(value)} is not a {kind}; allowed: a number or a string "
                        f"with a unit in {', '.join(units)}")
    if not math.isfinite(number):
        raise UnitError(f"{short(value)} is not a finite {kind}")
    return number


def _non_negative(number: float, value, kind: str) -> float:
    if number < 0:
        raise UnitError(f"{short(value)} is a negative {kind}; allowed: >= 0")
    return number


def parse_duration(value) -> float:
    """A duration in seconds; ``"500us"``, ``"2ms"``, ``"1.5s"``, ``"2min"`` or seconds."""
    return _non_negative(_parse(value, DURATION_UNITS, "duration"), value, "duration")


def parse_rate(value) -> float:
    """A bit rate in bits/s; ``"64kbps"``, ``"100Mbps"``, ``"1Gbps"`` or bits/s. Must be > 0."""
    number = _parse(value, RATE_UNITS, "bit rate")
    if number <= 0:
        raise UnitError(f"{short(value)} is not a positive bit rate; allowed: > 0")
    return number


def parse_size(value) -> int:
    """A size in whole bytes; ``"1500B"``, ``"1.5kB"``, ``"1MB"`` or bytes."""
    number = _non_negative(_parse(value, SIZE_UNITS, "size"), value, "size")
    if number != int(number):
        raise UnitError(f"{short(value)} is not a whole number of bytes")
    return int(number)


def parse_frequency(value) -> float:
    """An event rate in 1/s; ``"10/s"``, ``"2/min"`` or events per second."""
    return _non_negative(_parse(value, FREQUENCY_UNITS, "rate"), value, "rate")


def check_period(seconds: float, value=None) -> float:
    """``seconds`` if it is at least limit ``min_period``: the floor of every timer,
    retransmission interval and period between sends (``value`` is what the user wrote)."""
    floor = limits.get("min_period")
    if not seconds >= floor:
        shown = short(value) if value is not None else f"{seconds:g} s"
        raise UnitError(f"{shown} is shorter than {floor:g} s, the shortest timer, interval or period "
                        f"mpsim runs (limit min_period: a shorter one would freeze the clock); "
                        f"allowed: a duration >= {floor:g} s (to allow shorter, set "
                        f"{limits.LIMITS['min_period'].variable} or pass --limit min_period=N)")
    return seconds


def parse_period(value) -> float:
    """A timer, interval or period in seconds: a duration of at least limit ``min_period``."""
    return check_period(parse_duration(value), value)


def parse_period_or_zero(value) -> float:
    """A delay that is either 0 (none) or a period (at least limit ``min_period``)."""
    seconds = parse_duration(value)
    return seconds if seconds == 0 else check_period(seconds, value)


def check_event_rate(rate: float, value=None) -> float:
    """``rate`` (1/s) if it is > 0, at most limit ``max_rate``, and its period ``1/rate`` is
    at least limit ``min_period``."""
    shown = short(value) if value is not None else f"{rate:g}/s"
    if not rate > 0:
        raise UnitError(f"{shown} is not a positive rate; allowed: a rate > 0, e.g. '10/s'")
    if not math.isfinite(1.0 / rate):
        raise UnitError(f"{shown} is so small a rate that its period 1/rate is not a finite number; "
                        "allowed: a rate > 1e-300/s")
    if rate > limits.get("max_rate"):
        raise UnitError(f"{shown}: " + limits.exceeded("max_rate", rate, "the rate"))
    try:
        check_period(1.0 / rate)
    except UnitError as exc:
        raise UnitError(f"{shown}: one event every {exc}") from None
    return rate


def parse_event_rate(value) -> float:
    """A packet or event rate in 1/s (``"10/s"``): > 0 and at most limit ``max_rate``."""
    return check_event_rate(parse_frequency(value), value)


def parse_packet_size(value) -> int:
    """A packet's size in whole bytes, > 0."""
    size = parse_size(value)
    if size <= 0:
        raise UnitError(f"{short(value)} is not a packet size; allowed: a size > 0 bytes, e.g. '100B'")
    return size


def tx_time(size_bytes: int, rate_bps: float) -> float:
    """Serialization time in seconds of ``size_bytes`` at ``rate_bps``.

    >>> tx_time(1500, 12e6)
    0.001
    """
    return size_bytes * 8 / rate_bps


def format_duration(seconds: float) -> str:
    """A short human string for a duration: ``0.0324`` -> ``'32.4 ms'``."""
    magnitude = abs(seconds)
    if magnitude == 0:
        return "0 s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if magnitude >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-9:.4g} ns"
