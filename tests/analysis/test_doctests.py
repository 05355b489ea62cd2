"""The docstring examples of mpsim/analysis and mpsim/plot run and give what they show."""

import doctest
import importlib
import pkgutil

import pytest

import mpsim.analysis
import mpsim.plot

MODULES = sorted(info.name for package in (mpsim.analysis, mpsim.plot)
                 for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
