"""The network: exact path delay, hop-by-hop delivery, failures in flight, independent
random streams per link, determinism of traces."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpsim.core import Simulation
from mpsim.core.errors import TopologyError
from mpsim.net import LinkSpec, Network, Packet, Topology
from tests.net.helpers import Msg, chain


def receive_at(net, node, log):
    net.attach(node, "test", lambda packet, link: log.append((net.sim.now, packet.msg.seq,
                                                              None if link is None else link.src)))


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 8), delay=st.floats(0.0, 0.05), bandwidth=st.floats(64e3, 10e9),
       size=st.integers(1, 9000))
def test_unicast_path_delay_is_exact(h, delay, bandwidth, size):
    """One packet over h links arrives after exactly h (d + 8 s / B)."""
    sim, net = chain(h, LinkSpec(delay=delay, bandwidth=bandwidth))
    log = []
    receive_at(net, h, log)
    assert net.unicast(Packet(size, Msg()), 0, h)
    sim.run()
    assert len(log) == 1
    assert log[0][0] == pytest.approx(h * (delay + 8 * size / bandwidth), abs=1e-12, rel=0)


@pytest.mark.parametrize("h,delay,bandwidth,size", [(1, 0.01, 1e6, 100), (3, 0.002, 100e6, 1500),
                                                    (6, 0.0, 64e3, 53)])
def test_unicast_between_hosts_adds_the_access_links(h, delay, bandwidth, size):
    spec = LinkSpec(delay=delay, bandwidth=bandwidth)
    sim, net = chain(h, spec)
    net.add_host("a", 0)
    net.add_host("b", h)
    log = []
    receive_at(net, "b", log)
    net.unicast(Packet(size, Msg()), "a", "b")
    sim.run()
    assert [t for t, _, _ in log] == [pytest.approx((h + 2) * (delay + 8 * size / bandwidth), abs=1e-12)]
    assert log[0][2] == h                                   # arrived over the access link h -> b


def test_send_hop_and_local_delivery():
    sim, net = chain(2, LinkSpec(delay="1ms", bandwidth="1Mbps"))
    log = []
    receive_at(net, 1, log)
    receive_at(net, 0, log)
    net.send_hop(Packet(125, Msg(1)), 0, 1)
    net.unicast(Packet(125, Msg(2)), 0, 0)                  # to itself: delivered now, no link
    sim.run()
    assert log == [(0.0, 2, None), (pytest.approx(0.002, abs=1e-12), 1, 0)]


def test_default_handler_and_missing_receiver():
    sim, net = chain(2, LinkSpec())
    got = []
    net.attach(None, "test", lambda p, l: got.append(("default", l.dst)))
    net.attach(2, "test", lambda p, l: got.append(("own", l.dst)))
    net.send_hop(Packet(10, Msg()), 0, 1)
    net.send_hop(Packet(10, Msg()), 1, 2)
    sim.run()
    assert sorted(got) == [("default", 1), ("own", 2)]
    sim2, net2 = chain(1, LinkSpec())
    net2.send_hop(Packet(10, Msg()), 0, 1)                  # nobody listens for "test" at 1
    sim2.run()
    assert net2.link(0, 1).drops == 1


@pytest.mark.parametrize("how", ["send_hop", "unicast"])
def test_packet_on_a_link_that_fails_before_it_arrives_is_dropped_and_counted(how):
    sim, net = chain(2, LinkSpec(delay="10ms", bandwidth="1Mbps"))
    log = []
    receive_at(net, 1, log)
    receive_at(net, 2, log)
    if how == "send_hop":
        net.send_hop(Packet(125, Msg()), 0, 1)
    else:
        net.unicast(Packet(125, Msg()), 0, 2)
    sim.call_at(0.005, lambda: net.fail_link(0, 1))
    sim.run()
    assert log == []
    assert net.link(0, 1).drops == 1 and net.link(0, 1).packets == 1
    net.recover_link(0, 1)
    net.send_hop(Packet(125, Msg(7)), 0, 1)
    sim.run()
    assert [seq for _, seq, _ in log] == [7]


def test_node_failure_drops_what_is_in_flight_toward_it():
    sim, net = chain(2, LinkSpec(delay="10ms"))
    log = []
    receive_at(net, 2, log)
    net.unicast(Packet(100, Msg()), 0, 2)
    sim.call_at(0.005, lambda: net.fail_node(1))
    sim.run()
    assert log == [] and net.link(0, 1).drops == 1
    assert not net.link(1, 2).up and not net.link(2, 1).up
    assert net.no_route_drops == 0
    assert net.unicast(Packet(100, Msg()), 0, 2) is False   # no route now
    assert net.no_route_drops == 1                          # counted, though not traced
    net.recover_node(1)
    net.unicast(Packet(100, Msg(3)), 0, 2)
    sim.run()
    assert [seq for _, seq, _ in log] == [3]


def test_unicast_follows_a_route_change_mid_path():
    """Cycle 0-1-2-3: 0 -> 2 goes via 1; the link 1-2 fails while the packet is on 0 -> 1,
    so at 1 it turns back: 1 -> 0 -> 3 -> 2, four hops in all."""
    sim = Simulation()
    net = Network(sim, Topology.from_generator("cycle_graph", {"n": 4},
                                               links=LinkSpec(delay="10ms", bandwidth="1Mbps")))
    log = []
    receive_at(net, 2, log)
    assert net.routing.path(0, 2) == [0, 1, 2]
    net.unicast(Packet(125, Msg()), 0, 2)
    sim.call_at(0.005, lambda: net.fail_link(1, 2))
    sim.run()
    assert [t for t, _, _ in log] == [pytest.approx(4 * 0.011, abs=1e-12)] and log[0][2] == 3
    assert net.link(1, 0).packets == 1 and net.link(1, 2).packets == 0


@pytest.mark.parametrize("ttl, delivered", [(None, True), (4, True), (3, False), (1, False)])
def test_unicast_ttl_each_forwarding_router_decrements(ttl, delivered):
    """0 -> 4 crosses four links and three forwarding routers (1, 2, 3): router j gets the
    packet with TTL ttl - (j - 1), so TTL 3 reaches 3 with 1 and goes no further, while
    0 -> 1 (one link, no router) arrives with its TTL untouched, even 1. The destination
    forwards nothing, so TTL 4 arrives with 1. A spent TTL is not a link drop."""
    sim, net = chain(4, LinkSpec(delay="1ms", bandwidth="1Mbps"))
    log = []
    receive_at(net, 4, log)
    net.attach(1, "test", lambda packet, link: log.append(("at 1", packet.ttl)))
    net.unicast(Packet(125, Msg(), ttl=ttl), 0, 4)
    net.unicast(Packet(125, Msg(), ttl=ttl), 0, 1)
    sim.run()
    hop = 0.001 + 125 * 8 / 1e6
    assert ("at 1", ttl) in log                           # one link, no router: TTL untouched
    arrived = [entry for entry in log if entry[0] != "at 1"]
    assert arrived == ([(pytest.approx(4 * hop, abs=1e-12), 0, 3)] if delivered else [])
    assert net.ttl_drops == (0 if delivered else 1)
    assert net.link(3, 4).packets == (1 if delivered else 0)
    assert sum(link.drops for link in net.links.values()) == 0


def test_route_change_listeners_and_records():
    sim, net = chain(2, LinkSpec())
    seen = []
    net.on_route_change(lambda *event: seen.append(event))
    net.fail_link(0, 1)
    net.recover_link(1, 0)
    net.fail_node(2)
    net.recover_node(2)
    assert seen == [("LINK_DOWN", 0, 1), ("LINK_UP", 1, 0), ("NODE_DOWN", 2, None), ("NODE_UP", 2, None)]
    assert sim.recorder.frame().event.tolist() == ["LINK_DOWN", "LINK_UP", "NODE_DOWN", "NODE_UP"]


def test_failed_link_stays_down_while_a_node_recovers():
    sim, net = chain(2, LinkSpec())
    net.fail_link(0, 1)
    net.fail_node(1)
    net.recover_node(1)
    assert not net.link(0, 1).up and net.link(1, 2).up


def test_link_table():
    sim, net = chain(2, LinkSpec(delay="1ms", bandwidth="1Mbps", loss=1.0))
    net.send_hop(Packet(125, Msg()), 0, 1)
    sim.run(1.0)
    table = net.link_table()
    assert list(table.columns) == ["src", "dst", "packets", "bytes", "drops", "utilization",
                                   "queue_drops", "losses"]
    row = table[(table.src == "0") & (table.dst == "1")].iloc[0]
    assert (row.packets, row.bytes, row.drops, row.losses, row.queue_drops) == (1, 125, 1, 1, 0)
    assert row.utilization == pytest.approx(0.001 / 1.0)
    assert table.packets.sum() == 1 and len(table) == 4


def test_add_host_checks():
    sim, net = chain(1, LinkSpec())
    net.add_host("a", 0, LinkSpec(delay="7ms"))
    assert net.is_host("a") and net.router_of("a") == 0 and net.link("a", 0).spec.delay.mean == 0.007
    for name, router in [("a", 1), ("", 1), (5, 1), ("b", 9)]:
        with pytest.raises(TopologyError) as info:
            net.add_host(name, router)
        assert "allowed" in str(info.value)
    with pytest.raises(TopologyError, match="'zz'"):
        net.router_of("zz")


# -- independence of random streams ---------------------------------------------------------

RANDOM_LINKS = LinkSpec(delay={"dist": "exponential", "mean": "2ms"}, bandwidth="10Mbps",
                        queue=None, loss=0.1)


def per_link_traces(seed, overrides=None, extra_host=False, packets=300):
    """Each directed link of a 4-router chain carries its own traffic (packets sent straight
    onto it every 1 ms). Returns ({link: {seq: arrival time}}, {link: losses}, events table)."""
    sim = Simulation(seed, trace_packets=True)
    net = Network(sim, Topology.from_generator("path_graph", {"n": 4}, links=RANDOM_LINKS,
                                               overrides=overrides))
    if extra_host:
        net.add_host("h", 2, RANDOM_LINKS)
    arrivals = {key: {} for key in net.links}

    def on_arrival(packet, link):
        arrivals[(link.src, link.dst)][packet.msg.seq] = sim.now
        sim.recorder.record(sim.now, "net", "RECV", host=link.dst, peer=link.src, detail=str(packet.msg.seq))

    for key, link in net.links.items():
        for i in range(packets):
            sim.call_at(i * 0.001, lambda link, i: link.transmit(Packet(125, Msg(i)), on_arrival), link, i)
    sim.run()
    losses = {key: link.losses for key, link in net.links.items()}
    return arrivals, losses, sim.recorder.table()


@pytest.fixture(scope="module")
def base_traces():
    return per_link_traces(seed=5)


def test_traces_are_not_degenerate(base_traces):
    arrivals, losses, _ = base_traces
    for key, got in arrivals.items():
        assert 0 < losses[key] < 300 and len(got) + losses[key] == 300
        transit = [t - i * 0.001 for i, t in got.items()]
        assert len(set(transit)) == len(transit)           # delays really are sampled


def test_changing_one_links_loss_leaves_every_other_link_unchanged(base_traces):
    arrivals, losses, _ = base_traces
    changed_arrivals, changed_losses, _ = per_link_traces(seed=5, overrides={(1, 2): {"loss": 0.3}})
    changed = {(1, 2), (2, 1)}
    for key in arrivals:
        if key in changed:
            assert changed_losses[key] != losses[key]
            # its delay stream is separate from its loss stream: packets delivered in both
            # runs took exactly the same time
            common = arrivals[key].keys() & changed_arrivals[key].keys()
            assert len(common) > 100
            assert all(arrivals[key][i] == changed_arrivals[key][i] for i in common)
        else:
            assert changed_arrivals[key] == arrivals[key], key
            assert changed_losses[key] == losses[key], key


def test_adding_a_host_leaves_the_routers_links_unchanged(base_traces):
    arrivals, losses, _ = base_traces
    more_arrivals, more_losses, _ = per_link_traces(seed=5, extra_host=True)
    for key in arrivals:
        assert more_arrivals[key] == arrivals[key] and more_losses[key] == losses[key]


def test_same_seed_identical_trace_different_seed_different_trace(base_traces):
    _, _, table = base_traces
    _, _, again = per_link_traces(seed=5)
    _, _, other = per_link_traces(seed=6)
    assert table.num_rows > 6 * 300
    assert again.equals(table)
    assert not other.equals(table)
    assert other.column("time").to_pylist() != table.column("time").to_pylist()


def test_a_host_named_like_a_router_gets_its_own_streams():
    """The host link's delays must not depend on whether router link 0 -> 1 carries traffic."""
    def host_link_arrivals(router_traffic):
        sim = Simulation(1)
        net = Network(sim, Topology.from_generator("path_graph", {"n": 2}, links=RANDOM_LINKS))
        net.add_host("0", 1, RANDOM_LINKS)
        got = {}
        if router_traffic:
            for i in range(10):
                net.link(0, 1).transmit(Packet(125, Msg(i)), lambda p, l: None)
        for i in range(10):
            net.link("0", 1).transmit(Packet(125, Msg(i)), lambda p, l: got.__setitem__(p.msg.seq, sim.now))
        sim.run()
        return got

    assert host_link_arrivals(False) == host_link_arrivals(True)
