"""What a speech engine reads badly, found in a routine's texts for ``voiceguide check``.

Written text can hold signs a listener never hears as meant: "&" and "%"
come out differently by engine and voice, "2 min" or "5m" are read letter
by letter or guessed ("five metres"), "approx." is read as a word. None of
these stops a build, so ``check`` warns, naming the file, line and field,
and says what to write instead.
"""

from __future__ import annotations

import functools
import re

from .. import languages
from ..routine.model import Routine

_TEMPLATE = re.compile(r"\{[{%#].*?[}%#]\}", re.DOTALL)


@functools.cache
def _patterns(tag: str) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str], str]:
    """The language's numbers with a shortened unit, shortened words, signs and an example of
    lengths in words (its catalogue's ``units``, ``shortened``, ``signs``, ``written_out``):
    the messages are for the author, in English, but what they suggest writing is in the
    routine's language."""
    lang = languages.get(tag)
    units = "|".join(re.escape(u) for u in sorted(lang.units, key=len, reverse=True))
    number_with_unit = re.compile(rf"\b\d+(?:[.,]\d+)?\s?(?:{units})(?![^\W\d_])\.?", re.IGNORECASE)
    words = [
        r"\.\s*".join(re.escape(part) for part in w.rstrip(".").replace(". ", ".").split("."))
        for w in lang.shortened
    ]
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    shortened = re.compile(rf"(?<![^\W\d_])(?:{alternatives})\.(?=\s|$)", re.IGNORECASE)
    signs = {
        sign: "write " + _either([f'"{w}"' for w in instead])
        for sign, instead in lang.signs.items()
    }
    return number_with_unit, shortened, signs, lang.written_out


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def hard_to_say(text: str, language: str = languages.DEFAULT) -> list[str]:
    """Why parts of ``text`` would be read badly, one reason each; empty if none."""
    number_with_unit, shortened, signs, written_out = _patterns(language)
    text = _TEMPLATE.sub(" ", text)  # {{ names }} and {% if %} are not read out
    found: list[str] = []
    for sign, instead in signs.items():
        if sign in text:
            found.append(f'"{sign}" is read differently by each speech engine; {instead}')
    for match in number_with_unit.finditer(text):
        written = match.group(0).strip().rstrip(".")
        found.append(
            f'"{written}": a number with a shortened unit is read letter by letter or guessed; '
            f"write it out in words ({written_out})"
        )
    for match in shortened.finditer(text):
        if number_with_unit.search(text[max(0, match.start() - 6) : match.end()]):
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
        lines += [
            str(routine.error(field, reason)) for reason in hard_to_say(text, routine.language)
        ]
    return lines
