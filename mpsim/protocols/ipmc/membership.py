"""IP multicast group membership: IGMP (v2 or v3) and PIM-SM (*,G) trees, and data delivery.

Hosts speak IGMP with their designated router, the router their access link leads to;
all hosts on one router form its access segment (a LAN: a v2 member that hears another's
report for the group stays silent, and the router's forwarding reaches it too). Routers
keep PIM-SM (*,G) state toward the session's rendezvous point: a DR that gains the first
member sends a Join at once, each router without state creates it and forwards a Join
upstream, stopping at the RP or the first router on the tree. When a router's unicast route toward the RP changes (a failure or a
recovery) it sends a Join to its new upstream neighbour and a Prune to the old one at once
(RFC 7761 §4.5.7), which is how a broken tree is repaired; Joins are also refreshed every
``t_periodic`` (which repairs a lost Join) and downstream state expires after the
holdtime. The forwarding state is the session's ``MulticastTree``, rooted at the RP,
grafted link by link as Joins arrive, so data is copied at branch points. A source's
packets reach the RP by unicast (Register encapsulation) and flow down the tree.

``scope`` is the data's IP TTL (``Packet.ttl``): every router on the data's way, those of
the unicast route to the RP included, decrements it, and one that receives it with TTL 1
forwards it no further. A member therefore gets a packet of scope k iff the data's path
to it (sender -> DR -> ... -> RP -> ... -> its DR -> it) has at most k links (k - 1
routers). Hosts on one router reach each other through it in this model, so scope 1
reaches no other member (only the sender's loopback copy).

A ``MembershipService`` plays this for the groups of one provider (``ipmc``, whose
sessions are groups, and ``conference``, whose admitted members join its group): its
messages are that provider's (``Provider.control_packet``/``control_arrived``: they are
counted there and carry its ``cause``). A run has one receiver of ``"ipmc"`` packets,
``MembershipDispatch``, which hands each to the service of the provider running its session.
"""

from __future__ import annotations

from mpsim.net.multicast import MulticastTree
from mpsim.net.packet import Packet
from mpsim.protocols.ipmc.messages import (DATA, JOIN, LEAVE, PRUNE, QUERY, REPORT, IgmpMessage,
                                           MulticastData, PimMessage)
from mpsim.protocols.ipmc.params import igmp_params, pim_params
from mpsim.spi.constants import JoinFlag


class Member:
    """A host's membership of a group (the host side of IGMP)."""

    __slots__ = ("host", "socket", "join", "dr", "reporter", "response", "repeat", "active",
                 "receiver")

    def __init__(self, host, socket, join, dr):
        self.host = host
        self.socket = socket
        self.join = join
        self.dr = dr
        self.reporter = False      # v2: sent the last report heard on the segment
        self.response = None       # pending query-response Timer
        self.repeat = None         # pending unsolicited-report repeat Timer
        self.active = True
        self.receiver = True       # False for JL_SENDER_ONLY

    def receive(self, packet, link) -> None:
        """A data packet down the tree reached this host (its own come by loopback)."""
        sender = packet.msg.sender
        if sender != self.host and self.active:
            self.socket.data_arrived(packet.size, self.join, sender)   # deliver(), inlined: per packet

    def deliver(self, size, sender) -> None:
        """Session data for this member's socket; a non-rooted join completes with it
        (a conference join completed at admission)."""
        self.socket.data_arrived(size, self.join, sender)


class Segment:
    """A router's IGMP state for one group on its access segment."""

    __slots__ = ("ports", "deadline", "timer", "lmq_left", "lmq_timer", "leaving")

    def __init__(self):
        self.ports: set = set()       # member hosts the router forwards the group to
        self.deadline = 0.0           # group membership timer (expires at deadline)
        self.timer = None
        self.lmq_left = 0             # last-member queries still to send
        self.lmq_timer = None
        self.leaving: set = set()     # hosts whose leave started the last-member queries


class PimState:
    """A router's (*,G) state: its upstream neighbour and downstream routers (with expiry)."""

    __slots__ = ("upstream", "down", "refresh", "expiry")

    def __init__(self):
        self.upstream = None
        self.down: dict = {}          # downstream router -> expiry deadline
        self.refresh = None           # periodic Join timer
        self.expiry = None            # earliest downstream expiry check


