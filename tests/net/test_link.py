"""A link: serialization, the drop-tail queue (k may wait behind the one on the wire),
M/D/1 waiting times, counters, tracing."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpsim.core.errors import ParameterError
from mpsim.net import LinkSpec, Packet
from tests.net.helpers import Msg, two_nodes

# With 8/B a power of two every departure below is an exact binary fraction, so
# "arrives exactly when the previous one departs" is an exact float comparison.
EXACT_B = 8 * 2**20                   # bits/s: one byte takes 2**-20 s
EXACT_S = 1024                        # bytes: D = 2**-10 s


def burst(spec, n, size):
    """n packets transmitted at t = 0; returns (link, accepted flags, arrival time per seq)."""
    sim, _, link = two_nodes(spec)
    arrivals = {}
    accepted = [link.transmit(Packet(size, Msg(i)), lambda p, l: arrivals.__setitem__(p.msg.seq, sim.now))
                for i in range(n)]
    sim.run()
    return link, accepted, arrivals


@pytest.mark.parametrize("size,bandwidth,delay", [(1500, 1e6, 0.002), (100, 64e3, 0.0),
                                                  (EXACT_S, EXACT_B, 0.01), (40, 10e9, 1e-6)])
def test_burst_leaves_at_serialization_spacing(size, bandwidth, delay):
    n = 20
    link, accepted, arrivals = burst(LinkSpec(delay=delay, bandwidth=bandwidth, queue=None), n, size)
    assert all(accepted)
    tx = 8 * size / bandwidth
    for i in range(n):
        assert arrivals[i] == pytest.approx((i + 1) * tx + delay, abs=1e-12, rel=0)


@pytest.mark.parametrize("n,k", [(10, 0), (10, 1), (10, 3), (10, 8), (10, 9), (10, 25), (1, 0), (2, 0)])
def test_burst_drops_n_minus_k_minus_one(n, k):
    link, accepted, arrivals = burst(LinkSpec(delay="1ms", bandwidth="1Mbps", queue=k), n, 125)
    dropped = max(0, n - k - 1)
    assert link.queue_drops == dropped and link.drops == dropped
    assert accepted == [True] * (n - dropped) + [False] * dropped
    assert sorted(arrivals) == list(range(n - dropped))      # the first k + 1 get through
    assert link.packets == n - dropped and link.bytes == 125 * (n - dropped)


def test_queue_zero_accepts_a_packet_exactly_when_the_previous_departs():
    sim, _, link = two_nodes(LinkSpec(delay=0.0, bandwidth=EXACT_B, queue=0))
    got = []
    on_arrival = lambda p, l: got.append(p.msg.seq)
    assert link.transmit(Packet(EXACT_S, Msg(0)), on_arrival)
    departs = link.busy_until
    assert departs == 2**-10
    results = []
    sim.call_at(departs / 2, lambda: results.append(link.transmit(Packet(EXACT_S, Msg(1)), on_arrival)))
    sim.call_at(departs, lambda: results.append(link.transmit(Packet(EXACT_S, Msg(2)), on_arrival)))
    sim.run()
    assert results == [False, True]
    assert got == [0, 2]


def test_departed_packet_leaves_the_backlog_while_the_link_is_still_busy():
    """k = 1, a burst of 2 at t = 0: at D the first departs (the second is now on the wire),
    so a newcomer at exactly D may wait; one just before D may not."""
    sim, _, link = two_nodes(LinkSpec(delay=0.0, bandwidth=EXACT_B, queue=1))
    D = 2**-10
    on_arrival = lambda p, l: None
    assert link.transmit(Packet(EXACT_S, Msg(0)), on_arrival)
    assert link.transmit(Packet(EXACT_S, Msg(1)), on_arrival)
    results = {}
    for t, seq in [(D - 2**-20, 2), (D, 3), (D, 4)]:
        sim.call_at(t, lambda t, seq: results.__setitem__(seq, link.transmit(Packet(EXACT_S, Msg(seq)), on_arrival)), t, seq)
    sim.run()
    assert results == {2: False, 3: True, 4: False}
    assert link.queue_drops == 2 and link.packets == 3


def reference_drop_tail(times, D, d, k):
    """An independent FIFO model: per packet, its arrival time at the far end or None if dropped."""
    departures = []          # of accepted packets
    out = []
    last = 0.0
    for t in times:
        in_system = sum(1 for dep in departures if dep > t)
        waiting = max(0, in_system - 1)
        if k is not None and in_system > 0 and waiting >= k:
            out.append(None)
            continue
        last = max(t, last) + D
        departures.append(last)
        out.append(last + d)
    return out


@settings(max_examples=60, deadline=None)
@given(slots=st.lists(st.integers(0, 40), min_size=1, max_size=40),
       k=st.one_of(st.none(), st.integers(0, 5)))
def test_queue_matches_an_independent_drop_tail_model(slots, k):
    """Arrivals on a half-D grid, so many fall exactly on departures; sent = delivered + dropped."""
    D, d = 2**-10, 0.003
    times = sorted(s * D / 2 for s in slots)
    sim, _, link = two_nodes(LinkSpec(delay=d, bandwidth=EXACT_B, queue=k))
    arrivals = {}
    for seq, t in enumerate(times):
        sim.call_at(t, lambda seq: link.transmit(Packet(EXACT_S, Msg(seq)),
                                                     lambda p, l: arrivals.__setitem__(p.msg.seq, sim.now)), seq)
    sim.run()
    expected = reference_drop_tail(times, D, d, k)
    assert [arrivals.get(i) for i in range(len(times))] == pytest.approx(expected, abs=1e-12)
    assert len(arrivals) + link.drops == len(times)
    assert link.queue_drops == sum(a is None for a in expected)


@pytest.mark.parametrize("rho,n", [(0.5, 80_000), (0.8, 250_000)])
def test_md1_mean_wait(rho, n):
    """Poisson arrivals, fixed service D, unlimited queue: W_q = rho D / (2 (1 - rho)) within
    3 batch-means standard errors (50 batches), and that SE is below 2 % of W_q.
    n is about the smallest for which the SE stays below 2 % (relative SE ~ 4/sqrt(n) at
    rho = 0.5 and ~ 7/sqrt(n) at 0.8); the first 2 % of packets are a discarded warm-up."""
    size, delay = 125, 0.001
    sim, _, link = two_nodes(LinkSpec(delay=delay, bandwidth="1Mbps", queue=None))
    D = 8 * size / 1e6
    gaps = sim.rng.stream("test:arrivals").exponential(D / rho, n).tolist()
    sent = np.empty(n)
    received = np.full(n, np.nan)

    def on_arrival(packet, _link):
        received[packet.msg] = sim.now

    def arrive(i):
        sent[i] = sim.now
        link.transmit(Packet(size, i), on_arrival)
        if i + 1 < n:
            sim.call_later(gaps[i + 1], arrive, i + 1)

    sim.call_later(gaps[0], arrive, 0)
    sim.run()
    assert not np.isnan(received).any()
    wait = (received - sent - D - delay)[n // 50:]
    assert wait.min() > -1e-12
    batches = wait[: len(wait) // 50 * 50].reshape(50, -1).mean(axis=1)
    se = batches.std(ddof=1) / math.sqrt(50)
    expected = rho * D / (2 * (1 - rho))
    assert se < 0.02 * expected
    assert abs(wait.mean() - expected) < 3 * se, (wait.mean(), expected, se)


def test_counters_and_utilization():
    """Lost packets used the link (packets, bytes) and are drops; queue drops are not on the wire."""
    sim, _, link = two_nodes(LinkSpec(delay="1ms", bandwidth="1Mbps", queue=3, loss=0.3))
    delivered = []
    results = [link.transmit(Packet(125, Msg(i)), lambda p, l: delivered.append(p.msg.seq))
               for i in range(200)]
    for i in range(200, 400):
        sim.call_at((i - 199) * 0.01, lambda i: results.append(
            link.transmit(Packet(125, Msg(i)), lambda p, l: delivered.append(p.msg.seq))), i)
    sim.run()
    accepted = sum(results)
    assert link.queue_drops == 200 - 4 == 400 - accepted
    assert link.packets == accepted and link.bytes == 125 * accepted
    assert len(delivered) + link.losses == accepted
    assert link.drops == link.queue_drops + link.losses
    assert link.losses > 0
    assert link.utilization(2.0) == pytest.approx(accepted * 0.001 / 2.0, rel=1e-12)
    assert link.utilization(0.0) == 0.0


def test_down_link_drops_at_once():
    sim, net, link = two_nodes(LinkSpec())
    net.fail_link(0, 1)
    assert link.transmit(Packet(100, Msg()), lambda p, l: pytest.fail("delivered")) is False
    sim.run()
    assert link.drops == 1 and link.packets == 0


def test_tracing_records_sends_and_drops_with_their_times():
    sim, _, link = two_nodes(LinkSpec(delay="1ms", bandwidth="1Mbps", queue=0, loss=1.0), trace_packets=True)
    link.transmit(Packet(125, Msg()), lambda p, l: None)     # lost on the wire
    link.transmit(Packet(125, Msg()), lambda p, l: None)     # queue full
    sim.run()
    frame = sim.recorder.frame()
    rows = list(zip(frame.time, frame.event, frame.host, frame.peer, frame.detail))
    assert rows == [(0.0, "SEND", "0", "1", "TEST"), (0.0, "DROP", "0", "1", "TEST (queue)"),
                    (pytest.approx(0.002, abs=1e-12), "DROP", "0", "1", "TEST (loss)")]


def test_traced_packet_records_its_loss_without_packet_tracing():
    sim, _, link = two_nodes(LinkSpec(delay="1ms", bandwidth="1Mbps", loss=1.0))
    link.transmit(Packet(125, Msg(), trace=True), lambda p, l: None)
    link.transmit(Packet(125, Msg()), lambda p, l: None)
    sim.run()
    frame = sim.recorder.frame()
    assert frame.event.tolist() == ["DROP"] and frame.detail.tolist() == ["TEST (loss)"]


@pytest.mark.parametrize("field,value", [("queue", -1), ("queue", 1.5), ("queue", True),
                                         ("bandwidth", "0bps"), ("delay", "-1ms"), ("loss", 2.0)])
def test_linkspec_rejects_bad_values(field, value):
    with pytest.raises(ParameterError) as info:
        LinkSpec(**{field: value})
    assert repr(value) in str(info.value) and "allowed" in str(info.value)


def test_linkspec_with_parses_and_rejects_unknown():
    spec = LinkSpec().with_(delay="5ms", bandwidth="10Mbps")
    assert spec.delay.mean == 0.005 and spec.bandwidth == 10e6 and spec.queue == 64
    with pytest.raises(ParameterError, match="allowed: delay, bandwidth, queue, loss"):
        LinkSpec().with_(jitter="1ms")
