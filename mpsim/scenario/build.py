"""From a validated scenario to a ready ``Simulation``, through the public Python API only.

``prepare`` checks what crosses objects (a host on a node that exists, a
session's root is a host, a provider that can do an action, an edge that is a
link) and reports each problem at the line of the offending field; ``build``
then creates the simulation, network, socket layer, providers, sessions and
applications, and schedules the actions and the traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mpsim.apps import ConstantRateSender, SessionApp
from mpsim.core import Simulation, limits
from mpsim.core.distributions import make_distribution
from mpsim.core.errors import MpsimError
from mpsim.core.schema import topology_node_fields
from mpsim.net import LinkSpec, Network, Topology
from mpsim.net.topology import BudgetError, check_generator_budget
from mpsim.protocols import PROVIDERS, provider_class
from mpsim.protocols.registry import allowed_actions
from mpsim.scenario.model import Churn, Fail, Invite, Join, Listen, Request, Scenario
from mpsim.spi import JL_BOTH, JL_RECEIVER_ONLY, JL_SENDER_ONLY, Stack
from mpsim.spi.stack import root_problem

FLAGS = {"both": JL_BOTH, "sender_only": JL_SENDER_ONLY, "receiver_only": JL_RECEIVER_ONLY}


@dataclass
class Plan:
    """A checked scenario: the topology built, host groups expanded."""
    scenario: Scenario
    lines: object
    topology: Topology
    hosts: dict = field(default_factory=dict)        # name -> (node, LinkSpec or None)
    groups: dict = field(default_factory=dict)       # group name -> [host names]


def _link_spec(defaults: LinkSpec, attrs) -> LinkSpec:
    if attrs is None:
        return None
    changes = {k: v for k, v in attrs.model_dump(exclude_none=True).items()}
    return defaults.with_(**changes)


def _wrap(lines, path, fn, *args, **kwargs):
    """Run ``fn``; an MpsimError becomes a ScenarioError at ``path``."""
    try:
        return fn(*args, **kwargs)
    except MpsimError as exc:
        if getattr(exc, "file", None):
            raise
        raise lines.error(path, str(exc)) from None


def prepare(scenario: Scenario, lines, base_dir=".") -> Plan:
    """Check what crosses objects, each problem at the line of its field; build the topology."""
    _check_host_count(scenario, lines)
    defaults, graph = _topology(scenario, lines, base_dir)
    plan = Plan(scenario, lines, graph)
    _expand_hosts(plan, defaults)
    sessions = _check_sessions(plan)
    for i, action in enumerate(scenario.actions):
        _check_action(plan, sessions, action, ("actions", i))
    _check_traffic(plan, sessions)
    return plan


def _check_host_count(scenario, lines) -> None:
    count = sum(len(spec.nodes) if hasattr(spec, "nodes") else 1 for spec in scenario.hosts.values())
    if count > limits.get("hosts"):
        raise lines.error(("hosts",), limits.exceeded("hosts", count, "the number of hosts (groups expanded)"))


def _topology(scenario, lines, base_dir) -> tuple[LinkSpec, Topology]:
    """The links' defaults, and the scenario's graph with them and its overrides applied."""
    topo = scenario.topology
    defaults = _wrap(lines, ("topology", "links"), LinkSpec, **topo.links.model_dump())
    if topo.generator is not None:
        try:                      # by its parameters, before it runs: at the params (or the one to blame)
            check_generator_budget(topo.generator, topo.params)
        except BudgetError as exc:
            where = ("topology", "params") + ((exc.parameter,) if exc.parameter else ())
            raise lines.error(where, str(exc)) from None
        graph = _wrap(lines, ("topology", "generator"), Topology.from_generator, topo.generator,
                      topo.params, seed=scenario.seed, links=defaults)
    else:
        file = Path(base_dir) / topo.file
        graph = _wrap(lines, ("topology", "file"), Topology.from_file, file, links=defaults)
    for i, item in enumerate(topo.overrides):
        u, v = item.edge
        _wrap(lines, ("topology", "overrides", i, "edge"), graph.check_edge, u, v)
        _wrap(lines, ("topology", "overrides", i), graph._set, u, v,
              item.model_dump(exclude_none=True, exclude={"edge"}))
    return defaults, graph


def _expand_hosts(plan, defaults) -> None:
    """Every host with its node and access link; groups by their members' names."""
    scenario, lines, graph = plan.scenario, plan.lines, plan.topology
    for name, spec in scenario.hosts.items():
        if hasattr(spec, "nodes"):
            _expand_group(plan, name, spec, defaults)
            continue
        _wrap(lines, ("hosts", name, "node"), graph.check_node, spec.node)
        if name in plan.hosts:
            raise lines.error(("hosts", name), f"host {name!r} is declared twice")
        plan.hosts[name] = (spec.node, _wrap(lines, ("hosts", name, "access"), _link_spec, defaults,
                                             spec.access))
    for name in plan.hosts:
        if graph.has_node(name):
            raise lines.error(("hosts",), f"host name {name!r} is also a topology node; allowed: a new name")


