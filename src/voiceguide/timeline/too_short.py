"""A part too short for what it says: the error names where its length was set.

Where the routine file sets the length (a step's ``duration`` or ``max``,
the rest's ``duration``) the error names that file, line and field, and for
a cue that reaches past the end, the cue's ``at``, so ``check`` and
``build`` report it alike; where an option set it (``--step``, ``--rest``),
the option. Lengths are rounded for people, "at least" upward.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import RoutineError, TimingError
from ..routine.durations import format_human
from ..routine.model import Routine


def check_holds(
    routine: Routine, part_id: str, length: int, needs: Mapping[str, int], how: str
) -> None:
    """A part shorter than what it says is an error naming where, and the shortest that fits.

    Where the routine file sets the length (a step's ``duration`` or ``max``,
    the rest's ``duration``) the error names that file, line and field; for a
    cue that reaches past the end, the cue's ``at``. Where an option set it
    (``--step``, ``--rest``), the option.
    """
    need = needs.get(part_id, 0)
    if length >= need:
        return
    why = getattr(needs, "why", {}).get(part_id, "words")
    at_least = format_human(need, "up")
    index = next((i for i, s in enumerate(routine.steps) if s.id == part_id), None)
    step = routine.steps[index] if index is not None else None
    cue = None
    if step is not None and why.startswith("cue "):
        number = int(why.split()[1])
        if number < len(step.cues):
            cue = (f"steps[{index}].cues[{number}].at", step.cues[number])
    what = (
        f'its cue at {cue[1].at} ("{_start(cue[1].say)}") needs {at_least} with its words'
        if cue
        else f"what it says takes {at_least} (the chime, the words and a silent second)"
    )
    if how in ("pinned", "--rest"):
        option = (
            f"--step {part_id}={format_human(length)}"
            if how == "pinned"
            else (f"--rest {format_human(length)}")
        )
        name = f'step "{part_id}"' if step else "the rest"
        where = ""
        if cue:
            file, line, _ = routine.where(cue[0])
            where = f" ({file}:{line})" if line else ""
        raise TimingError(
            f"{option}: {name} is too short: {what}{where}; give it at least {at_least}"
        )
    if step is None or index is None:
        field_name = "rest.duration"
        fix = f"make it at least {at_least}, or say less in rest.say"
    elif cue:
        field_name = cue[0]
        bound = "max" if how == "max" else "duration"
        fix = (
            f"the step is {format_human(length)} long (its {bound}), and this cue with its "
            f"words needs {at_least}; move the cue earlier, or make the {bound} at least {at_least}"
        )
    elif how == "max":
        field_name = f"steps[{index}].{'max' if 'max' in _written(routine, index) else 'duration'}"
        fix = (
            f"raise its max to at least {at_least}, say less, or pin the step with "
            f"--step {part_id}={at_least}"
        )
    else:
        field_name = f"steps[{index}].duration"
        fix = f"give it at least {at_least}, or say less"
    if cue:
        message = f'"{cue[1].at}" lies past the step\'s end: {fix}'
    else:
        message = f"{format_human(length)} is too short: {what}; {fix}"
    raise routine.error(field_name, message, RoutineTimingError, part_id=part_id, need_ms=need)


def _written(routine: Routine, index: int) -> set[str]:
    """The keys a step has in the file (``max`` may be left to default to ``duration``)."""
    prefix = f"steps[{index}]."
    return {k[len(prefix) :] for k in routine.lines if k.startswith(prefix)}


def _start(text: str, limit: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RoutineTimingError(RoutineError, TimingError):
    """A part of the routine file too short for what it says: names file, line and field.

    ``part_id`` and ``need_ms`` say which part and what it needs, so ``check``
    can give it that and go on to find the next part too short."""

    def __init__(
        self,
        message: str,
        *,
        part_id: str = "",
        need_ms: int = 0,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        step_title: str | None = None,
    ) -> None:
        self.part_id, self.need_ms = part_id, need_ms
        super().__init__(message, path=path, line=line, field=field, step_title=step_title)
