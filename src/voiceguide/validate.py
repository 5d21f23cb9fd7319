"""Everything ``voiceguide check`` finds wrong with routine files, as one-line messages.

Like ffmpeg-normalize's ``validate_input_files``: every problem of every
file is reported in one pass, so the user fixes them all at once. The file
is checked field by field (``routines``), then every text is rendered in the
template sandbox (``script.narrate``), which finds unknown names and
attempts to reach Python internals.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .routines import RoutineProblems, load_routine
from .script import narrate


def problems_in(path: Path) -> list[str]:
    """One line per problem in the routine file at ``path``; empty if it is valid."""
    try:
        routine = load_routine(path)
    except RoutineProblems as exc:
        return [str(p) for p in exc.problems]
    except InputError as exc:
        return [str(exc)]
    try:
        narrate(routine)
    except InputError as exc:
        return [str(exc)]
    return []
