"""The providers a session can name, each declared by its own class.

A provider class declares, in its header, everything the layers above need of it:

``name``
    what a session's ``provider:`` says;
``flags``
    its Winsock ``XP1_*`` flags (``ProviderFlag``): rooted or non-rooted control and data;
``options``
    the pydantic model (a ``mpsim.core.schema.Strict``) of the session options it takes,
    which both the scenario loader and ``Stack.add_session`` validate with (None: none);
``actions``
    the scenario actions its sessions allow (a subset of ``ACTIONS``).

``register(cls)`` makes it available by name (``mpsim/protocols/__init__.py`` registers
the built-in ones); ``unregister(name)`` takes it back (tests that register their own).
Whoever keeps something derived from the registry (the scenario language's session
models) subscribes with ``on_change``.
"""

from __future__ import annotations

from pydantic import BaseModel

from mpsim.core.errors import ParameterError
from mpsim.spi.constants import ProviderFlag

#: Every scenario action a provider may allow, in the order messages list them.
ACTIONS = ("listen", "invite", "request", "join", "leave", "churn")
#: A rooted control plane: the root listens and invites, leaves listen and ask (Ways 1, 2).
ROOTED_ACTIONS = ("listen", "invite", "request", "leave", "churn")
#: A non-rooted control plane: hosts join (Way 3).
NONROOTED_ACTIONS = ("join", "leave", "churn")

#: Provider classes by the name a session uses (change it through register/unregister).
PROVIDERS: dict = {}
_listeners: list = []


def register(cls):
    """Make provider class ``cls`` available by ``cls.name``; returns ``cls`` (so it can
    decorate the class). A name already taken by another class is an error."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or name == "none":
        raise ParameterError(f"provider {cls!r} has no name; allowed: a class attribute name = '...'")
    if PROVIDERS.get(name, cls) is not cls:
        raise ParameterError(f"provider {name!r} is already registered ({PROVIDERS[name].__name__}); "
                             "allowed: a new name, or unregister it first")
    _check_declarations(cls)
    PROVIDERS[name] = cls
    _changed()
    return cls


def unregister(name: str) -> None:
    """Take provider ``name`` out of the registry (nothing if it is not in it)."""
    if PROVIDERS.pop(name, None) is not None:
        _changed()


def on_change(listener) -> None:
    """Call ``listener()`` after every register and unregister."""
    _listeners.append(listener)


def provider_class(name: str):
    """The provider class registered as ``name``."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ParameterError(f"provider {name!r} is not registered; allowed: "
                             + ", ".join(PROVIDERS)) from None


def allowed_actions(name: str) -> list[str]:
    """The scenario actions a session of provider ``name`` may do, in ``ACTIONS`` order."""
    declared = set(provider_class(name).actions)
    return [action for action in ACTIONS if action in declared]


def _check_declarations(cls) -> None:
    if not isinstance(cls.flags, ProviderFlag):
        raise ParameterError(f"provider {cls.name!r}: flags must be ProviderFlag XP1_* flags")
    options = cls.options
    if options is not None and not (isinstance(options, type) and issubclass(options, BaseModel)):
        raise ParameterError(f"provider {cls.name!r}: options must be a pydantic model (or None)")
    unknown = sorted(set(cls.actions) - set(ACTIONS))
    if unknown:
        raise ParameterError(f"provider {cls.name!r}: unknown action(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(ACTIONS)}")


def _changed() -> None:
    for listener in tuple(_listeners):          # (a listener may subscribe another)
        listener()
