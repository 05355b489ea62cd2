"""Loading a scenario file: YAML with lines, ``--set`` overrides, pydantic validation, cross-checks.

Every mistake comes back as one ``ScenarioError`` whose text is
``FILE:LINE: field.path: what is wrong (what is allowed)``.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import stat
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from mpsim.core import limits
from mpsim.core.errors import ScenarioError
from mpsim.core.text import short
from mpsim.scenario import model as m
from mpsim.scenario.model import Scenario
from mpsim.scenario.yamlsource import (PART_CHARS, Lines, YamlSyntaxError, clip, dotted,
                                       line_of_byte, load_yaml)


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


# -- where a path of the data lands in the models --------------------------------------------

_ACTIONS = {"listen": m.Listen, "invite": m.Invite, "request": m.Request, "join": m.Join,
            "leave": m.Leave, "fail": m.Fail, "recover": m.Fail, "churn": m.Churn}


def _models_in(annotation) -> list:
    return [t for t in _types(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]


def _pick(models: list, value):
    """The model a value is meant to be, among the members of a union."""
    if not models:
        return None
    if len(models) == 1:
        return models[0]
    if m.HostSpec in models:
        return m.HostGroup if isinstance(value, dict) and "nodes" in value else m.HostSpec
    if any(issubclass(model, m.SessionBase) for model in models):
        return m.session_model(value.get("provider") if isinstance(value, dict) else None)
    if isinstance(value, dict) and isinstance(value.get("do"), str):
        return _ACTIONS.get(value["do"])
    return None


def _field(model, name):
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias):
            return field
    return None


def model_at(data, path):
    """The pydantic model whose fields the mapping at ``path`` holds, or None (a free-form
    mapping such as ``params``, or a path the models do not have)."""
    model, node = Scenario, data
    annotation = None
    for part in path:
        if model is not None:
            field = _field(model, part)
            if field is None:
                return None
            annotation, model = field.annotation, None
        elif annotation is not None:
            origin = typing.get_origin(annotation)
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if origin is typing.Union and len(args) == 1:
                annotation, origin = args[0], typing.get_origin(args[0])
                args = typing.get_args(annotation)
            if origin in (list, dict) and args:
                annotation = args[-1]
            else:
                return None
        else:
            return None
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
        if typing.get_origin(annotation) in (list, dict):
            continue
        model = _pick(_models_in(annotation), node)
        if model is not None:
            annotation = None
    return model


def _allowed_fields(model) -> list:
    return [field.alias or name for name, field in model.model_fields.items()]


# -- pydantic errors as sentences ------------------------------------------------------------

def real_path(data, loc) -> tuple:
    """Map a pydantic error location to a path in the data (dropping union tags)."""
    path, node = [], data
    for part in loc:
        if isinstance(node, dict):
            # pydantic gives a key as it validated it (a key false as 0): find the real key
            matches = [k for k in node if k == part or str(k) == str(part)]
            exact = [k for k in matches if type(k) is type(part)]
            if matches:
                key = (exact or matches)[0]
                path.append(key)
                node = node[key]
            elif part in ("from", "source"):
                path.append("from")
                node = node.get("from")
            else:
                # a union tag or a missing field: keep it only if it is a field name
                if not (isinstance(part, str) and _is_tag(part)):
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


_TAGS = {"listen", "invite", "request", "join", "leave", "fail", "recover", "churn", "one", "group",
         "int", "str", "float", "bool", "none", "list", "dict", "tuple", "[key]"}


def _is_tag(part: str) -> bool:
    return (part in _TAGS or "[" in part or part.startswith("function-")
            or part.startswith(m.SESSION_TAG.format("")))


#: What a type error expected, by pydantic error type.
_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "string_type": "a string",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "tuple_type": "a list", "dict_type": "a mapping", "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields", "none_required": "null",
}

#: A mapping of each kind, as an example of what to write.
_EXAMPLES = {
    m.TopologySpec: "{generator: balanced_tree, params: {r: 2, h: 2}}",
    m.LinkDefaults: "{delay: 2ms, bandwidth: 100Mbps}", m.LinkAttributes: "{delay: 1ms, bandwidth: 1Gbps}",
    m.Override: "{edge: [0, 1], delay: 20ms}", m.HostSpec: "{node: 0}",
    m.HostGroup: "{nodes: [1, 2], name: 'h{i}'}", m.SessionBase: "{name: news, provider: ipmc, rp: 0}",
    m.Spread: "{dist: uniform, low: 0s, high: 1s}",
    m.Traffic: "{from: source, session: news, rate: 20/s, size: 500B}",
    m.TraceSpec: "{packets: false}", m.Sweep: "{replications: 3, grid: {topology.links.loss: [0, 0.01]}}",
}
_ACTION_EXAMPLE = "{at: 1s, host: h1, do: join, session: news}"


def _got(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "null"
    return short(value)


#: A pydantic or validator message longer than this is rebuilt or cut (it may quote the input).
_LONG_MESSAGE = 300


def _bounded(msg: str, value) -> str:
    """``msg`` without an unbounded copy of ``value`` in it: a validator's ``{value!r}`` is
    replaced by ``short(value)``, and what is still long is cut in the middle."""
    if len(msg) <= _LONG_MESSAGE:
        return msg
    whole = _repr(value)
    if whole is not None:
        shown = short(value)
        if len(whole) > len(shown):
            msg = msg.replace(whole, shown)
    return clip(msg, _LONG_MESSAGE)


def _repr(value):
    """``repr(value)`` of a scalar (as long as the file at most), or None: for a list or a
    mapping (whose repr an alias can make a billion items long) and where Python cannot
    make it (an int over its int-string limit)."""
    if not isinstance(value, (str, int, float)):
        return None
    try:
        return repr(value)
    except ValueError:
        return None


def _expected(error, data, path) -> str | None:
    """What a type or literal error expected, as words; None for other errors."""
    kind = error["type"]
    if kind == "literal_error":
        return error.get("ctx", {}).get("expected", "").replace("' or '", "', '")
    if kind in ("model_type", "model_attributes_type"):
        model = model_at(data, path)
        if model is None and path[:1] == ("actions",) and len(path) == 2:
            return f"an action, a mapping such as {_ACTION_EXAMPLE}"
        example = next((_EXAMPLES[cls] for cls in getattr(model, "__mro__", ()) if cls in _EXAMPLES), None)
        return f"a mapping such as {example}" if example else _EXPECTED[kind]
    return _EXPECTED.get(kind)


def _message(error, data, path) -> str:
    """One pydantic error at ``path`` as words that say what to write instead."""
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return _unknown_field(data, path)
    if kind == "missing":
        return _missing_field(data, path)
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return f"'do: {tag}' is not an action; allowed: {', '.join(_ACTIONS)}"
    if kind == "union_tag_not_found":
        return "an action needs 'do': one of " + ", ".join(_ACTIONS)
    if kind in ("too_long", "too_short") and isinstance(value, (list, tuple)):
        return _wrong_length(error, path, value)
    expected = _expected(error, data, path)
    if expected is not None:
        return f"expected {expected} (got {_got(value)})" + _yaml_bool_hint([error])
    return _validator_message(error["msg"], value)


def _unknown_field(data, path) -> str:
    """A field the model does not have: the closest allowed name, the allowed ones."""
    name = path[-1] if path else "?"
    model = model_at(data, path[:-1])
    allowed = _allowed_fields(model) if model is not None else sorted(_field_names())
    moved = getattr(model, "moved_fields", {}).get(name) if model is not None else None
    if moved is not None:
        return f"unknown field {short(name)}: {moved}"
    hint = difflib.get_close_matches(str(name), allowed, n=1) if len(str(name)) <= 100 else []
    return (f"unknown field {short(name)}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + (f"; allowed here: {', '.join(allowed)}" if model is not None else
               "; see the scenario reference (mpsim validate --explain)"))


def _missing_field(data, path) -> str:
    """A required field left out, with its description; a pair with one node."""
    if path and isinstance(path[-1], int):
        return "too few items: an edge or link is a pair of nodes, e.g. [0, 1]"
    model = model_at(data, path[:-1])
    field = _field(model, path[-1]) if model is not None and path else None
    return "this field is required" + (f" ({field.description})" if field is not None
                                       and field.description else "")


def _wrong_length(error, path, value) -> str:
    """A list of too many or too few items (an edge or link: a pair of nodes)."""
    if path and path[-1] in ("edge", "link"):
        return f"expected a pair of nodes, e.g. [0, 1] (got {len(value)} items)"
    kind, ctx = error["type"], error.get("ctx", {})
    bound = (f"at least {ctx['min_length']}" if kind == "too_short" and "min_length" in ctx else
             f"at most {ctx['max_length']}" if "max_length" in ctx else "another number of")
    return f"expected a list of {bound} item(s) (got {len(value)})"


def _validator_message(msg: str, value) -> str:
    """A validator's own message (bounded, without pydantic's "Value error, "), with the
    value it refused when the message does not show it."""
    msg = _bounded(msg, value)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if value is not None and not isinstance(value, (dict, list)):
        shown, whole = short(value), _repr(value)
        if shown not in msg and (whole is None or whole not in msg):
            return f"{msg} (got {shown})"
    return msg


def _merge(group, data, path) -> str:
    """One message for the errors pydantic gives at one place, one per member of a union."""
    custom = [e for e in group if _expected(e, data, path) is None]
    if custom:
        return _message(custom[0], data, path)
    expected = []
    for error in group:
        text = _expected(error, data, path)
        if text not in expected:
            expected.append(text)
    return f"expected {' or '.join(expected)} (got {_got(group[0].get('input'))})" + _yaml_bool_hint(group)


def _yaml_bool_hint(group) -> str:
    """YAML 1.1 reads an unquoted no, yes, on, off as a boolean: say so where a word was meant."""
    value = group[0].get("input")
    if isinstance(value, bool) and any(e["type"] in ("string_type", "literal_error") for e in group):
        return ("; YAML reads unquoted yes, no, on, off, true, false as booleans: put the word in "
                "quotes")
    return ""


def _blame(path, message, lines: Lines) -> str:
    """Name the ``--set`` that put a bad value at ``path``, since the file does not show it."""
    for where, item in getattr(lines, "overrides", ()):
        if path[:len(where)] == where or where[:len(path)] == path:
            return f"{item}: {message}"
    return message


def blame_overrides(exc: ScenarioError, lines: Lines) -> ScenarioError:
    """``exc`` (from a cross-check) naming the ``--set`` that gave its field its value."""
    for where, item in getattr(lines, "overrides", ()):
        field = dotted(where)
        if exc.field and (exc.field == field or exc.field.startswith((field + ".", field + "["))):
            exc.message = f"{item}: {exc.message}"
            exc.args = (exc.message,)
            break
    return exc


def _check_numbers(value, path, lines: Lines, seen=None) -> None:
    """No integer too large for a float (the unit parsers would overflow, not refuse).
    A container is visited once (YAML aliases share them, and may even nest one in itself)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            raise lines.error(path, f"a number of {_digits(value)} digits is too large; allowed: "
                                    "numbers below 1.8e308") from None
    elif isinstance(value, (dict, list)):
        seen = set() if seen is None else seen
        if id(value) in seen:
            return
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _check_numbers(item, path + (key,), lines, seen)


