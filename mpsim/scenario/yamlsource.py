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
        _walk(node, (), lines)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError(f"YAML syntax: {exc.problem or exc}"
                            + (f" ({exc.context})" if exc.context else ""), file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML: {exc}", file=file, line=1) from None
    finally:
        loader.dispose()
    return data, lines


def _walk(node, path: tuple, lines: Lines) -> None:
    lines.set(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                raise ScenarioError(f"duplicate key {key!r} (first on line {seen[key]}); allowed: each "
                                    "key once", file=lines.file, line=key_node.start_mark.line + 1,
                                    field=dotted(path + (key,)))
            seen[key] = key_node.start_mark.line + 1
            child = path + (_scalar_key(key_node),)
            _walk(value_node, child, lines)
            lines.set(child, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines)


def _scalar_key(node):
    if not isinstance(node, yaml.ScalarNode):
        return str(node.value)
    value = node.value
    if node.tag.endswith(":int"):
        try:
            return int(value)
        except ValueError:
            return value
    return value