def _expand_group(plan, name, spec, defaults) -> None:
    lines, graph = plan.lines, plan.topology
    members = []
    for j, node in enumerate(spec.nodes):
        _wrap(lines, ("hosts", name, "nodes", j), graph.check_node, node)
        host = spec.name.replace("{i}", str(j + 1)).replace("{node}", str(node))
        if host in plan.hosts or host in plan.scenario.hosts:
            raise lines.error(("hosts", name, "name"), f"pattern gives host {host!r} twice; "
                              "allowed: a pattern with {i} or {node} that names each host once")
        plan.hosts[host] = (node, _wrap(lines, ("hosts", name, "access"), _link_spec, defaults,
                                        spec.access))
        members.append(host)
    plan.groups[name] = members


def _check_sessions(plan) -> dict:
    """Sessions by name: each declared once, its root as its provider needs, its topology
    nodes (an RP) in the graph."""
    lines, graph = plan.lines, plan.topology
    sessions = {}
    for i, session in enumerate(plan.scenario.sessions):
        where = ("sessions", i)
        if session.name in sessions:
            raise lines.error(where + ("name",), f"session {session.name!r} is declared twice")
        sessions[session.name] = session
        problem = root_problem(provider_class(session.provider), session.root)
        if problem is not None:
            raise lines.error(where + ("root",), problem)
        if session.root is not None and session.root not in plan.hosts:
            raise lines.error(where + ("root",), _unknown_host(session.root, plan))
        for name in topology_node_fields(type(session)):
            _wrap(lines, where + (name,), graph.check_node, getattr(session, name))
    return sessions


def _check_action(plan, sessions, action, where) -> None:
    lines = plan.lines
    if isinstance(action, Fail):
        if action.link is not None:
            _wrap(lines, where + ("link",), plan.topology.check_edge, *action.link)
        else:
            _wrap(lines, where + ("node",), plan.topology.check_node, action.node)
        return
    session = sessions.get(action.session)
    if session is None:
        raise lines.error(where + ("session",), f"session {action.session!r} is not declared; "
                          f"allowed: {', '.join(sessions) or 'none declared'}")
    allowed = allowed_actions(session.provider)
    if action.do not in allowed:
        raise lines.error(where + ("do",), f"{action.do!r} is not something "
                          f"{_article(session.provider)} {session.provider} session can do; "
                          f"allowed for {session.provider}: " + ", ".join(allowed))
    actors = actors_of(action, plan, lines, where)
    root = session.root
    if isinstance(action, Invite):
        if actors != [root]:
            raise lines.error(where + ("host",), f"only the session's root ({root}) invites")
        if root in expand(action.leaves, plan, lines, where + ("leaves",)):
            raise lines.error(where + ("leaves",), f"the root ({root}) does not invite itself; "
                                                   "allowed: other hosts")
    if isinstance(action, (Request, Churn)) and root is not None and root in actors:
        raise lines.error(where + ("host" if action.host is not None else "hosts",),
                          f"the root ({root}) does not ask admittance to its own session; "
                          "allowed: other hosts")


def _check_traffic(plan, sessions) -> None:
    for i, flow in enumerate(plan.scenario.traffic):
        where = ("traffic", i)
        if flow.source not in plan.hosts:
            raise plan.lines.error(where + ("from",), _unknown_host(flow.source, plan))
        if flow.session not in sessions:
            raise plan.lines.error(where + ("session",), f"session {flow.session!r} is not declared")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _unknown_host(name, plan) -> str:
    import difflib
    if name in plan.groups:
        return (f"{name!r} is a group of hosts; allowed here: one host, e.g. "
                f"{plan.groups[name][0]!r}")
    hint = difflib.get_close_matches(str(name), list(plan.hosts) + list(plan.groups), n=1)
    return (f"host {name!r} is not declared" + (f"; did you mean {hint[0]!r}?" if hint else
            f"; allowed: one of {', '.join(list(plan.hosts)[:6])}" + (" ..." if len(plan.hosts) > 6 else "")))