def _digits(number: int) -> int:
    """The decimal digits of ``number``, also beyond Python's int-string limit."""
    try:
        return len(str(abs(number)))
    except ValueError:
        return int(abs(number).bit_length() * math.log10(2)) + 1


def validate(data, lines: Lines) -> Scenario:
    """Validate parsed YAML ``data``; the first error is raised, the others attached."""
    if not isinstance(data, dict):
        raise lines.error((), f"a scenario is a mapping of fields, not {type(data).__name__}; allowed: "
                              "name, description, seed, duration, topology, hosts, sessions, "
                              "actions, traffic, trace, sweep")
    _check_numbers(data, (), lines)
    try:
        return Scenario.model_validate(data)
    except RecursionError:          # only if yaml_depth was raised far beyond its default
        raise lines.error((), "the scenario nests too deeply to validate (deeper than Python's "
                              "stack allows, under the yaml_depth limit of "
                              f"{limits.get('yaml_depth'):g}); allowed: fewer levels of lists "
                              "and mappings") from None
    except ValidationError as exc:
        groups: dict = {}
        for error in exc.errors():
            groups.setdefault(real_path(data, error["loc"]), []).append(error)
        errors = [lines.error(path, _blame(path, _merge(group, data, path), lines))
                  for path, group in groups.items()]
        errors.sort(key=lambda e: e.line)
        first = errors[0]
        first.others = errors[1:]
        raise first from None


