"""Which tests check which of multipoint.md's rules (M1–M24) and cases (C1–C7), on which
provider.

- ``COVERAGE`` names the tests of tests/spi/ of each rule, wherever in tests/spi/ they
  are. Each runs on the providers its ``provider`` argument takes: the fixture's
  (tests/spi/helpers.py: every rooted provider, ``ROOTED``), or those of its own
  ``parametrize`` (``ALL``, ``["ipmc"]``, ``["atm"]``); a test without the argument
  (M1's plain provider) runs on none of them.
- ``ELSEWHERE`` names, by provider, the tests outside tests/spi/ of a rule or a case,
  as "module::function": ipmc's non-rooted rules (tests/protocols/test_ipmc_rules.py,
  its ``COVERAGE``), the cases, and conference's own versions of some rule cases.
- ``EXEMPT`` says, by provider, which rules and cases do not apply to it and why, or
  which the provider does not meet (a provider gap, "GAP:").

tests/spi/test_coverage.py checks that every rule and case is covered on every provider
by a named test or exempt, never both. ``TESTS`` maps the name of every test function
in tests/spi/test_*.py to the function, and each is an attribute of this module too, so
that a table's names resolve here (as a module's own tests do in its ``vars``).
"""

import importlib
import inspect
import pkgutil

import tests.spi
from tests.protocols import test_ipmc_rules
from tests.spi.helpers import ROOTED

PROVIDERS = ("atm", "conference", "ipmc")
RULES = tuple(f"M{i}" for i in range(1, 25))
CASES = tuple(f"C{i}" for i in range(1, 8))

