"""YAML loading that remembers the line of every node, so errors can name it.

``load_yaml(text, file)`` returns the data (plain dicts, lists and scalars, as
``yaml.safe_load`` would) and a ``Lines`` map from a path such as
``("actions", 3, "host")`` to its 1-based line. Duplicate keys are an error
(YAML would silently keep the last one, changing the scenario's meaning).

The text is hostile until proven otherwise, so it is checked in three steps, each
bounded by a limit of ``mpsim.core.limits`` and each failing as a ``ScenarioError``
at a line:

1. the characters: no NUL, ESC or other control character PyYAML refuses;
2. the node graph, while it is composed and before anything is constructed: nesting
   (``yaml_depth``, counted through aliases), the number of nodes with every alias
   counted as the size of what it stands for (``yaml_nodes``; each node's size is
   computed once, when it is complete, so a "billion laughs" costs as many steps as
   it has lines), an alias inside its own anchor, a tag the data model has no use
   for (only null, bool, int, float, str, lists, mappings and ``<<``), an integer of
   more than ``number_digits`` digits;
3. the construction: a scalar its tag cannot read (``!!int abc``, ``!!bool maybe``) is
   reported at its node; a ``RecursionError`` (only possible with ``yaml_depth`` raised
   far above its default) at the last node composed.

Messages never echo an unbounded value (``mpsim.core.text.short``).
"""

from __future__ import annotations

import yaml
from yaml.events import AliasEvent, ScalarEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from mpsim.core import limits
from mpsim.core.errors import ScenarioError
from mpsim.core.text import short


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
        """A ``ScenarioError`` at ``path``: ``FILE:LINE: field.path: message``. A message
        longer than a few lines is cut in the middle (a last defence: the messages quote
        values through ``short`` already)."""
        return ScenarioError(clip(message), file=self.file, line=self.line(path),
                             field=dotted(path))


#: The longest message, dotted path and part of a dotted path shown whole.
MESSAGE_CHARS = 600
PATH_CHARS = 160
PART_CHARS = 60


def clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    """``text`` with its middle cut out if it is longer than ``limit``; characters that
    would act on a terminal (ESC, NUL, ...) are shown escaped.

    >>> clip("abcdefghijklmnopqrstuvwxyz", 15)
    'abcd ... uvwxyz'
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in
                       (text if len(text) <= 4 * limit else text[:2 * limit] + text[-2 * limit:]))
    if len(text) <= limit:
        return text
    head = (limit - 5) * 2 // 5
    return f"{text[:head]} ... {text[len(text) - (limit - 5 - head):]}"


def dotted(path) -> str:
    """A path as the dotted text ``--set`` and messages use: ``actions[3].host``. A key
    longer than ``PART_CHARS``, or a path longer than ``PATH_CHARS``, is cut in the middle
    (it names the place; the whole of it is in the file).

    >>> dotted(("actions", 3, "host"))
    'actions[3].host'
    """
    out = ""
    for part in path:
        if isinstance(part, bool):            # a key YAML read as a boolean (no: ...)
            part = str(part).lower()
        elif not isinstance(part, int):
            part = clip(str(part), PART_CHARS)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return clip(out, PATH_CHARS)


class YamlSyntaxError(ScenarioError):
    """The text is not YAML (as opposed to YAML that is refused): ``--set`` values
    that are not YAML are taken as strings."""


def load_yaml(text: str, file: str, *, allow_empty: bool = False):
    """Parse ``text``; returns (data, Lines). Every mistake, and every input that would
    exceed a limit, is a ``ScenarioError`` with a line (``YamlSyntaxError`` for text
    that is not YAML). An empty document is an error, unless ``allow_empty``: then the
    data is None."""
    lines = Lines(file)
    check_characters(text, file)
    loader = None
    try:
        loader = _BoundedLoader(text, file)
        node = loader.get_single_node()
        if node is None:
            if allow_empty:
                return None, lines
            raise ScenarioError("the file is empty; allowed: a mapping with name, topology, hosts, "
                                "sessions, actions", file=file, line=1)
        _walk(node, (), lines, _key_maker(loader))
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line, message = _syntax_error(exc)
        raise YamlSyntaxError(clip(message), file=file, line=line) from None
    except yaml.YAMLError as exc:            # a ReaderError (checked before) or another without a mark
        line = _line_at(text, exc.position) if isinstance(exc, yaml.reader.ReaderError) else 1
        raise YamlSyntaxError(clip(f"YAML: {exc}"), file=file, line=line) from None
    except (ValueError, OverflowError) as exc:          # not from a scalar (those are guarded)
        raise ScenarioError(clip(f"cannot read the YAML: {exc}"), file=file, line=1) from None
    except RecursionError:
        where = getattr(loader, "composing", None)
        line = where.start_mark.line + 1 if where is not None else 1
        raise ScenarioError("the scenario nests too deeply to read (deeper than Python's stack "
                            f"allows, under the yaml_depth limit of {limits.get('yaml_depth'):g}); "
                            "allowed: fewer levels of lists and mappings", file=file,
                            line=line) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


# -- characters ------------------------------------------------------------------------------

_CONTROL_NAMES = {0x00: "a NUL character", 0x07: "a bell character", 0x08: "a backspace",
                  0x0B: "a vertical tab", 0x0C: "a form feed", 0x1B: "an ESC character",
                  0x7F: "a DEL character"}


def check_characters(text: str, file: str) -> None:
    """Refuse the characters PyYAML refuses (its ``ReaderError``), at their line, naming
    them; tabs, line breaks and any printable Unicode are fine."""
    match = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if match is None:
        return
    at = match.start()
    char = match.group()
    code = ord(char)
    if code in _CONTROL_NAMES:
        name = _CONTROL_NAMES[code]
    elif 0xD800 <= code <= 0xDFFF:
        name = "an unpaired surrogate (a byte that was not UTF-8)"
    elif code in (0xFFFE, 0xFFFF):
        name = "a Unicode non-character"
    else:
        name = "a control character"
    column = at - max(text.rfind(c, 0, at) for c in "\n\r\x85\u2028\u2029")
    raise ScenarioError(f"{name} ({repr(char)[1:-1]}) at column {column} is not allowed in a "
                        "scenario; allowed: printable text (tabs and line breaks are fine)",
                        file=file, line=_line_at(text, at))


def _line_at(text: str, index: int) -> int:
    """The 1-based line of ``text[index]``, counting line breaks as PyYAML does (``\\n``,
    ``\\r`` not before ``\\n``, NEL, LS, PS), so that it agrees with the parser's marks."""
    breaks = sum(text.count(c, 0, index) for c in "\n\x85\u2028\u2029")
    breaks += text.count("\r", 0, index) - text.count("\r\n", 0, index)
    return breaks + 1


