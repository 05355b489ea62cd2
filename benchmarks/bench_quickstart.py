"""Wall time of ``mpsim run scenarios/quickstart.yaml`` (the README's main job).

    python benchmarks/bench_quickstart.py [--repeat 5]

Runs the command in a fresh process each time (imports included, as a user
sees it) and in-process (the simulation and outputs alone), and prints the
best and median of each. The target is under 3 s wall for the command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "quickstart.yaml"
#: What any run that writes tables and plots must import: the floor issue 13 measures against.
FLOOR = [sys.executable, "-c", "import matplotlib.pyplot, pandas, pyarrow"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``command`` run in a fresh process (its own
    rusage, from ``os.wait4``, so other children do not blur it)."""
    t = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, command)
    return wall, usage.ru_maxrss / 1024


def command_run() -> tuple[float, float]:
    """One ``mpsim run`` of the quickstart into a fresh folder: wall s and peak RSS MB."""
    with tempfile.TemporaryDirectory() as out:
        return timed([sys.executable, "-m", "mpsim.cli", "run", str(SCENARIO), "-o", out, "-q"])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    command = [command_run()[0] for _ in range(args.repeat)]
    sys.path.insert(0, str(ROOT))
    from mpsim.experiment import run_scenario
    inproc = []
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
