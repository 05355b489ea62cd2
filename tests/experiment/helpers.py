"""Running ``mpsim`` as a user would, and reading a sweep's folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TINY = HERE / "scenarios" / "tiny.yaml"
MPSIM = [sys.executable, "-m", "mpsim.cli"]


def mpsim(*args, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    """``mpsim ARGS`` in a subprocess (no terminal: no progress bar), from the repository."""
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([*MPSIM, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env, **kwargs)


def run_files(out: Path) -> dict:
    """``{run folder name: {file name: bytes}}`` of the result tables of every run."""
    runs = {}
    for folder in sorted((Path(out) / "runs").iterdir()):
        if folder.name.startswith("."):
            continue
        runs[folder.name] = {name: (folder / name).read_bytes()
                             for name in ("joins.parquet", "summary.parquet")
                             if (folder / name).is_file()}
    return runs


def finished_runs(out: Path) -> dict:
    """``{run folder name: (inode, mtime_ns) of its run.json}`` of the finished runs."""
    found = {}
    runs = Path(out) / "runs"
    if not runs.is_dir():
        return found
    for folder in runs.iterdir():
        info = folder / "run.json"
        if folder.name.startswith(".") or not info.is_file():
            continue
        if json.loads(info.read_text()).get("status") == "ok":
            stat = info.stat()
            found[folder.name] = (stat.st_ino, stat.st_mtime_ns)
    return found
