"""Bounds for tests of hostile input: a runaway must fail the test, not eat the machine."""

from __future__ import annotations

import resource
from contextlib import contextmanager
from pathlib import Path

#: Address space a test may map beyond what the process maps when it starts.
HEADROOM = 2 * 2 ** 30


def vm_bytes() -> int:
    """The address space this process maps now (Linux), or 0 where unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextmanager
def memory_bound(headroom: int = HEADROOM):
    """Run the block with the soft RLIMIT_AS lowered to what the process maps now plus
    ``headroom``: an allocation past it raises MemoryError. Raised back after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    now = vm_bytes()
    limit = now + headroom if now else resource.RLIM_INFINITY
    if hard != resource.RLIM_INFINITY and limit != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
