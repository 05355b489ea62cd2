"""atm as its standards have it: signalling over SSCOP (Q.2110), ADD PARTY only once the
call is active (Q.2971), the user-side timers at the root, per-session failure detection.

Chain R — 0 — 1 — L of tests/world.py: every link 10 ms, 1 Mbps; a 100 B message
takes 10.8 ms a hop, a POLL (8 B) 10.064 ms, a STAT (12 B + 8 B per gap) 10.096 ms
with no gap and 10.16 ms with one, a USTAT (16 B) 10.128 ms.
"""

import math

import numpy as np
import pytest

from mpsim.protocols.atm.sscop import gap_ranges
from tests.world import HOP, ONE_WAY, chain, lose_next, sent

POLL_HOP = 0.010 + 8 * 8 / 1e6           # 10.064 ms
STAT_GAP_HOP = 0.010 + 20 * 8 / 1e6      # 10.16 ms: a STAT listing one gap
USTAT_HOP = 0.010 + 16 * 8 / 1e6         # 10.128 ms
#: protocols.md's closed form for one lost message on an idle hop: Timer_POLL plus the
#: POLL's and the STAT's one-way times on that hop.
ONE_LOSS = 1.0 + POLL_HOP + STAT_GAP_HOP
SSCOP = {"POLL", "STAT", "USTAT"}


def signalling(world):
    """``sent`` without SSCOP's own frames."""
    return [e for e in sent(world) if e[3] not in SSCOP]


def invite_once(lost_link=None, **session):
    w = chain()
    w.session("s", root="R", **session)
    w.app("L").listen("accept")
    if lost_link is not None:
        lose_next(w.net.link(*lost_link), 1)
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(40)
    return w


def test_c7_a_setup_lost_between_switches_costs_one_poll_and_the_hops_round_trip():
    """The SETUP from switch 0 to switch 1 is lost: 0 polls one Timer_POLL after sending
    it, 1's STAT lists the gap, 0 sends the SETUP again; no end-to-end timer runs."""
    w = invite_once(lost_link=(0, 1))
    (row,) = w.joins().itertuples()
    assert row.outcome == "connected"
    assert row.latency == pytest.approx(2 * ONE_WAY + ONE_LOSS, abs=1e-12)        # 1.085024 s
    t_setup = 1.0 + HOP                                  # the SETUP leaves switch 0
    t_poll = t_setup + 1.0
    t_again = t_poll + POLL_HOP + STAT_GAP_HOP
    hop01 = [e for e in sent(w) if {e[1], e[2]} == {"0", "1"} and e[0] < 2.5]
    assert hop01 == [(round(t_setup, 9), "0", "1", "SETUP"),
                     (round(t_poll, 9), "0", "1", "POLL"),
                     (round(t_poll + POLL_HOP, 9), "1", "0", "STAT"),
                     (round(t_again, 9), "0", "1", "SETUP"),
                     (round(t_again + 3 * HOP, 9), "1", "0", "CONNECT")]
    assert (row.attempts, row.messages) == (1, 5)        # SSCOP's recovery is not the join's
    drops = w.events("net")
    assert list(drops.loc[drops.event == "DROP", "detail"]) == ["SETUP (loss)"]


def invite_two(policy1, policy2, until=10):
    """L1 and L2 on switch 1 listen with these policies; the root invites both at 1 s
    with max_outstanding 2."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    w.app("L1").listen(policy1)
    w.app("L2").listen(policy2)
    w.at(1.0, w.app("R").invite, ["L1", "L2"])
    return w.run(until)


def test_a_lost_first_hop_setup_costs_about_a_second_not_t303():
    """Before SSCOP the root's T303 (4 s) recovered a SETUP lost on its access link."""
    w = invite_once(lost_link=("R", 0))
    (row,) = w.joins().itertuples()
    assert row.latency == pytest.approx(2 * ONE_WAY + ONE_LOSS, abs=1e-12)
    setups = [e for e in signalling(w) if e[3] == "SETUP" and e[1] == "R"]
    assert setups == [(1.0, "R", "0", "SETUP"), (round(2.0 + POLL_HOP + STAT_GAP_HOP, 9), "R", "0", "SETUP")]


def test_the_unreliable_transport_keeps_the_end_to_end_timers_alone():
    """``signalling: {transport: unreliable}``: no SSCOP frame; a first-hop SETUP lost is
    sent again by T303 (4 s); one lost between the switches fails the join when T310
    (30 s, user side) expires after the CALL PROCEEDING."""
    w = invite_once(lost_link=("R", 0), signalling={"transport": "unreliable"})
    (row,) = w.joins().itertuples()
    assert row.latency == pytest.approx(4.0 + 2 * ONE_WAY, abs=1e-12)
    assert not [e for e in sent(w) if e[3] in SSCOP]
    w = invite_once(lost_link=(0, 1), signalling={"transport": "unreliable"})
    (row,) = w.joins().itertuples()
    assert (row.outcome, row.error) == ("timed_out", "WSAETIMEDOUT")
    assert row.t_complete == pytest.approx(1.0 + 2 * HOP + 30.0, abs=1e-12)


