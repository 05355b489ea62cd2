"""Every rule of multipoint.md is checked by a test of tests/spi/ or left for ipmc
(tests/spi/rules.py holds the tables)."""

from tests.spi.rules import COVERAGE, LEFT_FOR_IPMC, TESTS, WHOLLY_NONROOTED


def test_every_rule_is_covered_here_or_left_for_ipmc():
    tests = set(TESTS)
    ids = [f"M{i}" for i in range(1, 25)]
    assert [rule for rule in ids if rule not in COVERAGE and rule not in LEFT_FOR_IPMC] == []
    assert set(COVERAGE) | set(LEFT_FOR_IPMC) <= set(ids)
    assert set(WHOLLY_NONROOTED) <= set(LEFT_FOR_IPMC) and not set(WHOLLY_NONROOTED) & set(COVERAGE)
    for rule, names in COVERAGE.items():
        assert names and set(names) <= tests, (rule, sorted(set(names) - tests))
        # At least one test is named by the rule's own id ...
        assert any(name.startswith(f"test_{rule.lower()}_") for name in names), rule
    # ... and every test named by an id is listed under it.
    for name in tests:
        prefix = name.split("_")[1]
        if prefix[0] == "m" and prefix[1:].isdigit():
            assert name in COVERAGE[prefix.upper()], name
