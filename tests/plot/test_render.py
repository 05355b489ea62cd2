"""render_all skips the sequence chart only when there is none to draw; a bug still raises."""

import importlib
import logging

import pytest

from mpsim.plot import NoSequenceChart, render_all, sequence
from tests.analysis.cases import c1, tables


def test_a_trace_without_control_messages_has_no_sequence_chart(tmp_path, caplog):
    events, joins, links = tables(c1())
    with pytest.raises(NoSequenceChart, match="no control messages"):
        sequence(events.iloc[0:0], tmp_path / "s.png")
    with caplog.at_level(logging.INFO, logger="mpsim.plot.render"):
        paths = render_all(tmp_path, events.iloc[0:0], joins, links)
    assert [p.name for p in paths] == ["timeline.png", "join_latency_cdf.png"]
    assert "no sequence chart: sequence: the trace has no control messages" in caplog.text


def test_a_join_needing_more_lifelines_than_allowed_is_skipped(tmp_path, monkeypatch, caplog):
    events, joins, links = tables(c1())          # R, two switches, L: 4 lifelines, 2 hosts
    monkeypatch.setattr(importlib.import_module("mpsim.plot.render"), "SEQUENCE_MAX_HOSTS", 3)
    with caplog.at_level(logging.INFO, logger="mpsim.plot.render"):
        paths = render_all(tmp_path, events, joins, links)
    assert [p.name for p in paths] == ["timeline.png", "join_latency_cdf.png"]
    assert "more than max_hosts=3" in caplog.text


def test_no_sequence_chart_is_still_a_value_error():
    assert issubclass(NoSequenceChart, ValueError)


def test_a_value_error_inside_the_sequence_chart_propagates(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug in the drawing")

    # the module, not the function of the same name that mpsim.plot exports
    monkeypatch.setattr(importlib.import_module("mpsim.plot.sequence"), "lifeline_order", broken)
    events, joins, links = tables(c1())
    with pytest.raises(ValueError, match="a bug in the drawing"):
        render_all(tmp_path, events, joins, links)
