"""Loading a scenario file: YAML with lines, ``--set`` overrides, pydantic validation, cross-checks.

Every mistake comes back as one ``ScenarioError`` whose text is
``FILE:LINE: field.path: what is wrong (what is allowed)``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from mpsim.core.errors import ScenarioError
from mpsim.scenario.model import Scenario
from mpsim.scenario.yamlsource import Lines, dotted, load_yaml


def _field_names(model=Scenario, seen=None) -> set:
    """Every field name of the scenario language (for did-you-mean hints)."""
    seen = set() if seen is None else seen
    names = set()
    if model in seen:
        return names
    seen.add(model)
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        for arg in _types(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _field_names(arg, seen)
    return names


def _types(annotation):
    out = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        out.extend(_types(arg))
    return out


def real_path(data, loc) -> tuple:
    """Map a pydantic error location to a path in the data (dropping union tags)."""
    path, node = [], data
    for part in loc:
        if isinstance(node, dict):
            if part in node:
                path.append(part)
                node = node[part]
            elif isinstance(part, str) and str(part) in {str(k) for k in node}:
                key = next(k for k in node if str(k) == str(part))
                path.append(key)
                node = node[key]
            elif isinstance(part, str) and part == "from" or part == "source":
                path.append("from")
                node = node.get("from")
            else:
                # a union tag or a missing field: keep it only if it is a field name
                if isinstance(part, str) and not _is_tag(part):
                    path.append(part)
                    node = None
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif node is None:
            continue
        else:
            if isinstance(part, (int, str)) and not (isinstance(part, str) and _is_tag(part)):
                path.append(part)
            node = None
    return tuple(path)


_TAGS = {"listen", "invite", "request", "join", "leave", "fail", "recover", "churn", "one", "group"}


def _is_tag(part: str) -> bool:
    return part in _TAGS or "[" in part or part.startswith("function-")


def _message(error, data, path) -> str:
    kind = error["type"]
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        name = path[-1] if path else "?"
        hint = difflib.get_close_matches(str(name), sorted(_field_names()), n=1)
        return f"unknown field {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else
                                             "; see the scenario reference (mpsim validate --explain)")
    if kind == "missing":
        return "this field is required"
    if kind == "union_tag_invalid":
        return msg.replace("Input tag", "action").replace("found using 'do'", "in 'do'")
    if kind == "union_tag_not_found":
        return "an action needs 'do': one of listen, invite, request, join, leave, fail, recover, churn"
    value = error.get("input")
    if kind not in ("model_type",) and value is not None and not isinstance(value, (dict, list)):
        return f"{msg} (got {value!r})"
    return msg


def validate(data, lines: Lines) -> Scenario:
    """Validate parsed YAML ``data``; the first error is raised, the others attached."""
    if not isinstance(data, dict):
        raise lines.error((), f"a scenario is a mapping of fields, not {type(data).__name__}; "
                              "allowed: name, description, seed, duration, topology, hosts, sessions, "
                              "actions, traffic, trace, sweep")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            path = real_path(data, error["loc"])
            errors.append(lines.error(path, _message(error, data, path)))
        errors.sort(key=lambda e: e.line)
        first = errors[0]
        first.others = errors[1:]
        raise first from None


def parse_value(text: str):
    """A ``--set`` value as YAML reads it (``3`` -> 3, ``2ms`` -> '2ms', ``[1, 2]`` -> list)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def set_path(data, dotted_path: str, value, lines: Lines, origin: str = "--set"):
    """Set ``dotted_path`` in ``data``; a list of named items is indexed by name."""
    parts = [p for p in dotted_path.split(".")]
    if not dotted_path or any(p == "" for p in parts):
        raise lines.error((), f"{origin} {dotted_path!r}: not a dotted path like topology.links.loss")
    node, path = data, ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = next((j for j, item in enumerate(node)
                          if isinstance(item, dict) and str(item.get("name")) == part), None)
            if index is None and part.isdigit() and int(part) < len(node):
                index = int(part)
            if index is None:
                names = [str(item.get("name")) for item in node if isinstance(item, dict)]
                raise lines.error(path, f"{origin} {dotted_path}: no item named {part!r}; allowed: "
                                        f"{', '.join(names) or 'none'}")
            path += (index,)
            if last:
                node[index] = value
                return path
            node = node[index]
        elif isinstance(node, dict):
            key = next((k for k in node if str(k) == part), part)
            path += (key,)
            if last:
                node[key] = value
                return path
            if key not in node or node[key] is None:
                if part not in _field_names():
                    raise lines.error(path[:-1], f"{origin} {dotted_path}: {part!r} is not a field here")
                node[key] = {}
            node = node[key]
        else:
            raise lines.error(path, f"{origin} {dotted_path}: {dotted(path)} is a value, not a mapping")
    return path


def load(path, overrides=()) -> tuple[Scenario, Lines, Path]:
    """Read, override (``["key=value", ...]``), validate and cross-check a scenario file."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", file=file, line=0) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the file: {exc}", file=file, line=0) from None
    data, lines = load_yaml(text, file)
    for item in overrides:
        if "=" not in item:
            raise lines.error((), f"--set {item!r}: expected KEY=VALUE, e.g. topology.links.loss=0.01")
        key, value = item.split("=", 1)
        if not isinstance(data, dict):
            break
        set_path(data, key.strip(), parse_value(value), lines)
    scenario = validate(data, lines)
    if scenario.sweep is not None:
        import copy
        for i, key in enumerate(scenario.sweep.grid):
            set_path(copy.deepcopy(data), key, None, lines, origin="sweep key")
    return scenario, lines, path.parent
