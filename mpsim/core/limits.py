"""The limits mpsim puts on what it accepts, so that no input can hang it or eat the machine.

Every limit has a name, a default, a unit and a sentence saying what it bounds;
``docs/scenario.md`` lists them (``render_limits``). A user with a real large
study raises one by the environment variable ``MPSIM_LIMIT_<NAME>`` (for example
``MPSIM_LIMIT_TOPOLOGY_NODES=2000000``) or, for one command, ``--limit
NAME=VALUE`` (which sets that variable, so that worker processes see it too).
A limit that stops an input says so in its error, with the value and how to
raise it.

>>> get("yaml_depth")
64
>>> import os; os.environ["MPSIM_LIMIT_YAML_DEPTH"] = "80"; get("yaml_depth")
80
>>> del os.environ["MPSIM_LIMIT_YAML_DEPTH"]
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from mpsim.core.errors import ParameterError


@dataclass(frozen=True)
class Limit:
    """One limit: ``default`` in ``unit`` (a count, bytes or seconds), and what it bounds."""
    name: str
    default: float
    unit: str
    bounds: str

    @property
    def variable(self) -> str:
        return f"MPSIM_LIMIT_{self.name.upper()}"


#: Every limit, by name.
LIMITS = {limit.name: limit for limit in (
    Limit("scenario_bytes", 8 * 2 ** 20, "bytes", "the size of a scenario file"),
    Limit("yaml_depth", 64, "levels", "how deep mappings and lists may nest in a scenario"),
    Limit("yaml_nodes", 200_000, "nodes", "YAML nodes in a scenario, each alias counted as what it "
                                          "stands for (a 'billion laughs' file is refused, not expanded)"),
    Limit("number_digits", 400, "digits", "digits of an integer in a scenario (floats overflow at 309)"),
    Limit("topology_nodes", 1_000_000, "nodes", "routers of a topology, estimated from a generator's "
                                                 "parameters before it runs, counted after a file is read"),
    Limit("topology_edges", 5_000_000, "edges", "links of a topology, likewise"),
    Limit("generator_seconds", 60, "s", "wall time a topology generator or graph reader may take"),
    Limit("generator_tries", 10_000, "tries", "retries a randomized topology generator may be told "
                                               "to make: its tries, max_tries or max_iters"),
    Limit("hosts", 1_000_000, "hosts", "hosts of a scenario, groups expanded"),
    Limit("graph_file_bytes", 256 * 2 ** 20, "bytes", "the size of a topology graph file"),
    Limit("sweep_points", 100_000, "points", "points of a sweep's grid (the product of the lengths "
                                             "of its value lists)"),
    Limit("min_period", 1e-6, "s", "the shortest timer, retransmission interval or inter-send "
                                   "time a scenario may ask for (a shorter one would freeze the clock)"),
    Limit("max_rate", 1e6, "/s", "the highest packet or event rate a scenario may ask for"),
)}


def get(name: str) -> float:
    """The value of limit ``name``: its environment variable if set, else its default."""
    limit = LIMITS[name]
    text = os.environ.get(limit.variable)
    if text is None or text.strip() == "":
        return limit.default
    value = parse_value(limit, text)
    return int(value) if value.is_integer() and limit.unit not in ("s", "/s") else value


def parse_value(limit: Limit, text: str) -> float:
    """A limit's value from text (``2000000``, ``2e6``; a size with a unit, ``64MB``, for
    bytes)."""
    from mpsim.core.errors import UnitError
    from mpsim.core.units import parse_size          # units imports this module
    try:
        value = float(parse_size(text.strip())) if limit.unit == "bytes" else float(text)
    except (UnitError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ParameterError(f"{limit.variable}={text!r}: allowed a positive number "
                             f"({limit.unit}; default {_amount(limit.default)})")
    return value


def set_from_cli(items) -> None:
    """Apply ``--limit NAME=VALUE`` items for this process and its workers."""
    for item in items:
        name, _, text = item.partition("=")
        name = name.strip().lower()
        if name not in LIMITS or not _:
            raise ParameterError(f"--limit {item!r}: expected NAME=VALUE with NAME one of "
                                 + ", ".join(LIMITS))
        parse_value(LIMITS[name], text)
        os.environ[LIMITS[name].variable] = text.strip()


def exceeded(name: str, value, what: str) -> str:
    """The words of an error for ``what`` (``value``) over limit ``name``."""
    limit = LIMITS[name]
    return (f"{what} is {_amount(value)} {limit.unit}, over the limit of {_amount(get(name))} "
            f"({limit.bounds}); "
            f"to allow more, set {limit.variable} or pass --limit {name}=N")


def _amount(value) -> str:
    """A count as ``9,438,940``, anything else as ``%g``."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)
    if math.isfinite(number) and number.is_integer() and abs(number) < 1e18:
        return f"{int(number):,}"
    return f"{number:g}"


def render_limits() -> str:
    """The limits as a Markdown table, for docs/scenario.md."""
    rows = ["| limit | default | bounds | raise it with |", "|---|---|---|---|"]
    for limit in LIMITS.values():
        rows.append(f"| `{limit.name}` | {limit.default:.15g} {limit.unit} | {limit.bounds} | "
                    f"`{limit.variable}=N` or `--limit {limit.name}=N` |")
    return "\n".join(rows)
