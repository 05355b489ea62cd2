"""Values as they appear in messages: short, whatever their size or shape.

An error message that echoes a value must never be the thing that hangs or
eats memory: a "billion laughs" alias, a million-item list or a 5 000-digit
number are shown cut down (``reprlib``), and a structure that contains itself
is shown as ``[...]``.

>>> short("x" * 500)
"'xxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxx'"
>>> short(list(range(1000)))
'[0, 1, 2, 3, 4, 5, ...]'
>>> len(short(10 ** 5000)) <= 60
True
"""

from __future__ import annotations

import reprlib

_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3
_SHORT.maxstring = 40
_SHORT.maxother = 40
_SHORT.maxlong = 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxfrozenset = _SHORT.maxdeque = 6
_SHORT.maxdict = 4


def short(value) -> str:
    """``repr(value)`` cut to a few dozen characters (and at most three levels deep)."""
    try:
        text = _SHORT.repr(value)
    except Exception:                                    # a value whose repr fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."
