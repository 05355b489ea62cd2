"""The docstring examples of mpsim/core and mpsim/net run and give what they show."""

import doctest
import importlib
import pkgutil

import pytest

import mpsim.core
import mpsim.net


def modules_of(package):
    return sorted(info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."))


MODULES = [mpsim.core.__name__, *modules_of(mpsim.core), mpsim.net.__name__, *modules_of(mpsim.net)]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"


def test_doctests_exist():
    """The pure modules of core and net carry examples (STYLE.md rule 9)."""
    for name in ["mpsim.core.units", "mpsim.core.rng", "mpsim.core.distributions", "mpsim.net.loss"]:
        assert doctest.testmod(importlib.import_module(name), report=False).attempted > 0, name