class Group:
    """One session's group: parameters, the tree, members, segments, PIM state."""

    __slots__ = ("session", "name", "address", "igmp", "pim", "rp", "tree", "scope", "loopback",
                 "give_up", "size", "members", "segments", "states", "on_segment", "leaves")

    def __init__(self, session, address, igmp, pim, rp, tree, scope, loopback, give_up):
        self.session = session
        self.name = session.name
        self.address = address
        self.igmp = igmp
        self.pim = pim
        self.rp = rp
        self.tree = tree
        self.scope = scope
        self.loopback = loopback
        self.give_up = give_up
        self.size = session.control_size
        self.members: dict = {}         # host -> Member
        self.segments: dict = {}        # router -> Segment
        self.states: dict = {}          # router -> PimState
        self.on_segment: dict = {}      # router -> {host: Member} of active members
        self.leaves: dict = {}          # host -> pending repeat Timer of its v3 leave report


class MembershipDispatch:
    """The run's one receiver of ``"ipmc"`` packets: each goes to the membership service of
    the provider that runs the packet's session."""

    __slots__ = ("stack", "services")

    def __init__(self, stack):
        self.stack = stack
        self.services: dict = {}        # provider -> MembershipService

    @classmethod
    def of(cls, network, stack) -> MembershipDispatch:
        """The dispatch attached to ``network`` (attached now if there is none)."""
        handler = network.handler(None, IgmpMessage.proto)
        if isinstance(handler, cls) and handler.stack is stack:
            return handler
        dispatch = cls(stack)
        network.attach(None, IgmpMessage.proto, dispatch)
        return dispatch

    def __call__(self, packet, link) -> None:
        session = self.stack.sessions.get(packet.msg.session)
        service = None if session is None else self.services.get(session.provider)
        if service is not None:
            service.receive(packet, link)


