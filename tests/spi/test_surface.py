"""The provider -> socket surface: providers use only ``SocketEvents`` and ``Join``'s
transition methods, never a socket's or a join's private state (issue 11)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from mpsim.spi.events import SocketEvents
from mpsim.spi.joins import Join, JoinOutcome
from mpsim.spi.socket import MultipointSocket

PACKAGE = Path(__file__).resolve().parents[2] / "mpsim"
CALLERS = sorted((PACKAGE / "protocols").rglob("*.py")) + sorted((PACKAGE / "apps").rglob("*.py"))
#: What only the socket layer may assign: socket state and join rows.
STATE = {"connected", "closed", "listening", "outcome", "t_complete", "t_first_data", "error"}
PRIVATE = {name for name in dir(MultipointSocket) if name.startswith("_") and not name.startswith("__")}


def callbacks():
    return [name for name, _ in inspect.getmembers(SocketEvents, inspect.isfunction)
            if not name.startswith("_")]


@pytest.mark.parametrize("name", callbacks())
def test_the_socket_implements_each_callback_with_its_signature(name):
    ours = inspect.signature(getattr(MultipointSocket, name))
    documented = inspect.signature(getattr(SocketEvents, name))
    assert list(ours.parameters) == list(documented.parameters)
    assert getattr(MultipointSocket, name).__doc__


def _offences(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name)
                                                    and node.value.id in ("self", "cls")):
            if node.attr in PRIVATE:
                yield node.lineno, f"uses {node.attr} of another object"
            if isinstance(node.ctx, ast.Store) and node.attr in STATE:
                yield node.lineno, f"sets .{node.attr} of another object"


@pytest.mark.parametrize("path", CALLERS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_providers_and_apps_use_only_the_public_surface(path):
    assert list(_offences(path)) == []


def test_join_transitions():
    join = Join(1, "s", "nonrooted", None, "H", 0.0)
    join.fd_connect(0.5)
    assert join.outcome is JoinOutcome.PENDING and join.t_complete == 0.5
    assert join.first_data(0.75) and not join.first_data(0.9)
    assert join.outcome is JoinOutcome.CONNECTED and join.t_first_data == 0.75
    late = Join(2, "s", "nonrooted", None, "H", 0.0)
    late.time_out()
    assert late.outcome == "timed_out" and late.error.name == "WSAETIMEDOUT"
    late.first_data(3.0)                  # data after the give-up does not undo it
    assert late.outcome == "timed_out" and late.t_first_data == 3.0
    rooted = Join(3, "s", "root_invite", "R", "L", 0.0)
    rooted.first_data(1.0)
    assert rooted.outcome is JoinOutcome.PENDING       # a rooted join completes on FD_CONNECT
    assert rooted.finish(2.0) and not rooted.finish(3.0, None, "cancelled")
    assert rooted.outcome == "connected" and rooted.t_complete == 2.0
