"""The results store of a sweep: one folder, safe to interrupt at any moment.

::

    OUT/manifest.json           what the sweep is: scenario fingerprint, mpsim version,
                                grid, points, replications, seeds, start times
    OUT/runs/p0003_r0012/       one finished run: joins.parquet, summary.parquet, run.json
    OUT/runs.csv, sweep.csv, sweep.parquet, plots/   written once every run is done

Each run's folder is written under a temporary name and renamed into place when
complete, so a run is either there whole or not at all, whenever the process is
killed. Opening the store again keeps every finished run; a store made by a
different scenario, grid, seed or mpsim version is refused unless ``fresh``,
and a folder that mpsim did not make is never deleted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd

try:
    import fcntl
except ImportError:                                   # pragma: no cover (Windows: no lock)
    fcntl = None

from mpsim import __version__
from mpsim.core.errors import MpsimError
from mpsim.experiment.figures import read_table

MANIFEST = "manifest.json"
FORMAT = 1
RUN_NAME = re.compile(r"p(\d+)_r(\d+)")
#: Outputs of a sweep other than the runs (removed by ``fresh``, rewritten at the end).
OUTPUTS = ("runs.csv", "sweep.csv", "sweep.parquet", "plots")
#: Manifest entries that must be equal for finished runs to be kept.
IDENTITY = ("format", "mpsim_version", "fingerprint", "seed", "replications", "grid")


class StoreError(MpsimError):
    """The output folder cannot hold this sweep (another sweep's, or not a sweep's)."""

    one_line = True


def run_name(point: int, replication: int) -> str:
    return f"p{point:04d}_r{replication:04d}"


def manifest_for(sweep, seeds: list) -> dict:
    """The manifest of ``sweep`` (a ``SweepPlan``) whose replications use ``seeds``."""
    return {
        "format": FORMAT, "scenario": sweep.file, "name": sweep.name,
        "fingerprint": sweep.fingerprint, "mpsim_version": __version__, "seed": sweep.seed,
        "replications": sweep.replications, "grid": _jsonable(sweep.grid),
        "points": [{"point": p.index, "values": _jsonable(p.values)} for p in sweep.points],
        "seeds": seeds, "runs": sweep.runs,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "resumed": [],
    }


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


class ResultsStore:
    """A sweep's folder: open (or create) it with ``open``, then ``write`` outcomes."""

    def __init__(self, root: Path, manifest: dict):
        self.root = Path(root)
        self.manifest = manifest
        self.runs_dir = self.root / "runs"

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, root, manifest: dict, fresh: bool = False) -> "ResultsStore":
        """The store at ``root`` for the sweep described by ``manifest``: created if absent,
        checked against the manifest there if not (raises ``StoreError`` on a mismatch,
        unless ``fresh``: then the old runs and outputs are removed first)."""
        try:
            return cls._open(Path(root), manifest, fresh)
        except OSError as exc:                    # unwritable, a file in the path, full disk
            raise StoreError(f"{root}: cannot write there ({exc.strerror or exc})") from None

    @classmethod
    def _open(cls, root: Path, manifest: dict, fresh: bool) -> "ResultsStore":
        from mpsim.experiment.outputs import OutputError, check_writable
        path = root / MANIFEST
        if root.is_dir() and not root.is_symlink() and not path.is_file() and \
                any(p.name != ".lock" for p in root.iterdir()):
            raise StoreError(f"{root}: is not a sweep's folder (no {MANIFEST}) and is not empty; "
                             "mpsim will not write into it or delete it: give another -o")
        try:
            check_writable(root, kind="sweep", legacy=(MANIFEST,))
        except OutputError as exc:
            raise StoreError(str(exc)) from None
        store = cls(root, manifest)
        store._lock()
        if path.is_file():
            old = store._read_manifest(path)
            if fresh:
                store._clear()
            else:
                differences = [k for k in IDENTITY if old.get(k) != manifest.get(k)]
                if differences:
                    raise StoreError(f"{root}: holds the runs of another sweep ("
                                     + "; ".join(_difference(k, old.get(k), manifest.get(k))
                                                 for k in differences)
                                     + "); use --fresh to discard them and start over, or -o "
                                       "another folder")
                manifest["started"] = old.get("started", manifest["started"])
                manifest["resumed"] = list(old.get("resumed", [])) + [
                    time.strftime("%Y-%m-%dT%H:%M:%S%z")]
        store.runs_dir.mkdir(parents=True, exist_ok=True)
        store._remove_temporaries()
        store._write_json(path, manifest)
        return store

    def _lock(self) -> None:
        """Hold ``OUT/.lock`` while this process uses the store: a second sweep into the
        same folder at the same time would remove the first one's half-written runs."""
        self.root.mkdir(parents=True, exist_ok=True)
        if fcntl is None:                              # pragma: no cover
            return
        self._lock_file = open(self.root / ".lock", "a+")   # noqa: SIM115  (held open: the lock, until close)
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise StoreError(f"{self.root}: another mpsim sweep is writing into it now; wait "
                             "for it to end, or give another -o") from None

    def close(self) -> None:
        """Let another process use the store."""
        lock = getattr(self, "_lock_file", None)
        if lock is not None:
            lock.close()
            self._lock_file = None

    def _read_manifest(self, path: Path) -> dict:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: unreadable ({exc}); use --fresh to start over") from None
        if not isinstance(data, dict) or data.get("format") is None:
            raise StoreError(f"{path}: is not an mpsim sweep manifest; use --fresh to start over")
        return data

    def _clear(self) -> None:
        for name in ("runs", *OUTPUTS):
            target = self.root / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    def _remove_temporaries(self) -> None:
        """What a killed sweep left half-written (it was never a finished run)."""
        for entry in self.runs_dir.iterdir():
            if entry.name.startswith("."):
                shutil.rmtree(entry, ignore_errors=True)

    # -- runs ----------------------------------------------------------------------------

    def statuses(self) -> dict:
        """``{(point, replication): run.json's content}`` for every run folder in the grid."""
        out = {}
        points, reps = len(self.manifest["points"]), self.manifest["replications"]
        for entry in sorted(self.runs_dir.iterdir()):
            match = RUN_NAME.fullmatch(entry.name)
            if not match:
                continue
            key = (int(match[1]), int(match[2]))
            if key[0] >= points or key[1] >= reps:
                continue
            try:
                out[key] = json.loads((entry / "run.json").read_text())
            except (OSError, ValueError):
                continue                      # not a finished run: it will be made again
        return out

    def finished(self) -> set:
        """The runs that finished without error."""
        return {key for key, info in self.statuses().items() if info.get("status") == "ok"}

    def write(self, outcome) -> Path:
        """Write one run's folder as a set (``OutputSet``, as a run's outputs are: there
        whole or not at all); a failed run gets its error, to be made again next time.
        Returns the folder."""
        from mpsim.experiment.outputs import OutputSet, dump_json

        task = outcome.task
        final = self.runs_dir / run_name(task.point, task.replication)
        info = {"point": task.point, "replication": task.replication, "seed": task.seed,
                "status": "ok" if outcome.ok else "failed", **outcome.info}
        with OutputSet(final, kind="sweep run", lock=False, trusted=True) as outputs:
            if outcome.ok:
                outputs.path("joins.parquet").write_bytes(outcome.joins)
                outputs.path("summary.parquet").write_bytes(outcome.summary)
            else:
                info["error"] = outcome.error
                if outcome.traceback:
                    info["traceback"] = outcome.traceback
            outputs.path("run.json").write_text(dump_json(info))
            outputs.commit()
        return final

    # -- reading -------------------------------------------------------------------------

    def run_table(self) -> pd.DataFrame:
        """One row per run folder: point, replication, seed, status, error, events, t_end,
        wall and run_wall (s)."""
        rows = []
        for (point, rep), info in sorted(self.statuses().items()):
            rows.append({"point": point, "replication": rep, "seed": info.get("seed"),
                         "status": info.get("status"), "error": info.get("error"),
                         "events": info.get("events"), "t_end": info.get("t_end"),
                         "wall": info.get("wall"), "run_wall": info.get("run_wall")})
        columns = ["point", "replication", "seed", "status", "error", "events", "t_end", "wall",
                   "run_wall"]
        return pd.DataFrame(rows, columns=columns)

    def joins_table(self, keys) -> pd.DataFrame:
        """The joins tables of the runs ``keys`` ((point, replication) pairs) stacked, with
        ``point`` and ``replication`` columns, in the order of ``keys``."""
        frames = []
        for point, rep in keys:
            frame = read_table(self.runs_dir / run_name(point, rep) / "joins.parquet")
            if len(frame):
                frames.append(frame.assign(point=point, replication=rep))
        if not frames:
            return pd.DataFrame(columns=["point", "replication", "join_id", "session", "method",
                                         "root", "leaf", "t_request", "t_complete", "latency",
                                         "outcome", "error", "attempts", "messages", "t_first_data"])
        return pd.concat(frames, ignore_index=True)

    def write_output(self, name: str, write) -> Path:
        """Write the output ``name`` through ``write(path)`` into a temporary file, then
        rename it into place."""
        final = self.root / name
        temporary = self.root / f".{name}.{os.getpid()}.tmp"
        write(temporary)
        os.replace(temporary, final)
        return final

    @staticmethod
    def _write_json(path: Path, data: dict) -> None:
        from mpsim.experiment.outputs import dump_json
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(dump_json(data))
        os.replace(temporary, path)


def _difference(key, old, new) -> str:
    if key == "grid":
        return "another grid"
    if key == "fingerprint":
        return "the scenario has changed"
    return f"{key.replace('_', ' ')} {old} -> {new}"


def open_store(root) -> tuple[ResultsStore, dict]:
    """An existing sweep's store, for reading (``mpsim plot``)."""
    root = Path(root)
    path = root / MANIFEST
    if not path.is_file():
        raise StoreError(f"{root}: not a sweep's folder (no {MANIFEST})")
    store = ResultsStore(root, {})
    store.manifest = store._read_manifest(path)
    return store, store.manifest
