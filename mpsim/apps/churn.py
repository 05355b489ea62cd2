"""Churn: members come and go at random.

Joins arrive as a Poisson process of rate ``join_rate`` over the whole group;
each picks a host that is not a member (uniformly), which joins the session its
natural way (a non-rooted join, or an admission request to a rooted session's
root) and leaves after an exponential stay of mean ``mean_stay``.

``join_rate`` is > 0 and at most the limit ``max_rate``, ``mean_stay`` at least the
limit ``min_period`` (``mpsim.core.limits``), as the scenario's ``churn`` action checks.
"""

from __future__ import annotations

import math

from mpsim.core.errors import ParameterError
from mpsim.core.units import check_event_rate, check_period


class Churn:
    """Members of ``hosts`` joining and leaving ``action.session`` at random until ``until``."""

    def __init__(self, apps, action, hosts, rng, until=math.inf):
        self.apps = apps                 # anything with .app(host, session) -> SessionApp
        self.session = action.session
        self.rate = action.join_rate
        self.mean_stay = action.mean_stay
        try:
            check_event_rate(self.rate)
        except ParameterError as exc:
            raise ParameterError(f"join_rate = {exc}") from None
        try:
            check_period(self.mean_stay)
        except ParameterError as exc:
            raise ParameterError(f"mean_stay = {exc}") from None
        self.hosts = list(hosts)
        self.rng = rng
        self.until = until
        self.members: set = set()
        self.sim = None
        if self.rate > 0 and self.hosts:
            first = apps.app(self.hosts[0], self.session)
            self.sim = first.sim
            self.sim.call_at(action.at + self.rng.exponential(1 / self.rate), self._arrival)

    def _arrival(self) -> None:
        sim = self.sim
        if sim.now >= self.until:
            return
        idle = [h for h in self.hosts if h not in self.members]
        if idle:
            host = idle[int(self.rng.integers(len(idle)))]
            app = self.apps.app(host, self.session)
            self.members.add(host)
            if app.session.provider.rooted_control:
                app.request()
            else:
                app.join()
            sim.call_later(self.rng.exponential(self.mean_stay), self._departure, host)
        sim.call_later(self.rng.exponential(1 / self.rate), self._arrival)

    def _departure(self, host) -> None:
        self.apps.app(host, self.session).leave()
        self.members.discard(host)
