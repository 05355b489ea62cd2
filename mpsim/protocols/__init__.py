"""Layer 3: providers under the multipoint socket layer, by name."""

from mpsim.protocols.atm import AtmProvider

#: Provider classes by the name a session uses.
PROVIDERS = {"atm": AtmProvider}

__all__ = ["AtmProvider", "PROVIDERS"]
