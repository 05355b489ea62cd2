"""The socket layer of a run: hosts with their sockets, sessions, providers, the joins table."""

from __future__ import annotations

from mpsim.core.errors import ParameterError, SocketError, TopologyError
from mpsim.core.schema import parse_options
from mpsim.core.units import parse_size
from mpsim.spi.constants import C_ROLES, D_ROLES, ProviderFlag, SocketFlag, WsaError
from mpsim.spi.joins import JoinTable
from mpsim.spi.socket import MultipointSocket

#: A plain socket's flags: no multipoint role.
NO_ROLES = SocketFlag(0)


def root_problem(provider, root) -> str | None:
    """What is wrong with ``root`` for a session of ``provider`` (a class or an instance),
    or None: a rooted control plane needs a root host, a non-rooted one has none."""
    name = provider.name
    article = "an" if name[:1] in "aeiou" else "a"
    rooted = bool(provider.flags & ProviderFlag.XP1_MULTIPOINT_CONTROL_PLANE)
    if rooted and root is None:
        return f"{article} {name} session needs a root host; allowed: a host's name"
    if not rooted and root is not None:
        return (f"{article} {name} session has no root (its control plane is non-rooted); "
                "allowed: leave 'root' out")
    return None


class Session:
    """One multipoint session: its provider and the settings every socket in it shares.

    Parameters
    ----------
    name : str
    provider : Provider
    root : host name or None
        The root host (rooted control plane only).
    max_outstanding : int
        ``join_leaf`` calls a root may have unanswered at once (M4; Winsock allows one:
        more is an mpsim extension for studies). Accepted requests do not count (M10).
    control_size : int
        Bytes of every control message.
    options : dict
        Provider-specific settings (``timers``, ``group``, ``rp``, ``igmp`` ...) as the
        caller gave them; ``Stack.add_session`` validates them with the provider's
        ``options`` model into ``config``, which the provider's ``open_session`` reads.
    """

    def __init__(self, name: str, provider, *, root=None, max_outstanding: int = 1,
                 control_size=100, **options):
        if not isinstance(name, str) or not name:
            raise ParameterError(f"session name {name!r} is not allowed; allowed: a non-empty string")
        if isinstance(max_outstanding, bool) or not isinstance(max_outstanding, int) or max_outstanding < 1:
            raise ParameterError(f"max_outstanding = {max_outstanding!r} is not allowed; allowed: an integer >= 1")
        self.name = name
        self.provider = provider
        self.root = root
        self.max_outstanding = max_outstanding
        self.control_size = parse_size(control_size)
        if self.control_size <= 0:
            raise ParameterError(f"control_size = {control_size!r} is not allowed; allowed: > 0 bytes")
        self.options = options
        self.config = None       # the options validated by the provider's options model
        self.state = None        # the provider's per-session state

    def __repr__(self) -> str:
        return f"Session({self.name!r}, {self.provider.name})"


class Host:
    """A host's socket layer: the sockets its applications created."""

    def __init__(self, stack, name: str):
        self.stack = stack
        self.name = name
        self.sockets: list[MultipointSocket] = []
        self.listeners: dict[str, list[MultipointSocket]] = {}

    def socket(self, session, flags=NO_ROLES) -> MultipointSocket:
        """``WSASocket`` with multipoint role flags (M1): exactly one control role and one
        data role that the session's provider supports, or none at all (a plain socket)."""
        stack = self.stack
        session = stack.session(session) if isinstance(session, str) else session
        flags = SocketFlag(flags)
        c_role, d_role = flags & C_ROLES, flags & D_ROLES
        provider = session.provider
        error = None
        if c_role or d_role:
            if not provider.flags & ProviderFlag.XP1_SUPPORT_MULTIPOINT:
                error = f"provider {provider.name} has no XP1_SUPPORT_MULTIPOINT"
            elif c_role not in (SocketFlag.WSA_FLAG_MULTIPOINT_C_ROOT, SocketFlag.WSA_FLAG_MULTIPOINT_C_LEAF) \
                    or d_role not in (SocketFlag.WSA_FLAG_MULTIPOINT_D_ROOT, SocketFlag.WSA_FLAG_MULTIPOINT_D_LEAF):
                error = "a multipoint socket needs exactly one control and one data role flag"
            elif (c_role, d_role) not in provider.roles:
                error = (f"provider {provider.name} does not support {c_role.name}|{d_role.name}; allowed: "
                         + ", ".join(sorted(f"{c.name}|{d.name}" for c, d in provider.roles)))
        if error is not None:
            stack.sim.recorder.record(stack.sim.now, "spi", "SOCKET", host=self.name,
                                      session=session.name, error=WsaError.WSAEINVAL, detail=error)
            raise SocketError(WsaError.WSAEINVAL, error)
        sock = MultipointSocket(self, session, flags)
        stack.sim.recorder.record(stack.sim.now, "spi", "SOCKET", host=self.name, socket=sock.id,
                                  session=session.name, detail=repr(sock))
        return sock

    def listening(self, session_name: str, c_role) -> MultipointSocket | None:
        """The first socket of this host listening in ``session_name`` with control role ``c_role``."""
        for sock in self.listeners.get(session_name, ()):
            if sock.c_role == c_role and sock.listening and not sock.closed:
                return sock
        return None


class Stack:
    """The multipoint socket layer of one run (set as ``sim.stack``).

    Parameters
    ----------
    sim : Simulation
    network : Network
    """

    def __init__(self, sim, network):
        self.sim = sim
        self.network = network
        self.joins = JoinTable()
        self.providers: dict = {}
        self.sessions: dict[str, Session] = {}
        self.hosts: dict[str, Host] = {}
        self._socket_ids = 0
        sim.stack = self

    def next_socket_id(self) -> int:
        self._socket_ids += 1
        return self._socket_ids

    def add_provider(self, provider) -> None:
        self.providers[provider.name] = provider

    def add_session(self, name: str, provider: str, **settings) -> Session:
        """Create session ``name`` run by the provider named ``provider``; its options
        (plain values: ``timers={"T303": "2s"}``, ``rp=0`` ...) are checked by the
        provider's ``options`` model, as a scenario's are."""
        if name in self.sessions:
            raise ParameterError(f"session {name!r} already exists; allowed: a new name")
        if provider not in self.providers:
            raise ParameterError(f"provider {provider!r} is not available; allowed: "
                                 + ", ".join(sorted(self.providers)))
        session = Session(name, self.providers[provider], **settings)
        problem = root_problem(session.provider, session.root)
        if problem is not None:
            raise ParameterError(f"session {name!r}: {problem}")
        if session.root is not None:
            self.check_host(session.root)
        session.config = parse_options(session.provider.options, session.options, f"session {name!r}")
        session.provider.open_session(session)
        self.sessions[name] = session
        return session

    def session(self, name: str) -> Session:
        try:
            return self.sessions[name]
        except KeyError:
            raise ParameterError(f"session {name!r} does not exist; allowed: "
                                 + ", ".join(sorted(self.sessions))) from None

    def check_host(self, name):
        if name not in self.network.hosts:
            raise TopologyError(f"host {name!r} is not attached to the network; allowed: one of "
                                f"{sorted(self.network.hosts)[:8]}")
        return name

    def host(self, name: str) -> Host:
        """The socket layer of host ``name`` (created on first use)."""
        host = self.hosts.get(name)
        if host is None:
            self.check_host(name)
            host = self.hosts[name] = Host(self, name)
        return host
