"""t_quantile is scipy's stdtrit to the bit (its values go into summary.json at full precision),
and for 1, 2 and 4 degrees of freedom it needs no scipy."""

import subprocess
import sys

import numpy as np
import pytest

from mpsim.analysis.latency import t_quantile

special = pytest.importorskip("scipy.special")

RNG = np.random.default_rng(13)
#: A grid of probabilities: even, random, both far tails, and the ones confidence levels give.
PROBABILITIES = np.concatenate([
    np.linspace(0, 1, 20_001), RNG.random(20_000), 10.0 ** -RNG.uniform(0, 300, 5_000),
    1 - 10.0 ** -RNG.uniform(0, 16, 5_000),
    [0.5 + c / 2 for c in (0.8, 0.9, 0.95, 0.98, 0.99, 0.999)], [0.5, np.nextafter(0.5, 1), 5e-324]])


def same(got, want) -> bool:
    return got == want or (np.isnan(got) and np.isnan(want))


@pytest.mark.parametrize("dof", [1, 2, 4])
def test_the_closed_forms_are_stdtrit_to_the_bit(dof):
    want = special.stdtrit(dof, PROBABILITIES)
    bad = [(p, t_quantile(float(p), dof), w) for p, w in zip(PROBABILITIES, want, strict=True)
           if not same(t_quantile(float(p), dof), w)]
    assert not bad, bad[:5]


def test_every_dof_is_stdtrit_to_the_bit():
    probabilities = PROBABILITIES[::50]
    for dof in [*range(1, 41), 60, 99, 100, 1000, 10**5, 10**9, 1.0, 4.0, 2.5]:
        want = special.stdtrit(dof, probabilities)
        assert all(same(t_quantile(float(p), dof), w) for p, w in zip(probabilities, want, strict=True)), dof


def test_a_small_run_needs_no_scipy():
    code = ("import sys; from mpsim.analysis.latency import latency_stats; "
            "latency_stats([1.0, 2.0]); latency_stats([1.0, 2.0, 4.0]); latency_stats([1, 2, 3, 4, 6.0]); "
            "print('scipy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
