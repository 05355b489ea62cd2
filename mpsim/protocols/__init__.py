"""Layer 3: providers under the multipoint socket layer, by name.

Each provider declares its name, Winsock flags, options schema and allowed scenario actions
in its class header, in its own folder; one ``register`` line here makes it available
(``mpsim.protocols.registry``).
"""

from mpsim.protocols.atm import AtmProvider
from mpsim.protocols.conference import ConferenceProvider
from mpsim.protocols.ipmc import IpmcProvider
from mpsim.protocols.registry import PROVIDERS, provider_class, register, unregister

register(AtmProvider)
register(IpmcProvider)
register(ConferenceProvider)

__all__ = ["AtmProvider", "ConferenceProvider", "IpmcProvider", "PROVIDERS", "provider_class",
           "register", "unregister"]
