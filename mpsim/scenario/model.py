"""The scenario language (spec/scenario.md) as pydantic models.

Every field says what it is and in what unit; values with units are parsed
here by ``mpsim.core.units`` and kept canonical (seconds, bits/s, bytes, 1/s).
Unknown fields are errors. Cross-checks that need the whole scenario (hosts
exist, nodes are in the graph, a provider can do an action) are in
``mpsim.scenario.checks``.
"""

from __future__ import annotations

import inspect
import ipaddress
import re
from typing import Annotated, Any, Literal, Union

import networkx as nx
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, Tag,
                      field_validator, model_validator)

from mpsim.core.distributions import make_distribution
from mpsim.core.limits import LIMITS
from mpsim.core.text import short
from mpsim.core.units import (parse_duration, parse_event_rate, parse_frequency, parse_packet_size,
                              parse_period, parse_period_or_zero, parse_rate, parse_size)
from mpsim.net.loss import make_loss
from mpsim.net.topology import generator_names


Node = Union[int, str]


def _node(value):
    """A node id is an int (generator topologies) or a str (graph files); nothing else,
    so that ``true`` or ``1.5`` is not quietly read as node 1."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"a node id is an integer (generator topologies) or a name (graph files), "
                         f"not {short(value)}")
    return value


def _nodes(value):
    """``_node`` on each item of a list (an edge, a group's nodes); other shapes are left to
    the field's type."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _node(item)
    return value


def _count(value):
    """An integer; ``true``/``false`` are not counts (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer (got {short(value)})")
    return value


def node_validator(*fields):
    return field_validator(*fields, mode="before")(lambda cls, value: _node(value) if value is not None
                                                   else value)


def nodes_validator(*fields):
    return field_validator(*fields, mode="before")(lambda cls, value: _nodes(value))


def count_validator(*fields):
    return field_validator(*fields, mode="before")(lambda cls, value: _count(value))


Duration = Annotated[float, BeforeValidator(parse_duration)]
Rate = Annotated[float, BeforeValidator(parse_rate)]
Size = Annotated[int, BeforeValidator(parse_size)]
Frequency = Annotated[float, BeforeValidator(parse_frequency)]
#: A timer, interval or period: at least limit ``min_period`` (a shorter one freezes the clock).
Period = Annotated[float, BeforeValidator(parse_period)]
#: A delay that is 0 or, if not, a period.
PeriodOrZero = Annotated[float, BeforeValidator(parse_period_or_zero)]
#: A packet or event rate: > 0 and at most limit ``max_rate``.
EventRate = Annotated[float, BeforeValidator(parse_event_rate)]
#: A packet's size: > 0 bytes.
PacketSize = Annotated[int, BeforeValidator(parse_packet_size)]

#: How the floors and ceilings read in field descriptions (defaults; see the Limits section).
MIN_PERIOD = f"at least {LIMITS['min_period'].default:.15g} s, the limit min_period"
MAX_RATE = f"> 0 and at most {LIMITS['max_rate'].default:.15g}/s, the limit max_rate"


def _check_shape(value) -> None:
    """A distribution or loss mapping has string keys and a string ``dist`` (what the parsers
    in core/ expect); anything else is the user's mistake, said as one."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"key {short(key)} is not a name; allowed: dist and its parameters, or "
                                 "gilbert_elliott: {p, r, loss_good, loss_bad}")
            _check_shape(item)
        if "dist" in value and not isinstance(value["dist"], str):
            raise ValueError(f"dist = {short(value['dist'])} is not a distribution's name; allowed: "
                             "uniform, exponential, normal, lognormal, constant")


def _spec(parse):
    """Validate with ``parse`` but keep what the user wrote (the model layer builds from it)."""
    def check(value):
        _check_shape(value)
        parse(value)
        return value
    check.parses = parse.__name__
    return BeforeValidator(check)


