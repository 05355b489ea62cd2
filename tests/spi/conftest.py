"""The ``provider`` fixture of tests/spi/helpers.py: every rooted provider in turn."""

from tests.spi.helpers import provider  # noqa: F401
