"""Layers import one way (DESIGN.md): no module under mpsim/ imports a higher layer.

Every ``import``/``from ... import`` anywhere in a module (also inside functions and
``if TYPE_CHECKING:`` blocks), absolute or relative, is mapped to its layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "mpsim"

#: DESIGN.md "Layers": top-level part of the package -> layer. ``mpsim/__init__.py`` is 0.
LAYERS = {"core": 0, "net": 1, "spi": 2, "protocols": 3, "apps": 4, "scenario": 5,
          "analysis": 5, "plot": 5, "experiment": 6, "cli": 7}


def layer_of(module: str) -> int | None:
    """Layer of a dotted module name inside mpsim (None if the table does not place it)."""
    parts = module.split(".")
    assert parts[0] == "mpsim", module
    if len(parts) == 1 or parts[1] == "__init__":
        return 0
    return LAYERS.get(parts[1])


def imported_modules(module: str, source: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, dotted name) of every mpsim module that ``source`` imports."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if target == "mpsim":
                # ``from mpsim import net`` imports the subpackage; anything else is from __init__
                found += [(node.lineno, f"mpsim.{alias.name}" if alias.name in LAYERS else "mpsim")
                          for alias in node.names]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name == "mpsim" or name.startswith("mpsim.")]


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """What is wrong with the imports of ``module`` (empty if nothing)."""
    own = layer_of(module)
    if own is None:
        return [f"{module}: not in DESIGN.md's layer table; add its package to the table"]
    problems = []
    for line, name in imported_modules(module, source, is_package):
        theirs = layer_of(name)
        if theirs is None:
            problems.append(f"{module}:{line}: imports {name}, which is in no layer")
        elif theirs > own:
            problems.append(f"{module}:{line} (layer {own}) imports {name} (layer {theirs})")
    return problems


def all_modules():
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        relative = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
        parts = list(relative.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        yield ".".join(parts), path, is_package


def test_no_module_imports_a_higher_layer():
    modules = list(all_modules())
    assert len(modules) > 10 and any(name == "mpsim.net.link" for name, _, _ in modules)
    problems = [p for name, path, is_package in modules
                for p in violations(name, path.read_text(encoding="utf-8"), is_package)]
    assert not problems, "layering violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("module,source,is_package,expected", [
    ("mpsim.net.link", "from mpsim.spi import Stack\n", False,
     ["mpsim.net.link:1 (layer 1) imports mpsim.spi (layer 2)"]),
    ("mpsim.core.sim", "def f():\n    import mpsim.protocols.atm.provider\n", False,
     ["mpsim.core.sim:2 (layer 0) imports mpsim.protocols.atm.provider (layer 3)"]),
    ("mpsim.net.routing", "from ..apps import SessionApp\n", False,
     ["mpsim.net.routing:1 (layer 1) imports mpsim.apps (layer 4)"]),
    ("mpsim.spi", "from ..experiment import run\n", True,            # a package's __init__
     ["mpsim.spi:1 (layer 2) imports mpsim.experiment (layer 6)"]),
    ("mpsim", "from mpsim import cli\n", True, ["mpsim:1 (layer 0) imports mpsim.cli (layer 7)"]),
    ("mpsim.net.topology", "from . import link\nfrom mpsim.core import units\nimport numpy\n"
                           "from mpsim import __version__\n", False, []),
    ("mpsim.protocols.atm.provider", "from ...spi.socket import x\nfrom ..ipmc import y\n", False, []),
    ("mpsim.scenario.load", "from mpsim.plot import figure\nfrom mpsim.analysis import t\n", False, []),
    ("mpsim.net.link", "from mpsim.gui import Window\n", False,
     ["mpsim.net.link:1: imports mpsim.gui, which is in no layer"]),
    ("mpsim.gui", "", True, ["mpsim.gui: not in DESIGN.md's layer table; add its package to the table"]),
])
def test_checker_catches_violations(module, source, is_package, expected):
    assert violations(module, source, is_package) == expected
