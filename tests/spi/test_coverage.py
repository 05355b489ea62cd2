"""Every rule (M1–M24) and case (C1–C7) of multipoint.md is checked on every provider by a
named test, or exempt for it with a reason (tests/spi/rules.py holds the tables)."""

import pytest

from tests.spi.rules import (CASES, COVERAGE, ELSEWHERE, EXEMPT, PROVIDERS, RULES, TESTS, covering,
                             providers_of, resolve)

IDS = RULES + CASES


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_rule_and_case_is_covered_or_exempt_on_every_provider(provider):
    exempt = EXEMPT[provider]
    assert set(exempt) <= set(IDS) and set(ELSEWHERE.get(provider, {})) <= set(IDS)
    assert [i for i in IDS if not covering(provider, i) and i not in exempt] == []
    assert [i for i in IDS if covering(provider, i) and i in exempt] == []          # never both
    assert all(isinstance(why, str) and len(why) > 20 for why in exempt.values())


def test_the_tables_name_tests_that_exist():
    assert set(EXEMPT) == set(PROVIDERS) and set(ELSEWHERE) <= set(PROVIDERS)
    assert set(COVERAGE) <= set(RULES)
    tests = set(TESTS)
    for rule, names in COVERAGE.items():
        assert names and set(names) <= tests, (rule, sorted(set(names) - tests))
        # At least one test is named by the rule's own id ...
        assert any(name.startswith(f"test_{rule.lower()}_") for name in names), rule
    # ... and every test named by an id is listed under it.
    for name in tests:
        prefix = name.split("_")[1]
        if prefix[0] == "m" and prefix[1:].isdigit():
            assert name in COVERAGE[prefix.upper()], name
    for provider, table in ELSEWHERE.items():
        for rule, refs in table.items():
            assert refs and all(resolve(ref) is not None for ref in refs), (provider, rule, refs)


def test_every_rule_test_of_tests_spi_runs_on_a_provider():
    """Only M1's plain-provider test runs on none of atm, conference and ipmc."""
    listed = {name for names in COVERAGE.values() for name in names}
    assert sorted(name for name in listed if not providers_of(TESTS[name])) == [
        "test_m1_multipoint_flags_on_a_provider_without_multipoint_support_fail_wsaeinval"]
