"""Lengths said aloud: "twelve minutes", "a minute and a half", "forty-five seconds".

The narration says how long each step and the rest last, so the words must
follow the fitted plan, not the routine's defaults. Lengths are rounded to
what a listener can use (five seconds under a minute, half minutes under
twenty minutes, whole minutes above: "twelve and a half minutes", but not
"fifty and a half"); the words come from the language's catalogue
(``languages/<tag>/phrases.yaml``, ``lengths:``), the form of each unit
from the number's CLDR plural category (Babel) and the number's words from
num2words, in the unit's grammatical gender where the language has one.
"""

from __future__ import annotations

from ..languages import Language, get
from ..languages.numbers import english_number

__all__ = ["english_number", "number_words", "spoken_length"]

HALF_MINUTES_UNDER = 20  # minutes


def number_words(value: int, lang: str = "en") -> str:
    return get(lang).number(value)


def spoken_length(ms: int, lang: str | Language = "en") -> str:
    """``ms`` as a listener would say it, rounded; e.g. 725_000 -> "twelve minutes"."""
    language = get(lang) if isinstance(lang, str) else lang
    seconds = round(ms / 1000)
    if seconds < 10:
        return language.counted("second", seconds)
    fives = round(ms / 5000) * 5
    if fives < 60:
        return language.counted("second", fives)
    halves = round(ms / 30_000)
    if halves < 2 * HALF_MINUTES_UNDER:
        whole, half = divmod(halves, 2)
        if whole == 1 and half:
            return str(language.lengths["one_and_a_half_minutes"])
        return language.counted("minutes_and_a_half" if half else "minute", whole)
    minutes = round(ms / 60_000)
    if minutes < 60:
        return language.counted("minute", minutes)
    hours, minutes = divmod(minutes, 60)
    if minutes == 30 and hours == 1:
        return str(language.lengths["one_and_a_half_hours"])
    said_hours = language.counted("hour", hours)
    if minutes == 0:
        return said_hours
    said_minutes = language.counted("minute", minutes)
    return language.say_length("hours_and_minutes", hours=said_hours, minutes=said_minutes)
