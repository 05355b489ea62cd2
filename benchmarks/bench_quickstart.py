"""Wall time of ``mpsim run scenarios/quickstart.yaml`` (the README's main job).

    python benchmarks/bench_quickstart.py [--repeat 5]

Runs the command in a fresh process each time (imports included, as a user
sees it) and in-process (the simulation and outputs alone), and prints the
best and median of each. The target is under 3 s wall for the command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "quickstart.yaml"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    command, inproc = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mpsim.cli", "run", str(SCENARIO), "-o", out, "-q"],
                           check=True, cwd=ROOT)
            command.append(time.perf_counter() - t)
    sys.path.insert(0, str(ROOT))
    from mpsim.experiment import run_scenario
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            run_scenario(SCENARIO, out)
            inproc.append(time.perf_counter() - t)
    result = {"command_best_s": min(command), "command_median_s": statistics.median(command),
              "inprocess_best_s": min(inproc), "inprocess_median_s": statistics.median(inproc)}
    print(f"mpsim run quickstart: command best {result['command_best_s']:.2f} s, median "
          f"{result['command_median_s']:.2f} s (target < 3 s); in-process best "
          f"{result['inprocess_best_s']:.2f} s, median {result['inprocess_median_s']:.2f} s")
    return result


if __name__ == "__main__":
    main()
