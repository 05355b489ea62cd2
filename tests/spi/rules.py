"""Which tests check which of multipoint.md's rules on rooted sessions.

``COVERAGE`` names the tests of each rule, wherever in tests/spi/ they are;
``LEFT_FOR_IPMC`` the rules, or the halves of rules, that concern only non-rooted
sessions, which tests/protocols/test_ipmc_rules.py checks. ``TESTS`` maps the name of
every test function in tests/spi/test_*.py to the function, and each is an attribute of
this module too, so that a table's names resolve here (as a module's own tests do in
its ``vars``). tests/spi/test_coverage.py checks the tables.
"""

import importlib
import pkgutil

import tests.spi

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
           "test_m5_a_further_party_not_listening_is_refused_by_add_party_reject"],
    "M6": ["test_m6_cf_accept_joins_both_ways",
           "test_m6_cf_reject_refuses_an_invitation_with_wsaeconnrefused_at_the_root",
           "test_m6_cf_reject_refuses_a_request_with_wsaeconnrefused_at_the_leaf",
           "test_m6_cf_defer_holds_a_request_without_a_new_fd_accept_until_a_later_accept",
           "test_m6_cf_defer_holds_an_invitation_until_a_later_accept",
           "test_m6_the_inviters_timer_withdraws_a_held_invitation_and_a_later_accept_fails_wsaeacces",
           "test_m6_the_requesters_timer_withdraws_a_held_request_and_a_later_accept_fails_wsaeacces",
           "test_m11_a_blocking_accept_decides_a_held_request_at_once"],
    "M7": ["test_m7_inviting_a_member_fails_wsaeisconn_at_once"],
    "M8": ["test_m8_join_leaf_on_a_c_leaf_returns_the_same_socket"],
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
            "test_m12_a_c_leaf_with_a_request_outstanding_fails_with_wsaealready"],
    "M15": ["test_m15_root_data_reaches_every_connected_leaf_once_and_leaf_data_only_the_root"],
    "M16": ["test_m16_join_leaf_flags_limit_direction_in_a_rooted_session"],
    "M17": ["test_m17_rooted_data_crosses_each_tree_link_once"],
    "M18": ["test_m18_closing_the_root_ends_the_session",
            "test_m18_closing_the_root_releases_a_set_up_still_on_its_way",
            "test_m18_an_accepted_request_still_on_its_way_fails_at_the_leaf",
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
            "test_m3_closing_a_pending_per_leaf_socket_cancels_the_join"],
    "M23": ["test_m23_an_event_outside_the_mask_is_neither_delivered_nor_recorded",
            "test_m23_every_indication_is_recorded_with_the_time_it_was_delivered"],
    "M24": ["test_m24_a_blocked_accept_waits_in_simulated_time_while_other_events_run",
            "test_m11_a_blocking_accept_waits_until_a_request_arrives"],
}

#: Rules, or the parts of rules, that concern only non-rooted sessions; they are checked
#: for ipmc in tests/protocols/test_ipmc_rules.py. Keys are the ids (iterating gives them).
LEFT_FOR_IPMC = {
    "M13": "whole rule: no root, so no member is told of another's joining or leaving",
    "M14": "whole rule: no designated router, no data, t_first_data null, row pending (or timed_out)",
    "M15": "non-rooted half: every member's data reaches every other member once, itself by loopback",
    "M16": "non-rooted half: a JL_SENDER_ONLY ipmc join sends no IGMP report",
    "M17": "SIO_MULTICAST_SCOPE as a router-hop limit, and the copy on the ipmc shared tree",
    "M20": "non-rooted half: IP_DROP_MEMBERSHIP, IGMP leave and prune, no indication",
    "M21": "non-rooted half: a member's data stops until routing finds another way",
}
#: The ids with nothing to check on a rooted session.
WHOLLY_NONROOTED = ("M13", "M14")


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


TESTS = _test_functions()
globals().update(TESTS)
