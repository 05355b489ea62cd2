"""Layer 1: topology, links (delay, bandwidth, queue, loss), routing, multicast trees."""

from mpsim.net.link import Link, LinkSpec
from mpsim.net.loss import Bernoulli, GilbertElliott, make_loss
from mpsim.net.multicast import MulticastTree, shared_tree, source_tree
from mpsim.net.network import Network
from mpsim.net.packet import Packet
from mpsim.net.routing import Routing
from mpsim.net.topology import Topology, generator_names

__all__ = ["Bernoulli", "GilbertElliott", "Link", "LinkSpec", "MulticastTree", "Network",
           "Packet", "Routing", "Topology", "generator_names", "make_loss", "shared_tree",
           "source_tree"]
