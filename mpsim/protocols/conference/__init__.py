"""The ``conference`` provider: a chair admits members; data flows over IP multicast."""

from mpsim.protocols.conference.options import ConferenceOptions, ConferenceTimers
from mpsim.protocols.conference.provider import ConferenceProvider

__all__ = ["ConferenceOptions", "ConferenceProvider", "ConferenceTimers"]
