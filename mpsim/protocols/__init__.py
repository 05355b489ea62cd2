"""Layer 3: providers under the multipoint socket layer, by name."""

from mpsim.protocols.atm import AtmProvider
from mpsim.protocols.conference import ConferenceProvider
from mpsim.protocols.ipmc import IpmcProvider

#: Provider classes by the name a session uses.
PROVIDERS = {"atm": AtmProvider, "ipmc": IpmcProvider, "conference": ConferenceProvider}

__all__ = ["AtmProvider", "ConferenceProvider", "IpmcProvider", "PROVIDERS"]
