"""The simulated clock: equal-time order across direct calls and SimPy, ``run(until)``, timers."""

import math

import pytest

from mpsim.core import Simulation, Timer
from mpsim.core.errors import ParameterError


def test_equal_time_events_run_in_scheduling_order_mixing_calls_and_processes():
    sim = Simulation()
    env = sim.env
    log = []

    def note(tag):
        log.append((sim.now, tag))

    def direct(tag):
        note(tag)
        sim.call_later(0.0, note, tag + "'")        # scheduled while running at t = 1

    def proc():
        yield env.timeout(1.0)                       # scheduled when the process starts (t = 0)
        note("p")
        yield env.timeout(0.0)
        note("p'")

    sim.call_at(1.0, direct, "d1")
    sim.process(proc())          # its first step runs at t = 0, after the two call_at()s
    sim.call_at(1.0, direct, "d2")
    timeout = env.timeout(1.0)   # a plain SimPy event, scheduled after d2 but before p's timeout
    timeout.callbacks.append(lambda _e: note("t"))
    sim.run()
    assert log == [(1.0, "d1"), (1.0, "d2"), (1.0, "t"), (1.0, "p"),
                   (1.0, "d1'"), (1.0, "d2'"), (1.0, "p'")]


def test_at_one_instant_calls_timeouts_new_processes_and_events_keep_scheduling_order():
    """The ordering promise of ``mpsim.core.sim``: at one instant, a direct call, a
    ``timeout(0)``, a new process's first step and a succeeding event run in the order
    they were scheduled. (SimPy alone would start the process first: its first step is
    URGENT there.)"""
    sim = Simulation()
    env = sim.env
    log = []

    def proc(tag):
        log.append(tag)
        yield env.timeout(0)
        log.append(tag + "'")

    def at_one():
        sim.call_later(0.0, log.append, "call-1")
        env.timeout(0).callbacks.append(lambda _e: log.append("timeout-0"))
        env.process(proc("process"))
        event = env.event()
        event.callbacks.append(lambda _e: log.append("event"))
        event.succeed()
        sim.call_later(0.0, log.append, "call-2")

    sim.call_at(1.0, at_one)
    sim.run()
    assert log == ["call-1", "timeout-0", "process", "event", "call-2", "process'"]


def test_many_equal_time_calls_keep_insertion_order():
    sim = Simulation()
    log = []
    for i in range(1000):
        sim.call_at(2.0 if i % 2 else 1.0, log.append, i)
    sim.run()
    assert log == list(range(0, 1000, 2)) + list(range(1, 1000, 2))


def test_call_arguments_and_clock():
    sim = Simulation()
    got = []
    sim.call_later(0.25, lambda *args: got.append((sim.now, *args)), "x", 7)
    sim.call_at(0.5, lambda *args: got.append((sim.now, *args)))
    sim.call_at(0.75, lambda *args: got.append((sim.now, *args)), 1, 2, 3)
    assert sim.run() == 0.75
    assert got == [(0.25, "x", 7), (0.5,), (0.75, 1, 2, 3)]


def test_every_heap_entry_has_one_shape():
    """Direct calls, timers, link arrivals and SimPy's events all sit on the heap as
    ``(time, seq, fn, a, b)``: one writer, one shape."""
    import networkx as nx

    from mpsim.net import LinkSpec, Network, Packet, Topology
    sim = Simulation()
    net = Network(sim, Topology(nx.Graph([(0, 1)]), links=LinkSpec()))
    sim.call_at(1.0, print)
    sim.timer(1.0, print)
    net.link(0, 1).transmit(Packet(100), lambda p, l: None)
    sim.env.timeout(1.0)
    sim.process(x for x in ())
    event = sim.env.event()
    event.succeed()
    queue = sim.clock._queue
    assert len(queue) == 6
    assert all(len(entry) == 5 and isinstance(entry[0], float) and isinstance(entry[1], int)
               and callable(entry[2]) for entry in queue)
    assert sorted(entry[1] for entry in queue) == list(range(6))   # one sequence for all


def test_simpy_run_with_a_time_uses_the_same_loop():
    sim = Simulation()
    log = []
    sim.call_at(1.0, log.append, 1)
    sim.call_at(2.0, log.append, 2)
    assert sim.env.run(until=2.0) == 2.0 and log == [1]
    with pytest.raises(ParameterError, match="a time in seconds"):
        sim.env.run(until=sim.env.event())


