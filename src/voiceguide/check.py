"""Everything ``voiceguide check`` finds wrong with routine files, as one-line messages.

Like ffmpeg-normalize's ``validate_input_files``: every problem of every
file is reported in one pass, so the user fixes them all at once. The file
is checked field by field (``routine``) and its id as the name ``build``
gives its track (``output.files.routine_track_name``), then every text is
rendered in the template sandbox (``narration.narrate``), which finds
unknown names and attempts to reach Python internals. ``narrate`` stops at
the first faulty template, so the faulty text is set aside and the rest
rendered again.

Last, what only speech can tell: the routine's timed script is made as
``build`` makes it (``script.prepare``, at the routine's default lengths,
with the build's voice and rate), so a step too short for its words or a
cue that ends past its step is reported here in the words ``build`` would
use. The planner stops at the first part too short; that part is given
what it needs and the script made again, so every such part is reported.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, RoutineError
from .narration import narrate
from .narration.readability import readability_warnings
from .output.files import routine_track_name
from .routine import Routine, RoutineProblems, load_routine
from .routine.model import REST_ID
from .settings import BuildOptions
from .timeline.too_short import RoutineTimingError

if TYPE_CHECKING:
    from .speech import Speaker

_PLACEHOLDER = "Words."
_INDEXED = re.compile(r"^(intro|contraindications|cautions)\[(\d+)\]$")
_STEP = re.compile(r"^steps\[(\d+)\]\.(say|cues\[(\d+)\]\.say|reminders\[(\d+)\])$")

SpeakerFor = Callable[[Routine], "Speaker"]  # the speaker a routine is spoken with


@dataclasses.dataclass(frozen=True)
class Checked:
    """What ``check`` found in one file: what a build would refuse, and what reads badly."""

    problems: list[str]
    warnings: list[str] = dataclasses.field(default_factory=list)


def check_file(
    path: Path, speakers: SpeakerFor | None = None, options: BuildOptions | None = None
) -> Checked:
    """Every problem in the routine file at ``path`` and its readability warnings.

    With ``speakers`` (``speakers.Speakers``), the routine's script is also
    made as a build with ``options`` would make it, at the routine's default
    lengths, and what that refuses is reported.
    """
    try:
        routine = load_routine(path)
    except RoutineProblems as exc:
        return Checked([str(p) for p in exc.problems])
    except InputError as exc:
        return Checked([str(exc)])
    warnings = readability_warnings(routine)
    named = name_problems(routine)
    found = template_problems(routine)
    if not found and speakers is not None:
        try:
            speaker = speakers(routine)  # the routine's voice: may be unknown
        except InputError as exc:
            return Checked([*named, str(exc)], warnings)
        found = timing_problems(routine, speaker, options or BuildOptions())
    return Checked(named + found, warnings)


def name_problems(routine: Routine) -> list[str]:
    """Why ``build`` could not name the routine's track after it, as ``build`` says it."""
    try:
        routine_track_name(routine.id, routine.language, source=routine.path or None)
    except InputError as exc:
        return [str(exc)]
    return []


def problems_in(path: Path, speakers: SpeakerFor | None = None) -> list[str]:
    """One line per problem in the routine file at ``path``; empty if it is valid."""
    return check_file(path, speakers).problems


def timing_problems(routine: Routine, speaker: Speaker, options: BuildOptions) -> list[str]:
    """What making the routine's script with ``options`` refuses, every part of it.

    A part too short for what it says is given what it needs and the script
    made again; a part whose need grows with the words that say its new
    length is reported once.
    """
    from .script import SpeechBudget, prepare

    found: list[str] = []
    given: set[str] = set()
    budget = SpeechBudget(routine.path or routine.id)  # one for every time the script is made
    for _ in range(2 * len(routine.steps) + 3):
        try:
            prepare(routine, options, speaker, budget=budget)
        except RoutineTimingError as exc:
            if exc.part_id not in given:
                found.append(str(exc))
                given.add(exc.part_id)
            routine = _given_what_it_needs(routine, exc.part_id, exc.need_ms)
            continue
        except InputError as exc:
            found.append(str(exc))
        break
    return found


def _given_what_it_needs(routine: Routine, part_id: str, need_ms: int) -> Routine:
    if part_id == REST_ID and routine.rest is not None:
        return dataclasses.replace(
            routine, rest=dataclasses.replace(routine.rest, duration_ms=need_ms)
        )
    steps = tuple(
        dataclasses.replace(
            s, duration_ms=need_ms, min_ms=min(s.min_ms, need_ms), max_ms=max(s.max_ms, need_ms)
        )
        if s.id == part_id
        else s
        for s in routine.steps
    )
    return dataclasses.replace(routine, steps=steps)


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
        if name == "cautions":
            return dataclasses.replace(routine, cautions=tuple(texts))
        return dataclasses.replace(routine, contraindications=tuple(texts))
    match = _STEP.match(field)
    if match:
        steps = list(routine.steps)
        step = steps[int(match.group(1))]
        if match.group(4) is not None:
            lines = list(step.reminders)
            lines[int(match.group(4))] = _PLACEHOLDER
            step = dataclasses.replace(step, reminders=tuple(lines))
        elif match.group(3) is None:
            step = dataclasses.replace(step, say=_PLACEHOLDER)
        else:
            cues = list(step.cues)
            cue_index = int(match.group(3))
            cues[cue_index] = dataclasses.replace(cues[cue_index], say=_PLACEHOLDER)
            step = dataclasses.replace(step, cues=tuple(cues))
        steps[int(match.group(1))] = step
        return dataclasses.replace(routine, steps=tuple(steps))
    return None
