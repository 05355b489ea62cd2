"""The ``ipmc`` provider: IGMPv2/v3 between hosts and routers, PIM-SM shared trees."""

from mpsim.protocols.ipmc.membership import Group, MembershipService
from mpsim.protocols.ipmc.params import (IgmpOptions, IgmpParams, IpmcOptions, PimOptions, PimParams,
                                         parse_igmp, parse_pim)
from mpsim.protocols.ipmc.provider import IpmcProvider

__all__ = ["Group", "IgmpOptions", "IgmpParams", "IpmcOptions", "IpmcProvider", "MembershipService",
           "PimOptions", "PimParams", "parse_igmp", "parse_pim"]
