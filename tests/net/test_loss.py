"""Loss models, checked through real packets on a Link: Bernoulli and Gilbert–Elliott rates
within 3 standard errors, the GE mean burst length within 5 % of 1/r."""

import math

import numpy as np
import pytest

from mpsim.core.errors import ParameterError
from mpsim.net import Bernoulli, GilbertElliott, LinkSpec, Packet, make_loss
from tests.net.helpers import two_nodes


def lost_flags(loss, n, seed=1, chunk=1000):
    """Send n packets on one link (unlimited queue), ``chunk`` at a time every 1 ms (the
    time a chunk takes at 1 Gbps, so the link never idles and the heap stays small);
    True where a packet did not arrive. Cross-checked against the link's loss counter."""
    sim, _, link = two_nodes(LinkSpec(delay="1ms", bandwidth="1Gbps", queue=None, loss=loss), seed)
    arrived = [False] * n

    def on_arrival(packet, _link):
        arrived[packet.msg] = True

    def send(start):
        for i in range(start, min(n, start + chunk)):
            link.transmit(Packet(125, i), on_arrival)
        if start + chunk < n:
            sim.call_later(0.001, send, start + chunk)

    sim.call_at(0.0, send, 0)
    sim.run()
    lost = ~np.array(arrived)
    assert link.losses == lost.sum() == link.drops and link.packets == n
    return lost


def test_bernoulli_loss_rate():
    p, n = 0.1, 20_000                       # SE = sqrt(p(1-p)/n) = 0.0021
    lost = lost_flags(p, n)
    se = math.sqrt(p * (1 - p) / n)
    assert abs(lost.mean() - p) < 3 * se, (lost.mean(), se)


def test_bernoulli_losses_are_uncorrelated():
    """Lag-1 autocorrelation of the loss indicator within 3 SE (1/sqrt(n)) of 0."""
    n = 20_000
    lost = lost_flags(0.1, n, seed=2).astype(float)
    x = lost - lost.mean()
    r1 = (x[:-1] * x[1:]).sum() / (x * x).sum()
    assert abs(r1) < 3 / math.sqrt(n)


def runs_of_true(flags):
    """Lengths of the maximal runs of True, leaving out runs that touch either end
    (they may be cut short by the window)."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[::2], edges[1::2]
    keep = (starts > 0) & (ends < len(flags))
    return (ends - starts)[keep]


GE = dict(p=0.01, r=0.25, loss_good=0.0, loss_bad=1.0)
# Bursts are i.i.d. geometric(r): mean 1/r = 4, std sqrt(1-r)/r = 3.46. 5 % of 4 = 0.2 > 3 SE
# needs > (3 * 3.46 / 0.2)^2 = 2 700 bursts; one starts every (p + r)/(p r) = 104 packets,
# so 400 000 packets give ~3 800 bursts (SE 0.056, 3 SE = 0.17).
GE_PACKETS = 400_000


@pytest.fixture(scope="module")
def ge_lost():
    return lost_flags({"gilbert_elliott": GE}, GE_PACKETS, seed=3)


def test_gilbert_elliott_loss_rate(ge_lost):
    """Stationary loss p/(p + r) within 3 batch-means SE (50 batches of 8 000 packets,
    each ~80 burst cycles long, so the batch means are nearly independent)."""
    expected = GE["p"] / (GE["p"] + GE["r"])
    batches = ge_lost.reshape(50, -1).mean(axis=1)
    se = batches.std(ddof=1) / math.sqrt(50)
    assert se < 0.03 * expected              # tolerance 3 SE: below 9 % of the rate
    assert abs(ge_lost.mean() - expected) < 3 * se, (ge_lost.mean(), expected, se)


def test_gilbert_elliott_mean_burst_length(ge_lost):
    bursts = runs_of_true(ge_lost)
    target = 1 / GE["r"]
    se = bursts.std(ddof=1) / math.sqrt(len(bursts))
    assert 0.05 * target > 3 * se, (len(bursts), se)
    assert abs(bursts.mean() - target) < 0.05 * target, (bursts.mean(), se)


def test_gilbert_elliott_gaps_are_geometric_in_p(ge_lost):
    """Runs of delivered packets (good sojourns) have mean 1/p, within 3 SE."""
    gaps = runs_of_true(~ge_lost)
    se = gaps.std(ddof=1) / math.sqrt(len(gaps))
    assert abs(gaps.mean() - 1 / GE["p"]) < 3 * se


@pytest.mark.parametrize("loss", [0.0, {"gilbert_elliott": {"p": 0.0, "r": 0.5, "loss_bad": 1.0}},
                                  {"gilbert_elliott": {"p": 0.3, "r": 0.5, "loss_bad": 0.0}}])
def test_lossless_models_lose_nothing(loss):
    assert not lost_flags(loss, 5_000).any()


def test_lossless_property():
    assert GilbertElliott(0.0, 0.5).lossless and Bernoulli(0.0).lossless
    assert GilbertElliott(0.3, 0.5, loss_bad=0.0).lossless
    assert not GilbertElliott(0.1, 0.5).lossless and not GilbertElliott(0.0, 0.5, loss_good=0.1).lossless
    assert not Bernoulli(1e-9).lossless


@pytest.mark.parametrize("p,r,hg,hb", [(0.01, 0.25, 0.0, 1.0), (0.2, 0.3, 0.1, 0.6), (0.0, 1.0, 0.2, 1.0)])
def test_gilbert_elliott_rate_formula(p, r, hg, hb):
    # stationary distribution of the two-state chain, solved numerically
    P = np.array([[1 - p, p], [r, 1 - r]])
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(abs(w - 1))])
    pi = pi / pi.sum()
    assert GilbertElliott(p, r, hg, hb).rate == pytest.approx(pi[0] * hg + pi[1] * hb, rel=1e-12)


@pytest.mark.parametrize("spec,expected", [
    (0.1, Bernoulli(0.1)), (0, Bernoulli(0.0)),
    ({"gilbert_elliott": {"p": 0.01, "r": 0.25}}, GilbertElliott(0.01, 0.25, 0.0, 1.0)),
    ({"gilbert_elliott": {"p": 0.1, "r": 0.2, "loss_good": 0.01, "loss_bad": 0.5}},
     GilbertElliott(0.1, 0.2, 0.01, 0.5)),
])
def test_make_loss(spec, expected):
    assert make_loss(spec) == expected


@pytest.mark.parametrize("spec,fragment", [
    (1.5, "1.5"), (-0.1, "-0.1"), (math.nan, "nan"), ("0.1", "'0.1'"), (True, "True"),
    ({"gilbert_elliott": {"p": 0.0, "r": 0.0}}, "p + r"),
    ({"gilbert_elliott": {"p": 0.1}}, "needs p and r"),
    ({"gilbert_elliott": {"p": 0.1, "r": 0.1, "h": 1}}, "unknown: h"),
    ({"gilbert_elliott": {"p": 1.2, "r": 0.1}}, "gilbert_elliott.p = 1.2"),
    ({"bernoulli": 0.1}, "allowed"),
])
def test_make_loss_errors(spec, fragment):
    with pytest.raises(ParameterError) as info:
        make_loss(spec)
    assert fragment in str(info.value)
