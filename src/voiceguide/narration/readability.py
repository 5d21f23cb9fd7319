"""What a speech engine reads badly, found in a routine's texts for ``voiceguide check``.

Written text can hold signs a listener never hears as meant: "&" and "%"
come out differently by engine and voice, "2 min" or "5m" are read letter
by letter or guessed ("five metres"), "approx." is read as a word. None of
these stops a build, so ``check`` warns, naming the file, line and field,
and says what to write instead.
"""

from __future__ import annotations

import re

from ..errors import RoutineError
from ..routine.model import Routine

_UNITS = r"(?:min|mins|sec|secs|s|m|h|hr|hrs|cm|mm|kg|g|ml|l|°c|°f|°)"
_NUMBER_WITH_UNIT = re.compile(rf"\b\d+(?:[.,]\d+)?\s?{_UNITS}(?![a-z])\.?", re.IGNORECASE)
_SHORTENED = re.compile(
    r"\b(approx|ca|cf|e\.g|i\.e|incl|etc|min|sec|max|vs|no)\.(?=\s|$)", re.IGNORECASE
)
_TEMPLATE = re.compile(r"\{[{%#].*?[}%#]\}", re.DOTALL)
_SIGNS = {
    "&": 'write "and"',
    "%": 'write "percent"',
    "+": 'write "and" or "plus"',
    "/": 'write "or", "per" or "and"',
    "=": 'write "is"',
    "~": 'write "about"',
}


def hard_to_say(text: str) -> list[str]:
    """Why parts of ``text`` would be read badly, one reason each; empty if none."""
    text = _TEMPLATE.sub(" ", text)  # {{ names }} and {% if %} are not read out
    found: list[str] = []
    for sign, instead in _SIGNS.items():
        if sign in text:
            found.append(f'"{sign}" is read differently by each speech engine; {instead}')
    for match in _NUMBER_WITH_UNIT.finditer(text):
        written = match.group(0).strip().rstrip(".")
        found.append(
            f'"{written}": a number with a shortened unit is read letter by letter or guessed; '
            "write it out in words (two minutes, ten centimetres)"
        )
    for match in _SHORTENED.finditer(text):
        if _NUMBER_WITH_UNIT.search(text[max(0, match.start() - 6) : match.end()]):
            continue  # already reported with its number
        found.append(f'"{match.group(0)}" is read as a word; write the word in full')
    return found


def spoken_fields(routine: Routine) -> list[tuple[str, str]]:
    """Every text of the routine that is said aloud, with its field name."""
    out: list[tuple[str, str]] = [("title", routine.title)]
    for name in ("intro", "contraindications", "cautions"):
        out += [(f"{name}[{i}]", t) for i, t in enumerate(getattr(routine, name))]
    for i, step in enumerate(routine.steps):
        where = f"steps[{i}]"
        out += [(f"{where}.title", step.title), (f"{where}.say", step.say)]
        out += [(f"{where}.cues[{j}].say", c.say) for j, c in enumerate(step.cues)]
        out += [(f"{where}.reminders[{j}]", t) for j, t in enumerate(step.reminders)]
    if routine.rest is not None:
        out.append(("rest.say", routine.rest.say))
    if routine.outro:
        out.append(("outro", routine.outro))
    return out


def readability_warnings(routine: Routine) -> list[str]:
    """One line per thing an engine would read badly: ``file:line: field: why``."""
    lines: list[str] = []
    for field, text in spoken_fields(routine):
        path, line, shown = routine.where(field)
        for reason in hard_to_say(text):
            title = routine.step_title(field)
            lines.append(
                str(RoutineError(reason, path=path, line=line, field=shown, step_title=title))
            )
    return lines