DelaySpec = Annotated[Any, _spec(make_distribution)]
LossSpec = Annotated[Any, _spec(make_loss)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LinkAttributes(Strict):
    delay: DelaySpec | None = Field(None, description="propagation delay: a duration ('2ms') or "
                                    "{dist: uniform|exponential|normal|lognormal, ...}; a normal is "
                                    "truncated at 0 (mean >= -1000 x std), and every distribution's "
                                    "draws must stay finite (below 1e300 s)")
    bandwidth: Rate | None = Field(None, description="bit rate, e.g. '100Mbps'")
    queue: int | None = Field(None, ge=0, description="packets that may wait behind the one being sent")
    loss: LossSpec | None = Field(None, description="Bernoulli probability, or {gilbert_elliott: "
                                  "{p, r, loss_good, loss_bad}}")

    _counts = count_validator("queue")


class LinkDefaults(LinkAttributes):
    delay: DelaySpec = Field("1ms", description="propagation delay of every link (default 1 ms)")
    bandwidth: Rate = Field(100e6, description="bit rate of every link (default 100 Mbps)")
    queue: int | None = Field(64, ge=0, description="drop-tail queue, packets (default 64)")
    loss: LossSpec = Field(0.0, description="loss of every link (default none)")


class Override(LinkAttributes):
    edge: tuple[Node, Node] = Field(description="the two nodes of the link (both directions change)")

    _nodes = nodes_validator("edge")


class TopologySpec(Strict):
    generator: str | None = Field(None, description="a networkx generator by name, e.g. balanced_tree")
    params: dict[str, Any] = Field(default_factory=dict, description="the generator's parameters; "
                                   "the nodes and links they would make are estimated first and "
                                   "refused over the limits topology_nodes and topology_edges, "
                                   "tries/max_tries/max_iters over generator_tries, and the generator "
                                   "is stopped after generator_seconds")
    file: str | None = Field(None, description="a GraphML, GML or edge-list file, relative to the "
                             "scenario (at most graph_file_bytes, and within the topology limits)")
    links: LinkDefaults = Field(default_factory=LinkDefaults, description="defaults for every link")
    overrides: list[Override] = Field(default_factory=list, description="per-link changes")
    processing: Duration = Field(0.0, description="per-router handling time of a control message")

    @field_validator("overrides")
    @classmethod
    def one_override_per_link(cls, overrides):
        first = {}
        for i, item in enumerate(overrides):
            link = frozenset(item.edge)
            if link in first:
                raise ValueError(f"edge {list(item.edge)} is overridden twice (items {first[link]} and "
                                 f"{i}); allowed: one override per link, with all its changes")
            first[link] = i
        return overrides

    @field_validator("params")
    @classmethod
    def check_params(cls, params, info):
        """Names the generator does not take, and ``true``/``false`` for a parameter that is not
        a flag (networkx would read ``r: true`` as 1), are errors here, at the params' line."""
        generator = info.data.get("generator")
        fn = getattr(nx, generator, None) if isinstance(generator, str) else None
        if fn is None or generator not in generator_names():
            return params                      # an unknown generator is reported at build time
        signature = inspect.signature(fn)
        named = {name: p for name, p in signature.parameters.items()
                 if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and name != "backend"}
        open_ended = any(p.kind == p.VAR_KEYWORD and name != "backend_kwargs"
                         for name, p in signature.parameters.items())
        shown = ", ".join(n for n in named if n != "create_using") or "none"
        for key, value in params.items():
            parameter = named.get(key)
            if parameter is None:
                if open_ended:
                    continue
                raise ValueError(f"{generator} has no parameter {short(key)}; allowed: {shown}")
            if isinstance(value, bool) and not isinstance(parameter.default, bool):
                raise ValueError(f"{key} = {short(value).lower()}: {generator}'s {key!r} is not a flag; "
                                 "allowed: a number or what networkx documents for it")
        missing = [n for n, p in named.items() if p.default is p.empty and n not in params]
        if missing:
            raise ValueError(f"{generator} needs {', '.join(map(repr, missing))}; allowed: {shown}")
        return params

    @model_validator(mode="after")
    def one_source(self):
        if (self.generator is None) == (self.file is None):
            raise ValueError("give exactly one of 'generator' or 'file'")
        return self


class HostSpec(Strict):
    node: Node = Field(description="the topology node the host's access link attaches to")
    access: LinkAttributes | None = Field(None, description="the access link, if not the defaults")

    _nodes = node_validator("node")


class HostGroup(Strict):
    nodes: list[Node] = Field(min_length=1, description="one host on each of these nodes")
    name: str = Field("{i}", description="name pattern: {i} counts from 1, {node} is the node")
    access: LinkAttributes | None = Field(None, description="their access links, if not the defaults")

    _nodes = nodes_validator("nodes")


def _host_kind(value):
    return "group" if isinstance(value, dict) and "nodes" in value else "one"


Host = Annotated[Union[Annotated[HostSpec, Tag("one")], Annotated[HostGroup, Tag("group")]],
                 Discriminator(_host_kind)]


class SessionSpec(Strict):
    name: str = Field(min_length=1, description="the session's name (actions and traffic use it)")
    provider: Literal["atm", "ipmc", "conference"] = Field(description="the protocol under the sockets")
    root: str | None = Field(None, description="root host (rooted control plane)")
    max_outstanding: int = Field(1, ge=1, description="joins a root may have unanswered (M4)")
    control_size: PacketSize = Field(100, description="bytes of every control message (> 0)")
    timers: dict[str, Any] | None = Field(None, description="provider timer overrides (atm: T303, "
                                          "T310, T398, T399, T331, t_detect, invite_timeout, retries; "
                                          f"conference: T1, timeout); each duration {MIN_PERIOD}")
    group: str | None = Field(None, description="IP multicast group address")
    rp: Node | None = Field(None, description="rendezvous point (a topology node)")
    igmp: dict[str, Any] | None = Field(None, description="IGMP parameters, e.g. {version: 3}; each "
                                        f"interval {MIN_PERIOD}")
    pim: dict[str, Any] | None = Field(None, description="PIM parameters (t_periodic, holdtime), each "
                                       f"{MIN_PERIOD}")
    scope: int | None = Field(None, ge=1, description="multicast hop limit in routers (default none)")
    loopback: StrictBool = Field(True, description="a sender also receives its own data (M15)")
    give_up: Period | None = Field(None, description="a non-rooted join with no data by then is "
                                   f"timed_out ({MIN_PERIOD})")

    _nodes = node_validator("rp")
    _counts = count_validator("max_outstanding", "scope")

    @field_validator("timers")
    @classmethod
    def check_conference_timers(cls, timers, info):
        """A conference's timers (T1, timeout) are durations > 0; the atm provider's are
        checked, with its defaults, when the scenario is prepared."""
        if timers is None or info.data.get("provider") != "conference":
            return timers
        unknown = sorted(set(timers) - {"T1", "timeout"})
        if unknown:
            raise ValueError(f"unknown conference timer(s) {', '.join(map(repr, unknown))}; "
                             "allowed: T1, timeout")
        for name, value in timers.items():
            try:
                parse_period(value)
            except ValueError as exc:
                raise ValueError(f"{name} = {exc}") from None
        return timers

    @field_validator("group")
    @classmethod
    def check_group(cls, value):
        if value is None:
            return value
        try:
            multicast = ipaddress.ip_address(value).is_multicast
        except ValueError:
            multicast = False
        if not multicast:
            raise ValueError(f"{short(value)} is not an IP multicast group address; allowed: an address "
                             "in 224.0.0.0/4 (e.g. 239.1.1.1) or ff00::/8")
        return value


Policy = Union[Literal["accept", "reject"], dict[str, Any]]


class Spread(Strict):
    dist: Literal["uniform", "exponential", "normal", "lognormal", "constant"] = Field(
        description="the distribution of each host's extra delay")
    low: PeriodOrZero | None = Field(None, description=f"uniform: lower bound (0 or {MIN_PERIOD})")
    high: PeriodOrZero | None = Field(None, description=f"uniform: upper bound (0 or {MIN_PERIOD})")
    mean: PeriodOrZero | None = Field(None, description="exponential, normal, lognormal: mean (0 or "
                                      f"{MIN_PERIOD})")
    std: PeriodOrZero | None = Field(None, description="normal, lognormal: standard deviation (0 or "
                                     f"{MIN_PERIOD})")
    value: PeriodOrZero | None = Field(None, description=f"constant: the delay (0 or {MIN_PERIOD})")

    @model_validator(mode="after")
    def check(self):
        make_distribution(self.model_dump(exclude_none=True))
        return self


class ActionBase(Strict):
    at: Duration = Field(description="when, in simulated time")
    host: str | None = Field(None, description="the host that acts")
    hosts: list[str] | str | None = Field(None, description="hosts (or a group's name) that act")
    spread: Spread | None = Field(None, description="random extra delay per host")

    @model_validator(mode="after")
    def one_actor(self):
        if self.host is not None and self.hosts is not None:
            raise ValueError("give 'host' or 'hosts', not both")
        return self


class Listen(ActionBase):
    do: Literal["listen"] = Field(description="listen for invitations (a leaf) or admission requests (the root), deciding by policy")
    session: str = Field(description="the session")
    policy: Policy = Field("accept", description="accept | reject | {defer: DURATION} | {capacity: N} "
                           f"| {{accept_prob: P}}; defer is 0 or {MIN_PERIOD}")

    @field_validator("policy")
    @classmethod
    def check_policy(cls, value):
        if isinstance(value, dict):
            if len(value) != 1 or next(iter(value)) not in ("defer", "capacity", "accept_prob"):
                raise ValueError("policy is accept | reject | {defer: DURATION} | {capacity: N} | "
                                 "{accept_prob: P}")
            (kind, v), = value.items()
            if kind == "defer":
                return {"defer": parse_period_or_zero(v)}
            if kind == "capacity" and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ValueError(f"capacity {short(v)}: allowed an integer >= 0")
            if kind == "accept_prob" and (isinstance(v, bool) or not isinstance(v, (int, float))
                                          or not 0 <= v <= 1):
                raise ValueError(f"accept_prob {short(v)}: allowed a probability in [0, 1]")
        return value


class Invite(ActionBase):
    do: Literal["invite"] = Field(description="the session's root invites leaves (Way 1)")
    session: str = Field(description="the session (its root invites)")
    leaves: list[str] | str = Field(description="hosts (or groups) to invite")


class Request(ActionBase):
    do: Literal["request"] = Field(description="a leaf asks the root for admittance (Way 2)")
    session: str = Field(description="the rooted session to ask admittance to")


class Join(ActionBase):
    do: Literal["join"] = Field(description="join a non-rooted session (Way 3, IP_ADD_MEMBERSHIP)")
    session: str = Field(description="the non-rooted session to join")
    flags: Literal["both", "sender_only", "receiver_only"] = Field(
        "both", description="JL_BOTH, JL_SENDER_ONLY (no report, receives nothing) or JL_RECEIVER_ONLY")


class Leave(ActionBase):
    do: Literal["leave"] = Field(description="leave the session")
    session: str = Field(description="the session to leave (closes the host's sockets in it)")


class Fail(Strict):
    at: Duration = Field(description="when, in simulated time")
    do: Literal["fail", "recover"] = Field(description="take a link or node down, or bring it back")
    link: tuple[Node, Node] | None = Field(None, description="the link's two nodes")
    node: Node | None = Field(None, description="a node (all its links fail with it)")

    _nodes = node_validator("node")
    _links = nodes_validator("link")

    @model_validator(mode="after")
    def one_target(self):
        if (self.link is None) == (self.node is None):
            raise ValueError("give exactly one of 'link' or 'node'")
        return self


class Churn(ActionBase):
    do: Literal["churn"] = Field(description="members come and go at random")
    session: str = Field(description="the session members join and leave")
    join_rate: EventRate = Field(description=f"joins per second over the group, e.g. '2/s' ({MAX_RATE})")
    mean_stay: Period = Field(description=f"mean membership time (exponential; {MIN_PERIOD})")
    until: Duration | None = Field(None, description="stop churning then (default: the run's end)")

    @model_validator(mode="after")
    def until_after_at(self):
        if self.until is not None and self.until <= self.at:
            raise ValueError(f"until ({self.until:g} s) is not after at ({self.at:g} s), so nothing "
                             "would churn; allowed: until > at")
        return self


Action = Annotated[Union[Listen, Invite, Request, Join, Leave, Fail, Churn], Field(discriminator="do")]


class Traffic(Strict):
    source: str = Field(alias="from", description="the sending host")
    session: str = Field(description="the session it sends on")
    rate: EventRate = Field(description=f"packets per second, e.g. '50/s' ({MAX_RATE}, so that "
                            "1/rate is at least min_period)")
    size: PacketSize = Field(description="bytes per packet (> 0)")
    start: Duration = Field(0.0, description="first packet")
    stop: Duration | None = Field(None, description="no packet at or after this time")

    @model_validator(mode="after")
    def stop_after_start(self):
        if self.stop is not None and self.stop <= self.start:
            raise ValueError(f"stop ({self.stop:g} s) is not after start ({self.start:g} s), so no "
                             "packet would be sent; allowed: stop > start")
        return self


class TraceSpec(Strict):
    packets: StrictBool = Field(False, description="record every packet hop (costly)")


class Sweep(Strict):
    replications: int = Field(1, ge=1, description="runs per grid point; replication i runs with a "
                              "seed derived from the scenario's seed and i only (the same at every "
                              "grid point: common random numbers)")
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict, description="dotted path (as for --set) -> the values to try (at "
        "least one); every combination is a grid point")

    _counts = count_validator("replications")