COVERAGE = {
    "M1": ["test_m1_a_socket_needs_one_control_and_one_data_role_its_provider_supports",
           "test_m1_multipoint_flags_on_a_provider_without_multipoint_support_fail_wsaeinval"],
    "M2": ["test_m2_without_a_multipoint_role_join_leaf_fails_wsaeinval_listen_accept_wsaeopnotsupp"],
    "M3": ["test_m3_join_leaf_on_c_root_returns_a_new_socket_per_leaf_and_completion_comes_on_the_root",
           "test_m3_a_per_leaf_socket_gets_its_leafs_fd_close_and_the_c_root_socket_stays_the_root",
           "test_m3_closing_a_pending_per_leaf_socket_cancels_the_join",
           "test_m3_closing_the_per_leaf_socket_of_an_accepted_request_refuses_the_leaf",
           "test_m3_a_root_cannot_invite_its_own_host"],
    "M4": ["test_m4_second_outstanding_join_fails_ealready_and_sends_nothing",
           "test_m4_apps_queue_invitations_so_the_wait_shows_in_the_latency"],
    "M5": ["test_m5_invited_host_not_listening_gives_the_root_wsaeconnrefused",
           "test_m5_a_further_party_not_listening_is_refused"],
    "M6": ["test_m6_cf_accept_joins_both_ways",
           "test_m6_cf_reject_refuses_an_invitation_with_wsaeconnrefused_at_the_root",
           "test_m6_cf_reject_refuses_a_request_with_wsaeconnrefused_at_the_leaf",
           "test_m6_cf_defer_holds_a_request_without_a_new_fd_accept_until_a_later_accept",
           "test_m6_cf_defer_holds_an_invitation_until_a_later_accept",
           "test_m6_the_inviters_timer_withdraws_a_held_invitation_and_a_later_accept_fails_wsaeacces",
           "test_m6_the_requesters_timer_withdraws_a_held_request_and_a_later_accept_fails_wsaeacces",
           "test_m11_a_blocking_accept_decides_a_held_request_at_once"],
    "M7": ["test_m7_inviting_a_member_fails_wsaeisconn_at_once"],
    "M8": ["test_m8_join_leaf_on_a_c_leaf_returns_the_same_socket",
           "test_m8_join_leaf_on_a_c_leaf_of_a_non_rooted_session_returns_the_same_socket"],
    "M9": ["test_m9_a_rejected_leaf_may_ask_again_on_the_same_socket",
           "test_m9_lost_requests_time_out_and_the_leaf_may_ask_again",
           "test_m9_a_root_host_that_is_down_gives_wsaetimedout",
           "test_m9_no_path_to_the_root_gives_wsaenetunreach_at_once"],
    "M10": ["test_m10_a_listening_root_also_invites_and_accept_never_fails_wsaealready",
            "test_m10_both_ways_run_at_once_and_max_outstanding_does_not_change_accept"],
    "M11": ["test_m11_accept_not_listening_fails_wsaeinval_and_with_nothing_pending_wsaewouldblock",
            "test_m11_a_blocking_accept_waits_until_a_request_arrives",
            "test_m11_a_blocking_accept_decides_a_held_request_at_once"],
    "M12": ["test_m12_a_member_c_leaf_fails_a_second_join_leaf_with_wsaeisconn",
            "test_m12_a_c_leaf_with_a_request_outstanding_fails_with_wsaealready",
            "test_m12_a_member_c_leaf_of_a_non_rooted_session_fails_a_second_join_leaf"],
    "M15": ["test_m15_root_data_reaches_every_connected_leaf_once_and_leaf_data_as_its_data_plane_says"],
    "M16": ["test_m16_join_leaf_flags_limit_direction_in_a_rooted_session"],
    "M17": ["test_m17_rooted_data_crosses_each_tree_link_once"],
    "M18": ["test_m18_closing_the_root_ends_the_session",
            "test_m18_closing_the_root_releases_a_set_up_still_on_its_way",
            "test_m18_an_accepted_request_still_on_its_way_ends_at_the_leaf",
            "test_m18_a_request_on_its_way_when_the_root_closes_is_refused"],
    "M19": ["test_m19_closing_a_per_leaf_socket_drops_only_that_leaf"],
    "M20": ["test_m20_a_leaf_closing_gives_the_roots_per_leaf_socket_fd_close",
            "test_m20_a_leaf_that_joined_by_request_leaving_gives_fd_close_at_the_root",
            "test_m20_a_leaf_leaving_before_its_answer_got_through_ends_the_roots_join_wsaeconnreset"],
    "M21": ["test_m21_a_failed_link_gives_fd_close_wsaeconnaborted_at_both_ends",
            "test_m21_a_failed_host_gives_the_other_end_fd_close_wsaeconnaborted"],
    "M22": ["test_m22_a_socket_being_closed_gets_no_fd_close_itself",
            "test_m22_closing_a_c_leaf_with_its_request_pending_cancels_it",
            "test_m22_a_leaf_closing_its_member_socket_does_not_cancel_the_roots_join",
            "test_m22_closing_a_non_rooted_member_before_its_first_data_cancels_its_join",
            "test_m3_closing_a_pending_per_leaf_socket_cancels_the_join"],
    "M23": ["test_m23_an_event_outside_the_mask_is_neither_delivered_nor_recorded",
            "test_m23_every_indication_is_recorded_with_the_time_it_was_delivered",
            "test_m23_a_non_rooted_members_mask_and_trace"],
    "M24": ["test_m24_a_blocked_accept_waits_in_simulated_time_while_other_events_run",
            "test_m24_a_non_rooted_members_blocked_waits_end_with_their_indications",
            "test_m11_a_blocking_accept_waits_until_a_request_arrives"],
}

_IPMC_RULES = "tests.protocols.test_ipmc_rules"
_SIP = "tests.protocols.test_conference_sip"
_SSCOP = "tests.protocols.test_atm_sscop"
ELSEWHERE = {
    "atm": {
        "C1": ["tests.protocols.test_atm_cases::test_c1_root_invites_leaf_completes_at_1_0648"],
        "C2": ["tests.protocols.test_atm_cases::test_c2_leaf_request_admitted_at_once_86_4_ms"],
        "C3": ["tests.protocols.test_atm_cases::test_c3_defer_200_ms_gives_286_4_ms"],
        "C4": ["tests.protocols.test_atm_cases::test_c4_two_leaves_max_outstanding_1_gives_64_8_and_130_4_ms"],
        "C6": ["tests.protocols.test_atm_cases::test_c6_mean_latency_under_bernoulli_loss_matches_closed_form"],
        "C7": [f"{_SSCOP}::test_c7_a_setup_lost_between_switches_costs_one_poll_and_the_hops_round_trip",
               f"{_SSCOP}::test_c7_no_join_fails_under_5_percent_loss_and_the_mean_matches_the_closed_form"],
    },
    "conference": {
        "M9": [f"{_SIP}::test_m9_a_root_host_that_is_down_gives_wsaetimedout_not_wsaenetunreach"],
        "M18": [f"{_SIP}::test_m18_a_request_the_closing_chair_holds_is_refused_wsaeconnrefused",
                f"{_SIP}::test_m18_a_request_whose_accept_was_lost_is_refused_by_the_closing_chairs_bye"],
        "M20": [f"{_SIP}::test_m20_a_member_leaving_before_its_accept_got_through_ends_the_chairs_join_wsaeconnreset"],
        "M21": [f"{_SIP}::test_m21_a_failed_link_is_not_noticed_by_the_dialog_and_the_data_moves_at_once"],
        "M22": [f"{_SIP}::test_m22_closing_a_c_leaf_with_its_request_pending_withdraws_it_at_the_chair"],
    },
    "ipmc": {
        **{rule: [f"{_IPMC_RULES}::{name}" for name in names] for rule, names in test_ipmc_rules.COVERAGE.items()},
        "C5": ["tests.protocols.test_ipmc::test_c5_first_data_within_the_spec_window"],
    },
}

