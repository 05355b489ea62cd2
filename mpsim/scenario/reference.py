"""The scenario reference, generated from the models' field descriptions.

``docs/scenario.md`` is this text; a test keeps the two equal, and
``mpsim validate --explain`` prints it.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from mpsim.core.limits import render_limits
from mpsim.protocols import registry
from mpsim.scenario import model as m

_BEFORE_SESSIONS = [
    ("scenario", m.Scenario), ("topology", m.TopologySpec), ("topology.links", m.LinkDefaults),
    ("topology.overrides[]", m.Override), ("hosts.NAME (one host)", m.HostSpec),
    ("hosts.NAME (a group)", m.HostGroup),
]
_AFTER_SESSIONS = [
    ("actions[] do: listen", m.Listen), ("actions[] do: invite", m.Invite),
    ("actions[] do: request", m.Request), ("actions[] do: join", m.Join),
    ("actions[] do: leave", m.Leave), ("actions[] do: fail | recover", m.Fail),
    ("actions[] do: churn", m.Churn), ("actions[].spread", m.Spread), ("traffic[]", m.Traffic),
    ("trace", m.TraceSpec), ("sweep", m.Sweep),
]


def _nested_model(annotation):
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _session_sections() -> list:
    """The fields every session has, then each registered provider's options (its
    ``options`` model) and the blocks inside them."""
    out = [("sessions[] (every provider)", m.session_model(None))]
    nested: dict = {}
    for name, cls in registry.PROVIDERS.items():
        if cls.options is None:
            continue
        out.append((f"sessions[] provider: {name}", cls.options))
        for field_name, field in cls.options.model_fields.items():
            block = _nested_model(field.annotation)
            if block is not None:
                nested.setdefault(block, (field_name, []))[1].append(name)
    out += [(f"sessions[].{field_name} ({', '.join(names)})", block)
            for block, (field_name, names) in nested.items()]
    return out


def sections() -> list:
    """(title, model) of every section, the sessions' from the provider registry as it is now."""
    return _BEFORE_SESSIONS + _session_sections() + _AFTER_SESSIONS


#: The sections with the built-in providers.
SECTIONS = sections()


_UNIT_TYPES = {"parse_duration": "duration", "parse_rate": "bit rate", "parse_size": "size",
               "parse_frequency": "rate (N/s)", "parse_period": "duration",
               "parse_period_or_zero": "duration", "parse_event_rate": "rate (N/s)",
               "parse_packet_size": "size", "make_distribution": "duration or distribution",
               "make_loss": "probability or {gilbert_elliott: ...}"}


def _metadata(field) -> list:
    """Validators on the field, and on an optional field's inner annotated type."""
    items = list(field.metadata)
    for arg in typing.get_args(field.annotation):
        items.extend(getattr(arg, "__metadata__", ()))
    return items


def _type_name(field) -> str:
    if _nested_model(field.annotation) is not None:
        return "mapping (below)" + (" or null" if type(None) in typing.get_args(field.annotation) else "")
    for item in _metadata(field):
        func = getattr(item, "func", None)
        if getattr(func, "shows", None):
            return func.shows
        parses = getattr(func, "parses", getattr(func, "__name__", None))
        for name, shown in _UNIT_TYPES.items():
            if parses == name:
                return shown + (" or null" if type(None) in typing.get_args(field.annotation) else "")
    annotation = field.annotation
    literals = _literals(annotation)
    if literals:
        return " \\| ".join(map(str, literals))
    text = str(annotation)
    for old, new in (("typing.", ""), ("mpsim.scenario.model.", ""), ("<class '", ""), ("'>", ""),
                     ("NoneType", "null"), ("Union[int, str]", "node"), ("None", "null")):
        text = text.replace(old, new)
    if "Annotated[" in text or len(text) > 48:
        origin = typing.get_origin(annotation)
        return {list: "list", dict: "mapping", tuple: "pair"}.get(origin, "value")
    return text


def _literals(annotation):
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    out = []
    for arg in typing.get_args(annotation):
        out.extend(_literals(arg))
    return out


def _default(field) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        return "—"
    value = field.default
    if value is PydanticUndefined or value is None:
        return "—"
    return f"`{value}`"


def render() -> str:
    """The reference as Markdown."""
    out = ["# Scenario reference", "",
           "Generated from mpsim's scenario models (`mpsim validate --explain` prints it). "
           "The language is specified in `../shared/spec/scenario.md`; durations take units "
           "(`500us`, `2ms`, `1.5s`, `2min`), rates `bps/kbps/Mbps/Gbps` and `N/s`, sizes "
           "`B/kB/MB`; a bare number is seconds, bits per second or bytes.", ""]
    for title, model in sections():
        out += [f"## {title}", "", "| field | type | default | meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            shown = field.alias or name
            description = (field.description or "").replace("|", "\\|")
            type_name = _type_name(field).replace(" | ", " \\| ")
            out.append(f"| `{shown}` | {type_name} | {_default(field)} | {description} |")
        out.append("")
    out += ["## Limits", "",
            "mpsim refuses inputs that would hang it or exhaust the machine, each at the line of the "
            "field responsible, when the scenario is validated (so `validate` catches what `run` "
            "would): the topology a generator would make is estimated from its parameters before it "
            "runs; timers, retransmission intervals and periods between sends have a floor "
            "(`min_period`) and rates a ceiling (`max_rate`); delay distributions must have finite "
            "draws. A limit is raised (or a floor lowered) for every command by the environment "
            "variable `MPSIM_LIMIT_<NAME>` (e.g. `MPSIM_LIMIT_TOPOLOGY_NODES=2000000`), or for one "
            "command by `--limit NAME=VALUE` on `mpsim run`, `validate`, `sweep` and `topo` (which sets the "
            "variable, so worker processes see it too).", "",
            render_limits(), ""]
    return "\n".join(out)
