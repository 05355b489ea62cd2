"""The scenario language (spec/scenario.md) as pydantic models.

Every field says what it is and in what unit; values with units are parsed
here by ``mpsim.core.units`` and kept canonical (seconds, bits/s, bytes, 1/s).
Unknown fields are errors. Cross-checks that need the whole scenario (hosts
exist, nodes are in the graph, a provider can do an action) are in
``mpsim.scenario.checks``.
"""

from __future__ import annotations

import inspect
import re
from typing import Annotated, Any, Literal, Union

import networkx as nx
from pydantic import (BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, Tag, create_model,
                      field_validator, model_validator)

from mpsim.core.distributions import make_distribution
from mpsim.core.errors import ParameterError
from mpsim.core.limits import LIMITS
from mpsim.core.schema import (MIN_PERIOD, Node, Period, Strict, count_validator, node_validator,
                               nodes_validator)
from mpsim.core.text import short
from mpsim.core.units import (parse_duration, parse_event_rate, parse_frequency, parse_packet_size,
                              parse_period_or_zero, parse_rate, parse_size)
from mpsim.net.loss import make_loss
from mpsim.net.topology import generator_names
from mpsim.protocols import registry

Duration = Annotated[float, BeforeValidator(parse_duration)]
Rate = Annotated[float, BeforeValidator(parse_rate)]
Size = Annotated[int, BeforeValidator(parse_size)]
Frequency = Annotated[float, BeforeValidator(parse_frequency)]
#: A delay that is 0 or, if not, a period.
PeriodOrZero = Annotated[float, BeforeValidator(parse_period_or_zero)]
#: A packet or event rate: > 0 and at most limit ``max_rate``.
EventRate = Annotated[float, BeforeValidator(parse_event_rate)]
#: A packet's size: > 0 bytes.
PacketSize = Annotated[int, BeforeValidator(parse_packet_size)]

#: How the ceilings read in field descriptions (defaults; see the Limits section).
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


class SessionBase(Strict):
    """What every session has, whatever its provider; each provider's options (its
    ``options`` model, declared in its own folder) are added to it by ``session_model``."""
    name: str = Field(min_length=1, description="the session's name (actions and traffic use it)")
    provider: str = Field(description="the protocol under the sockets")
    root: str | None = Field(None, description="root host (rooted control plane only)")
    max_outstanding: int = Field(1, ge=1, description="join_leaf calls a root may have unanswered (M4; "
                                 "Winsock allows 1: more is an mpsim extension for studies; "
                                 "accepted requests do not count, M10)")
    control_size: PacketSize = Field(100, description="bytes of every control message (> 0)")

    _session_counts = count_validator("max_outstanding")     # (a name no options model uses)

    def provider_options(self) -> dict:
        """The provider options this session sets, as values ``Stack.add_session`` takes."""
        fields = set(type(self).model_fields) - set(SessionBase.model_fields)
        return self.model_dump(include=fields, exclude_unset=True, exclude_none=True)


class _UnknownProvider(SessionBase):
    """A session whose provider is missing or not registered: only that is reported."""
    model_config = ConfigDict(extra="ignore")


#: The union tag of provider ``name``'s session model (the loader drops tags from error paths).
SESSION_TAG = "provider:{}"
_UNKNOWN = SESSION_TAG.format("?")
#: Session models by provider name, made from the registry (``refresh_sessions``).
SESSION_MODELS: dict = {}
_unknown_model = [None]


def session_model(provider):
    """The model of a session of ``provider`` (a name); for a name that is not registered
    (or no name), the model that reports just that."""
    if isinstance(provider, str) and provider in SESSION_MODELS:
        return SESSION_MODELS[provider]
    return _unknown_model[0]


def _session_tag(value):
    provider = value.get("provider") if isinstance(value, dict) else None
    if isinstance(provider, str) and provider in SESSION_MODELS:
        return SESSION_TAG.format(provider)
    return _UNKNOWN


#: The session model of each provider class ever registered (a class keeps its model, so
#: a session made before a later register or unregister still pickles).
_MODELS_BY_CLASS: dict = {}


def _make_session_model(cls):
    """``SessionBase`` with ``cls``'s options, ``provider`` fixed to its name; a module
    attribute (``AtmSession``) while ``cls`` is registered, so that sessions pickle (a
    process pool sends scenarios to its workers)."""
    model = _MODELS_BY_CLASS.get(cls)
    if model is None:
        options = cls.options
        if options is not None:
            _check_no_clash(cls.name, options)
        bases = (SessionBase,) if options is None else (options, SessionBase)
        name = "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", cls.name)) + "Session"
        model = create_model(name, __base__=bases, __module__=__name__, provider=(
            Literal[cls.name], Field(description="the protocol under the sockets")))
        _MODELS_BY_CLASS[cls] = model
    return model


def _check_no_clash(name, options) -> None:
    """An options model must not redefine a common field or a validator of ``SessionBase``."""
    def validators(model):
        decorators = model.__pydantic_decorators__
        return set(decorators.field_validators) | set(decorators.model_validators)
    clash = sorted((set(options.model_fields) & set(SessionBase.model_fields))
                   | (validators(options) & validators(SessionBase)))
    if clash:
        raise ParameterError(f"provider {name!r}: its options model redefines {', '.join(clash)} "
                             "of every session; allowed: other names")


def _session_union(models: dict, unknown):
    members = [Annotated[model, Tag(SESSION_TAG.format(name))] for name, model in models.items()]
    members.append(Annotated[unknown, Tag(_UNKNOWN)])
    return Annotated[Union[tuple(members)], Discriminator(_session_tag)]


def refresh_sessions() -> None:
    """Rebuild the session models and their union from the provider registry (it calls
    this after every register and unregister)."""
    global SessionSpec
    names = tuple(registry.PROVIDERS)
    models = {name: _make_session_model(cls) for name, cls in registry.PROVIDERS.items()}
    unknown = create_model("UnknownProviderSession", __base__=_UnknownProvider, __module__=__name__,
                           provider=(Literal[names] if names else str,
                                     Field(description="the protocol under the sockets")))
    for model in SESSION_MODELS.values():
        globals().pop(model.__name__, None)
    SESSION_MODELS.clear()
    SESSION_MODELS.update(models)
    globals().update({model.__name__: model for model in models.values()})
    _unknown_model[0] = unknown
    SessionSpec = _session_union(models, unknown)
    scenario = globals().get("Scenario")
    if scenario is not None:
        scenario.model_fields["sessions"].annotation = list[SessionSpec]
        scenario.model_rebuild(force=True)


#: A session: its provider's model (``provider`` picks it), built from the registry.
SessionSpec: Any = None
refresh_sessions()
registry.on_change(refresh_sessions)


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
