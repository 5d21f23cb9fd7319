"""A voice as people name it: its id, its language code or its name, in any case.

Pure: given what the user typed and the voices an engine offers, the one
voice it names, or an ``InputError`` whose suggestions are ranked by what
was typed (voices of the same language first). Any engine can use it: the
pyttsx3 engine does, on the ids espeak-ng gives (``gmw/en-us``), and an
engine with other ids (Piper's) can hand its own list to the same function.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from ..errors import InputError, one_line
from .engine import VoiceInfo

MAX_SUGGESTIONS = 4


def _tail(voice: VoiceInfo) -> str:
    """``gmw/en-us`` -> ``en-us``: the id without its language family."""
    return voice.id.rsplit("/", 1)[-1].lower()


# Ways a typed name can name a voice, strongest first; a way that names
# exactly one voice decides, one that names several is ambiguous.
_WAYS: tuple[tuple[str, Callable[[VoiceInfo, str], bool]], ...] = (
    ("id", lambda v, typed: v.id.lower() == typed),
    ("id", lambda v, typed: _tail(v) == typed),
    ("language", lambda v, typed: typed in (lang.lower() for lang in v.languages)),
    ("name", lambda v, typed: v.name.lower() == typed),
)


def resolve(name: str, voices: Sequence[VoiceInfo], *, option: str = "--voice") -> VoiceInfo:
    """The one voice ``name`` names, or an ``InputError`` with ranked suggestions."""
    typed = _normal(name)
    for _, matches in _WAYS:
        found = [v for v in voices if matches(v, typed)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InputError(
                f"{option} {one_line(name)}: names {len(found)} voices; choose one of "
                + ", ".join(shown_voice(v) for v in found[:MAX_SUGGESTIONS])
            )
    close = suggestions(name, voices)
    hint = (
        f"; did you mean {', '.join(shown_voice(v) for v in close)}?"
        if close
        else "; give a voice's id, language or name"
    )
    raise InputError(f"{option} {one_line(name)}: no such voice{hint} (see `voiceguide voices`)")


def suggestions(name: str, voices: Sequence[VoiceInfo]) -> list[VoiceInfo]:
    """Voices close to what was typed: its language first, then names and ids alike."""
    typed = _normal(name)
    languages = {typed.rsplit("/", 1)[-1].split("-")[0]}
    word = typed.split(" (")[0]
    for v in voices:  # "english" (or "englsh") names the language of every "English (...)" voice
        if difflib.SequenceMatcher(None, _language_word(v), word).ratio() >= 0.8:
            languages.update(lang.split("-")[0] for lang in v.languages)

    def score(v: VoiceInfo) -> float:
        same_language = any(lang.split("-")[0] in languages for lang in v.languages)
        likeness = max(
            difflib.SequenceMatcher(None, typed, text).ratio()
            for text in (v.id.lower(), _tail(v), v.name.lower(), *v.languages)
        )
        contained = any(typed in text for text in (v.name.lower(), _tail(v))) and len(typed) > 2
        main = 0.15 if _tail(v) in languages else 0.0  # gmw/en for "english"
        return (2.0 if same_language else 0.0) + (1.0 if contained else 0.0) + main + likeness

    ranked = sorted(voices, key=lambda v: (-score(v), len(v.id), v.id))
    best = [v for v in ranked[:MAX_SUGGESTIONS] if score(v) >= 0.6]
    if best and score(best[0]) >= 2.0:  # voices of the language typed: only those
        best = [v for v in best if score(v) >= 2.0]
    return best


def _normal(name: str) -> str:
    """Case, spacing and ``en_US`` for ``en-us`` do not matter."""
    return " ".join(name.split()).lower().replace("_", "-")


def _language_word(voice: VoiceInfo) -> str:
    """``English (America)`` -> ``english``."""
    return voice.name.split(" (")[0].strip().lower()


def shown_voice(voice: VoiceInfo) -> str:
    return f"{voice.id} ({voice.name})"
