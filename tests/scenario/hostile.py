"""Hostile scenario text for tests/scenario/test_hostile.py: each builder returns YAML text
(or bytes) of a size or shape meant to hang, exhaust or crash a naive loader, and the
cases say on which line of scenarios/quickstart.yaml the loader must report them.

Every bomb here is a few hundred bytes: what it would expand to is in its name.
"""

from __future__ import annotations

import resource
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.bounds import vm_bytes

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
BASE = QUICKSTART.read_text(encoding="utf-8")

#: Address space allowed to one ``mpsim validate`` in a subprocess. Measured: an ordinary
#: ``mpsim validate scenarios/quickstart.yaml`` peaks at about 520 MB of virtual memory
#: (VmPeak; numpy, pandas, networkx and pydantic map a lot) and 150 MB resident, and fails
#: with MemoryError under 0.5 GiB. 1.5 GiB leaves it three times that, while the runaways
#: of the issue (an alias expanded to 10^9 items: > 1 GB; /dev/zero read to its end) hit it.
SUBPROCESS_LIMIT = int(1.5 * 2 ** 30)
#: Address space an in-process call may add to what the test process already maps.
IN_PROCESS_HEADROOM = 2 ** 30


def line_of(text: str, start: str) -> int:
    """The 1-based line of the first line of ``text`` that starts with ``start``."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(start):
            return number
    raise AssertionError(f"no line starts with {start!r}")


def replace_line(start: str, new: str, text: str = BASE) -> tuple[str, int]:
    """``text`` with its line that starts with ``start`` replaced by ``new``; and its number."""
    number = line_of(text, start)
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n", number


def append(extra: str, text: str = BASE) -> tuple[str, int]:
    """``text`` with ``extra`` added as new lines at the end; and the first new line's number."""
    return text + extra, text.count("\n") + 1


# -- bombs on one line (flow style), for a value position --------------------------------------

def laughs(levels: int = 9, width: int = 10) -> str:
    """A list whose last item stands for width ** levels strings ("billion laughs")."""
    items = [f"&l0 [{', '.join(['lol'] * width)}]"]
    items += [f"&l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "[" + ", ".join(items) + "]"


def doubling(levels: int = 30) -> str:
    """A mapping whose last value stands for 2 ** levels mappings: ``{a: *m, b: *m}``."""
    items = ["x0: &m0 {a: 1}"] + [f"x{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}}}"
                                  for i in range(1, levels + 1)]
    return "{" + ", ".join(items) + "}"


def deep_list(depth: int = 10_000) -> str:
    return "[" * depth + "]" * depth


def deep_mapping(depth: int = 10_000) -> str:
    return "{a: " * depth + "1" + "}" * depth


def recursive_list() -> str:
    return "&loop [1, *loop]"


def recursive_mapping() -> str:
    return "&loop {a: *loop}"


# -- bounds ------------------------------------------------------------------------------------

class Overran(Exception):
    """An in-process call ran out of its time bound (a hang the guard cut short)."""


@contextmanager
def bounded(seconds: float, headroom: int = IN_PROCESS_HEADROOM):
    """Run the block with the soft RLIMIT_AS lowered to what the process maps now plus
    ``headroom`` (a runaway raises MemoryError instead of eating the machine) and an alarm
    after ``seconds`` (a hang raises ``Overran`` instead of stopping the test run); the
    soft limit is raised back to what it was after. Yields a dict whose ``seconds`` is the
    wall time the block took."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    now = vm_bytes()
    limit = now + headroom if now else resource.RLIM_INFINITY
    if hard != resource.RLIM_INFINITY and limit != resource.RLIM_INFINITY:
        limit = min(limit, hard)

    def alarm(signum, frame):
        raise Overran(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    took = {"seconds": None}
    start = time.perf_counter()
    try:
        yield took
    finally:
        took["seconds"] = time.perf_counter() - start
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def preexec_limit():
    """For ``subprocess.run(preexec_fn=...)``: the child's address space is SUBPROCESS_LIMIT."""
    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_LIMIT, SUBPROCESS_LIMIT))


@dataclass(frozen=True)
class Case:
    """A hostile scenario file: its name, its content, the line the error must be reported
    at and a piece of the message."""
    name: str
    content: str | bytes
    line: int
    text: str

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.name}.yaml"
        if isinstance(self.content, bytes):
            path.write_bytes(self.content)
        else:
            path.write_text(self.content, encoding="utf-8")
        return path


def _case(name, built, text) -> Case:
    content, line = built
    return Case(name, content, line, text)


