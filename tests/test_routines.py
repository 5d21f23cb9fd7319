from pathlib import Path

import pytest

from voiceguide.errors import InputError, RoutineError
from voiceguide.routines import load_routine, parse_routine

from .conftest import ROUTINES

MINIMAL = """\
title: Tiny
steps:
  - id: one
    title: One
    duration: 1m
    say: Stroke the back.
"""


def parse(text: str):
    return parse_routine(text, path="mine.yaml", routine_id="mine")


def test_classic_loads_with_six_steps_and_a_rest() -> None:
    routine = load_routine(ROUTINES / "classic.yaml")
    assert routine.id == "classic"
    assert [s.id for s in routine.steps] == [
        "stroking", "rubbing", "kneading", "cupping", "vibration", "final-stroking",
    ]  # fmt: skip
    kneading = routine.step("kneading")
    assert (kneading.min_ms, kneading.max_ms) == (600_000, 900_000)
    assert routine.rest is not None and routine.rest.duration_ms == 900_000


def test_minimal_routine_defaults_bounds_to_duration() -> None:
    step = parse(MINIMAL).steps[0]
    assert step.min_ms == step.max_ms == step.duration_ms == 60_000


def test_unknown_key_names_file_line_field_and_suggests() -> None:
    with pytest.raises(RoutineError) as err:
        parse(MINIMAL.replace("    duration: 1m", "    duraton: 1m"))
    assert str(err.value).startswith(
        'mine.yaml:5: steps[0].duraton: unknown key; did you mean "duration"?'
    )


def test_bad_duration_names_the_line_and_accepted_forms() -> None:
    with pytest.raises(
        RoutineError,
        match=r'^mine.yaml:5: steps\[0\].duration: "12 min" is not a duration; use 90s',
    ):
        parse(MINIMAL.replace("1m", "12 min"))


def test_clock_durations_are_not_read_as_base_60_numbers() -> None:
    assert parse(MINIMAL.replace("1m", "12:30")).steps[0].duration_ms == 750_000


def test_python_tags_are_refused() -> None:
    with pytest.raises(RoutineError, match="tag"):
        parse(MINIMAL.replace("Stroke the back.", "!!python/object/apply:os.system ['true']"))


def test_min_greater_than_max_is_an_error() -> None:
    with pytest.raises(RoutineError, match="min must be at most max"):
        parse(MINIMAL.replace("    duration: 1m\n", "    duration: 1m\n    min: 3m\n    max: 2m\n"))


def test_duplicate_step_ids_are_an_error() -> None:
    doubled = MINIMAL + MINIMAL.split("steps:\n", 1)[1]
    with pytest.raises(RoutineError, match='"one" is already used by steps\\[0\\]'):
        parse(doubled)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such routine file"):
        load_routine(tmp_path / "nothere.yaml")
