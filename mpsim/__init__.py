"""mpsim: a discrete-event simulator of how nodes join multipoint sessions.

Layers (lower never imports higher): ``core`` (clock, RNG streams, units,
distributions, recorder), ``net`` (topology, links, routing, multicast
trees), ``spi`` (multipoint sockets), ``protocols``, ``apps``, ``scenario`` /
``analysis`` / ``plot``, ``experiment``, ``cli``.
"""

__version__ = "0.1.0"