def test_a_message_after_a_gap_waits_for_it_and_a_ustat_reports_the_gap_at_once():
    """The SETUP on 0 -> 1 is lost; the root closes at 1.5 s, so a RELEASE follows on
    that hop. Its arrival reveals the gap: switch 1 sends a USTAT at once, 0 sends the
    SETUP again, and 1 handles SETUP then RELEASE, in order, when the SETUP arrives."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen("accept")
    lose_next(w.net.link(0, 1), 1)
    w.at(1.0, w.app("R").invite, ["L"])
    w.at(1.5, w.app("R").leave)
    w.run(10)
    t_release = 1.5 + HOP                      # RELEASE leaves switch 0
    t_ustat = t_release + HOP                  # it reaches 1: a gap below it
    t_again = t_ustat + USTAT_HOP
    t_both = t_again + HOP
    hop01 = [e for e in sent(w) if {e[1], e[2]} == {"0", "1"} and e[0] < 2.0]
    assert hop01 == [(round(1.0 + HOP, 9), "0", "1", "SETUP"),
                     (round(t_release, 9), "0", "1", "RELEASE"),
                     (round(t_ustat, 9), "1", "0", "USTAT"),
                     (round(t_again, 9), "0", "1", "SETUP")]
    proto = w.events("proto")
    at_1 = [(round(t, 9), e) for t, h, e, d in zip(proto.time, proto.host, proto.event, proto.detail)
            if h == "1" and d == "recv" and e in ("SETUP", "RELEASE")]
    assert at_1 == [(round(t_both, 9), "SETUP"), (round(t_both, 9), "RELEASE")]
    # Switch 1 passes both on to L, in order: the invitation arrives, then is withdrawn.
    assert [e[3] for e in signalling(w) if e[1] == "1" and e[2] == "L"] == ["SETUP", "RELEASE"]
    (row,) = w.joins().itertuples()
    assert row.outcome == "cancelled"


def test_a_hop_that_answers_no_poll_for_timer_no_response_is_broken():
    """L1 is a member; the root adds L2 at 5 s and every packet on 0 -> 1 is lost from
    then on. Switch 0 polls each second; no STAT comes; 7 s after the ADD PARTY left,
    the hop is declared broken and L1's party, which crosses it, is cleared at both
    ends with WSAECONNABORTED (M21). L2's party is still being set up: T399 ends it."""
    w = chain(leaves=("L1", "L2"))
    w.session("s", root="R", max_outstanding=2)
    w.app("L1").listen("accept")
    w.app("L2").listen("accept")
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(4.9, lose_next, w.net.link(0, 1), 10_000)
    w.at(5.0, w.app("R").invite, ["L2"])
    w.run(60)
    t_add = 5.0 + HOP                                   # ADD PARTY leaves switch 0
    polls = [e[0] for e in sent(w) if e[1:] == ("0", "1", "POLL") and 5 < e[0] < 20]
    assert polls == [round(t_add + k, 9) for k in range(1, 7)]
    t_broken = t_add + 7.0
    closes = [e for e in w.log("spi") if e[2] == "FD_CLOSE"]
    assert closes == [(round(t_broken + HOP, 9), "R", "FD_CLOSE", "WSAECONNABORTED"),
                      (round(t_broken + HOP, 9), "L1", "FD_CLOSE", "WSAECONNABORTED")]
    joins = w.joins().set_index("leaf")
    assert joins.loc["L2", "outcome"] == "timed_out"
    assert joins.loc["L2", "t_complete"] == pytest.approx(5.0 + 34.0, abs=1e-12)     # T399


