import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceguide.errors import DurationError
from voiceguide.routine.durations import (
    ACCEPTED,
    MAX_MS,
    format_duration,
    format_human,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("90s", 90_000),
        ("12m", 720_000),
        ("1h30m", 5_400_000),
        ("1h 5m 30s", 3_930_000),
        ("12:30", 750_000),
        ("1:02:03", 3_723_000),
        ("2.5s", 2_500),
        ("0s", 0),
        ("0", 0),
        (" 20m ", 1_200_000),
    ],
)
def test_accepted_forms_parse_to_milliseconds(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1:75",
        "m",
        "-5m",
        "1h-2m",
        "12:3",
        "5",
        "\u0661\u0662m",
        "30s 5m",
    ],
)
def test_other_text_is_an_error_naming_what_was_given_and_the_accepted_forms(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert f'"{text}"' in str(caught.value) and ACCEPTED in str(caught.value)


def test_absurd_lengths_are_refused_before_any_arithmetic() -> None:
    with pytest.raises(DurationError, match=r'"25h" is longer than 24h'):
        parse_duration("25h")
    with pytest.raises(DurationError, match="is not a duration"):
        parse_duration("9" * 5000 + "s")


@pytest.mark.parametrize("ms", [0, 1, 999, 1000, 61_000, 3_723_000, 2_500, 5_400_000])
def test_format_round_trips(ms: int) -> None:
    assert parse_duration(format_duration(ms)) == ms


@given(st.integers(0, MAX_MS))
def test_every_length_prints_as_text_that_parses_back(ms: int) -> None:
    assert parse_duration(format_duration(ms)) == ms


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("30 min", 1_800_000),
        ("45min", 2_700_000),
        ("0.5h", 1_800_000),
        ("1.5 h", 5_400_000),
        ("90 sec", 90_000),
        ("2 hours", 7_200_000),
        ("1 hour 30 minutes", 5_400_000),
        ("1H 5M", 3_900_000),
        ("0.25 min", 15_000),
    ],
)
def test_durations_as_people_type_them(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["30", "45", "1.5"])
def test_a_bare_number_asks_which_unit_was_meant(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert str(caught.value).startswith(f'"{text}" has no unit; did you mean {text}m?')


@pytest.mark.parametrize("text", ["5m 1h", "5m 5m", "30 mins 1h", "1.5.h", "30 lightyears"])
def test_units_out_of_order_twice_or_unknown_are_refused(text: str) -> None:
    with pytest.raises(DurationError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("ms", "nearest", "up", "down"),
    [
        (600_000, "10m", "10m", "10m"),
        (115_400, "1m55s", "1m56s", "1m55s"),
        (1_920_835, "32m1s", "32m1s", "32m"),
        (10_125, "10s", "11s", "10s"),
        (2_500, "2.5s", "2.5s", "2.5s"),
        (5_640, "5.6s", "5.7s", "5.6s"),
    ],
)
def test_lengths_for_people_round_to_what_a_person_uses(
    ms: int, nearest: str, up: str, down: str
) -> None:
    assert (format_human(ms), format_human(ms, "up"), format_human(ms, "down")) == (
        nearest,
        up,
        down,
    )
    assert parse_duration(format_human(ms, "up")) >= ms >= parse_duration(format_human(ms, "down"))
