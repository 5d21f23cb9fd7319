"""The routine file format: model, loading, schema, durations and the shared parts.

Names are imported on first use (PEP 562), so parsing a duration on the
command line does not load the YAML parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .durations import format_clock, format_duration, parse_duration
    from .load import load_routine, parse_routine, part_names
    from .model import (
        INTRO_ID,
        OUTRO_ID,
        REST_ID,
        CueSpec,
        Rest,
        Routine,
        RoutineProblems,
        SharedPart,
        Step,
    )

_WHERE = {
    "format_clock": "durations",
    "format_duration": "durations",
    "parse_duration": "durations",
    "load_routine": "load",
    "parse_routine": "load",
    "part_names": "load",
    **{
        name: "model"
        for name in (
            "INTRO_ID", "OUTRO_ID", "REST_ID", "CueSpec", "Rest", "Routine",
            "RoutineProblems", "SharedPart", "Step",
        )
    },
}  # fmt: skip

__all__ = [
    "INTRO_ID", "OUTRO_ID", "REST_ID", "CueSpec", "Rest", "Routine", "RoutineProblems",
    "SharedPart", "Step", "format_clock", "format_duration", "load_routine", "parse_duration",
    "parse_routine", "part_names",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
