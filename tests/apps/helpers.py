"""Runs for the tests of mpsim/apps/, built as users build them: a scenario file loaded
with ``mpsim.scenario.load_plan`` and run with ``build(...).run()``."""

from mpsim.scenario import build, load_plan


def run_yaml(tmp_path, text, seed=None, name="apps.yaml"):
    """Write ``text`` as a scenario file in ``tmp_path``, load, build and run it; returns the
    ``Run`` (its ``sim``, ``stack``, ``apps`` and ``senders``)."""
    path = tmp_path / name
    path.write_text(text)
    return build(load_plan(path), seed=seed).run()


def records(run, layer, event=None, host=None):
    """The trace records of ``layer`` (and ``event``, ``host`` if given), in order."""
    frame = run.sim.recorder.frame()
    keep = frame.layer == layer
    if event is not None:
        keep &= frame.event == event
    if host is not None:
        keep &= frame.host == host
    return frame[keep]


def spi_log(run):
    """(time, host, event, error) of every socket-layer record, as tests/world.py gives them."""
    frame = records(run, "spi")
    return [(round(t, 9), h, e, None if err is None or err != err else err)
            for t, h, e, err in zip(frame.time, frame.host, frame.event, frame.error)]