# -- --set and sweep keys --------------------------------------------------------------------

def parse_value(text: str, origin: str = "--set"):
    """A ``--set`` value as YAML reads it (``3`` -> 3, ``2ms`` -> '2ms', ``[1, 2]`` -> list);
    text that is not YAML is the string itself. Read with the file's loader, so with the
    same limits and tags: a value that exceeds one raises ``ScenarioError`` (its line is
    the line in ``text``)."""
    try:
        data, _ = load_yaml(text, origin, allow_empty=True)
    except YamlSyntaxError:
        return text
    return data


def _plain(text: str, limit: int = PART_CHARS) -> str:
    """A key or a dotted path as typed, without quotes, cut if long."""
    return clip(str(text), limit)


def _names(names: list, most: int = 12) -> str:
    shown = [short(n)[1:-1] if isinstance(n, str) else short(n) for n in names[:most]]
    return ", ".join(shown) + (f", ... ({len(names)} in all)" if len(names) > most else "")


def set_path(data, dotted_path: str, value, lines: Lines, origin: str = "--set", *,
             copy_path: bool = False):
    """Set ``dotted_path`` in ``data``; a list of named items is indexed by name. With
    ``copy_path``, each list or mapping on the way is replaced by a shallow copy before it
    changes (``data`` itself is changed: pass a copy), so the rest stays shared."""
    parts = [p for p in dotted_path.split(".")]
    if not dotted_path or any(p == "" for p in parts):
        raise lines.error((), f"{origin} {short(dotted_path)}: not a dotted path like "
                              "topology.links.loss")
    where = f"{origin} {_plain(dotted_path)}"
    node, path = data, ()
    for i, part in enumerate(parts):
        if isinstance(node, list):
            key = _item_index(node, part, path, where, lines)
        elif isinstance(node, dict):
            key = next((k for k in node if str(k) == part), part)
        else:
            message = f"{where}: {dotted(path)} is a value, not a mapping"
            raise lines.error(path[:-1], message)
        path += (key,)
        if i == len(parts) - 1:
            node[key] = value
            return path
        node = _step_into(node, key, part, path, where, lines, copy_path)
    return path


