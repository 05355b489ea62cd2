"""Outputs written as a set: a run folder is either the old one whole or the new one whole.

``OutputSet(out)`` checks, before any simulation, that ``out`` can be written:
its parent is a folder this process may write into, ``out`` is not a symbolic
link, not a file, and either absent, empty or a folder mpsim made (it holds
``.mpsim``); it then takes a lock, so that two runs cannot share a folder, and
makes a fresh temporary folder beside ``out``. Everything is written there —
never into the existing ``out``, so no link planted inside it is followed — and
``commit`` swaps it in (an atomic exchange of the two folders where the system
has one, else two renames, with SIGINT and SIGTERM held off for the moment it
takes); the old folder is then removed (links in it are removed, not followed).
Leaving the block by an error or a signal removes the temporary folder and
leaves ``out`` as it was. A sweep writes each run's folder the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import math
import os
import shutil
import signal
import threading
from pathlib import Path

from mpsim.core.errors import MpsimError

#: The file that marks a folder as mpsim's (so that mpsim may replace it).
MARKER = ".mpsim"
#: Files by which a folder written before the marker existed is still known as a run's.
LEGACY_RUN = ("summary.json", "joins.csv", "events.parquet")
#: The longest file name most file systems take, in bytes.
NAME_MAX = 255

try:
    import fcntl
except ImportError:                                         # pragma: no cover (Windows)
    fcntl = None


class OutputError(MpsimError):
    """An output folder that cannot be written, or a run folder that cannot be read."""

    one_line = True


def _libc_renameat2():
    """``renameat2`` of the C library (Linux), for an atomic exchange; None elsewhere."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):                        # pragma: no cover
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _libc_renameat2()
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Swap folders ``a`` and ``b`` in one step; False where the system cannot."""
    if _RENAMEAT2 is None:
        return False                                          # pragma: no cover
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):   # not on this file system
        return False
    raise OSError(code, os.strerror(code), str(a))


class _SignalsHeld:
    """SIGINT and SIGTERM wait while the block runs (the swap is never cut in two).

    Their handlers are replaced for the moment by one that only notes the signal, and
    the noted signals are handed to the real handlers afterwards. (Blocking them with
    ``pthread_sigmask`` would not do: the mask is per thread, and a library's thread —
    Arrow's, OpenBLAS's — takes the signal, whose Python handler then runs anyway.)
    Outside the main thread, where handlers cannot be set, nothing is held.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.pending: list = []
        self.saved: dict = {}
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self.saved[number] = signal.signal(number, lambda sig, _frame: self.pending.append(sig))
        return self

    def __exit__(self, *exc):
        for number, handler in self.saved.items():
            signal.signal(number, handler)
        for number in self.pending:
            handler = self.saved.get(number)
            if callable(handler):
                handler(number, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(number)
        return False


def is_mpsim_folder(path: Path, legacy=LEGACY_RUN) -> bool:
    """Whether ``path`` is a folder mpsim made (the marker, or an older run's files)."""
    if (path / MARKER).is_file():
        return True
    return bool(legacy) and all((path / name).is_file() for name in legacy)


def check_writable(out: Path, kind: str = "run", legacy=LEGACY_RUN, trusted: bool = False) -> None:
    """Refuse, before any work, an ``out`` that mpsim must not or cannot write (``trusted``:
    a folder inside one of mpsim's own, such as a run's plots/, which it may replace)."""
    out = Path(out)
    if len(os.fsencode(out.name)) + 24 > NAME_MAX:
        raise OutputError(f"{out}: the folder's name is {len(os.fsencode(out.name))} bytes long; "
                          f"allowed: at most {NAME_MAX - 24} (a file system takes {NAME_MAX} per name, "
                          "and mpsim writes beside it under a longer temporary name)")
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; mpsim writes only into folders it makes: "
                          "give the real folder (or another -o)")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; allowed: a new folder, or one "
                          f"that an earlier {kind} made")
    if not trusted and out.is_dir() and any(out.iterdir()) and not is_mpsim_folder(out, legacy):
        raise OutputError(f"{out}: is not empty and was not made by mpsim; mpsim will not "
                          "replace it: give another -o")
    nearest = _nearest_existing(out.parent if str(out.parent) else Path("."))
    if not nearest.is_dir():
        raise OutputError(f"{out}: cannot be made: {nearest} is a file, not a folder")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot be made: {nearest} is not writable")


