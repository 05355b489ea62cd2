"""IGMP and PIM-SM parameters with their defaults and sources (protocols.md).

IGMP: RFC 2236 §8 (v2), RFC 3376 §8 (v3); Linux ``net/ipv4/igmp.c`` (v2 URI 10 s,
v3 URI 1 s). PIM-SM: RFC 7761 §4.11. Every value can be overridden per session
(``igmp:`` and ``pim:``); durations take units, and each is at least the limit
``min_period`` (``mpsim.core.limits``; 1 µs by default), so that no query,
report or refresh interval freezes the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from mpsim.core.errors import ParameterError
from mpsim.core.text import short
from mpsim.core.units import parse_period


@dataclass(frozen=True, slots=True)
class IgmpParams:
    version: int = 2
    robustness: int = 2
    query_interval: float = 125.0
    query_response_interval: float = 10.0
    startup_query_interval: float = 31.25
    startup_query_count: int = 2
    last_member_query_interval: float = 1.0
    last_member_query_count: int = 2
    unsolicited_report_interval: float = 10.0

    @property
    def group_membership_interval(self) -> float:
        """RV × QI + QRI (260 s by default)."""
        return self.robustness * self.query_interval + self.query_response_interval

    @property
    def other_querier_present_interval(self) -> float:
        return self.robustness * self.query_interval + self.query_response_interval / 2


@dataclass(frozen=True, slots=True)
class PimParams:
    t_periodic: float = 60.0
    holdtime: float = 210.0


_COUNTS = {"version", "robustness", "startup_query_count", "last_member_query_count"}


def _parse(cls, spec, what):
    spec = dict(spec or {})
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(spec) - set(names))
    if unknown:
        raise ParameterError(f"unknown {what} parameter(s) {', '.join(map(short, unknown))}; "
                             f"allowed: {', '.join(names)}")
    values = {}
    for name, value in spec.items():
        if name in _COUNTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ParameterError(f"{what}.{name} = {short(value)} is not allowed; allowed: an "
                                     "integer >= 1")
            values[name] = value
        else:
            try:
                values[name] = parse_period(value)
            except ParameterError as exc:
                raise ParameterError(f"{what}.{name} = {exc}") from None
    return values


def parse_igmp(spec) -> IgmpParams:
    """IGMP parameters; ``version`` 2 (default) or 3 picks that version's defaults."""
    values = _parse(IgmpParams, spec, "igmp")
    version = values.get("version", 2)
    if version not in (2, 3):
        raise ParameterError(f"igmp.version = {version!r} is not allowed; allowed: 2, 3")
    base = IgmpParams(version=version, unsolicited_report_interval=10.0 if version == 2 else 1.0)
    return replace(base, **values)


def parse_pim(spec) -> PimParams:
    return PimParams(**_parse(PimParams, spec, "pim"))
