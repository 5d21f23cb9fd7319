"""Everything ``voiceguide check`` finds wrong with routine files, as one-line messages.

Like ffmpeg-normalize's ``validate_input_files``: every problem of every
file is reported in one pass, so the user fixes them all at once. The file
is checked field by field (``routine``), then every text is rendered in the
template sandbox (``narration.narrate``), which finds unknown names and
attempts to reach Python internals. ``narrate`` stops at the first faulty
template, so the faulty text is set aside and the rest rendered again.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .errors import InputError, RoutineError
from .narration import narrate
from .narration.readability import readability_warnings
from .routine import Routine, RoutineProblems, load_routine

_PLACEHOLDER = "Words."
_INDEXED = re.compile(r"^(intro|contraindications|cautions)\[(\d+)\]$")
_STEP = re.compile(r"^steps\[(\d+)\]\.(say|cues\[(\d+)\]\.say|reminders\[(\d+)\])$")


def problems_in(path: Path) -> list[str]:
    """One line per problem in the routine file at ``path``; empty if it is valid."""
    try:
        routine = load_routine(path)
    except RoutineProblems as exc:
        return [str(p) for p in exc.problems]
    except InputError as exc:
        return [str(exc)]
    return template_problems(routine)


def warnings_in(path: Path) -> list[str]:
    """What a speech engine would read badly in a valid routine file; empty if it is not valid."""
    try:
        return readability_warnings(load_routine(path))
    except InputError:
        return []


def template_problems(routine: Routine) -> list[str]:
    """Every text that does not render in the sandbox, in the order ``narrate`` meets them."""
    found: list[str] = []
    for _ in range(1 + len(routine.lines)):
        try:
            narrate(routine)
        except RoutineError as exc:
            found.append(str(exc))
            replaced = _set_aside(routine, _merged_field(routine, exc))
            if replaced is None:
                break
            routine = replaced
        else:
            break
    return found


def _merged_field(routine: Routine, exc: RoutineError) -> str | None:
    """The routine's own field name for an error that names where the words were written."""
    for merged, origin in routine.origins.items():
        if origin == (exc.path, exc.line, exc.field):
            return merged
    return exc.field


def _set_aside(routine: Routine, field: str | None) -> Routine | None:
    """The routine with one faulty text replaced by a harmless one, or None if unknown."""
    if field is None:
        return None
    if field in ("outro",):
        return dataclasses.replace(routine, outro=_PLACEHOLDER)
    if field == "rest.say" and routine.rest:
        return dataclasses.replace(
            routine, rest=dataclasses.replace(routine.rest, say=_PLACEHOLDER)
        )
    match = _INDEXED.match(field)
    if match:
        name, index = match.group(1), int(match.group(2))
        texts = list(getattr(routine, name))
        texts[index] = _PLACEHOLDER
        if name == "intro":
            return dataclasses.replace(routine, intro=tuple(texts))
        return dataclasses.replace(routine, contraindications=tuple(texts))
    match = _STEP.match(field)
    if match:
        steps = list(routine.steps)
        step = steps[int(match.group(1))]
        if match.group(4) is not None:
            lines = list(step.reminder_lines)
            lines[int(match.group(4))] = _PLACEHOLDER
            step = dataclasses.replace(step, reminder_lines=tuple(lines))
        elif match.group(3) is None:
            step = dataclasses.replace(step, say=_PLACEHOLDER)
        else:
            cues = list(step.reminders)
            cue_index = int(match.group(3))
            cues[cue_index] = dataclasses.replace(cues[cue_index], say=_PLACEHOLDER)
            step = dataclasses.replace(step, reminders=tuple(cues))
        steps[int(match.group(1))] = step
        return dataclasses.replace(routine, steps=tuple(steps))
    return None
