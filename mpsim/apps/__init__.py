"""Layer 4: scripted host behaviours (listen with a policy, invite, request, join, leave, send)."""

from mpsim.apps.session_app import Policy, SessionApp
from mpsim.apps.traffic import ConstantRateSender

__all__ = ["Policy", "SessionApp", "ConstantRateSender"]