def test_run_until_does_not_run_events_at_until_and_sets_now():
    sim = Simulation()
    log = []
    sim.call_at(1.0, lambda: log.append(sim.now))
    sim.call_at(2.0, lambda: log.append(sim.now))
    assert sim.run(2.0) == 2.0
    assert log == [1.0] and sim.now == 2.0
    sim.run()
    assert log == [1.0, 2.0]


def test_run_until_with_nothing_left_still_advances_the_clock():
    sim = Simulation()
    assert sim.run(5.0) == 5.0 and sim.now == 5.0
    assert sim.run(5.0) == 5.0


def test_run_until_stops_a_simpy_process_at_until():
    sim = Simulation()
    ticks = []

    def clock():
        while True:
            ticks.append(sim.now)
            yield sim.env.timeout(1.0)

    sim.process(clock())
    sim.run(3.0)
    assert ticks == [0.0, 1.0, 2.0]
    sim.run(4.5)
    assert ticks == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_events_processed_and_progress():
    sim = Simulation()
    for i in range(10):
        sim.call_at(float(i), lambda: None)
    seen = []
    sim.run(progress=seen.append, progress_every=4)
    assert sim.events_processed == 10
    assert seen == [3.0, 7.0]


@pytest.mark.parametrize("until", [-1.0, math.nan])
def test_run_until_in_the_past_or_nan_is_rejected(until):
    sim = Simulation()
    with pytest.raises(ParameterError) as info:
        sim.run(until)
    assert repr(until) in str(info.value) and "allowed" in str(info.value)


def test_scheduling_in_the_past_is_rejected():
    sim = Simulation()
    sim.run(1.0)
    with pytest.raises(ParameterError, match="allowed"):
        sim.call_later(-0.5, lambda: None)
    with pytest.raises(ParameterError, match="past"):
        sim.call_at(0.5, lambda: None)


def test_timer_fires_once_at_its_time_with_its_argument():
    sim = Simulation()
    fired = []
    timer = sim.timer(1.5, lambda arg: fired.append((sim.now, arg)), "T303")
    assert isinstance(timer, Timer) and timer.when == 1.5 and timer.active
    sim.run()
    assert fired == [(1.5, "T303")] and not timer.active


def test_timer_cancel():
    sim = Simulation()
    fired = []
    kept = sim.timer(1.0, fired.append, "kept")
    cancelled = sim.timer(1.0, fired.append, "cancelled")
    sim.call_at(0.5, lambda: cancelled.cancel())
    sim.run()
    assert fired == ["kept"] and not cancelled.active and not kept.active


def test_timer_cancelled_at_its_own_expiry_instant_by_an_earlier_event():
    """An event scheduled before the timer at the same instant may still cancel it."""
    sim = Simulation()
    fired = []
    holder = {}
    sim.call_at(1.0, lambda: holder["t"].cancel())
    holder["t"] = sim.timer(1.0, fired.append, "x")
    sim.run()
    assert fired == []


def test_simpy_process_failure_propagates():
    sim = Simulation()

    def broken():
        yield sim.env.timeout(1.0)
        raise RuntimeError("boom")

    sim.process(broken())
    with pytest.raises(RuntimeError, match="boom"):
        sim.run()


def test_simulation_owns_streams_and_recorder():
    sim = Simulation(seed=9, trace_packets=True)
    assert sim.rng.seed == 9 and sim.recorder.packets
    assert Simulation(seed=9).rng.stream("a").random() == sim.rng.stream("a").random()


def test_the_cyclic_collector_is_off_while_a_run_goes_on_and_restored_after():
    """``Simulation.run`` keeps the cyclic GC out of the run (``collector_off``) and puts
    back whatever state it found, also when the run raises."""
    import gc

    from mpsim.core import Simulation

    seen = []
    sim = Simulation(1)
    sim.call_at(1.0, lambda: seen.append((gc.isenabled(), gc.get_freeze_count() > 0)))
    assert gc.isenabled()
    sim.run()
    assert seen == [(False, True)] and gc.isenabled() and gc.get_freeze_count() == 0

    def fail():
        raise RuntimeError("boom")

    sim.call_at(2.0, fail)
    gc.disable()
    try:
        try:
            sim.run()
        except RuntimeError:
            pass
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_what_a_run_made_is_not_left_young_for_the_collector_to_sweep_at_once():
    """After a run, its objects are in the oldest generation: had they stayed young, the
    first allocation after the collector comes back would sweep them all (0.2 s for 3 M
    objects, on every run)."""
    import gc

    from mpsim.core.sim import collector_off

    with collector_off():
        made = [[i] for i in range(50_000)]
    assert len(gc.get_objects(generation=0)) + len(gc.get_objects(generation=1)) < 1_000
    assert len(made) == 50_000