_WAY3 = "Way 3 only (non-rooted control: no root, a member joins the group itself); {} control is rooted"
_ROOTED_ONLY = "rooted control only (Ways 1 and 2): ipmc has no c_root socket (M1) and no listen (M2)"
_ATM_CASE = "multipoint.md §6 states it for the atm provider"
_ATM_CASE_CONF = (_ATM_CASE + "; conference's own exact exchanges on the same chain are "
                  "tests/protocols/test_conference_sip.py and test_conference.py")
_IPMC_CASE = "multipoint.md §6 states it for ipmc (Way 3)"
EXEMPT = {
    "atm": {
        "M13": _WAY3.format("atm's"),
        "M14": _WAY3.format("atm's"),
        "C5": _IPMC_CASE,
    },
    "conference": {
        "M13": _WAY3.format("conference's"),
        "M14": _WAY3.format("conference's") + ": a member joins the group once the chair admits it, "
               "and its row completes on the admission (protocols.md, conference)",
        **{case: _ATM_CASE_CONF for case in ("C1", "C2", "C3", "C4", "C6", "C7")},
        "C5": _IPMC_CASE,
    },
    "ipmc": {
        **{rule: _ROOTED_ONLY for rule in ("M3", "M4", "M5", "M6", "M7", "M9", "M10", "M11", "M18", "M19")},
        **{case: _ATM_CASE for case in ("C1", "C2", "C3", "C4", "C6", "C7")},
    },
}


def _test_functions() -> dict:
    """Every ``test_*`` function of the modules tests/spi/test_*.py, by name (each name once);
    test_coverage.py, which imports this module and checks no rule, is not read."""
    found = {}
    for info in sorted(pkgutil.iter_modules(tests.spi.__path__), key=lambda m: m.name):
        if not info.name.startswith("test_") or info.name == "test_coverage":
            continue
        module = importlib.import_module(f"tests.spi.{info.name}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and callable(fn) and getattr(fn, "__module__", None) == module.__name__:
                assert name not in found, f"{name} is defined in two test modules"
                found[name] = fn
    return found


def providers_of(fn) -> tuple:
    """The providers of ``PROVIDERS`` a tests/spi test runs on: those its own parametrize
    gives ``provider``, else the fixture's (``ROOTED``); none without the argument."""
    if "provider" not in inspect.signature(fn).parameters:
        return ()
    for mark in getattr(fn, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if "provider" in names:
            k = names.index("provider")
            values = [v if len(names) == 1 else v[k] for v in mark.args[1]]
            return tuple(v for v in PROVIDERS if v in values)
    return ROOTED


def resolve(ref: str):
    """The function a "module::function" reference of ``ELSEWHERE`` names (None if none)."""
    module, name = ref.split("::")
    fn = getattr(importlib.import_module(module), name, None)
    return fn if callable(fn) else None


def covering(provider: str, rule: str) -> list:
    """The tests that check ``rule`` (or a case) on ``provider``: tests/spi's by name,
    the others as "module::function"."""
    here = [name for name in COVERAGE.get(rule, ()) if provider in providers_of(TESTS[name])]
    return here + list(ELSEWHERE.get(provider, {}).get(rule, ()))


TESTS = _test_functions()
globals().update(TESTS)
