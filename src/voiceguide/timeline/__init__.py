"""The timeline: the plan (exact times within bounds) and the words placed on it."""

from .fit import WordsDoNotSettle, fit
from .place import (
    CHIME_TO_SPEECH_MS,
    REMINDER_TO_SPEECH_MS,
    TAIL_SILENCE_MS,
    Event,
    Script,
    longest_silences,
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
    "WordsDoNotSettle",
    "feasible_range",
    "fit",
    "longest_silences",
    "make_plan",
    "needs",
    "place",
    "to_document",
]