#: The longest scenario name: its output folder (``<name>``, or ``<name>-sweep``) must fit a
#: file system's 255-byte names with room for mpsim's temporary names beside it.
MAX_NAME = 200


class Scenario(Strict):
    name: str = Field(description="names the output folder: letters, digits, '_', '.', '-'; at "
                      f"most {MAX_NAME} characters (a file system takes 255 per file name)")
    description: str = Field("", description="what the scenario is for")
    seed: int = Field(0, ge=0, description="run seed; every random stream derives from it")
    duration: Duration = Field(description="simulated time; the run also stops when nothing is left to happen")
    topology: TopologySpec = Field(description="routers and links")
    hosts: dict[str, Host] = Field(default_factory=dict, description="named hosts, or groups of hosts "
                                   f"(at most {LIMITS['hosts'].default:g} in all, groups expanded: "
                                   "limit hosts)")
    sessions: list[SessionSpec] = Field(default_factory=list, description="multipoint sessions")
    actions: list[Action] = Field(default_factory=list, description="what the applications do, in time")
    traffic: list[Traffic] = Field(default_factory=list, description="data flows on sessions")
    trace: TraceSpec = Field(default_factory=TraceSpec, description="what to record beyond the default")
    sweep: Sweep | None = Field(None, description="only for `mpsim sweep`: a grid x replications")

    _counts = count_validator("seed")

    @field_validator("name")
    @classmethod
    def check_name(cls, value):
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", value) or value in (".", ".."):
            raise ValueError(f"{short(value)} cannot name an output folder; allowed: letters, digits, "
                             "'_', '.' and '-' (e.g. lecture_2)")
        if len(value) > MAX_NAME:
            raise ValueError(f"the name is {len(value)} characters long; allowed: at most {MAX_NAME} "
                             "(it names the output folder, and a file system takes 255 per name)")
        return value
