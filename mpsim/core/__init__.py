"""Layer 0: the simulated clock, named RNG streams, units, distributions, the recorder."""

from mpsim.core.errors import (MpsimError, ParameterError, ScenarioError,
                               SocketError, TopologyError, UnitError)
from mpsim.core.recorder import Recorder
from mpsim.core.rng import RngStreams
from mpsim.core.sim import Simulation, Timer

__all__ = ["MpsimError", "ParameterError", "ScenarioError", "SocketError",
           "TopologyError", "UnitError", "Recorder", "RngStreams", "Simulation", "Timer"]
