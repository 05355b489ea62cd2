"""Bad input at layers 0 and 1 raises a typed ``MpsimError`` whose message names the
offending value (its repr) and says what is allowed."""

import pytest

from mpsim.core import Simulation
from mpsim.core.distributions import make_distribution
from mpsim.core.errors import MpsimError, ParameterError, TopologyError, UnitError
from mpsim.core.units import parse_duration
from mpsim.net import GilbertElliott, LinkSpec, Network, Topology, make_loss


def path3():
    return Network(Simulation(), Topology.from_generator("path_graph", {"n": 3}))


CASES = [
    # (what, call, error type, text the message must contain: the offending value's repr)
    ("bad unit string", lambda: parse_duration("2 parsecs"), UnitError, repr("2 parsecs")),
    ("negative delay (string)", lambda: LinkSpec(delay="-2ms"), UnitError, repr("-2ms")),
    ("negative delay (number)", lambda: LinkSpec(delay=-0.002), UnitError, repr(-0.002)),
    ("negative delay (distribution)",
     lambda: make_distribution({"dist": "uniform", "low": -1.0, "high": 1.0}), UnitError, repr(-1.0)),
    ("negative scheduling delay", lambda: Simulation().call_later(-1.0, print), ParameterError, repr(-1.0)),
    ("probability above 1", lambda: LinkSpec(loss=1.5), ParameterError, repr(1.5)),
    ("probability below 0", lambda: make_loss(-0.2), ParameterError, repr(-0.2)),
    ("GE probability above 1", lambda: GilbertElliott(p=0.1, r=1.01), ParameterError, repr(1.01)),
    ("GE with p + r = 0", lambda: GilbertElliott(p=0.0, r=0.0), ParameterError, repr(0.0)),
    ("unknown generator", lambda: Topology.from_generator("no_such_graph", {"n": 3}), TopologyError,
     repr("no_such_graph")),
    ("override of an edge not in the graph", lambda: Topology.from_generator(
        "path_graph", {"n": 3}, overrides={(0, 2): {"delay": "1ms"}}), TopologyError, repr((0, 2))),
    ("override of a node not in the graph", lambda: Topology.from_generator(
        "path_graph", {"n": 3}, overrides={(0, 7): {"delay": "1ms"}}), TopologyError, repr((0, 7))),
    ("network.link of an edge not in the graph", lambda: path3().link(0, 2), TopologyError, repr((0, 2))),
    ("network.link of a node not in the graph", lambda: path3().link(0, "x"), TopologyError, repr((0, "x"))),
    ("unknown link attribute", lambda: LinkSpec().with_(jitter="1ms"), ParameterError,
     "jitter"),                                            # a name, not a value: shown bare
    ("bad queue", lambda: LinkSpec(queue=-3), ParameterError, repr(-3)),
    ("bad seed", lambda: Simulation(seed=-1), ParameterError, repr(-1)),
]


@pytest.mark.parametrize("call,error,shown", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_typed_error_naming_the_value_and_what_is_allowed(call, error, shown):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, MpsimError)
    message = str(info.value)
    assert shown in message, message
    assert "allowed" in message, message


def test_ge_message_explains_the_constraint():
    with pytest.raises(ParameterError) as info:
        GilbertElliott(p=0.0, r=0.0)
    assert "p + r > 0" in str(info.value)
