import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceguide.errors import DurationError
from voiceguide.routine.durations import ACCEPTED, MAX_MS, format_duration, parse_duration


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