def _nearest_existing(path: Path) -> Path:
    """``path`` or the nearest of its parents that exists."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")                                           # pragma: no cover


class OutputSet:
    """A folder's new contents, written aside and swapped in as a whole (module doc).

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with OutputSet(root / "run") as outputs:
    ...     _ = outputs.path("joins.csv").write_text("join_id\\n")
    ...     _ = outputs.commit()
    >>> sorted(p.name for p in (root / "run").iterdir())
    ['.mpsim', 'joins.csv']
    """

    def __init__(self, out, kind: str = "run", lock: bool = True, legacy=LEGACY_RUN,
                 trusted: bool = False):
        self.out = Path(out)
        self.kind = kind
        self.lock = lock
        self.legacy = legacy
        self.trusted = trusted
        self.temporary: Path | None = None
        self._lock_file = None
        self.committed = False

    def __enter__(self) -> "OutputSet":
        check_writable(self.out, self.kind, self.legacy, self.trusted)
        parent = self.out.parent if str(self.out.parent) else Path(".")
        try:
            parent.mkdir(parents=True, exist_ok=True)
            if self.lock:
                self._take_lock(parent)
            self.temporary = parent / f".{self.out.name}.{os.getpid()}.tmp"
            if self.temporary.is_symlink() or self.temporary.exists():
                _remove(self.temporary)
            self.temporary.mkdir()
        except OutputError:
            self._release()
            raise
        except OSError as exc:
            self._release()
            raise OutputError(f"{self.out}: cannot write there ({exc.strerror or exc})") from None
        return self

    def _take_lock(self, parent: Path) -> None:
        if fcntl is None:                                      # pragma: no cover
            return
        path = parent / f".{self.out.name}.lock"
        self._lock_file = open(path, "a+")     # noqa: SIM115  (held open: it is the lock, until _release)
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            self._lock_file = None
            raise OutputError(f"{self.out}: another mpsim command is writing it now; wait for it "
                              "to end, or give another -o") from None
        self._lock_path = path

    def path(self, name: str) -> Path:
        """Where to write the output ``name`` (inside the temporary folder)."""
        return self.temporary / name

    def commit(self) -> Path:
        """Swap the new folder in place of ``out`` (which may not exist yet)."""
        if not self.trusted:                   # a folder inside mpsim's needs no mark of its own
            (self.temporary / MARKER).write_text(json.dumps({"kind": self.kind}) + "\n")
        old = None
        with _SignalsHeld():
            if self.out.is_dir() and not self.out.is_symlink():
                check_writable(self.out, self.kind, self.legacy, self.trusted)   # still mpsim's
                if exchange(self.temporary, self.out):
                    old = self.temporary                        # now holds the old contents
                else:                                           # pragma: no cover
                    old = self.out.with_name(f".{self.out.name}.{os.getpid()}.old")
                    os.rename(self.out, old)
                    os.rename(self.temporary, self.out)
            else:
                os.rename(self.temporary, self.out)
            self.committed = True
            self._old = old
        self._remove_old()
        self.temporary = None
        return self.out

    def _remove_old(self) -> None:
        """The replaced folder's contents, once the new ones are in place (also when a signal
        held during the swap stops the command right after it)."""
        old, self._old = getattr(self, "_old", None), None
        if old is not None and (old.exists() or old.is_symlink()):
            _remove(old)

    def _release(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._lock_path)
            self._lock_file.close()
            self._lock_file = None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, KeyboardInterrupt):     # say which folder the user now has
            exc.outputs = "new" if self.committed else "old"
        if self.temporary is not None and not self.committed:
            _remove(self.temporary)
        self._remove_old()
        self._release()
        return False


def replace_plots(folder, draw) -> list:
    """Redraw the plots of an mpsim folder as a set: ``draw(staging)`` writes
    ``staging/plots/*`` and returns their paths; they replace ``folder/plots`` whole.
    Returns the paths as they are after the swap."""
    folder = Path(folder)
    with OutputSet(folder / "plots", kind="plots", lock=False, trusted=True) as outputs:
        staging = outputs.temporary
        drawn = draw(staging)
        inner = staging / "plots"
        names = []
        for path in drawn:
            path = Path(path)
            path.rename(staging / path.name)
            names.append(path.name)
        if inner.is_dir():
            _remove(inner)
        outputs.commit()
    return [folder / "plots" / name for name in names]


def _remove(path: Path) -> None:
    """Remove a file, a link (not what it points to) or a folder tree."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def strict_json(value):
    """``value`` for ``json.dumps(..., allow_nan=False)``: NaN and infinities as null, numpy
    numbers as Python ones.

    >>> strict_json({"a": float("nan"), "b": [1.5, float("inf")]})
    {'a': None, 'b': [1.5, None]}
    """
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()                                    # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dump_json(value) -> str:
    """Strict JSON text (RFC 8259: no NaN), indented, ending with a newline."""
    return json.dumps(strict_json(value), indent=2, allow_nan=False, default=str) + "\n"