def line_of_byte(data: bytes, index: int) -> int:
    """The 1-based line of ``data[index]``, for a byte that is not UTF-8 (everything before
    it is)."""
    return _line_at(data[:index].decode("utf-8", errors="replace"), index)


# -- the node graph, checked while it is composed --------------------------------------------

_YAML = "tag:yaml.org,2002:"
#: The tags the data model needs; everything else (sets, ordered maps, pairs, binary,
#: timestamps, python objects, application tags) is refused.
ALLOWED_TAGS = frozenset(_YAML + name for name in ("null", "bool", "int", "float", "str", "seq",
                                                    "map", "merge"))
_INT = _YAML + "int"
_MERGE = _YAML + "merge"
_DIGITS = "0123456789abcdefABCDEF"


def _tag_name(tag: str) -> str:
    return clip("!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag, PART_CHARS)


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` whose composer checks every node as it is made (see the module
    docstring), keeping for each finished node its expanded size and its height."""

    def __init__(self, text: str, file: str):
        super().__init__(text)
        self.file = file
        self.max_depth = limits.get("yaml_depth")
        self.max_nodes = limits.get("yaml_nodes")
        self.max_digits = limits.get("number_digits")
        self.total = 0            # nodes so far, each alias counted as what it stands for
        self.measured: dict[int, tuple[int, int]] = {}   # id(node) -> (size, height), once complete
        self.open: list[int] = []  # for each collection being composed: its children's greatest height
        self.path: list = []      # (parent, index) of the nodes being composed, for messages
        self.composing = None

    def refuse(self, message: str, mark) -> ScenarioError:
        path = []
        for parent, index in self.path:
            if isinstance(parent, SequenceNode):
                path.append(index)
            elif isinstance(parent, MappingNode) and index is not None:
                path.append(index.value if isinstance(index, ScalarNode) else "?")
        return ScenarioError(message, file=self.file, line=mark.line + 1, field=dotted(path) or None)

    def compose_node(self, parent, index):
        # A collection's children are composed inside ``super().compose_node``: the
        # checks are helpers, but that call stays here, so that a level of nesting
        # costs no more stack than PyYAML's own (see the RecursionError in load_yaml).
        event = self.peek_event()
        self.path.append((parent, index))
        if isinstance(event, AliasEvent):
            node, height = self._compose_alias(event, parent, index)
        else:
            before = self._count_new(event)
            if isinstance(event, ScalarEvent):
                node = super().compose_node(parent, index)
                self._check_scalar(node, event, parent, index)
                height = 0
            else:
                self._check_depth(event)
                self.open.append(0)
                node = super().compose_node(parent, index)
                height = self.open.pop() + 1
            self.measured[id(node)] = (self.total - before, height)
            self.composing = node
        if self.open and height > self.open[-1]:
            self.open[-1] = height
        self.path.pop()
        return node

    def _compose_alias(self, event, parent, index):
        """An alias, counted as the nodes it stands for and as deep as they nest (an
        alias inside its own anchor is refused); returns the node and its height."""
        node = super().compose_node(parent, index)      # an undefined alias raises here
        measured = self.measured.get(id(node))
        if measured is None:
            name = clip(event.anchor, PART_CHARS)
            raise self.refuse(f"the alias *{name} is inside its own anchor &{name} (a recursive "
                              "alias); allowed: an alias of an anchor defined and closed earlier",
                              event.start_mark)
        size, height = measured
        self.total += size
        if self.total > self.max_nodes:
            raise self.refuse(f"the alias *{clip(event.anchor, PART_CHARS)} would expand to "
                              f"{size} nodes; " + self._too_many(), event.start_mark)
        if len(self.open) + height > self.max_depth:
            raise self.refuse(f"the alias *{clip(event.anchor, PART_CHARS)} nests {height} "
                              "levels deep here: " + limits.exceeded(
                                  "yaml_depth", len(self.open) + height, "the nesting"),
                              event.start_mark)
        return node, height

    def _count_new(self, event) -> int:
        """Check the tag of a new scalar or collection and count it; returns the count
        before it (its size is what the count has grown by once it is complete)."""
        tag = event.tag
        if tag is not None and tag != "!" and tag not in ALLOWED_TAGS:
            raise self._bad_tag(tag, event.start_mark, None)
        before = self.total
        self.total += 1
        if self.total > self.max_nodes:
            raise self.refuse(self._too_many(), event.start_mark)
        return before

    def _check_scalar(self, node, event, parent, index) -> None:
        """Refuse a scalar whose resolved tag is not allowed (a plain ``2001-01-01``
        is a date), a merge key ``<<`` anywhere but as a key, or an integer of too
        many digits."""
        misplaced_merge = node.tag == _MERGE and not (
            isinstance(parent, MappingNode) and index is None)      # '<<' only as a key
        if node.tag not in ALLOWED_TAGS or misplaced_merge:
            implicit = node.value if event.tag is None else None
            raise self._bad_tag(node.tag, event.start_mark, implicit)
        if node.tag == _INT and len(node.value) > self.max_digits:
            digits = sum(node.value.count(d) for d in _DIGITS)
            if digits > self.max_digits:
                raise self.refuse(limits.exceeded("number_digits", digits, "this integer"),
                                  event.start_mark)

    def _check_depth(self, event) -> None:
        """Refuse a list or a mapping that would nest deeper than ``yaml_depth``."""
        if len(self.open) >= self.max_depth:
            raise self.refuse(limits.exceeded("yaml_depth", len(self.open) + 1, "the nesting"),
                              event.start_mark)

    def _too_many(self) -> str:
        return limits.exceeded("yaml_nodes", self.total, "the scenario up to here, aliases expanded,")

    def _bad_tag(self, tag: str, mark, implicit_value) -> ScenarioError:
        name = _tag_name(tag)
        if implicit_value is not None:      # a plain scalar YAML 1.1 reads as a date ('=', '<<')
            what = {_YAML + "timestamp": "a date", _MERGE: "a merge key"}.get(tag, f"the tag {name}")
            return self.refuse(f"YAML tag {name} is not allowed here: YAML reads "
                               f"{short(implicit_value)} as {what}; allowed: plain scalars, lists and "
                               "mappings (put the value in quotes to keep it as text)", mark)
        return self.refuse(f"YAML tag {name} is not allowed here; allowed: plain scalars, lists "
                           "and mappings", mark)

    def unreadable(self, node) -> ScenarioError:
        """A value the constructor could not build (``!!int abc``, ``!!bool maybe``)."""
        return ScenarioError(f"cannot read {short(node.value)} as {_tag_name(node.tag)}; allowed: "
                             "a plain number, string, list or mapping", file=self.file,
                             line=node.start_mark.line + 1)


def _guarded(construct):
    """A scalar constructor whose ``ValueError`` (``!!int abc``), ``KeyError``
    (``!!bool maybe``), ``IndexError`` (``!!int`` of nothing) or ``OverflowError`` is the
    user's mistake, at the node's line."""
    def build(loader, node):
        try:
            return construct(loader, node)
        except (ValueError, LookupError, OverflowError, TypeError):
            raise loader.unreadable(node) from None
    return build


for _name in ("int", "float", "bool"):
    _BoundedLoader.add_constructor(_YAML + _name,
                                   _guarded(yaml.SafeLoader.yaml_constructors[_YAML + _name]))


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
    (``*name``) is the anchored node itself: it is not walked again, so an exponentially
    nested alias cannot run away (and the composer has already bounded the depth and
    refused a recursive alias)."""
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
                    raise ScenarioError(f"duplicate key {short(key_node.value)} (first on line "
                                        f"{first}); allowed: each key once", file=lines.file,
                                        line=line, field=dotted(path + (key,)))
                if key is not None:
                    seen[key] = line
            child = path + (key if key is not None else str(key_node.value),)
            _walk(value_node, child, lines, key_of, seen_nodes)
            lines.set(child, line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, key_of, seen_nodes)
