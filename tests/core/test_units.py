"""Units at the edges: every unit family, bare numbers, whitespace, and the errors."""

import math

import pytest

from mpsim.core.errors import MpsimError, UnitError
from mpsim.core.units import (DURATION_UNITS, FREQUENCY_UNITS, RATE_UNITS, SIZE_UNITS,
                              format_duration, parse_duration, parse_frequency, parse_rate,
                              parse_size, tx_time)

# Expected values written out by hand, independently of the unit tables in the module.
DURATIONS = [("3ns", 3e-9), ("3us", 3e-6), ("3µs", 3e-6),
             ("3ms", 3e-3), ("3s", 3.0), ("3min", 180.0), ("3h", 10800.0),
             ("2.5ms", 0.0025), (".5s", 0.5), ("1e3ms", 1.0), ("1.5E-3s", 0.0015),
             (" 2 ms ", 0.002), ("+4s", 4.0)]
RATES = [("64bps", 64.0), ("64kbps", 64e3), ("64Kbps", 64e3), ("100Mbps", 100e6),
         ("2.5Gbps", 2.5e9), ("1e6bps", 1e6)]
SIZES = [("1500B", 1500), ("1.5kB", 1500), ("2KB", 2000), ("3MB", 3_000_000),
         ("1GB", 1_000_000_000), ("2KiB", 2048), ("1MiB", 1_048_576), ("0B", 0)]
FREQUENCIES = [("10/s", 10.0), ("30/min", 0.5), ("7200/h", 2.0), ("50Hz", 50.0)]


@pytest.mark.parametrize("text,seconds", DURATIONS)
def test_parse_duration_units(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize("text,bps", RATES)
def test_parse_rate_units(text, bps):
    assert parse_rate(text) == pytest.approx(bps, rel=1e-12)


@pytest.mark.parametrize("text,size", SIZES)
def test_parse_size_units(text, size):
    value = parse_size(text)
    assert value == size and isinstance(value, int)


@pytest.mark.parametrize("text,hz", FREQUENCIES)
def test_parse_frequency_units(text, hz):
    assert parse_frequency(text) == pytest.approx(hz, rel=1e-12)


@pytest.mark.parametrize("parse,units", [
    (parse_duration, DURATION_UNITS), (parse_rate, RATE_UNITS), (parse_size, SIZE_UNITS),
    (parse_frequency, FREQUENCY_UNITS)])
def test_every_listed_unit_is_covered_by_a_hand_written_case(parse, units):
    """A unit added to a table must also get a hand-written expected value above."""
    table = {parse_duration: DURATIONS, parse_rate: RATES, parse_size: SIZES,
             parse_frequency: FREQUENCIES}[parse]
    texts = [case.values[0] if hasattr(case, "values") else case[0] for case in table]
    for unit in units:
        assert any(t.strip().endswith(unit) and t.strip()[: -len(unit)][-1:].isdigit()
                   for t in texts), f"no test case for unit {unit!r}"


@pytest.mark.parametrize("parse,number", [(parse_duration, 0.25), (parse_rate, 1e6),
                                          (parse_size, 1500), (parse_frequency, 3.0)])
def test_bare_numbers_are_already_canonical(parse, number):
    assert parse(number) == number
    assert parse(str(number)) == number


def test_parse_size_accepts_integral_float_and_returns_int():
    assert parse_size(1500.0) == 1500 and isinstance(parse_size(1500.0), int)


def test_parse_size_decimal_kilobytes_are_exact():
    assert parse_size("1.001kB") == 1001
    assert parse_size("1.003MB") == 1_003_000


def test_parse_size_fractional_bytes_rejected():
    with pytest.raises(UnitError, match="whole number"):
        parse_size("1.5B")


@pytest.mark.parametrize("parse,value", [
    (parse_duration, "2 parsecs"), (parse_duration, "ms"), (parse_duration, "2 ms ms"),
    (parse_duration, ""), (parse_duration, None), (parse_duration, True), (parse_duration, [2]),
    (parse_rate, "100Mbit"), (parse_rate, "100MBps"), (parse_size, "1500 bytes"),
    (parse_frequency, "10 per second"), (parse_duration, "-2ms"), (parse_duration, -1),
    (parse_size, "-1B"), (parse_frequency, "-3/s"), (parse_rate, "0bps"), (parse_rate, -5),
])
def test_bad_quantities_raise_unit_error_naming_value_and_what_is_allowed(parse, value):
    with pytest.raises(UnitError) as info:
        parse(value)
    assert isinstance(info.value, MpsimError)
    assert repr(value) in str(info.value)
    assert "allowed" in str(info.value)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "inf", "nan"])
def test_non_finite_durations_rejected(value):
    with pytest.raises(UnitError) as info:
        parse_duration(value)
    assert repr(value) in str(info.value)


def test_unit_error_is_a_value_error_for_callers_that_catch_those():
    with pytest.raises(ValueError):
        parse_duration("2 parsecs")


@pytest.mark.parametrize("size,rate,seconds", [(100, 1e6, 0.0008), (1500, 12e6, 0.001),
                                               (125, 1e6, 0.001), (0, 1e6, 0.0)])
def test_tx_time(size, rate, seconds):
    assert tx_time(size, rate) == pytest.approx(seconds, rel=1e-15, abs=0)


@pytest.mark.parametrize("seconds,text", [(0.0324, "32.4 ms"), (0, "0 s"), (2.0, "2 s"),
                                          (125.0, "125 s"), (5e-6, "5 us"), (3e-9, "3 ns"),
                                          (-0.0324, "-32.4 ms")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [0.0324, 2.0, 5e-6, 1.5e-3])
def test_format_duration_round_trips_through_parse(seconds):
    assert parse_duration(format_duration(seconds).replace(" ", "")) == pytest.approx(seconds, rel=1e-3)
