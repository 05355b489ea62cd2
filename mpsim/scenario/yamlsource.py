"""YAML loading that remembers the line of every node, so errors can name it.

``load_yaml(text, file)`` returns the data (plain dicts, lists and scalars, as
``yaml.safe_load`` would) and a ``Lines`` map from a path such as
``("actions", 3, "host")`` to its 1-based line. Duplicate keys are an error
(YAML would silently keep the last one, changing the scenario's meaning).
"""

from __future__ import annotations

import yaml

from mpsim.core.errors import ScenarioError


class Lines:
    """Line numbers of a YAML document's nodes, by path."""

    def __init__(self, file: str):
        self.file = file
        self._lines: dict[tuple, int] = {}

    def set(self, path: tuple, line: int) -> None:
        self._lines[path] = line

    def line(self, path) -> int:
        """The line of ``path``, or of its nearest ancestor that has one (1 for the root)."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), 1)

    def error(self, path, message: str) -> ScenarioError:
        """A ``ScenarioError`` at ``path``: ``FILE:LINE: field.path: message``."""
        return ScenarioError(message, file=self.file, line=self.line(path), field=dotted(path))


def dotted(path) -> str:
    out = ""
    for part in path:
        if isinstance(part, bool):            # a key YAML read as a boolean (no: ...)
            part = str(part).lower()
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml(text: str, file: str):
    """Parse ``text``; returns (data, Lines). Syntax errors become ScenarioError with a line."""
    lines = Lines(file)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError("the file is empty; allowed: a mapping with name, topology, hosts, "
                                "sessions, actions", file=file, line=1)
        _walk(node, (), lines, _key_maker(loader))
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line, message = _syntax_error(exc)
        raise ScenarioError(message, file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML: {exc}", file=file, line=1) from None
    finally:
        loader.dispose()
    return data, lines


#: Syntax errors whose cause is usually an opening the parser saw lines before it noticed:
#: they are reported at the opening, naming both lines.
_OPENINGS = {"while parsing a flow mapping": "the '{...}' mapping",
             "while parsing a flow sequence": "the '[...]' list",
             "while scanning a quoted scalar": "the quoted string"}


def _syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """The line and the message of a YAML syntax error."""
    problem = exc.problem or str(exc)
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    opening = _OPENINGS.get(exc.context or "")
    if opening and exc.context_mark is not None and exc.context_mark.line + 1 < line:
        return (exc.context_mark.line + 1,
                f"YAML syntax: {opening} that starts on this line is not closed properly: "
                f"{problem} on line {line}")
    if "another document" in problem:
        return line, "YAML syntax: a second document starts here; allowed: one document (no second '---')"
    message = f"YAML syntax: {problem}" + (f" ({exc.context})" if exc.context else "")
    if "'\\t'" in problem:
        message += "; allowed: indentation with spaces, never tabs"
    elif problem.startswith("expected <block end>"):
        message += "; allowed: the keys of one mapping (or the items of one list) indented alike, " \
                   "deeper than their parent's key"
    elif problem == "mapping values are not allowed here":
        message += "; allowed: one 'key: value' per line, or quotes around a value containing ': '"
    elif "found undefined alias" in problem:
        message += "; allowed: an alias (*name) of an anchor (&name) defined earlier"
    return line, message


def _key_maker(loader):
    """A function from a key node to the key as the document will have it (``1`` and ``0x1``
    are the same int key; a merge key ``<<`` or a non-scalar key has no simple value: None)."""
    def key_of(node):
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:merge":
            return None
        return loader.construct_object(node)
    return key_of


def _walk(node, path: tuple, lines: Lines, key_of, seen_nodes=None) -> None:
    """Record the line of ``node`` and, once per node, of everything under it. An alias
    (``*name``) is the anchored node itself: it is not walked again, so a recursive or
    exponentially nested alias cannot run away."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    lines.set(path, node.start_mark.line + 1)
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            key = key_of(key_node)
            line = key_node.start_mark.line + 1
            if key is not None:
                try:
                    first = seen.get(key)
                except TypeError:             # an unhashable key: the constructor reports it
                    first, key = None, None
                if first is not None:
                    raise ScenarioError(f"duplicate key {key_node.value!r} (first on line {first}); "
                                        "allowed: each key once", file=lines.file, line=line,
                                        field=dotted(path + (key,)))
                if key is not None:
                    seen[key] = line
            child = path + (key if key is not None else str(key_node.value),)
            _walk(value_node, child, lines, key_of, seen_nodes)
            lines.set(child, line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, key_of, seen_nodes)
