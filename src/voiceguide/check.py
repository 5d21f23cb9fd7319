"""Everything ``voiceguide check`` finds wrong with routine files, as one-line messages.

Like ffmpeg-normalize's ``validate_input_files``: every problem of every
file is reported in one pass, so the user fixes them all at once. The file
is checked field by field (``routine``), then every text is rendered in the
template sandbox (``narration.narrate``), which finds unknown names and
attempts to reach Python internals. ``narrate`` stops at the first faulty
template, so the faulty text is set aside and the rest rendered again.

Last, what only speech can tell: the words are measured (from the clip
cache, or spoken) and the routine is planned at its default lengths, as
``build`` does, so a step too short for its words or a cue that ends past
its step is reported here with the file, line and field, not found later by
``build``. Every step is measured, not only the first that fails.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, RoutineError
from .narration import narrate
from .narration.readability import readability_warnings
from .routine import Routine, RoutineProblems, load_routine

if TYPE_CHECKING:
    from .narration import Narration
    from .speech import Speaker

_PLACEHOLDER = "Words."
_INDEXED = re.compile(r"^(intro|contraindications|cautions)\[(\d+)\]$")
_STEP = re.compile(r"^steps\[(\d+)\]\.(say|cues\[(\d+)\]\.say|reminders\[(\d+)\])$")


@dataclasses.dataclass(frozen=True)
class Checked:
    """What ``check`` found in one file, and what an ok verdict rests on besides the file."""

    problems: list[str]
    warnings: list[str] = dataclasses.field(default_factory=list)
    clips: list[Path] = dataclasses.field(default_factory=list)  # cached clips it timed
    sounds: list[Path] = dataclasses.field(default_factory=list)  # the routine's own files


def check_file(path: Path, speaker: Speaker | None = None) -> Checked:
    """Every problem in the routine file at ``path`` and its readability warnings.

    With a ``speaker``, the words are also measured and the routine planned
    at its default lengths (what ``build`` would refuse).
    """
    try:
        routine = load_routine(path)
    except RoutineProblems as exc:
        return Checked([str(p) for p in exc.problems])
    except InputError as exc:
        return Checked([str(exc)])
    warnings = readability_warnings(routine)
    found, narration = template_problems(routine)
    timed: list[str] = []
    if narration is not None and speaker is not None:
        found = timing_problems(routine, speaker, timed, narration)
    clips = [speaker.cache_file(t) for t in dict.fromkeys(timed)] if speaker else []
    sounds = [Path(p) for p in routine.sounds.values()]
    return Checked(found, warnings, [c for c in clips if c is not None], sounds)


def problems_in(path: Path, speaker: Speaker | None = None) -> list[str]:
    """One line per problem in the routine file at ``path``; empty if it is valid."""
    return check_file(path, speaker).problems


def timing_problems(
    routine: Routine,
    speaker: Speaker,
    timed: list[str] | None = None,
    narration: Narration | None = None,
) -> list[str]:
    """What planning the routine at its default lengths refuses, every part of it.

    The planner stops at the first part too short for what it says; that
    part is then given what it needs and the plan tried again, so every
    faulty part is reported at once, each at its own line. Each sentence
    timed is added to ``timed``. ``narration``: the routine's, if it was made already.
    """
    from .timeline import TimingRequest, make_plan, needs

    try:
        sound_ms = sound_lengths(routine)  # the routine's own sound files, decoded
    except InputError as exc:
        return [str(exc)]

    def length_ms(text: str) -> int:
        if timed is not None:
            timed.append(text)
        return speaker.length_ms(text)

    measured = needs(narration or narrate(routine), length_ms, sound_ms)
    found: list[str] = []
    for _ in range(len(routine.steps) + 2):
        try:
            make_plan(routine, TimingRequest(), measured)
        except InputError as exc:
            found.append(str(exc))
            fixed = _given_what_it_needs(routine, exc, measured)
            if fixed is None:
                break
            routine = fixed
        else:
            break
    return found


_STEP_FIELD = re.compile(r"^steps\[(\d+)\]\.")


def _given_what_it_needs(
    routine: Routine, exc: InputError, measured: dict[str, int]
) -> Routine | None:
    match = _STEP_FIELD.match(getattr(exc, "field", None) or "")
    if match is None:
        return None
    steps = list(routine.steps)
    step = steps[int(match.group(1))]
    need = measured[step.id]
    steps[int(match.group(1))] = dataclasses.replace(
        step, duration_ms=need, min_ms=min(step.min_ms, need), max_ms=max(step.max_ms, need)
    )
    return dataclasses.replace(routine, steps=tuple(steps))


def sound_lengths(routine: Routine) -> dict[str, int]:
    """How long each sound rings: the built-in bells' lengths are known without making them."""
    from .audio import sounds

    if not routine.sounds:
        return sounds.builtin_lengths_ms()
    from .script import routine_sounds

    return sounds.sound_lengths_ms(routine_sounds(routine))


def measuring_speaker(*, voice: str | None, rate_wpm: int, cache_dir: Path | None) -> Speaker:
    """The speaker ``check`` measures with: the build's voice and rate, the build's cache."""
    from .speech import Speaker

    speaker = Speaker(voice=voice, rate_wpm=rate_wpm, cache_dir=cache_dir)
    if voice:
        try:
            speaker.check_voice()
        except BaseException:
            speaker.close()
            raise
    return speaker


def template_problems(routine: Routine) -> tuple[list[str], Narration | None]:
    """Every text that does not render in the sandbox, in the order ``narrate`` meets them,
    and the routine's narration if there is none (``timing_problems`` then reuses it)."""
    found: list[str] = []
    for _ in range(1 + len(routine.lines)):
        try:
            narration = narrate(routine)
        except RoutineError as exc:
            found.append(str(exc))
            replaced = _set_aside(routine, _merged_field(routine, exc))
            if replaced is None:
                break
            routine = replaced
        else:
            return found, (None if found else narration)
    return found, None


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