def file_cases() -> list[Case]:
    """Every hostile file of the issue, at the line the loader must name."""
    policy = "  - {at: 0s, hosts: [s1, s2], do: listen, session: lecture, policy: "
    links = "  links: {delay: 2ms, bandwidth: 100Mbps, queue: 64, loss: 0.0}"
    chain = "chain:\n  - &c0 [1]\n" + "".join(f"  - &c{i} [*c{i - 1}]\n" for i in range(1, 100))
    # root (1), chain (2), item c_i (3) holding *c_{i-1} of height i: 3 + i > 64 at i = 62
    chain_case = append(chain)
    block = "extra:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)) + "  " * 200 + "k: 1\n"
    # root (1); the mapping holding k1 (2) ... the one holding k63 is the 65th level
    block_case = append(block)
    cases = [
        _case("laughs_duration", replace_line("duration:", f"duration: {laughs()}"),
              "would expand to"),
        _case("laughs_params", replace_line("  params:", f"  params: {{r: 2, h: {laughs()}}}"),
              "would expand to"),
        _case("laughs_capacity", replace_line(policy, policy + f"{{capacity: {laughs()}}}}}"),
              "would expand to"),
        _case("doubling_delay", replace_line(links, f"  links: {{delay: {doubling()}}}"),
              "would expand to"),
        _case("doubling_policy", replace_line(policy, policy + doubling() + "}"),
              "would expand to"),
        _case("recursive_list", append(f"extra: {recursive_list()}\n"), "recursive alias"),
        _case("recursive_mapping", append(f"extra: {recursive_mapping()}\n"), "recursive alias"),
        _case("recursive_duration", replace_line("duration:", f"duration: {recursive_list()}"),
              "recursive alias"),
        _case("deep_list", append(f"extra: {deep_list()}\n"), "the nesting is 65 levels"),
        _case("deep_mapping", append(f"extra: {deep_mapping()}\n"), "the nesting is 65 levels"),
        Case("deep_block", block_case[0], block_case[1] + 64, "the nesting is 65 levels"),
        Case("alias_chain", chain_case[0], chain_case[1] + 1 + 62, "nests 62 levels deep"),
        _case("nul", replace_line("seed:", "seed: 7\x00"), "a NUL character (\\x00)"),
        _case("esc", replace_line("seed:", "seed: \x1b[31m7"), "an ESC character (\\x1b)"),
        _case("bell", replace_line("duration:", "duration: 10s\x07"), "(\\x07)"),
        _case("c1_control", replace_line("  generator:", "  generator: balanced\x9btree"),
              "a control character (\\x9b)"),
        _case("digits_5000", replace_line("seed:", "seed: " + "9" * 5000), "5,000 digits"),
        _case("digits_401", replace_line("seed:", "seed: " + "9" * 401), "401 digits"),
        _case("digits_5000_key", append("extra: {" + "1" * 5000 + ": x}\n"), "5,000 digits"),
        _case("digits_400", replace_line("duration:", "duration: " + "9" * 400),
              "400 digits is too large"),
        _case("tag_set", replace_line("hosts:", "hosts: !!set"), "YAML tag !!set is not allowed"),
        _case("tag_binary", replace_line("name:", "name: !!binary bXBzaW0="),
              "YAML tag !!binary is not allowed"),
        _case("tag_python", replace_line("name:", "name: !!python/object/apply:os.system [ls]"),
              "YAML tag !!python/object/apply:os.system is not allowed"),
        _case("tag_omap", replace_line("sessions:", "sessions: !!omap"),
              "YAML tag !!omap is not allowed"),
        _case("tag_timestamp_implicit", replace_line("  - {at: 2s", "  - {at: 2001-12-14, host: s3, "
                                                     "do: request, session: lecture}"),
              "put the value in quotes"),
        _case("tag_timestamp_explicit", replace_line("seed:", "seed: !!timestamp 2001-12-14"),
              "YAML tag !!timestamp is not allowed"),
        _case("tag_custom", replace_line("seed:", "seed: !seed 7"), "YAML tag !seed is not allowed"),
        _case("tag_int_not_int", replace_line("seed:", "seed: !!int seven"), "as !!int"),
        _case("tag_int_empty", replace_line("seed:", "seed: !!int"), "cannot read '' as !!int"),
        _case("merge_as_value", replace_line("name:", "name: <<"), "reads '<<' as a merge key"),
    ]
    text, line = replace_line("description:", "description: caf\u00e9 au lait")
    at = text.index("caf\u00e9")          # the rest stays UTF-8 (the header has an em dash)
    latin1 = text[:at].encode() + "caf\u00e9".encode("latin-1") + text[at + 4:].encode()
    cases.append(Case("latin1", latin1, line, "byte 0xE9 is not UTF-8"))
    return cases


#: ``--set`` items with hostile values, the quickstart line of the key they set, a message part.
SET_CASES = [
    ("laughs_duration", f"duration={laughs()}", line_of(BASE, "duration:"), "would expand to"),
    ("laughs_params", f"topology.params.h={laughs()}", line_of(BASE, "  params:"), "would expand to"),
    ("laughs_capacity", f"sessions.lecture.max_outstanding={laughs()}",
     line_of(BASE, "    max_outstanding:"), "would expand to"),
    ("doubling", f"topology.links.delay={doubling()}", line_of(BASE, "  links:"), "would expand to"),
    ("recursive", "duration=&a [*a]", line_of(BASE, "duration:"), "recursive alias"),
    ("deep_list", f"duration={deep_list()}", line_of(BASE, "duration:"), "the nesting is 65 levels"),
    ("deep_mapping", f"duration={deep_mapping()}", line_of(BASE, "duration:"),
     "the nesting is 65 levels"),
    ("esc", "name=\x1b[2J", line_of(BASE, "name:"), "an ESC character"),
    ("digits", "seed=" + "9" * 5000, line_of(BASE, "seed:"), "5,000 digits"),
    ("tag_set", "hosts=!!set {teacher, s1}", line_of(BASE, "hosts:"), "YAML tag !!set"),
    ("tag_python", "name=!!python/object/apply:os.system [ls]", line_of(BASE, "name:"),
     "YAML tag !!python/object/apply:os.system"),
    ("timestamp", "seed=2001-12-14", line_of(BASE, "seed:"), "put the value in quotes"),
]