def _item_index(items: list, part: str, path: tuple, where: str, lines: Lines) -> int:
    """The index in ``items`` of the item named ``part``, else of position ``part``; an
    error naming the items (or the positions) there are."""
    index = next((j for j, item in enumerate(items)
                  if isinstance(item, dict) and str(item.get("name")) == part), None)
    if index is None and part.isdigit() and int(part) < len(items):
        index = int(part)
    if index is None:
        names = [str(item.get("name")) for item in items
                 if isinstance(item, dict) and "name" in item]
        allowed = _names(names) if names else f"an index below {len(items)}"
        raise lines.error(path, f"{where}: no item named {short(part)}; allowed: {allowed}")
    return index


def _step_into(node, key, part: str, path: tuple, where: str, lines: Lines,
               copy_path: bool):
    """``node[key]``, the next container on the way: a missing or null field of a
    mapping becomes an empty mapping (if it is a field at all), and with
    ``copy_path`` a container is copied before it changes."""
    if isinstance(node, dict) and (key not in node or node[key] is None):
        if part not in _field_names():
            raise lines.error(path[:-1], f"{where}: {short(part)} is not a field here")
        node[key] = {}
    elif copy_path and isinstance(node[key], (dict, list)):
        node[key] = copy.copy(node[key])
    return node[key]


def _sweep_points(data, scenario, lines: Lines) -> list:
    """Check each ``sweep.grid`` key is a path into the scenario and each of its values is
    valid there (one key at a time); returns ``[(key, index, data), ...]`` for the cross-checks.

    A point shares all of ``data`` but the containers on its key's path (copied, not the
    whole scenario for each value), and has no grid (it is one scenario, and validating
    the whole grid again at each of its values would make the check quadratic)."""
    points = []
    base = dict(data)
    if isinstance(base.get("sweep"), dict):
        base["sweep"] = {k: v for k, v in base["sweep"].items() if k != "grid"}
    for key, values in scenario.sweep.grid.items():
        where = ("sweep", "grid", key)
        for i, value in enumerate(values):
            point = dict(base)
            try:
                target = set_path(point, key, value, lines, origin="sweep key", copy_path=True)
                validate(point, lines)
            except ScenarioError as exc:
                if exc.message.startswith(("sweep key", "unknown field")) and (
                        not exc.message.startswith("unknown field") or exc.field == dotted(target)):
                    reason = exc.message.split(": ", 1)[-1] if exc.message.startswith("sweep key") \
                        else exc.message
                    raise lines.error(where, f"{short(key)} is not a path into the scenario: "
                                             f"{reason}") from None
                inner = "" if exc.field == dotted(target) else f"{exc.field or 'scenario'}: "
                raise lines.error(where + (i,), f"{_plain(key)} = {short(value)}: {inner}"
                                                f"{exc.message}") from None
            points.append((key, i, point))
    return points


