"""atm timers (protocols.md): T303, T310, T399, T331 with their defaults and expiry behaviour.

Their subject is the end-to-end timers under loss, so the sessions whose messages are
lost choose ``signalling: {transport: unreliable}`` (``UNRELIABLE``): with the default
SSCOP each hop would poll, and declare a silent hop broken after Timer_NO-RESPONSE, on
top of the timers under test."""

import pytest

from tests.world import HOP, chain

LOSE_ALL = {"loss": 1.0}
UNRELIABLE = {"transport": "unreliable"}


def only_join(world):
    (row,) = world.joins().itertuples()
    return row


def test_t303_twice_fails_first_party_at_8_s_with_two_setups():
    w = chain(access={"R": LOSE_ALL})
    w.session("s", root="R", signalling=UNRELIABLE)
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(60)
    row = only_join(w)
    assert (row.outcome, row.error, row.attempts) == ("timed_out", "WSAETIMEDOUT", 2)
    assert row.latency == pytest.approx(8.0, abs=1e-12)
    setups = [e for e in w.log("proto") if e[2] == "SETUP" and e[1] == "R"]
    assert [t for t, *_ in setups] == [1.0, 5.0]
    assert (9.0, "R", "FD_CONNECT", "WSAETIMEDOUT") in w.log("spi")


def test_t310_after_call_proceeding_fails_30_s_after_it():
    """T310's user-side default, 30 s."""
    w = chain(overrides={(0, 1): LOSE_ALL})
    w.session("s", root="R", signalling=UNRELIABLE)
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(60)
    row = only_join(w)
    t_cp = 1.0 + 2 * HOP                   # the first switch's CALL PROCEEDING is back
    assert (row.outcome, row.error, row.attempts) == ("timed_out", "WSAETIMEDOUT", 1)
    assert row.t_complete == pytest.approx(t_cp + 30.0, abs=1e-12)


def test_t399_add_party_without_answer_fails_at_34_s_with_one_transmission():
    """T399's user-side default, 34 s (T303 + T310): the ADD PARTY at 5 fails at 39."""
    w = chain(leaves=("L1", "L2"), access={"L2": LOSE_ALL})
    w.session("s", root="R", signalling=UNRELIABLE)
    for leaf in ("L1", "L2"):
        w.app(leaf).listen()
    w.at(1.0, w.app("R").invite, ["L1"])
    w.at(5.0, w.app("R").invite, ["L2"])
    w.run(60)
    first, second = w.joins().itertuples()
    assert first.outcome == "connected"
    assert (second.outcome, second.error, second.attempts) == ("timed_out", "WSAETIMEDOUT", 1)
    assert second.t_complete == pytest.approx(39.0, abs=1e-12)
    assert [e[2] for e in w.log("proto") if e[1] == "R" and e[2] in ("ADD_PARTY", "SETUP")] == \
        ["SETUP", "ADD_PARTY"]


def test_t331_leaf_request_without_answer_fails_after_120_s():
    w = chain(access={"R": LOSE_ALL})
    w.session("s", root="R", signalling=UNRELIABLE)
    w.app("R").listen()
    w.at(1.0, w.app("L").request)
    w.run(300)
    row = only_join(w)
    assert (row.outcome, row.error, row.attempts) == ("timed_out", "WSAETIMEDOUT", 2)
    assert row.latency == pytest.approx(120.0, abs=1e-12)
    requests = [e for e in w.log("proto") if e[2] == "LEAF_SETUP_REQUEST" and e[1] == "L"]
    assert [t for t, *_ in requests] == [1.0, 61.0]


def test_session_timer_overrides_retransmit_stop_and_wait():
    w = chain(access={"R": LOSE_ALL})
    w.session("s", root="R", timers={"invite_timeout": "2s", "retries": 3}, signalling=UNRELIABLE)
    w.app("L").listen()
    w.at(1.0, w.app("R").invite, ["L"])
    w.run(60)
    row = only_join(w)
    assert (row.outcome, row.attempts) == ("timed_out", 4)
    assert row.latency == pytest.approx(8.0, abs=1e-12)


def test_timers_reject_unknown_names_and_bad_values():
    from mpsim.core.errors import ParameterError
    w = chain()
    with pytest.raises(ParameterError, match="T999"):
        w.session("a", root="R", timers={"T999": 1})
    with pytest.raises(ParameterError, match="retries"):
        w.session("b", root="R", timers={"retries": -1})
