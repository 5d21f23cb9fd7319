"""The routine file format: model, loading, schema, durations and the shared parts."""

from .durations import format_clock, format_duration, parse_duration
from .load import load_routine, parse_routine, part_names
from .model import (
    INTRO_ID,
    OUTRO_ID,
    REST_ID,
    ReminderSpec,
    Rest,
    Routine,
    RoutineProblems,
    SharedPart,
    Step,
)

__all__ = [
    "INTRO_ID",
    "OUTRO_ID",
    "REST_ID",
    "ReminderSpec",
    "Rest",
    "Routine",
    "RoutineProblems",
    "SharedPart",
    "Step",
    "format_clock",
    "format_duration",
    "load_routine",
    "parse_duration",
    "parse_routine",
    "part_names",
]