class MembershipService:
    """IGMP hosts and queriers, PIM-SM routers and the data trees of one provider's groups.

    Parameters
    ----------
    owner : Provider
        Sends and receives the messages (they count and are traced as its own).
    """

    def __init__(self, owner):
        self.owner = owner
        self.stack = owner.stack
        self.sim = owner.sim
        self.network = owner.network
        self.groups: dict = {}            # session name -> Group
        self._rngs: dict = {}
        MembershipDispatch.of(self.network, self.stack).services[owner] = self
        self.network.on_route_change(self._route_changed)

    # -- groups ------------------------------------------------------------------------
    def open_group(self, session, config) -> Group:
        """The group of ``session`` (``config``: its validated ``IpmcOptions``); its routers'
        queriers start at once."""
        self.network.topology.check_node(config.rp)
        address = config.group if config.group is not None else session.name
        group = Group(session, address, igmp_params(config.igmp), pim_params(config.pim), config.rp,
                      MulticastTree(self.network, config.rp, "toward_root"), config.scope,
                      config.loopback, config.give_up)
        self.groups[session.name] = group
        self._start_queriers(group)
        return group

    def _rng(self, host):
        rng = self._rngs.get(host)
        if rng is None:
            rng = self._rngs[host] = self.sim.rng.stream(f"ipmc:{host}")
        return rng

    # -- sending and receiving ----------------------------------------------------------
    def _send(self, group, msg, src, dst, join=None) -> None:
        if join is not None:
            join.messages += 1
        self.network.send_hop(self.owner.control_packet(msg, src, dst, join_id=msg.join), src, dst)

    def receive(self, packet, link) -> None:
        """An ``"ipmc"`` packet of one of this service's sessions reached ``link.dst``."""
        msg = packet.msg
        if msg.kind == DATA:
            self._data_at_rp(packet)
            return
        self.owner.control_arrived(packet, link.dst, link.src, msg.join, self._handle)

    def _handle(self, msg, node, prev) -> None:
        group = self.groups.get(msg.session)
        if group is None:
            return
        kind = msg.kind
        if kind == QUERY:
            self._query_at_host(group, node, msg)
        elif kind == REPORT:
            self._report_at_router(group, node, msg.host)
        elif kind == LEAVE:
            self._leave_at_router(group, node, msg.host)
        elif kind == JOIN:
            self._pim_join(group, node, prev, msg.join)
        elif kind == PRUNE:
            self._pim_prune(group, node, prev)

    # -- IGMP: the querier -------------------------------------------------------------
    def _start_queriers(self, group) -> None:
        routers = sorted(set(self.network.hosts.values()), key=self.network.rank.__getitem__)
        igmp = group.igmp
        for router in routers:
            self.sim.call_later(0.0, self._general_query, group, router, igmp.startup_query_count - 1)

    def _general_query(self, group, router, startup_left) -> None:
        igmp = group.igmp
        self._query_segment(group, router, None, igmp.query_response_interval)
        delay = igmp.startup_query_interval if startup_left > 0 else igmp.query_interval
        self.sim.call_later(delay, self._general_query, group, router, max(startup_left - 1, 0))

    def _query_segment(self, group, router, address, max_response) -> None:
        """Send a query to every host on ``router``'s segment (a copy per access link)."""
        if not self.network.node_up(router):
            return
        msg = IgmpMessage(QUERY, group.name, address, None, max_response)
        detail = None if address is None else "group-specific"
        for host in self._segment_hosts(router):
            self.network.send_hop(self.owner.control_packet(msg, router, host, detail=detail),
                                  router, host)

    def _segment_hosts(self, router) -> list:
        hosts = self.network.hosts
        return [n for n in self.network.adjacency[router] if n in hosts]

    # -- IGMP: the host ------------------------------------------------------------------
    def add_member(self, group, socket, join) -> None:
        """Make the socket's host a member of the group: report, repeats, data delivery."""
        host = socket.host.name
        if host in group.members and group.members[host].active:
            return
        member = Member(host, socket, join, self.network.router_of(host))
        group.members[host] = member
        leaving = group.leaves.pop(host, None)
        if leaving is not None:                       # a new state change replaces the leave
            leaving.cancel()
        if socket.jl_flags == JoinFlag.JL_SENDER_ONLY:
            member.receiver = False
            return
        group.on_segment.setdefault(member.dr, {})[host] = member
        group.tree.subscribe(host, member.receive)
        self._report(group, member)
        igmp = group.igmp
        repeats = 1 if igmp.version == 2 else igmp.robustness - 1
        self._schedule_repeat(group, member, repeats)
        if group.give_up is not None:
            self.sim.call_later(group.give_up, self._give_up, group, member)

    def _schedule_repeat(self, group, member, left) -> None:
        """The next unsolicited repeat, after a uniform [0, URI] delay; a Timer, as a v2
        member that hears another's report cancels it (RFC 2236 §6)."""
        member.repeat = None
        if left <= 0:
            return
        delay = self._rng(member.host).uniform(0.0, group.igmp.unsolicited_report_interval)
        member.repeat = self.sim.timer(delay, self._repeat, (group, member, left - 1))

    def _repeat(self, state) -> None:
        group, member, left = state
        if member.active:
            self._report(group, member)
            self._schedule_repeat(group, member, left)

    def _report(self, group, member) -> None:
        join = member.join if member.join.t_first_data is None else None
        if join is not None and join.method == "nonrooted":
            join.attempts += 1
        member.reporter = True
        self._send(group, IgmpMessage(REPORT, group.name, group.address, member.host, 0.0,
                                      None if join is None else join.join_id),
                   member.host, member.dr, join)

    def _query_at_host(self, group, host, msg) -> None:
        member = group.members.get(host)
        if member is None or not member.active or not member.receiver:
            return
        if msg.group is not None and msg.group != group.address:
            return
        now = self.sim.now
        pending = member.response
        if pending is not None and pending.active and pending.when <= now + msg.max_response:
            return
        if pending is not None:
            pending.cancel()
        delay = self._rng(host).uniform(0.0, msg.max_response)
        member.response = self.sim.timer(delay, self._respond, (group, member))

    def _respond(self, state) -> None:
        group, member = state
        member.response = None
        if member.active:
            self._report(group, member)

    def drop_member(self, group, socket) -> None:
        """The host leaves the group (``IP_DROP_MEMBERSHIP``): v2 Leave by the last reporter,
        v3 TO_IN{}; nobody else is told (M13, M20)."""
        host = socket.host.name
        member = group.members.get(host)
        if member is None or member.socket is not socket or not member.active:
            return
        member.active = False
        for timer in (member.response, member.repeat):
            if timer is not None:
                timer.cancel()
        group.tree.unsubscribe(host)
        group.on_segment.get(member.dr, {}).pop(host, None)
        del group.members[host]
        if not member.receiver:
            return
        if group.igmp.version == 3:
            self._leave_report(group, host, member.dr, group.igmp.robustness - 1)
        elif member.reporter:                                            # v2: only the last reporter
            self._send(group, IgmpMessage(LEAVE, group.name, group.address, host), host, member.dr)

    def _leave_report(self, group, host, dr, left) -> None:
        """IGMPv3 TO_IN{}, repeated ``left`` more times after uniform [0, URI] delays
        (RFC 3376 §5.1), drawn from a stream of their own, ``ipmc:HOST:leave``, so that
        the join's and the queries' draws stay what they were."""
        group.leaves.pop(host, None)
        self._send(group, IgmpMessage(LEAVE, group.name, group.address, host), host, dr)
        if left > 0:
            rng = self.sim.rng.stream(f"ipmc:{host}:leave")
            delay = rng.uniform(0.0, group.igmp.unsolicited_report_interval)
            group.leaves[host] = self.sim.timer(delay, self._leave_repeat, (group, host, dr, left - 1))

    def _leave_repeat(self, state) -> None:
        self._leave_report(*state)

    def _give_up(self, group, member) -> None:
        member.join.time_out()

    # -- IGMP: the router ---------------------------------------------------------------
    def _report_at_router(self, group, router, host) -> None:
        segment = group.segments.get(router)
        if segment is None:
            segment = group.segments[router] = Segment()
        member = group.members.get(host)
        if member is not None and member.active:
            self._add_port(group, router, segment, host)
        segment.deadline = self.sim.now + group.igmp.group_membership_interval
        if segment.timer is None:
            segment.timer = self.sim.timer(group.igmp.group_membership_interval, self._gmi_check,
                                           (group, router))
        if segment.lmq_timer is not None:                                 # a member answered
            segment.lmq_timer.cancel()
            segment.lmq_timer = None
            self._drop_ports(group, router, segment, segment.leaving)
        segment.leaving = set()
        if group.igmp.version == 2:                                        # the others hear it
            self._others_stay_silent(group, router, segment, host)
        if router not in group.states:
            self._pim_create(group, router, member.join if member is not None else None)

    def _add_port(self, group, router, segment, host) -> None:
        if host not in segment.ports:
            segment.ports.add(host)
            group.tree.graft(router, host)

    def _others_stay_silent(self, group, router, segment, host) -> None:
        """IGMPv2: the other members on the segment heard ``host``'s report (when it reached
        their router: the segment is a LAN); each cancels its pending query response or
        unsolicited repeat and is no longer the last reporter (RFC 2236 §6: Delaying
        Member -> Idle Member). A silent member relies on the router forwarding the group
        onto the LAN, so the router forwards to it too (access links stand for the LAN)."""
        for other in group.on_segment.get(router, {}).values():
            if other.host != host:
                self._add_port(group, router, segment, other.host)
                other.reporter = False
                if other.response is not None:
                    other.response.cancel()
                    other.response = None
                if other.repeat is not None:
                    other.repeat.cancel()
                    other.repeat = None

    def _gmi_check(self, state) -> None:
        group, router = state
        segment = group.segments.get(router)
        if segment is None:
            return
        now = self.sim.now
        if now < segment.deadline:
            segment.timer = self.sim.timer(segment.deadline - now, self._gmi_check, state)
            return
        segment.timer = None
        self._segment_gone(group, router, segment)

    def _leave_at_router(self, group, router, host) -> None:
        segment = group.segments.get(router)
        if segment is None:
            return
        segment.leaving.add(host)
        if segment.lmq_timer is None:
            segment.lmq_left = group.igmp.last_member_query_count
            self._last_member_query(group, router)

    def _last_member_query(self, group, router) -> None:
        segment = group.segments.get(router)
        if segment is None:
            return
        igmp = group.igmp
        if segment.lmq_left > 0:
            segment.lmq_left -= 1
            self._query_segment(group, router, group.address, igmp.last_member_query_interval)
            segment.lmq_timer = self.sim.timer(igmp.last_member_query_interval,
                                               lambda _s: self._last_member_query(group, router), None)
        else:                                                              # nobody answered
            segment.lmq_timer = None
            self._segment_gone(group, router, segment)

    def _drop_ports(self, group, router, segment, hosts) -> None:
        for host in sorted(hosts):
            if host in segment.ports and host not in group.members:
                segment.ports.discard(host)
                group.tree.prune(router, host)

    def _segment_gone(self, group, router, segment) -> None:
        for host in sorted(segment.ports):
            group.tree.prune(router, host)
        if segment.timer is not None:
            segment.timer.cancel()
        if segment.lmq_timer is not None:
            segment.lmq_timer.cancel()
        del group.segments[router]
        self._pim_maybe_delete(group, router)

    # -- PIM-SM ------------------------------------------------------------------------
    def _upstream(self, group, router):
        return self.network.routing.next_hop(router, group.rp)

    def _pim_create(self, group, router, join=None) -> None:
        state = group.states[router] = PimState()
        if router == group.rp:
            return
        state.upstream = self._upstream(group, router)
        if state.upstream is not None:
            self._send(group, PimMessage(JOIN, group.name, None if join is None else join.join_id),
                       router, state.upstream, join)
        state.refresh = self.sim.timer(group.pim.t_periodic, self._pim_refresh, (group, router))

    def _pim_refresh(self, key) -> None:
        group, router = key
        state = group.states.get(router)
        if state is None:
            return
        upstream = self._upstream(group, router)
        if upstream != state.upstream:
            self._pim_reroute(group, router, state, upstream)
            return
        if upstream is not None:
            self._send(group, PimMessage(JOIN, group.name), router, upstream)
        state.refresh = self.sim.timer(group.pim.t_periodic, self._pim_refresh, key)

    def _route_changed(self, event, u, v) -> None:
        """A failure or a recovery changed the unicast routes: every router on a tree whose
        RPF neighbour toward the RP changed re-routes at once (RFC 7761 §4.5.7), so the
        data gap is the route change plus one graft, not a wait for the refresh."""
        network = self.network
        for group in self.groups.values():
            for router in sorted(group.states, key=network.rank.__getitem__):
                if router == group.rp or not network.node_up(router):
                    continue
                state = group.states[router]
                upstream = self._upstream(group, router)
                if upstream != state.upstream:
                    self._pim_reroute(group, router, state, upstream)

    def _pim_reroute(self, group, router, state, upstream) -> None:
        """RPF'(*,G) changed: Join to the new upstream neighbour, Prune to the old one (if
        the link to it is up), and the Join timer restarts at t_periodic (RFC 7761 §4.5.7)."""
        old, state.upstream = state.upstream, upstream
        if upstream is not None:
            self._send(group, PimMessage(JOIN, group.name), router, upstream)
        if old is not None and self.network.link(router, old).up:
            self._send(group, PimMessage(PRUNE, group.name), router, old)
        if state.refresh is not None:
            state.refresh.cancel()
        state.refresh = self.sim.timer(group.pim.t_periodic, self._pim_refresh, (group, router))

    def _pim_join(self, group, router, downstream, join_id) -> None:
        state = group.states.get(router)
        join = None if join_id is None else self.stack.joins[join_id]
        if join is not None and join.t_first_data is not None:
            join = None
        if state is None:
            self._pim_create(group, router, join)
            state = group.states[router]
        deadline = self.sim.now + group.pim.holdtime
        group.tree.graft(router, downstream)        # also when stale: it is the RPF link again
        state.down[downstream] = deadline
        if state.expiry is None:
            state.expiry = self.sim.timer(group.pim.holdtime, self._pim_expire, (group, router))

    def _pim_expire(self, key) -> None:
        group, router = key
        state = group.states.get(router)
        if state is None:
            return
        now = self.sim.now
        for downstream, deadline in list(state.down.items()):
            if deadline <= now:
                del state.down[downstream]
                group.tree.prune(router, downstream)
        if state.down:
            state.expiry = self.sim.timer(min(state.down.values()) - now, self._pim_expire, key)
        else:
            state.expiry = None
            self._pim_maybe_delete(group, router)

    def _pim_prune(self, group, router, downstream) -> None:
        state = group.states.get(router)
        if state is None or downstream not in state.down:
            return
        del state.down[downstream]
        group.tree.prune(router, downstream)
        self._pim_maybe_delete(group, router)

    def _pim_maybe_delete(self, group, router) -> None:
        state = group.states.get(router)
        if state is None or state.down or router in group.segments:
            return
        del group.states[router]
        for timer in (state.refresh, state.expiry):
            if timer is not None:
                timer.cancel()
        if state.upstream is not None and self.network.link(router, state.upstream).up:
            self._send(group, PimMessage(PRUNE, group.name), router, state.upstream)

    # -- data --------------------------------------------------------------------------
    def send(self, group, socket, size: int) -> None:
        """``size`` bytes of session data from ``socket``'s host to the group (to the RP by
        unicast, then down the tree); a member sender gets its own copy (M15 loopback)."""
        host = socket.host.name
        member = group.members.get(host)
        if group.loopback and member is not None and member.socket is socket and member.receiver:
            member.deliver(size, host)                                    # M15 loopback
        packet = Packet(size, MulticastData(group.name, host), host, group.rp, False,
                        next(self.sim.message_ids), group.scope)
        self.network.unicast(packet, host, group.rp)

    def _data_at_rp(self, packet) -> None:
        """The RP forwards a source's packet down the shared tree (a scoped one with what
        its TTL has left: see the module's docstring)."""
        group = self.groups.get(packet.msg.session)
        if group is not None:
            group.tree.send(packet, at=group.rp)
