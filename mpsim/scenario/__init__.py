"""Layer 5: the YAML scenario language — loading with file:line errors, and building a run."""

from mpsim.core.errors import ScenarioError
from mpsim.core.text import short
from mpsim.scenario.build import Plan, Run, build, prepare
from mpsim.scenario.load import blame_overrides, load, validate
from mpsim.scenario.model import Scenario


def load_plan(path, overrides=()) -> Plan:
    """Load, validate and cross-check a scenario file; raises ScenarioError (FILE:LINE: ...).

    Each value of a ``sweep.grid`` key is cross-checked too (one key at a time), and an
    error there is reported at the value's line.
    """
    scenario, lines, base = load(path, overrides)
    return check_plan(path, scenario, lines, base, overrides)


def check_plan(path, scenario, lines, base, overrides=()) -> Plan:
    """Cross-check a loaded scenario (``prepare``) and each of its ``sweep.grid`` values;
    an error caused by a ``--set`` names it."""
    try:
        plan = prepare(scenario, lines, base)
    except ScenarioError as exc:
        original = exc.message
        blamed = blame_overrides(exc, lines)
        if overrides and blamed.message == original and _prepares(path):
            # the file alone is fine: the overrides broke it, though not at their own field
            blamed.message = f"with {', '.join(f'--set {item}' for item in overrides)}: {exc.message}"
            blamed.args = (blamed.message,)
        raise blamed from None
    for key, index, data in lines.sweep_points:
        try:
            prepare(validate(data, lines), lines, base)
        except ScenarioError as exc:
            value = scenario.sweep.grid[key][index]
            field = "" if exc.field == key else f"{exc.field or 'scenario'}: "
            raise lines.error(("sweep", "grid", key, index),
                              f"{key} = {short(value)}: {field}{exc.message}") from None
    return plan


def _prepares(path) -> bool:
    """Whether the scenario file, without overrides, loads and cross-checks."""
    try:
        scenario, lines, base = load(path)
        prepare(scenario, lines, base)
    except ScenarioError:
        return False
    return True


def __getattr__(name):
    # ``load_sweep`` lives in scenario.sweep, which imports this package: load it on first use
    if name in ("load_sweep", "SweepPlan", "GridPoint"):
        from mpsim.scenario import sweep
        return getattr(sweep, name)
    raise AttributeError(name)


__all__ = ["GridPoint", "Plan", "Run", "Scenario", "SweepPlan", "build", "check_plan", "load",
           "load_plan", "load_sweep", "prepare"]
