"""The timeline: the plan (exact times within bounds) and the words placed on it."""

from .place import (
    CHIME_TO_SPEECH_MS,
    REMINDER_TO_SPEECH_MS,
    TAIL_SILENCE_MS,
    Event,
    Script,
    needs,
    place,
    to_document,
)
from .plan import Part, Plan, TimingRequest, feasible_range, make_plan

__all__ = [
    "CHIME_TO_SPEECH_MS",
    "REMINDER_TO_SPEECH_MS",
    "TAIL_SILENCE_MS",
    "Event",
    "Part",
    "Plan",
    "Script",
    "TimingRequest",
    "feasible_range",
    "make_plan",
    "needs",
    "place",
    "to_document",
]
