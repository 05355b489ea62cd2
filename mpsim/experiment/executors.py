"""Where a sweep's runs are made: in this process, a local process pool, or a Dask cluster.

Every executor is given the plans of all grid points once and yields
``RunOutcome``s as runs finish, in whatever order they finish; the results do
not depend on it (each run is a function of its plan and seed). ``abort``
stops whatever is still running, for Ctrl-C.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from urllib.parse import urlparse

from mpsim.core.errors import MpsimError
from mpsim.experiment import worker

log = logging.getLogger(__name__)


#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 10.0


class ExecutorError(MpsimError):
    """An executor cannot be had (a bad ``--jobs``, an unreachable scheduler)."""

    one_line = True


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                                   # pragma: no cover (not Linux)
        return os.cpu_count() or 1


class InProcess:
    """Runs one after another in this process (``--jobs 1``)."""

    name = "in-process"
    workers = 1

    def __init__(self, plans: dict):
        self.plans = plans

    def run(self, tasks):
        for task in tasks:
            yield worker.execute(self.plans[task.point], task)

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessPool:
    """``jobs`` worker processes on this machine (``--jobs N``), given every plan once,
    each then running many tasks.

    Workers are forked from this process when it runs no other thread (no pickling,
    nothing to import again: they start in milliseconds), and otherwise from a server
    process that imports mpsim once (``forkserver``: forking a process with threads
    can deadlock the child, and costs a second of start-up). Either way they are all
    started here, before a progress bar's thread exists.
    """

    name = "process pool"

    def __init__(self, plans: dict, jobs: int):
        self.workers = jobs
        if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
        else:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["mpsim.experiment.worker"])
        self._others = set(multiprocessing.active_children())
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                        initializer=worker.install, initargs=(plans,))
        self.start_method = context.get_start_method()
        for _ in range(jobs):                  # start every worker now
            self.pool.submit(int)
        self.futures = set()

    def run(self, tasks):
        # keep a few tasks per worker queued, not all: an abort then has little to cancel
        # and memory stays flat on sweeps of many thousand runs
        pending = iter(tasks)
        waiting = {}
        for task in pending:
            waiting[self.pool.submit(worker.run_installed, task)] = task
            if len(waiting) >= 4 * self.workers:
                break
        self.futures = set(waiting)
        while waiting:
            done, _ = wait(list(waiting), return_when=FIRST_COMPLETED)
            for future in done:
                task = waiting.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:          # the worker died (killed, out of memory)
                    outcome = worker.RunOutcome(task, False, error=f"the worker process died: "
                                                                   f"{type(exc).__name__}: {exc}")
                yield outcome
                nxt = next(pending, None)
                if nxt is not None:
                    waiting[self.pool.submit(worker.run_installed, nxt)] = nxt
            self.futures = set(waiting)

    def abort(self) -> None:
        """Cancel what has not started and end the workers (their runs are lost, none
        was written)."""
        processes = [p for p in multiprocessing.active_children() if p not in self._others]
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class DaskCluster:
    """Runs on a Dask cluster: an existing one (``--scheduler ADDRESS``) or a
    ``LocalCluster`` of ``n`` single-threaded worker processes (``--dask-local N``).
    The plans are scattered to every worker once."""

    name = "dask"

    def __init__(self, plans: dict, scheduler: str | None = None, local: int | None = None,
                 timeout: float = CONNECT_TIMEOUT):
        try:
            from distributed import Client, LocalCluster
        except ImportError:                                   # pragma: no cover
            raise ExecutorError("Dask is not installed: pip install 'dask[distributed]'") from None
        self.cluster = None
        if scheduler is not None:
            try:
                self.client = Client(scheduler, timeout=timeout, set_as_default=False)
            except Exception as exc:             # refused, timed out, an address Dask rejects
                raise ExecutorError(f"--scheduler {scheduler}: cannot connect "
                                    f"({type(exc).__name__}: {exc})") from None
        else:
            self.cluster = LocalCluster(n_workers=local, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster, set_as_default=False)
        self.workers = max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))
        self.plans = self.client.scatter(plans, broadcast=True, hash=False)
        self.futures = []

    def run(self, tasks):
        from distributed import as_completed
        tasks = list(tasks)
        self.futures = self.client.map(worker.run_with, tasks, plans=self.plans, pure=False)
        pairs = zip(self.futures, tasks, strict=True)
        by_key = {future.key: task for future, task in pairs}
        for future in as_completed(self.futures, loop=self.client.loop):
            try:
                outcome = future.result()
            except Exception as exc:              # the worker died or the result was lost
                outcome = worker.RunOutcome(by_key[future.key], False,
                                            error=f"dask: {type(exc).__name__}: {exc}")
            future.release()
            yield outcome

    def abort(self) -> None:
        try:
            self.client.cancel(self.futures, force=True)
        finally:
            self.close()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _check_reachable(address: str, timeout: float) -> None:
    """Fail at once, with one line, when a ``tcp://`` scheduler does not answer."""
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.scheme == "inproc":
        raise ExecutorError(f"--scheduler {address}: an inproc:// scheduler lives inside another "
                            "process; allowed: an address like tcp://HOST:PORT")
    if parsed.scheme != "tcp":
        return
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.hostname is None or port is None:
        raise ExecutorError(f"--scheduler {address}: not an address like tcp://HOST:PORT")
    try:
        socket.create_connection((parsed.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise ExecutorError(f"--scheduler {address}: cannot connect "
                            f"({exc.strerror or exc})") from None


def check_options(jobs: int | None = None, scheduler: str | None = None,
                  dask_local: int | None = None, probe: bool = True) -> None:
    """Refuse contradicting or impossible executor options, and (``probe``) a ``tcp://``
    scheduler that does not answer, before anything else is done."""
    chosen = [name for name, value in (("--jobs", jobs), ("--scheduler", scheduler),
                                       ("--dask-local", dask_local)) if value is not None]
    if len(chosen) > 1:
        raise ExecutorError(f"{' and '.join(chosen)}: give one of them")
    for name, value in (("--jobs", jobs), ("--dask-local", dask_local)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ExecutorError(f"{name} {value!r}: allowed an integer >= 1")
    if scheduler is not None and probe:
        _check_reachable(scheduler, CONNECT_TIMEOUT)


def make_executor(plans: dict, jobs: int | None = None, scheduler: str | None = None,
                  dask_local: int | None = None, runs: int | None = None):
    """The executor that the options ask for: ``scheduler`` or ``dask_local`` for Dask,
    else ``jobs`` processes (default: the number of cores; 1 runs in this process).
    ``runs`` caps the pool at the number of runs to make. (The scheduler's address is
    not probed again here: ``sweep`` probes it before the store is opened, and the
    client's own connection says the rest.)"""
    check_options(jobs, scheduler, dask_local, probe=False)
    if scheduler is not None or dask_local is not None:
        return DaskCluster(plans, scheduler=scheduler, local=dask_local)
    jobs = cores() if jobs is None else jobs
    if runs is not None:
        jobs = max(1, min(jobs, runs))
    return InProcess(plans) if jobs == 1 else ProcessPool(plans, jobs)