def test_each_session_notices_a_failed_link_after_its_own_no_response():
    """Regression (issue 12): two sessions share link 0-1, which fails at 5 s; session a
    waits 1 s (polling every 250 ms: Timer_NO-RESPONSE must be longer than Timer_POLL),
    b the default 7 s. Before, the smallest over all sessions applied to all and b's
    leaf got FD_CLOSE at 6.0108 s."""
    w = chain()
    w.session("a", root="R", signalling={"no_response": "1s", "poll": "250ms"})
    w.session("b", root="R")
    for name in ("a", "b"):
        w.app("L", name).listen("accept")
        w.at(1.0, w.app("R", name).invite, ["L"])
    w.at(5.0, w.net.fail_link, 0, 1)
    w.run(30)
    spi = w.events("spi")
    closes = [(round(t, 9), h, s, e) for t, h, s, ev, e in
              zip(spi.time, spi.host, spi.session, spi.event, spi.error) if ev == "FD_CLOSE"]
    assert closes == [(round(6.0 + HOP, 9), "R", "a", "WSAECONNABORTED"),
                      (round(6.0 + HOP, 9), "L", "a", "WSAECONNABORTED"),
                      (round(12.0 + HOP, 9), "R", "b", "WSAECONNABORTED"),
                      (round(12.0 + HOP, 9), "L", "b", "WSAECONNABORTED")]


def test_add_party_waits_until_the_call_is_active():
    """With max_outstanding 2 both invitations are made at 1 s, but the ADD PARTY for L2
    leaves only when L1's CONNECT has reached the root (after the root's CONNECT ACK on
    its access link): L2 completes at 130.4 ms, as with max_outstanding 1. Before it left
    at once and completed in 65.6 ms, which Q.2971 does not allow."""
    w = invite_two("accept", "accept")
    latency = dict(zip(w.joins().leaf, w.joins().latency))
    assert latency["L1"] == pytest.approx(2 * ONE_WAY, abs=1e-12)
    assert latency["L2"] == pytest.approx(2 * ONE_WAY + 0.0008 + 2 * ONE_WAY, abs=1e-12)   # 130.4 ms
    at_root = [e for e in signalling(w) if e[1] == "R"]
    assert at_root == [(1.0, "R", "0", "SETUP"),
                       (round(1 + 2 * ONE_WAY, 9), "R", "0", "CONNECT_ACK"),
                       (round(1 + 2 * ONE_WAY, 9), "R", "0", "ADD_PARTY")]


def test_when_the_first_party_fails_the_next_waiting_one_goes_as_a_new_setup():
    w = invite_two("reject", "accept")
    joins = w.joins().set_index("leaf")
    assert joins.loc["L1", "outcome"] == "rejected"
    assert joins.loc["L1", "t_complete"] == pytest.approx(1 + 2 * ONE_WAY, abs=1e-12)
    # L1's RELEASE reaches the root at 64.8 ms; L2's SETUP leaves then.
    assert joins.loc["L2", "latency"] == pytest.approx(4 * ONE_WAY, abs=1e-12)
    at_root = [e[3] for e in signalling(w) if e[1] == "R"]
    assert at_root == ["SETUP", "SETUP", "CONNECT_ACK"]


@pytest.mark.parametrize("defer, outcome", [(12.0, "connected"), (31.0, "timed_out")])
def test_t310_is_the_user_sides_30_s(defer, outcome):
    """A leaf that decides 12 s after its FD_ACCEPT is connected (before, with the
    network side's 10 s, the root gave up at 10.02 s); one that waits 31 s is not."""
    w = chain()
    w.session("s", root="R")
    w.app("L").listen({"defer": defer})
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(60)
    (row,) = w.joins().itertuples()
    assert row.outcome == outcome
    if outcome == "connected":
        assert row.latency == pytest.approx(2 * ONE_WAY + defer, abs=1e-9)
    else:                                  # T310 runs from the CALL PROCEEDING (21.6 ms)
        assert row.t_complete == pytest.approx(1.0 + 2 * HOP + 30.0, abs=1e-12)
        assert row.error == "WSAETIMEDOUT"


@pytest.mark.parametrize("defer, outcome", [(20.0, "connected"), (40.0, "timed_out")])
def test_t399_is_the_user_sides_34_s(defer, outcome):
    w = invite_two("accept", {"defer": defer}, until=80)
    row = w.joins().set_index("leaf").loc["L2"]
    t_add = 1 + 2 * ONE_WAY                 # the ADD PARTY is sent (T399 starts)
    assert row.outcome == outcome
    if outcome == "connected":
        assert row.t_complete == pytest.approx(t_add + 0.0008 + 2 * ONE_WAY + defer, abs=1e-9)
    else:
        assert row.t_complete == pytest.approx(t_add + 34.0, abs=1e-9)


