"""Regenerate the golden joins.csv of the scenario library, deliberately.

    python scripts/update_goldens.py              # every scenarios/*.yaml
    python scripts/update_goldens.py classroom    # only these (names or paths)
    python scripts/update_goldens.py --check      # report what would change, write nothing

Each scenario is run as ``mpsim run SCENARIO --no-plots`` does (``run_scenario``
with the scenario's own seed) and its joins.csv is copied to
``tests/scenario/golden/<name>.joins.csv``. A golden is a reviewed result:
after regenerating, read ``git diff tests/scenario/golden/`` and check that the
scenario's header comment still describes what its joins.csv shows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "scenario" / "golden"


def scenario_paths(names) -> list[Path]:
    if not names:
        return sorted(SCENARIOS.glob("*.yaml"))
    paths = []
    for name in names:
        path = Path(name)
        if not path.suffix:
            path = SCENARIOS / f"{name}.yaml"
        if not path.is_file():
            sys.exit(f"update_goldens: no scenario {name!r} (looked for {path})")
        paths.append(path)
    return paths


def fresh_joins(path: Path) -> bytes:
    """joins.csv of one run of ``path`` with its own seed, as ``mpsim run --no-plots`` writes it."""
    from mpsim.experiment import run_scenario

    with tempfile.TemporaryDirectory() as out:
        run_scenario(path, out, plots=False)
        return (Path(out) / "joins.csv").read_bytes()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help="names in scenarios/ or paths (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any differs")
    args = parser.parse_args(argv)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    differ = False
    for path in scenario_paths(args.scenarios):
        golden = GOLDEN / f"{path.stem}.joins.csv"
        new = fresh_joins(path)
        old = golden.read_bytes() if golden.is_file() else None
        if old == new:
            state = "unchanged"
        else:
            differ = True
            state = "new" if old is None else "changed"
            if not args.check:
                golden.write_bytes(new)
        print(f"{path.stem:24s} {state}{' (not written)' if args.check and state != 'unchanged' else ''}")
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
