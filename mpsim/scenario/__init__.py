"""Layer 5: the YAML scenario language — loading with file:line errors, and building a run."""

from mpsim.scenario.build import Plan, Run, build, prepare
from mpsim.scenario.load import load
from mpsim.scenario.model import Scenario


def load_plan(path, overrides=()) -> Plan:
    """Load, validate and cross-check a scenario file; raises ScenarioError (FILE:LINE: ...)."""
    scenario, lines, base = load(path, overrides)
    return prepare(scenario, lines, base)


__all__ = ["Plan", "Run", "Scenario", "build", "load", "load_plan", "prepare"]
