"""A scenario's ``sweep:`` block as checked grid points (scenario.md, ``sweep``).

``load_sweep`` reads the file with its ``--set`` overrides (and a grid or a
replication count given from Python), then builds one ``Plan`` per point of the
grid — the product of the value lists, in the order the keys are written, the
last key varying fastest — each validated and cross-checked like a scenario of
its own. Every mistake is a ``ScenarioError`` at the line of what caused it, so
a bad sweep is refused before any run starts.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from mpsim.core import limits
from mpsim.core.errors import ScenarioError
from mpsim.core.text import short
from mpsim.scenario.build import Plan, prepare
from mpsim.scenario.load import load, set_path, validate

EXAMPLE = "sweep: {replications: 10, grid: {topology.links.loss: [0, 0.01, 0.05]}}"


@dataclass(frozen=True)
class GridPoint:
    """One point of the grid: its index, the value of each grid key there, its plan."""
    index: int
    values: dict
    plan: Plan


@dataclass
class SweepPlan:
    """A checked sweep: the grid points, the replication count and the base seed."""
    file: str
    keys: list
    points: list
    replications: int
    seed: int
    fingerprint: str
    grid: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.points[0].plan.scenario.name

    @property
    def runs(self) -> int:
        return len(self.points) * self.replications


def load_sweep(path, overrides=(), *, grid=None, replications=None, seed=None) -> SweepPlan:
    """Load ``path`` and expand its ``sweep:`` block into checked grid points.

    Parameters
    ----------
    path : str or Path
        The scenario file.
    overrides : sequence of str
        ``--set KEY=VALUE`` items, applied to the file before the grid; a key the grid
        sweeps is refused (the grid would overwrite it at every point).
    grid : dict, optional
        Dotted path -> list of values, replacing the file's ``sweep.grid``.
    replications : int, optional
        Replacing the file's ``sweep.replications``.
    seed : int, optional
        The base seed (default the scenario's ``seed``).

    Raises
    ------
    ScenarioError
        ``FILE:LINE: field: message`` for any mistake, before anything runs.
    """
    from mpsim.scenario import check_plan

    values = []
    if grid is not None:
        if not isinstance(grid, dict):
            raise ScenarioError(f"grid={short(grid)}: expected a mapping of dotted path -> list of values",
                                file=str(path), line=0)
        values.append(("sweep.grid", grid, "grid="))
    if replications is not None:
        values.append(("sweep.replications", replications, "replications="))
    scenario, lines, base = load(path, overrides, values)
    check_plan(path, scenario, lines, base, overrides)
    if scenario.sweep is None:
        raise lines.error((), f"no sweep block: mpsim sweep needs one, e.g. {EXAMPLE} "
                              "(or --set sweep.replications=10 for replications alone)")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ScenarioError(f"--seed {short(seed)}: allowed an integer >= 0", file=lines.file, line=0)
    keys = list(scenario.sweep.grid)
    _refuse_overridden_keys(keys, lines)
    count = math.prod(len(scenario.sweep.grid[k]) for k in keys)
    if count > limits.get("sweep_points"):
        raise lines.error(("sweep", "grid"), limits.exceeded("sweep_points", count, "the grid"))
    points = []
    for index, combination in enumerate(itertools.product(*(scenario.sweep.grid[k] for k in keys))):
        assignment = dict(zip(keys, combination, strict=True))
        points.append(GridPoint(index, assignment, _point_plan(lines.data, assignment, lines, base)))
    return SweepPlan(file=str(path), keys=keys, points=points,
                     replications=scenario.sweep.replications,
                     seed=scenario.seed if seed is None else int(seed),
                     fingerprint=fingerprint(scenario, base),
                     grid={k: list(v) for k, v in scenario.sweep.grid.items()})


def _refuse_overridden_keys(keys, lines) -> None:
    for where, item in lines.overrides:
        if not item.startswith("--set "):
            continue
        for key in keys:
            target = tuple(key.split("."))
            path = tuple(str(p) for p in where)
            if path[:len(target)] == target or target[:len(path)] == path:
                raise lines.error(("sweep", "grid", key),
                                  f"{item}: {key} is swept by the grid, which would replace the "
                                  "value at every point; allowed: change the grid's values instead")


def _point_plan(data, assignment: dict, lines, base) -> Plan:
    """The plan at one grid point; a combination that fails (each value alone was checked
    when the file loaded) is reported at the grid's line, naming the whole point."""
    point = copy.deepcopy(data)
    for key, value in assignment.items():
        set_path(point, key, copy.deepcopy(value), lines, origin="sweep key")
    try:
        return prepare(validate(point, lines), lines, base)
    except ScenarioError as exc:
        if len(assignment) < 2:
            raise
        where = ", ".join(f"{k} = {short(v)}" for k, v in assignment.items())
        field_name = f"{exc.field}: " if exc.field else ""
        raise lines.error(("sweep", "grid"), f"the grid point {where}: {field_name}{exc.message}") \
            from None


def fingerprint(scenario, base) -> str:
    """SHA-256 of what a sweep's results depend on: the validated scenario without its
    description and sweep block (so a comment or a reworded description is no change),
    and the bytes of a topology graph file."""
    model = scenario.model_dump(mode="json", exclude={"description", "sweep"}, warnings=False)
    digest = hashlib.sha256(json.dumps(model, sort_keys=True, default=str).encode())
    if scenario.topology.file is not None:
        graph = Path(base) / scenario.topology.file
        digest.update(graph.read_bytes() if graph.is_file() else b"")
    return digest.hexdigest()


__all__ = ["GridPoint", "SweepPlan", "fingerprint", "load_sweep"]