def read(path, overrides=(), values=()) -> tuple[dict, Lines, Path]:
    """The parsed YAML of a scenario file with ``--set`` overrides (``["key=value", ...]``)
    and then ``values`` (``[(dotted path, value, origin), ...]``, values given from Python)
    applied; nothing validated yet. Returns (data, lines, the file's folder)."""
    path = Path(path)
    file = str(path)
    data, lines = load_yaml(read_text(path, file), file)
    lines.overrides = []
    for item in overrides:
        if "=" not in item:
            raise lines.error((), f"--set {short(item)}: expected KEY=VALUE, e.g. "
                                  "topology.links.loss=0.01")
        key, value = item.split("=", 1)
        if not isinstance(data, dict):
            break
        shown = f"--set {_plain(key.strip())}={_plain(value)}"
        try:
            parsed = parse_value(value)
        except ScenarioError as exc:
            # at the line of the key it would set (or of the nearest field the file has)
            where = set_path(data, key.strip(), None, lines)
            inside = f" (line {exc.line} of the value)" if "\n" in value and exc.line else ""
            raise lines.error(where, f"--set {_plain(key.strip())}=...: {exc.message}{inside}") \
                from None
        where = set_path(data, key.strip(), parsed, lines)
        lines.overrides.append((where, shown))
    for key, value, origin in values:
        if not isinstance(data, dict):
            break
        where = set_path(data, key, copy.deepcopy(value), lines, origin=origin)
        lines.overrides.append((where, f"{origin} {_plain(key)}={short(value)}"))
    return data, lines, path.parent


#: What a file that is not a regular file is, by ``stat`` mode.
_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_text(path: Path, file: str) -> str:
    """The text of a scenario file, read with bounds: only a regular file (a FIFO, a
    device such as /dev/zero or a socket is refused from ``stat``, never opened, since
    opening a FIFO blocks), at most ``scenario_bytes`` bytes (a file that grows while it
    is read is cut there and refused), UTF-8 (a byte that is not is reported at its line)."""
    limit = int(limits.get("scenario_bytes"))
    try:
        size = _check_file(os.stat(path), file, limit)
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not
        # wait for a writer (and the fstat refuses it)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as stream:
            size = _check_file(os.fstat(fd), file, limit)
            raw = stream.read(size + 1)
            if len(raw) > size:                  # it grew since the stat (or /proc): read on
                raw += stream.read(limit + 1 - len(raw))
    except FileNotFoundError:
        raise ScenarioError("no such file", file=file, line=0) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=file, line=0) from None
    if len(raw) > limit:
        raise ScenarioError(limits.exceeded("scenario_bytes", len(raw), "the file (it grew while "
                                            "it was read)"), file=file, line=0)
    return decode(raw, file)


def _check_file(info, file: str, limit: int) -> int:
    """The size of a regular file of at most ``limit`` bytes; anything else is refused."""
    _check_kind(info, file)
    if info.st_size > limit:
        raise ScenarioError(limits.exceeded("scenario_bytes", info.st_size, "the file"), file=file,
                            line=0)
    return info.st_size


def _check_kind(info, file: str) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError("not a regular file (a folder); allowed: a YAML scenario file",
                            file=file, line=0)
    kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)),
                "an unknown kind of file")
    raise ScenarioError(f"not a regular file ({kind}); allowed: a YAML scenario file", file=file,
                        line=0)


def decode(raw: bytes, file: str) -> str:
    """``raw`` as UTF-8 text; the first byte that is not UTF-8 is an error at its line."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ScenarioError("cannot read the file: it is UTF-16 (it starts with a UTF-16 "
                                "byte-order mark); allowed: UTF-8 text (save it as UTF-8)",
                                file=file, line=1) from None
        line = line_of_byte(raw, exc.start)
        raise ScenarioError(f"cannot read the file: byte 0x{raw[exc.start]:02X} is not UTF-8 "
                            f"({exc.reason}); allowed: UTF-8 text (save the file as UTF-8)",
                            file=file, line=line) from None


def load(path, overrides=(), values=()) -> tuple[Scenario, Lines, Path]:
    """Read, override (``["key=value", ...]``, then ``values`` as in ``read``) and validate
    a scenario file; each ``sweep.grid`` value is validated in place too."""
    data, lines, base = read(path, overrides, values)
    scenario = validate(data, lines)
    lines.data = data
    lines.sweep_points = _sweep_points(data, scenario, lines) if scenario.sweep is not None else []
    return scenario, lines, base
