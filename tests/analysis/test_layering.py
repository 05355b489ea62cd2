"""analysis/ and plot/ read tables, never simulation objects (DESIGN.md, layer 5): they
import nothing from mpsim.net, mpsim.spi, mpsim.protocols or mpsim.apps, and importing
them loads none of those."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("mpsim.net", "mpsim.spi", "mpsim.protocols", "mpsim.apps", "mpsim.scenario",
             "mpsim.experiment", "mpsim.cli")


def imports_of(path: Path, package: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:                           # relative: resolve against the package
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                found.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module == "mpsim":
                found += [f"mpsim.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
    return found


@pytest.mark.parametrize("package", ["analysis", "plot"])
def test_no_import_of_simulation_layers(package):
    files = sorted((ROOT / "mpsim" / package).rglob("*.py"))
    assert files
    bad = [f"{path.relative_to(ROOT)} imports {name}"
           for path in files for name in imports_of(path, f"mpsim.{package}")
           if name.startswith(FORBIDDEN)]
    assert not bad, "\n".join(bad)


def test_analysis_needs_only_core_and_no_plotting():
    files = sorted((ROOT / "mpsim" / "analysis").rglob("*.py"))
    names = {n for path in files for n in imports_of(path, "mpsim.analysis")}
    assert {n for n in names if n.startswith("mpsim.") and not n.startswith(("mpsim.analysis", "mpsim.core"))} == set()
    assert not any(n.startswith("matplotlib") for n in names)


def test_importing_them_loads_no_simulation_module():
    code = ("import sys, mpsim.analysis, mpsim.plot; "
            "print(sorted(m for m in sys.modules if m.startswith(%r)))" % (FORBIDDEN,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout
