"""mpsim/apps/traffic.py: ``ConstantRateSender`` sends one packet at start + k/rate for
k = 0, 1, ... while that time is before ``stop`` (or the run's end), and skips a tick
when its host may not send."""

import math

import pytest

from mpsim.apps.traffic import ConstantRateSender
from mpsim.core.errors import ParameterError
from tests.apps.helpers import records, run_yaml

IPMC = """\
name: traffic
duration: {duration}
topology:
  generator: path_graph
  params: {{n: 2}}
  links: {{delay: 1ms}}
hosts:
  a: {{node: 0}}
  b: {{node: 1}}
sessions:
  - {{name: tv, provider: ipmc, rp: 0}}
actions:
  - {{at: 0s, host: b, do: join, session: tv}}
traffic:
  - {{from: a, session: tv, rate: {rate}/s, size: 200B, start: {start}s{stop}}}
trace: {{packets: true}}
"""


def data_sent_by(run, host):
    """The times ``host`` put a data packet on its access link."""
    sends = records(run, "net", "SEND", host)
    return list(sends[sends.detail == "DATA"].time)


@pytest.mark.parametrize("rate, start, stop, duration", [
    (20, 0.5, 2.0, 3.0),        # (stop - start)·rate = 30 exactly: no packet at stop itself
    (30, 0.25, 1.3, 3.0),       # 31.5 intervals: 32 packets
    (7, 0.1, None, 2.0),        # no stop: the run's end stops it (13.3 intervals: 14 packets)
])
def test_packets_leave_at_start_plus_k_intervals_until_stop(tmp_path, rate, start, stop, duration):
    text = IPMC.format(rate=rate, start=start, duration=f"{duration}s",
                       stop="" if stop is None else f", stop: {stop}s")
    run = run_yaml(tmp_path, text)
    end = duration if stop is None else stop
    count = math.ceil((end - start) * rate)                    # #{k >= 0 : start + k/rate < end}
    assert data_sent_by(run, "a") == [start + k * (1 / rate) for k in range(count)]
    sender, = run.senders
    assert (sender.sent, sender.skipped) == (count, 0)
    # b joined at 0 and is one hop from the RP (a's router): it gets every packet.
    assert run.apps[("b", "tv")].socket.recv() == (count, 200 * count)


ATM = """\
name: traffic
duration: 3s
topology:
  generator: path_graph
  params: {n: 2}
  links: {delay: 10ms}
hosts:
  boss: {node: 0}
  c1: {node: 1}
sessions:
  - {name: call, provider: atm, root: boss}
actions:
  - {at: 0s, host: boss, do: listen, session: call}
  - {at: 1s, host: c1, do: request, session: call}
traffic:
  - {from: c1, session: call, rate: 10/s, size: 100B, stop: 2.55s}
"""


def test_a_leaf_skips_the_ticks_before_it_is_connected_and_keeps_the_schedule(tmp_path):
    """On a rooted session a leaf sends only once connected: the ticks before its
    FD_CONNECT are skipped (counted, nothing sent), and the later ones keep to k/rate."""
    run = run_yaml(tmp_path, ATM)
    joins = run.stack.joins.frame()
    t_connected, = joins.t_complete
    assert list(joins.outcome) == ["connected"] and 1.0 < t_connected < 1.1
    ticks = [k * (1 / 10) for k in range(math.ceil(2.55 * 10))]        # 0.0 .. 2.5: 26 ticks
    sender, = run.senders
    expected_sent = sum(1 for t in ticks if t > t_connected)
    assert (sender.sent, sender.skipped) == (expected_sent, len(ticks) - expected_sent)
    # What c1 sent reached the root, on the per-leaf socket that stands for c1.
    per_leaf = run.apps[("boss", "call")].socket.leaves["c1"]
    assert per_leaf.recv() == (expected_sent, 100 * expected_sent)


class _App:
    class sim:
        now = 0.0

        @staticmethod
        def call_at(*args):
            pass


@pytest.mark.parametrize("rate", [0.0, -1.0, math.nan, 1e300, 2e6])
def test_the_sender_refuses_a_rate_the_scenario_refuses(rate):
    with pytest.raises(ParameterError, match="rate"):
        ConstantRateSender(_App(), rate, 100)


@pytest.mark.parametrize("size", [0, -100])
def test_the_sender_refuses_a_packet_of_no_bytes(size):
    with pytest.raises(ParameterError, match="size"):
        ConstantRateSender(_App(), 10.0, size)
