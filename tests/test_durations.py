import pytest

from voiceguide.durations import format_duration, parse_duration
from voiceguide.errors import DurationError


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
    ],
)
def test_accepted_forms_parse_to_milliseconds(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["12 min", "", "abc", "1:75", "m", "-5m", "1h-2m", "12:3"])
def test_other_text_is_an_error_naming_the_accepted_forms(text: str) -> None:
    with pytest.raises(DurationError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("ms", [0, 1, 999, 1000, 61_000, 3_723_000, 2_500, 5_400_000])
def test_format_round_trips(ms: int) -> None:
    assert parse_duration(format_duration(ms)) == ms
