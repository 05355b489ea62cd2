"""benchmarks/bench_net.py runs, in-process, on the tiny tree, and both loops do the same work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_net.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_net", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run_reports_both_rates_and_equal_work(capsys):
    result = load_bench().main(["--tiny"])
    out = capsys.readouterr().out
    assert "mpsim:" in out and "heapq:" in out and "ratio mpsim/heapq" in out
    assert result["depth"] == 4 and result["packets"] == 20 and result["tree_links"] == 30
    assert result["same_work"]
    # Every packet crosses the 2 links out of the root; lost ones go no further.
    assert 2 * 20 <= result["hops"] <= 30 * 20
    assert result["mpsim_rate"] > 0 and result["heapq_rate"] > 0
    assert result["ratio"] == pytest.approx(result["mpsim_rate"] / result["heapq_rate"])


def test_lossless_tiny_run_carries_every_packet_over_every_tree_link():
    bench = load_bench()
    mp = bench.run_mpsim(4, 20, 0.0, 1)
    hq = bench.run_heapq(4, 20, 0.0, 1)
    bench.check_same_work(mp, hq)
    assert set(mp["counts"].values()) == {(20, 20 * bench.SIZE, 0, 0, 0)}


def test_a_difference_in_work_is_caught():
    bench = load_bench()
    mp = bench.run_mpsim(4, 20, 0.0, 1)
    hq = bench.run_heapq(4, 19, 0.0, 1)
    try:
        bench.check_same_work(mp, hq)
    except AssertionError as error:
        assert "links differ" in str(error)
    else:
        raise AssertionError("check_same_work accepted different work")
