"""Packets dropped for want of a route use no link, so links.csv cannot count them:
summary.json's ``no_route_drops`` does (issue 11)."""

from __future__ import annotations

import json

from mpsim.experiment.single import run_scenario

SCENARIO = """\
name: no_route
seed: 1
duration: 5s
topology:
  generator: path_graph
  params: {n: 2}
  links: {delay: 1ms}
hosts:
  chair: {node: 0}
  m: {node: 1}
sessions:
  - name: conf
    provider: conference
    root: chair
    rp: 0
actions:
  - {at: 0s, host: m, do: listen, session: conf, policy: accept}
  - {at: 1s, host: chair, do: invite, session: conf, leaves: [m]}
  - {at: 2s, link: [0, 1], do: fail}
  - {at: 3s, host: m, do: leave, session: conf}   # its BYE has no route to the chair
"""


def test_a_bye_with_no_route_is_counted_in_the_summary(tmp_path):
    path = tmp_path / "no_route.yaml"
    path.write_text(SCENARIO)
    summary = run_scenario(path, tmp_path / "out", plots=False)
    assert summary["no_route_drops"] == 1
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["no_route_drops"] == 1