def test_m10_a_root_accepts_every_request_at_once_and_the_provider_queues_them():
    """Four leaves ask at 1 s; the root (max_outstanding 1) accepts each at once: no
    accept fails (before, three failed with WSAEALREADY and the requests went one by
    one). The first is invited with a SETUP, the others wait until its CONNECT is back
    and then leave together as ADD PARTYs."""
    leaves = ("L1", "L2", "L3", "L4")
    w = chain(leaves=leaves)
    w.session("s", root="R", max_outstanding=1)
    w.app("R").listen("accept")
    for leaf in leaves:
        w.at(1.0, w.app(leaf).request)
    w.run(20)
    accepts = [e for e in w.log("spi") if e[1] == "R" and e[2] == "ACCEPT"]
    # The requests arrive 0.8 ms apart (each waits behind the one before on link 1 -> 0).
    assert accepts == [(round(1 + ONE_WAY + 0.0008 * k, 9), "R", "ACCEPT", None) for k in range(4)]
    joins = w.joins()
    assert (joins.outcome == "connected").all()
    kinds = [e[3] for e in signalling(w) if e[1] == "R" and e[3] in ("SETUP", "ADD_PARTY")]
    assert kinds == ["SETUP", "ADD_PARTY", "ADD_PARTY", "ADD_PARTY"]
    t_active = 1 + ONE_WAY + 2 * ONE_WAY                 # L1's CONNECT back at the root
    add_times = [e[0] for e in signalling(w) if e[1] == "R" and e[3] == "ADD_PARTY"]
    assert add_times == [round(t_active, 9)] * 3


def test_gap_ranges():
    assert gap_ranges(0, 0, set()) == ()
    assert gap_ranges(0, 3, set()) == ((0, 3),)
    assert gap_ranges(3, 7, {3, 4, 5, 6}) == ()
    assert gap_ranges(1, 6, {2, 4}) == ((1, 2), (3, 4), (5, 6))


# -- C7 under Bernoulli loss ---------------------------------------------------------------
P = 0.05


def recovery_mean(p, shift=0.0):
    """E[extra time] of one message on an idle hop under SSCOP: lost with probability p;
    then each poll round (one a second) gets through with s = (1 − p)², and each
    retransmission after a round that does with 1 − p: the J-th good round, J geometric,
    comes after E[J]/s = 1/((1 − p) s) s, plus the POLL's and the STAT's one-way times.
    ``shift``: the hop's poll rounds started that much before the message."""
    s = (1 - p) ** 2
    return p * (1 / ((1 - p) * s) - shift + POLL_HOP + STAT_GAP_HOP)


def c7_expected(p):
    """Six messages on the join's critical path (SETUP ×3, CONNECT ×3), each on a hop of
    its own. Five start their hop's busy period; the CONNECT from switch 0 to R follows
    the CALL PROCEEDING on that hop, whose polls began 43.2 ms earlier when nothing was
    lost in between (probability (1 − p)⁴; otherwise that CALL PROCEEDING is almost
    always acknowledged by then and the CONNECT starts afresh)."""
    fresh = recovery_mean(p)
    aligned = recovery_mean(p, shift=4 * HOP)
    return 2 * ONE_WAY + 5 * fresh + (1 - p) ** 4 * aligned + (1 - (1 - p) ** 4) * fresh


@pytest.mark.slow
def test_c7_no_join_fails_under_5_percent_loss_and_the_mean_matches_the_closed_form():
    latencies = []
    for seed in range(200):
        w = chain(seed=seed, links=dict(delay="10ms", bandwidth="1Mbps", loss=P))
        w.session("s", root="R")
        w.app("L").listen("accept")
        w.at(1.0, w.app("R").invite, ["L"])
        w.run(40)
        (row,) = w.joins().itertuples()
        assert row.outcome == "connected", (seed, row.outcome)
        latencies.append(row.latency)
    latencies = np.array(latencies)
    se = latencies.std(ddof=1) / math.sqrt(len(latencies))
    expected = c7_expected(P)
    assert abs(latencies.mean() - expected) < 3 * se, (latencies.mean(), expected, se)
    # Not an end-to-end timer: no latency is near T303's 4 s, and losses did happen.
    assert (latencies > 1.0).sum() >= 20
    assert latencies.max() < 4.0


def test_the_decomposition_counts_sscop_recovery_as_retransmission_wait():
    """The SETUP sent again by switch 0 is a second send of its kind on that hop of the
    join: the time since the first is a retransmission wait (analysis.decomposition)."""
    from mpsim.analysis.decomposition import latency_components

    w = invite_once(lost_link=(0, 1))
    delays = {(str(link.src), str(link.dst)): 0.010 for link in w.net.links.values()}
    (row,) = latency_components(w.sim.recorder.frame(), w.joins(), link_delays=delays).itertuples()
    assert row.retransmission_waits == pytest.approx(ONE_LOSS, abs=1e-12)
    assert row.propagation == pytest.approx(0.060, abs=1e-12)
    assert row.transmission_queueing == pytest.approx(6 * 0.0008, abs=1e-12)
    assert row.other == pytest.approx(0.0, abs=1e-12)
