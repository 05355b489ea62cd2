"""``python -m benchmarks [NAME…] [--quick] [--json FILE] [--results DIR]``: the suite.

The contract of ``--json`` and of the results file is in ``benchmarks/__init__.py``.
This process only starts one child per benchmark (``--child NAME``, which prints
its record as the last line of its stdout) and reports; it imports no mpsim.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.suite import BENCHMARKS, GROUPS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="mpsim's benchmarks, each against a baseline measured "
        "in the same run; the table goes to stdout, a progress line each to stderr.",
        epilog="The --json contract: benchmarks/__init__.py.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks or groups (default all): {', '.join([*BENCHMARKS, *GROUPS])}")
    parser.add_argument("--quick", action="store_true", help="small sizes: each benchmark in seconds")
    parser.add_argument("--json", metavar="FILE",
                        help="write JSON Lines, one object per benchmark (- = stdout)")
    parser.add_argument("--results", metavar="DIR", type=Path, default=RESULTS,
                        help="folder of the <date>.json results file (default benchmarks/results)")
    parser.add_argument("--child", metavar="NAME", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def select(names: list[str]) -> list[str] | None:
    """The benchmarks ``names`` ask for, in suite order; None if one is unknown."""
    wanted = set()
    for name in names or BENCHMARKS:
        if name not in BENCHMARKS and name not in GROUPS:
            return None
        wanted.update(GROUPS.get(name, [name]))
    return [name for name in BENCHMARKS if name in wanted]


def child(name: str, quick: bool) -> int:
    """Run one benchmark here; its record is the last line of stdout (anything else the
    work prints, this process's or its children's, goes to stderr)."""
    sys.stdout.flush()
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        record = BENCHMARKS[name](quick)
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record = {"name": name, "quick": quick, "peak_rss_mb": rss} | record
    print(json.dumps(record, default=lambda value: value.item()))   # numpy scalars
    return 0


def run_child(name: str, quick: bool) -> dict:
    """One benchmark in a fresh process; its record, or raise with its stderr shown."""
    command = [sys.executable, "-m", "benchmarks", "--child", name] + (["--quick"] if quick else [])
    env = os.environ | {"MPLBACKEND": os.environ.get("MPLBACKEND", "Agg")}
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{name} failed (exit {done.returncode}; its error is above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def valid(record: dict) -> bool:
    return all(isinstance(record.get(k), (int, float)) and math.isfinite(record[k]) and record[k] > 0
               for k in ("ratio", "wall_s", "peak_rss_mb"))


def number(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table(records: list[dict], stream) -> None:
    """The results as a rich table on ``stream``, a row each."""
    from rich.console import Console
    from rich.table import Table

    out = Table(title="python -m benchmarks" + (" --quick" if records and records[0]["quick"] else ""))
    for column in ("benchmark", "workload", "wall s", "events/s", "peak RSS MB", "ratio", "against", "goal"):
        out.add_column(column, justify="right" if column in ("wall s", "events/s", "peak RSS MB", "ratio")
                       else "left")
    for r in records:
        against = r["baseline"] + (f": {r['simpy_ratio']:.2f}" if "simpy_ratio" in r else "")
        out.add_row(r["name"], r["workload"], number(r["wall_s"], ".3f"), number(r["events_per_s"], ",.0f"),
                    number(r["peak_rss_mb"], ".0f"), number(r["ratio"], ".2f"), against, r.get("goal") or "")
    Console(file=stream, width=None if stream.isatty() else 240).print(out)


def write_json(records: list[dict], target: str) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in records)
    if target == "-":
        sys.stdout.write(lines)
    else:
        Path(target).write_text(lines)


def machine() -> dict:
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "cpu_count": os.cpu_count(), "platform": platform.platform(), "machine": platform.machine()}


def save(records: list[dict], folder: Path, started: datetime.datetime, argv: list[str]) -> Path:
    """Append this run's records, with the machine, to the day's JSON list."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{started.date().isoformat()}.json"
    kept = json.loads(path.read_text()) if path.exists() else []
    run = {"started": started.isoformat(timespec="seconds"), "argv": argv}
    kept += [r | {"machine": machine(), "run": run} for r in records]
    path.write_text(json.dumps(kept, indent=1) + "\n")
    return path


def run_all(names: list[str], quick: bool) -> tuple[list[dict], list[str]]:
    """Each benchmark in its own process, with a progress line each on stderr."""
    records, failed = [], []
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] {name}{' --quick' if quick else ''} ...", end="", file=sys.stderr,
              flush=True)
        t0 = time.perf_counter()
        try:
            record = run_child(name, quick)
        except (RuntimeError, ValueError, IndexError) as error:
            print(f" FAILED: {error}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        records.append(record)
        print(f" {time.perf_counter() - t0:.1f} s, ratio {record['ratio']:.2f}"
              + ("" if valid(record) else " FAILED: ratio, wall_s, peak_rss_mb must be finite, > 0"),
              file=sys.stderr, flush=True)
        if not valid(record):
            failed.append(name)
    return records, failed


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if args.child:
        return child(args.child, args.quick)
    names = select(args.names)
    if names is None:
        unknown = [n for n in args.names if n not in BENCHMARKS and n not in GROUPS]
        print(f"python -m benchmarks: unknown benchmark {', '.join(unknown)}; the names are "
              f"{', '.join(BENCHMARKS)} and the groups {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    started, t0 = datetime.datetime.now(), time.perf_counter()
    records, failed = run_all(names, args.quick)
    table(records, sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        write_json(records, args.json)
    path = save(records, args.results, started, argv)
    print(f"{len(records)} benchmarks in {time.perf_counter() - t0:.1f} s; appended to {path}"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
