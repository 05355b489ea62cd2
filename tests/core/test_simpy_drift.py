"""What ``mpsim.core.sim.Clock`` relies on of SimPy's internals (``simpy>=4.1,<4.2``).

If one of these fails after a SimPy upgrade, re-read ``simpy.core.Environment.step``
and ``schedule`` and the events that call it, and bring ``Clock`` (and the pin in
pyproject.toml) up to date before relaxing anything here.
"""

import hashlib
import inspect

import pytest
import simpy
import simpy.core
import simpy.events

from mpsim.core.sim import Clock, _fire

#: Digests of ``Environment.step``'s source in the SimPy versions ``_fire`` was checked
#: against: 4.1.1, and 4.1.2 (which added the rescheduling of an event whose callback
#: raised ``StopSimulation``; ``Clock.run`` takes no event to run until, so nothing
#: raises it there).
STEP_SOURCES = {"5fb50ffb3559": "4.1.1", "8fea2b488c8a": "4.1.2"}


def _digest(fn) -> str:
    return hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:12]


def test_simpy_is_a_version_clock_was_tested_with():
    major, minor = (int(x) for x in simpy.__version__.split(".")[:2])
    assert (major, minor) == (4, 1), f"simpy {simpy.__version__}: Clock was tested with 4.1.x"


def test_environment_step_is_the_one_fire_mirrors():
    assert _digest(simpy.core.Environment.step) in STEP_SOURCES, (
        "simpy.core.Environment.step changed: compare it with mpsim.core.sim._fire")


def test_schedule_is_the_hook_with_the_signature_clock_overrides():
    params = list(inspect.signature(simpy.core.Environment.schedule).parameters)
    assert params == ["self", "event", "priority", "delay"]


def test_the_environment_keeps_its_clock_and_heap_where_clock_reads_them():
    env = Clock(2.5)
    assert env._now == 2.5 and env.now == 2.5
    assert isinstance(env._queue, list) and env._queue == []
    assert env.active_process is None


def _every_kind_of_event(env, log):
    """Timeouts, events that succeed or fail (defused), a process with a return value,
    conditions and an interrupt: between them every path by which SimPy schedules."""
    def child():
        yield env.timeout(1)
        return "child-value"

    def victim():
        try:
            yield env.timeout(10)
        except simpy.Interrupt as interrupt:
            log.append((env.now, "interrupted", interrupt.cause))

    def parent():
        value = yield env.process(child())
        log.append((env.now, "child", value))
        a, b = env.timeout(1, "a"), env.timeout(2, "b")
        result = yield a & b
        log.append((env.now, "all", sorted(result.values())))
        result = yield env.timeout(3, "c") | env.timeout(4, "d")
        log.append((env.now, "any", list(result.values())))
        failing = env.event()
        failing.fail(ValueError("defused"))
        failing.defused = True
        ok = env.event()
        ok.succeed("ok")
        log.append((env.now, "ok", (yield ok)))
        v = env.process(victim())
        yield env.timeout(0.5)
        v.interrupt("why")
        yield v
        log.append((env.now, "done"))

    env.process(parent())


def test_every_event_simpy_schedules_goes_through_schedule_and_runs_as_in_simpy():
    plain, ours = [], []
    env = simpy.Environment()
    _every_kind_of_event(env, plain)
    env.run()
    clock = Clock()
    shapes = []
    original = clock.at

    def spy(time, fn, a=None, b=None):
        shapes.append(fn)
        original(time, fn, a, b)
    clock.at = spy
    _every_kind_of_event(clock, ours)
    while clock._queue:
        assert all(len(entry) == 5 for entry in clock._queue)
        clock.step()
    assert ours == plain and len(plain) == 6
    assert shapes and all(fn is _fire for fn in shapes)


def test_a_failed_event_crashes_the_run_with_a_copy_of_its_exception_unless_defused():
    clock = Clock()
    event = clock.event()
    error = KeyError("lost")
    event.fail(error)
    with pytest.raises(KeyError) as info:
        clock.run()
    assert info.value is not error and info.value.__cause__ is error
    defused = clock.event()
    defused.fail(KeyError("kept"))
    defused.defused = True
    clock.run()
    assert defused.processed and defused.callbacks is None


def test_fire_empties_the_callbacks_before_calling_them_as_step_does():
    clock = Clock()
    event = clock.event()
    seen = []
    event.callbacks.append(lambda e: seen.append(e.callbacks))
    event._ok, event._value = True, None
    _fire(event)
    assert seen == [None] and event.processed
