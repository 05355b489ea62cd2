"""The ``ipmc`` provider: IGMPv2/v3 between hosts and routers, PIM-SM shared trees."""

from mpsim.protocols.ipmc.params import IgmpParams, PimParams, parse_igmp, parse_pim
from mpsim.protocols.ipmc.provider import IpmcProvider

__all__ = ["IgmpParams", "IpmcProvider", "PimParams", "parse_igmp", "parse_pim"]
