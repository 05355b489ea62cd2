"""The scenario language (spec/scenario.md) as pydantic models.

Every field says what it is and in what unit; values with units are parsed
here by ``mpsim.core.units`` and kept canonical (seconds, bits/s, bytes, 1/s).
Unknown fields are errors. Cross-checks that need the whole scenario (hosts
exist, nodes are in the graph, a provider can do an action) are in
``mpsim.scenario.checks``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag,
                      field_validator, model_validator)

from mpsim.core.distributions import make_distribution
from mpsim.core.units import parse_duration, parse_frequency, parse_rate, parse_size
from mpsim.net.loss import make_loss

Node = Union[int, str]
Duration = Annotated[float, BeforeValidator(parse_duration)]
Rate = Annotated[float, BeforeValidator(parse_rate)]
Size = Annotated[int, BeforeValidator(parse_size)]
Frequency = Annotated[float, BeforeValidator(parse_frequency)]


def _spec(parse):
    """Validate with ``parse`` but keep what the user wrote (the model layer builds from it)."""
    def check(value):
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
                                    "{dist: uniform|exponential|normal|lognormal, ...}")
    bandwidth: Rate | None = Field(None, description="bit rate, e.g. '100Mbps'")
    queue: int | None = Field(None, ge=0, description="packets that may wait behind the one being sent")
    loss: LossSpec | None = Field(None, description="Bernoulli probability, or {gilbert_elliott: "
                                  "{p, r, loss_good, loss_bad}}")


class LinkDefaults(LinkAttributes):
    delay: DelaySpec = Field("1ms", description="propagation delay of every link (default 1 ms)")
    bandwidth: Rate = Field(100e6, description="bit rate of every link (default 100 Mbps)")
    queue: int | None = Field(64, ge=0, description="drop-tail queue, packets (default 64)")
    loss: LossSpec = Field(0.0, description="loss of every link (default none)")


class Override(LinkAttributes):
    edge: tuple[Node, Node] = Field(description="the two nodes of the link (both directions change)")


class TopologySpec(Strict):
    generator: str | None = Field(None, description="a networkx generator by name, e.g. balanced_tree")
    params: dict[str, Any] = Field(default_factory=dict, description="the generator's parameters")
    file: str | None = Field(None, description="a GraphML, GML or edge-list file, relative to the scenario")
    links: LinkDefaults = Field(default_factory=LinkDefaults, description="defaults for every link")
    overrides: list[Override] = Field(default_factory=list, description="per-link changes")
    processing: Duration = Field(0.0, description="per-router handling time of a control message")

    @model_validator(mode="after")
    def one_source(self):
        if (self.generator is None) == (self.file is None):
            raise ValueError("give exactly one of 'generator' or 'file'")
        return self


class HostSpec(Strict):
    node: Node = Field(description="the topology node the host's access link attaches to")
    access: LinkAttributes | None = Field(None, description="the access link, if not the defaults")


class HostGroup(Strict):
    nodes: list[Node] = Field(min_length=1, description="one host on each of these nodes")
    name: str = Field("{i}", description="name pattern: {i} counts from 1, {node} is the node")
    access: LinkAttributes | None = Field(None, description="their access links, if not the defaults")


def _host_kind(value):
    return "group" if isinstance(value, dict) and "nodes" in value else "one"


Host = Annotated[Union[Annotated[HostSpec, Tag("one")], Annotated[HostGroup, Tag("group")]],
                 Discriminator(_host_kind)]


class SessionSpec(Strict):
    name: str = Field(min_length=1, description="the session's name (actions and traffic use it)")
    provider: Literal["atm", "ipmc", "conference"] = Field(description="the protocol under the sockets")
    root: str | None = Field(None, description="root host (rooted control plane)")
    max_outstanding: int = Field(1, ge=1, description="joins a root may have unanswered (M4)")
    control_size: Size = Field(100, description="bytes of every control message")
    timers: dict[str, Any] | None = Field(None, description="provider timer overrides")
    group: str | None = Field(None, description="IP multicast group address")
    rp: Node | None = Field(None, description="rendezvous point (a topology node)")
    igmp: dict[str, Any] | None = Field(None, description="IGMP parameters, e.g. {version: 3}")
    pim: dict[str, Any] | None = Field(None, description="PIM parameters (t_periodic, holdtime)")
    scope: int | None = Field(None, ge=1, description="multicast hop limit in routers (default none)")
    loopback: bool = Field(True, description="a sender also receives its own data (M15)")
    give_up: Duration | None = Field(None, description="a non-rooted join with no data by then is timed_out")


Policy = Union[Literal["accept", "reject"], dict[str, Any]]


class Spread(Strict):
    dist: Literal["uniform", "exponential", "normal", "lognormal", "constant"] = Field(
        description="the distribution of each host's extra delay")
    low: Duration | None = Field(None, description="uniform: lower bound")
    high: Duration | None = Field(None, description="uniform: upper bound")
    mean: Duration | None = Field(None, description="exponential, normal, lognormal: mean")
    std: Duration | None = Field(None, description="normal, lognormal: standard deviation")
    value: Duration | None = Field(None, description="constant: the delay")

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
                           "| {accept_prob: P}")

    @field_validator("policy")
    @classmethod
    def check_policy(cls, value):
        if isinstance(value, dict):
            if len(value) != 1 or next(iter(value)) not in ("defer", "capacity", "accept_prob"):
                raise ValueError("policy is accept | reject | {defer: DURATION} | {capacity: N} | "
                                 "{accept_prob: P}")
            (kind, v), = value.items()
            if kind == "defer":
                return {"defer": parse_duration(v)}
            if kind == "capacity" and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ValueError(f"capacity {v!r}: allowed an integer >= 0")
            if kind == "accept_prob" and (isinstance(v, bool) or not isinstance(v, (int, float))
                                          or not 0 <= v <= 1):
                raise ValueError(f"accept_prob {v!r}: allowed a probability in [0, 1]")
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

    @model_validator(mode="after")
    def one_target(self):
        if (self.link is None) == (self.node is None):
            raise ValueError("give exactly one of 'link' or 'node'")
        return self


class Churn(ActionBase):
    do: Literal["churn"] = Field(description="members come and go at random")
    session: str = Field(description="the session members join and leave")
    join_rate: Frequency = Field(description="joins per second over the group, e.g. '2/s'")
    mean_stay: Duration = Field(description="mean membership time (exponential)")
    until: Duration | None = Field(None, description="stop churning then (default: the run's end)")


Action = Annotated[Union[Listen, Invite, Request, Join, Leave, Fail, Churn], Field(discriminator="do")]


class Traffic(Strict):
    source: str = Field(alias="from", description="the sending host")
    session: str = Field(description="the session it sends on")
    rate: Frequency = Field(description="packets per second, e.g. '50/s'")
    size: Size = Field(description="bytes per packet")
    start: Duration = Field(0.0, description="first packet")
    stop: Duration | None = Field(None, description="no packet at or after this time")


class TraceSpec(Strict):
    packets: bool = Field(False, description="record every packet hop (costly)")


class Sweep(Strict):
    replications: int = Field(1, ge=1, description="runs per grid point, seeds seed, seed+1, ...")
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="dotted path -> values to try")


class Scenario(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="names the output folder")
    description: str = Field("", description="what the scenario is for")
    seed: int = Field(0, ge=0, description="run seed; every random stream derives from it")
    duration: Duration = Field(description="simulated time; the run also stops when nothing is left to happen")
    topology: TopologySpec = Field(description="routers and links")
    hosts: dict[str, Host] = Field(default_factory=dict, description="named hosts, or groups of hosts")
    sessions: list[SessionSpec] = Field(default_factory=list, description="multipoint sessions")
    actions: list[Action] = Field(default_factory=list, description="what the applications do, in time")
    traffic: list[Traffic] = Field(default_factory=list, description="data flows on sessions")
    trace: TraceSpec = Field(default_factory=TraceSpec, description="what to record beyond the default")
    sweep: Sweep | None = Field(None, description="only for `mpsim sweep`: a grid x replications")
