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
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from mpsim.core.errors import UnitError

_NUMBER = r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
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
        raise UnitError(f"{value!r} is not a {kind}; allowed: a number or a "
                        f"string with a unit in {', '.join(units)}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        match = _QUANTITY.match(value.strip())
        unit = match.group(2) if match else None
        if match is None or (unit and unit not in units):
            raise UnitError(f"{value!r} is not a {kind}; allowed: a number followed by "
                            f"one of {', '.join(units)} (e.g. '2{next(iter(units))}')")
        number = _scale(match.group(1), units[unit] if unit else 1)
    else:
        raise UnitError(f"{value!r} is not a {kind}; allowed: a number or a string "
                        f"with a unit in {', '.join(units)}")
    if not math.isfinite(number):
        raise UnitError(f"{value!r} is not a finite {kind}")
    return number


def _non_negative(number: float, value, kind: str) -> float:
    if number < 0:
        raise UnitError(f"{value!r} is a negative {kind}; allowed: >= 0")
    return number


def parse_duration(value) -> float:
    """A duration in seconds; ``"500us"``, ``"2ms"``, ``"1.5s"``, ``"2min"`` or seconds."""
    return _non_negative(_parse(value, DURATION_UNITS, "duration"), value, "duration")


def parse_rate(value) -> float:
    """A bit rate in bits/s; ``"64kbps"``, ``"100Mbps"``, ``"1Gbps"`` or bits/s. Must be > 0."""
    number = _parse(value, RATE_UNITS, "bit rate")
    if number <= 0:
        raise UnitError(f"{value!r} is not a positive bit rate; allowed: > 0")
    return number


def parse_size(value) -> int:
    """A size in whole bytes; ``"1500B"``, ``"1.5kB"``, ``"1MB"`` or bytes."""
    number = _non_negative(_parse(value, SIZE_UNITS, "size"), value, "size")
    if number != int(number):
        raise UnitError(f"{value!r} is not a whole number of bytes")
    return int(number)


def parse_frequency(value) -> float:
    """An event rate in 1/s; ``"10/s"``, ``"2/min"`` or events per second."""
    return _non_negative(_parse(value, FREQUENCY_UNITS, "rate"), value, "rate")


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
