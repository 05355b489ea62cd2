"""Typed settings shared by the scenario language (layer 5) and the providers' option
schemas (layer 3): the strict pydantic base, node ids, counts and periods, and the
``ParameterError`` a schema's refusal becomes for a caller of the Python API.

A provider declares its session options once, as a ``Strict`` model; the scenario loader
validates a YAML session with it (reporting the offending line), and ``Stack.add_session``
validates the plain values a Python caller gives with it (``parse_options``).
"""

from __future__ import annotations

import typing
from typing import Annotated, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator

from mpsim.core.errors import MpsimError, ParameterError
from mpsim.core.limits import LIMITS
from mpsim.core.text import short
from mpsim.core.units import parse_period

Node = Union[int, str]

#: How the floor of every period reads in field descriptions (the default; see Limits).
MIN_PERIOD = f"at least {LIMITS['min_period'].default:.15g} s, the limit min_period"


class Strict(BaseModel):
    """A settings model: unknown fields are errors."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def check_node(value):
    """A node id is an int (generator topologies) or a str (graph files); nothing else,
    so that ``true`` or ``1.5`` is not quietly read as node 1."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"a node id is an integer (generator topologies) or a name (graph files), "
                         f"not {short(value)}")
    return value


def check_nodes(value):
    """``check_node`` on each item of a list (an edge, a group's nodes); other shapes are
    left to the field's type."""
    if isinstance(value, (list, tuple)):
        for item in value:
            check_node(item)
    return value


def check_count(value):
    """An integer; ``true``/``false`` are not counts (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer (got {short(value)})")
    return value


def node_validator(*fields):
    return field_validator(*fields, mode="before")(lambda cls, value: check_node(value) if value is not None
                                                   else value)


def nodes_validator(*fields):
    return field_validator(*fields, mode="before")(lambda cls, value: check_nodes(value))


def count_validator(*fields):
    return field_validator(*fields, mode="before")(lambda cls, value: check_count(value))


#: A timer, interval or period: at least limit ``min_period`` (a shorter one freezes the clock).
Period = Annotated[float, BeforeValidator(parse_period)]


class TopologyNodeRef:
    """Marks a field whose value must be a node of the run's topology (checked when the
    scenario is prepared, against the graph)."""

    def __repr__(self) -> str:
        return "TopologyNodeRef()"


#: A node of the topology (an RP, say): checked against the graph at build time.
TopologyNode = Annotated[Node, TopologyNodeRef()]


def topology_node_fields(model) -> list[str]:
    """The fields of ``model`` that name a topology node."""
    out = []
    for name, field in model.model_fields.items():
        metadata = list(field.metadata)
        for arg in typing.get_args(field.annotation):
            metadata.extend(getattr(arg, "__metadata__", ()))
        if any(isinstance(item, TopologyNodeRef) for item in metadata):
            out.append(name)
    return out


def named_period(prefix: str = ""):
    """A period field whose error names it (``T303 = '1ns' is shorter than ...``, with
    ``prefix`` before the name, e.g. ``igmp.``). None is refused too: leave a field out
    for its default."""
    def check(value, info):
        try:
            return parse_period(value)
        except ParameterError as exc:
            raise ParameterError(f"{prefix}{info.field_name} = {exc}") from None
    check.parses = "parse_period"
    check.shows = "duration"                # what the scenario reference calls its type
    return BeforeValidator(check)


def named_count(prefix: str = "", minimum: int = 1):
    """An integer field of at least ``minimum`` whose error names it."""
    def check(value, info):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ParameterError(f"{prefix}{info.field_name} = {short(value)} is not allowed; "
                                 f"allowed: an integer >= {minimum}")
        return value
    check.shows = f"integer >= {minimum}"
    return BeforeValidator(check)


# -- the Python API's view of a refusal -------------------------------------------------------

def parse_options(model, values, what: str):
    """``values`` (a mapping of plain values) validated by ``model``; a refusal is a
    ``ParameterError`` that starts with ``what`` (e.g. "session 'tv'") and names the
    offending option. ``model`` None takes no options at all."""
    values = dict(values or {})
    if model is None:
        if values:
            raise ParameterError(f"{what}: option(s) {', '.join(map(short, values))} do not apply; "
                                 "allowed: none")
        return None
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ParameterError(f"{what}: {describe_error(exc.errors()[0], model)}") from None


def _model_of(annotation):
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _model_at(model, path):
    for part in path:
        field = model.model_fields.get(part) if model is not None else None
        model = _model_of(field.annotation) if field is not None else None
    return model


def describe_error(error: dict, model) -> str:
    """One pydantic error of ``model`` as a sentence: what is wrong, and what is allowed."""
    loc = [str(part) for part in error["loc"]]
    where = ".".join(loc)
    if error["type"] == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent is not None else "see the reference"
        inside = f" in {'.'.join(loc[:-1])}" if loc[:-1] else ""
        return f"unknown option {short(where)}; allowed{inside}: {allowed}"
    if error["type"] == "missing":
        parent = _model_at(model, loc[:-1])
        field = parent.model_fields.get(loc[-1]) if parent is not None and loc else None
        return f"{where} is required" + (f" ({field.description})" if field is not None
                                         and field.description else "")
    cause = error.get("ctx", {}).get("error")
    message = str(cause) if isinstance(cause, MpsimError) else error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if loc and not message.startswith((loc[-1], where)):
        message = f"{where}: {message}"
    value = error.get("input")
    if value is not None and not isinstance(value, (dict, list)) and short(value) not in message:
        message += f" (got {short(value)})"
    return message
