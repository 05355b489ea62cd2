"""Every executor gives the same runs, byte for byte, and the same sweep.csv."""

from __future__ import annotations

import pytest

from mpsim.experiment.executors import ExecutorError, check_options, make_executor
from tests.experiment.helpers import TINY, mpsim, run_files


@pytest.mark.slow
def test_jobs_1_jobs_2_and_a_dask_local_cluster_give_identical_results(tmp_path):
    outputs = {}
    for name, option in (("one", ["--jobs", "1"]), ("two", ["--jobs", "2"]),
                         ("dask", ["--dask-local", "2"])):
        out = tmp_path / name
        done = mpsim("sweep", TINY, "-o", out, "--no-plots", *option)
        assert done.returncode == 0, done.stderr
        assert "6 runs (6 made now, 0 kept)" in done.stdout
        outputs[name] = out
    reference = run_files(outputs["one"])
    assert len(reference) == 6 and all(len(files) == 2 for files in reference.values())
    csv = (outputs["one"] / "sweep.csv").read_bytes()
    for name in ("two", "dask"):
        assert run_files(outputs[name]) == reference, name
        assert (outputs[name] / "sweep.csv").read_bytes() == csv, name


def test_options_that_contradict_or_make_no_sense_are_refused():
    with pytest.raises(ExecutorError, match="--jobs and --dask-local: give one of them"):
        check_options(jobs=2, dask_local=2)
    for bad in (0, -1, True):
        with pytest.raises(ExecutorError, match="allowed an integer >= 1"):
            check_options(jobs=bad)
    with pytest.raises(ExecutorError, match="not an address like tcp://HOST:PORT"):
        check_options(scheduler="tcp://nowhere")
    with pytest.raises(ExecutorError, match="inproc:// scheduler lives inside another process"):
        check_options(scheduler="inproc://127.0.0.1/123/1")


def test_an_unreachable_scheduler_is_refused_at_once():
    with pytest.raises(ExecutorError, match=r"--scheduler tcp://127\.0\.0\.1:9: cannot connect"):
        check_options(scheduler="tcp://127.0.0.1:9")


def test_a_pool_is_never_larger_than_the_runs_to_make():
    assert make_executor({}, jobs=8, runs=1).name == "in-process"
    pool = make_executor({}, jobs=8, runs=3)
    try:
        assert pool.name == "process pool" and pool.workers == 3
    finally:
        pool.close()


def outputs_of(plans, tasks, start_method):
    """Each task's (joins, summary) bytes from a two-worker pool, which must have been
    started by ``start_method``."""
    pool = make_executor(plans, jobs=2)
    try:
        assert pool.start_method == start_method
        return {o.task: (o.joins, o.summary) for o in pool.run(tasks)}
    finally:
        pool.close()


def test_a_process_with_threads_forks_its_workers_from_a_server_with_the_same_results():
    """Forking a process that runs threads can deadlock the child: then the workers come
    from a forkserver instead, and give the same bytes."""
    import threading

    from mpsim.core.rng import replication_seed
    from mpsim.experiment.worker import Task
    from mpsim.scenario.sweep import load_sweep

    plan = load_sweep(TINY)
    plans = {p.index: p.plan for p in plan.points}
    tasks = [Task(p, r, replication_seed(3, r)) for p in range(2) for r in range(2)]
    forked = outputs_of(plans, tasks, "fork")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        from_server = outputs_of(plans, tasks, "forkserver")
    finally:
        stop.set()
        thread.join()
    in_process = {o.task: (o.joins, o.summary) for o in make_executor(plans, jobs=1).run(tasks)}
    assert forked == from_server == in_process and len(forked) == 4


@pytest.mark.slow
def test_an_existing_dask_cluster_by_its_address(tmp_path):
    """``--scheduler ADDRESS``: the command connects to a cluster it did not start (here one
    in this test's process) and gets the runs of ``--jobs 1``, byte for byte."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        done = mpsim("sweep", TINY, "-o", tmp_path / "remote", "--no-plots", "--scheduler",
                     cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    assert "6 runs (6 made now, 0 kept)" in done.stdout
    local = mpsim("sweep", TINY, "-o", tmp_path / "local", "--no-plots", "-q", "--jobs", "1")
    assert local.returncode == 0, local.stderr
    assert run_files(tmp_path / "remote") == run_files(tmp_path / "local")
    assert (tmp_path / "remote" / "sweep.csv").read_bytes() == \
        (tmp_path / "local" / "sweep.csv").read_bytes()