def expand(names, plan, lines, where) -> list:
    """Host names, each group name standing for its members."""
    names = [names] if isinstance(names, str) else list(names)
    out = []
    for j, name in enumerate(names):
        if name in plan.groups:
            out.extend(plan.groups[name])
        elif name in plan.hosts:
            out.append(name)
        else:
            raise lines.error(where if len(names) == 1 else where + (j,), _unknown_host(name, plan))
    return out


def actors_of(action, plan, lines, where) -> list:
    if action.host is not None:
        return expand(action.host, plan, lines, where + ("host",))
    if action.hosts is not None:
        return expand(action.hosts, plan, lines, where + ("hosts",))
    raise lines.error(where, f"a {action.do!r} action needs 'host' or 'hosts'")


class Run:
    """A built scenario, ready to run: the simulation and the objects of every layer."""

    def __init__(self, plan: Plan, seed: int | None = None):
        scenario = plan.scenario
        self.plan = plan
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.sim = Simulation(self.seed, trace_packets=scenario.trace.packets)
        topology = plan.topology        # built with the scenario's seed: --seed varies the run, not the graph
        self.net = Network(self.sim, topology, processing=scenario.topology.processing)
        for name, (node, access) in plan.hosts.items():
            self.net.add_host(name, node, access)
        self.stack = Stack(self.sim, self.net)
        for name in sorted({s.provider for s in scenario.sessions}):
            self.stack.add_provider(PROVIDERS[name](self.stack))
        for s in scenario.sessions:
            self.stack.add_session(s.name, s.provider, root=s.root, max_outstanding=s.max_outstanding,
                                   control_size=s.control_size, **s.provider_options())
        self.apps: dict = {}
        self.senders: list = []
        for i, action in enumerate(scenario.actions):
            self._schedule(i, action)
        for flow in scenario.traffic:
            stop = flow.stop if flow.stop is not None else float("inf")
            self.senders.append(ConstantRateSender(self.app(flow.source, flow.session), flow.rate,
                                                   flow.size, flow.start, stop))

    def app(self, host, session) -> SessionApp:
        key = (host, session)
        app = self.apps.get(key)
        if app is None:
            app = self.apps[key] = SessionApp(self.stack, host, session)
        return app

    def _schedule(self, index, action) -> None:
        sim = self.sim
        if isinstance(action, Fail):
            net = self.net
            if action.link is not None:
                fn = net.fail_link if action.do == "fail" else net.recover_link
                sim.call_at(action.at, fn, *action.link)
            else:
                fn = net.fail_node if action.do == "fail" else net.recover_node
                sim.call_at(action.at, fn, action.node)
            return
        lines = self.plan.lines
        actors = actors_of(action, self.plan, lines, ("actions", index))
        offsets = [0.0] * len(actors)
        if action.spread is not None:
            rng = sim.rng.stream(f"actions:{index}:spread")
            draw = make_distribution(action.spread.model_dump(exclude_none=True)).sampler(rng)
            offsets = [draw() for _ in actors]
        if isinstance(action, Churn):
            from mpsim.apps.churn import Churn as ChurnApp
            ChurnApp(self, action, actors, sim.rng.stream(f"actions:{index}:churn"),
                     until=action.until if action.until is not None else self.scenario.duration)
            return
        for host, offset in zip(actors, offsets, strict=True):
            app = self.app(host, action.session)
            if isinstance(action, Listen):
                call, args = app.listen, (action.policy,)
            elif isinstance(action, Invite):
                call, args = app.invite, (expand(action.leaves, self.plan, lines, ()),)
            elif isinstance(action, Request):
                call, args = app.request, ()
            elif isinstance(action, Join):
                call, args = app.join, (FLAGS[action.flags],)
            else:
                call, args = app.leave, ()
            sim.call_at(action.at + offset, self._perform, index, host, call, args)

    def _perform(self, index, host, call, args) -> None:
        """Do one host's part of action ``index``; a call the socket layer refuses (say a
        listening leaf that requests) is the scenario's mistake: report it at its line."""
        try:
            call(*args)
        except MpsimError as exc:
            if getattr(exc, "file", None):
                raise
            raise self.plan.lines.error(("actions", index), f"{host} at t = {self.sim.now:g} s: "
                                                            f"{exc}") from None

    def run(self, progress=None):
        """Run to the scenario's duration (or until nothing is left to happen); then the
        invitations that never left an application's queue get their (pending) join rows."""
        self.sim.run(self.scenario.duration, progress=progress)
        for app in self.apps.values():
            app.record_unsent()
        return self


def build(plan: Plan, seed: int | None = None) -> Run:
    return Run(plan, seed)
