"""IGMP and PIM-SM parameters with their defaults and sources (protocols.md), and the
options schema of an IP multicast session (``IpmcOptions``).

IGMP: RFC 2236 §8 (v2), RFC 3376 §8 (v3); Linux ``net/ipv4/igmp.c`` (v2 URI 10 s,
v3 URI 1 s). PIM-SM: RFC 7761 §4.11. Every value can be overridden per session
(``igmp:`` and ``pim:``); durations take units, and each is at least the limit
``min_period`` (``mpsim.core.limits``; 1 µs by default), so that no query,
report or refresh interval freezes the clock.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import BeforeValidator, Field, StrictBool, field_validator

from mpsim.core.errors import ParameterError
from mpsim.core.schema import (MIN_PERIOD, Period, Strict, TopologyNode, count_validator, named_count,
                               named_period, node_validator, parse_options)
from mpsim.core.text import short


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


def _check_version(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(f"igmp.version = {short(value)} is not allowed; allowed: an integer >= 1")
    if value not in (2, 3):
        raise ParameterError(f"igmp.version = {value!r} is not allowed; allowed: 2, 3")
    return value


_check_version.shows = "2 | 3"
_version = BeforeValidator(_check_version)
_count = named_count("igmp.")
_period = named_period("igmp.")


class IgmpOptions(Strict):
    """A session's ``igmp:`` block; a parameter left out takes its version's default."""
    version: Annotated[int | None, _version] = Field(None, description="2 (default) or 3; picks that "
                                                     "version's defaults")
    robustness: Annotated[int | None, _count] = Field(None, description="robustness variable "
                                                      "(default 2)")
    query_interval: Annotated[float | None, _period] = Field(
        None, description=f"general query interval (default 125 s; {MIN_PERIOD})")
    query_response_interval: Annotated[float | None, _period] = Field(
        None, description=f"max response time of a general query (default 10 s; {MIN_PERIOD})")
    startup_query_interval: Annotated[float | None, _period] = Field(
        None, description=f"interval of the startup queries (default 31.25 s; {MIN_PERIOD})")
    startup_query_count: Annotated[int | None, _count] = Field(None, description="startup queries "
                                                               "(default 2)")
    last_member_query_interval: Annotated[float | None, _period] = Field(
        None, description=f"interval of the group-specific queries after a leave (default 1 s; "
        f"{MIN_PERIOD})")
    last_member_query_count: Annotated[int | None, _count] = Field(
        None, description="group-specific queries after a leave (default 2)")
    unsolicited_report_interval: Annotated[float | None, _period] = Field(
        None, description=f"spread of a new member's repeated reports (default 10 s for v2, 1 s "
        f"for v3; {MIN_PERIOD})")


class PimOptions(Strict):
    """A session's ``pim:`` block."""
    t_periodic: Annotated[float | None, named_period("pim.")] = Field(
        None, description=f"Join refresh period (default 60 s; {MIN_PERIOD})")
    holdtime: Annotated[float | None, named_period("pim.")] = Field(
        None, description=f"downstream state expires this long after its last Join (default "
        f"210 s; {MIN_PERIOD})")


def igmp_params(options: IgmpOptions | None) -> IgmpParams:
    """IGMP parameters; ``version`` 2 (default) or 3 picks that version's defaults."""
    values = {} if options is None else options.model_dump(exclude_none=True)
    version = values.get("version", 2)
    base = IgmpParams(version=version, unsolicited_report_interval=10.0 if version == 2 else 1.0)
    return replace(base, **values)


def pim_params(options: PimOptions | None) -> PimParams:
    return PimParams(**({} if options is None else options.model_dump(exclude_none=True)))


def parse_igmp(spec) -> IgmpParams:
    """IGMP parameters from an ``igmp`` mapping (durations with units)."""
    return igmp_params(parse_options(IgmpOptions, spec, "igmp"))


def parse_pim(spec) -> PimParams:
    """PIM parameters from a ``pim`` mapping (durations with units)."""
    return pim_params(parse_options(PimOptions, spec, "pim"))


def _check_group(value):
    if value is None:
        return value
    try:
        multicast = ipaddress.ip_address(value).is_multicast
    except ValueError:
        multicast = False
    if not multicast:
        raise ValueError(f"{short(value)} is not an IP multicast group address; allowed: an address "
                         "in 224.0.0.0/4 (e.g. 239.1.1.1) or ff00::/8")
    return value


class IpmcOptions(Strict):
    """The options of an ``ipmc`` session (and of a conference's group)."""
    group: str | None = Field(None, description="IP multicast group address")
    rp: TopologyNode = Field(description="rendezvous point (a topology node)")
    igmp: IgmpOptions | None = Field(None, description="IGMP parameters, e.g. {version: 3}; each "
                                     f"interval {MIN_PERIOD}")
    pim: PimOptions | None = Field(None, description=f"PIM parameters (t_periodic, holdtime), each "
                                   f"{MIN_PERIOD}")
    scope: int | None = Field(None, ge=1, description="the data's IP TTL (M17): each router that "
                              "forwards a packet decrements it, one that gets it with TTL 1 "
                              "forwards it no further; so a member gets data iff the data's path "
                              "to it, through the RP, has at most `scope` links, and 1 never "
                              "leaves the sender's access link (default none: no limit; "
                              "Winsock's default is 1)")
    loopback: StrictBool = Field(True, description="a sender also receives its own data (M15)")
    give_up: Period | None = Field(None, description="a non-rooted join with no data by then is "
                                   f"timed_out ({MIN_PERIOD})")

    _ipmc_nodes = node_validator("rp")
    _ipmc_counts = count_validator("scope")

    @field_validator("group")
    @classmethod
    def check_group(cls, value):
        return _check_group(value)
