"""Check that two source trees write byte-identical outputs for every scenario.

    python scripts/same_outputs.py OTHER_TREE [SCENARIO ...] [--packets]

For each scenario (default: every ``scenarios/*.yaml``) both trees run it as
``mpsim run --no-plots`` does, each in a fresh process with its own tree first
on ``sys.path``, and every file they write is compared byte for byte, except
``summary.json``'s ``wall_time``. ``--packets`` also runs each with packet
tracing on (``--set trace.packets=true``), which records every hop. A change
that is not meant to move an output (a speed-up) must pass this against the
tree before it (``git worktree add /tmp/before HEAD~1``). Exit 1 if any differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import sys
from mpsim.experiment.single import run_scenario
run_scenario(sys.argv[1], sys.argv[2], plots=False, overrides=tuple(sys.argv[3:]))
"""


def run_in(tree: Path, scenario: Path, out: Path, overrides: list[str]) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-c", RUN, str(scenario), str(out), *overrides],
                   cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)


def files(out: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name == "summary.json":
                summary = json.loads(data)
                summary.pop("wall_time", None)
                data = json.dumps(summary, sort_keys=True).encode()
            found[str(path.relative_to(out))] = data
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other source tree (e.g. a git worktree)")
    parser.add_argument("scenarios", nargs="*", help="scenario names or paths (default: all)")
    parser.add_argument("--packets", action="store_true", help="also run with packet tracing on")
    args = parser.parse_args(argv)
    paths = [Path(s) if Path(s).suffix else ROOT / "scenarios" / f"{s}.yaml" for s in args.scenarios] \
        or sorted((ROOT / "scenarios").glob("*.yaml"))
    variants = [[]] + ([["trace.packets=true"]] if args.packets else [])
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            for overrides in variants:
                outs = []
                for i, tree in enumerate((ROOT, args.other.resolve())):
                    out = Path(tmp) / f"{path.stem}-{len(overrides)}-{i}"
                    run_in(tree, path.resolve(), out, overrides)
                    outs.append(files(out))
                a, b = outs
                bad = sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
                label = path.stem + (" (packets traced)" if overrides else "")
                print(f"{label}: {'same' if not bad else 'DIFFERS in ' + ', '.join(bad)}")
                differ += bool(bad)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
