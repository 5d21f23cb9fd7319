"""A routine's whole default length, guessed without speaking: what `voiceguide list` shows.

A track at the routine's own lengths is its introduction, its steps, its
rest and its closing words. The steps and the rest are written in the file;
the introduction and the closing words last as long as their speech, which
``list`` does not make: it must answer at once, with no speech engine, no
numpy and no Jinja. So their speech is guessed from the letters and stops of
the routine's texts at the default pace (``speech.pace.guess_ms``, the guess
a cold build starts its fit from), with the pauses between sentences and an
allowance for the narration's own sentences around them (the checklist's
opening and close, the time to get ready). Over the four shipped routines
this is within a few seconds of the plan fitted to the same guess, and within
half a minute of the built track (tests/test_estimate.py holds it there).
"""

from __future__ import annotations

import re

from .routine import Routine
from .speech.engine import DEFAULT_RATE_WPM
from .speech.pace import guess_ms

# The build's defaults and the narration's pauses, restated so that `list` need not import
# the narration (Jinja) or the settings; tests/test_estimate.py holds them equal.
LEAD_IN_MS = 6000  # narration.LEAD_IN_MS: "get ready", then the first instruction
PAUSE_MS = 120_000  # settings.PAUSE_MS: time to get ready after an intro with lines
SENTENCE_PAUSE_MS = 650  # narration.render.SENTENCE_PAUSE_MS
PARAGRAPH_PAUSE_MS = 1200  # narration.render.PARAGRAPH_PAUSE_MS: between texts
TAIL_SILENCE_MS = 1000  # timeline.place.TAIL_SILENCE_MS: the last second of each part
# The narration's own words, guessed: the checklist's opening and its close; the sentences
# that give the time to get ready; the closing words where the routine has no outro.
CHECKLIST_WORDS_MS = 13_500
PAUSE_WORDS_MS = 11_000
OUTRO_WORDS_MS = 5_000

_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
# Markup, read as the first branch of each {% if %} and a name as two words ("the person")
_OTHER_BRANCH = re.compile(r"\{%-?\s*el(?:se|if)\b.*?(?=\{%-?\s*endif)", re.DOTALL)
_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_NAME = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def _as_said(text: str) -> str:
    return _NAME.sub("two words", _TAG.sub("", _OTHER_BRANCH.sub("", text)))


def _said_ms(texts: tuple[str, ...] | list[str]) -> int:
    """The guessed speech of these texts, each its own paragraph, with the pauses."""
    total = 0
    for text in texts:
        flat = _as_said(text)
        sentences = max(1, len(_SENTENCE_END.findall(flat.strip() + " ")))
        total += guess_ms(flat, DEFAULT_RATE_WPM) + sentences * SENTENCE_PAUSE_MS
        total += PARAGRAPH_PAUSE_MS - SENTENCE_PAUSE_MS
    return total


def intro_ms(routine: Routine) -> int:
    """The introduction at the defaults: title, checklist, cautions, intro, time to get ready."""
    words = _said_ms([f"{routine.title}.", *routine.cautions, *routine.intro])
    if routine.contraindications:
        words += _said_ms(list(routine.contraindications)) + CHECKLIST_WORDS_MS
    hold = PAUSE_MS + PAUSE_WORDS_MS if routine.intro else TAIL_SILENCE_MS
    return LEAD_IN_MS + words + hold


def default_length_ms(routine: Routine) -> int:
    """The whole track at the routine's own lengths: intro, steps, rest and closing words."""
    steps = sum(s.duration_ms for s in routine.steps)
    rest = routine.rest.duration_ms if routine.rest else 0
    outro = _said_ms([routine.outro]) if routine.outro else OUTRO_WORDS_MS
    return intro_ms(routine) + steps + rest + outro + TAIL_SILENCE_MS
